import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { RingcacheHealthIndicator } from '@ringcache/nestjs/terminus';

@Controller('health')
export class HealthController {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(RingcacheHealthIndicator) private readonly ringcache: RingcacheHealthIndicator,
  ) {}

  /** Up while at least one cache node is: with a node down the app still serves (those keys miss). */
  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.ringcache.isHealthy('cache')]);
  }
}
