import { BadRequestException, Body, Controller, Get, HttpCode, Inject, Post } from '@nestjs/common';
import { TrafficGenerator, type TrafficOptions } from '../traffic/traffic-generator.js';
import { StatsService } from './stats-service.js';

@Controller('api')
export class DashboardController {
  constructor(
    @Inject(StatsService) private readonly stats: StatsService,
    @Inject(TrafficGenerator) private readonly traffic: TrafficGenerator,
  ) {}

  /** Per-node counters (cumulative: the dashboard turns them into rates), hit rate, hot keys. */
  @Get('stats')
  getStats() {
    return this.stats.stats();
  }

  /** Nodes, their share of keys, and the arcs of the circle each owns. */
  @Get('ring')
  getRing() {
    return this.stats.ringView();
  }

  @Post('traffic/start')
  @HttpCode(200)
  start(@Body() body: TrafficOptions | undefined) {
    try {
      return this.traffic.start({
        ...(typeof body?.rate === 'number' ? { rate: body.rate } : {}),
        ...(typeof body?.hotShare === 'number' ? { hotShare: body.hotShare } : {}),
        ...(typeof body?.s === 'number' ? { s: body.s } : {}),
      });
    } catch (error) {
      throw new BadRequestException((error as Error).message);
    }
  }

  @Post('traffic/stop')
  @HttpCode(200)
  stop() {
    return this.traffic.stop();
  }
}
