import { type DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { RingcacheModule } from '@ringcache/nestjs';
import { RingcacheHealthIndicator } from '@ringcache/nestjs/terminus';
import type { Backend } from './backends.js';
import { CatalogController } from './catalog/catalog-controller.js';
import { CatalogService } from './catalog/catalog-service.js';
import { FakeDatabase } from './catalog/fake-database.js';
import { DashboardController } from './dashboard/dashboard-controller.js';
import { StatsService } from './dashboard/stats-service.js';
import { HealthController } from './health-controller.js';
import type { Settings } from './settings.js';
import { BACKEND_DESCRIPTION, SETTINGS } from './tokens.js';
import { TrafficGenerator } from './traffic/traffic-generator.js';

@Module({})
export class AppModule {
  /**
   * The backend is built before the module (its adapter may need to connect first), then handed
   * to `RingcacheModule.forRoot`; the module closes it on shutdown.
   */
  static with(settings: Settings, backend: Backend): DynamicModule {
    return {
      module: AppModule,
      imports: [TerminusModule.forRoot({ logger: false }), RingcacheModule.forRoot(backend.options)],
      controllers: [CatalogController, DashboardController, HealthController],
      providers: [
        { provide: SETTINGS, useValue: settings },
        { provide: BACKEND_DESCRIPTION, useValue: { name: backend.name, description: backend.description } },
        FakeDatabase,
        CatalogService,
        TrafficGenerator,
        StatsService,
        RingcacheHealthIndicator,
      ],
    };
  }
}
