import { Inject, Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { Cache, NodeStatus } from '@ringcache/core';
import { getCacheToken } from '../tokens.js';

export interface RingcacheHealthOptions {
  /** Which cache, by the `name` given to `RingcacheModule.forRoot`. @default 'default' */
  cache?: string;
  /**
   * How many nodes must be up for the indicator to be up. A cache with a node down still serves
   * (reads of that node's keys miss), so the default only fails when no node is up; `'all'`
   * fails on any node down.
   * @default 1
   */
  minUp?: number | 'all';
}

/**
 * A `@nestjs/terminus` health indicator: every node of a cache with its status (`up`, `down`,
 * `ejected`), and up while at least `minUp` nodes are up. Reads the adapter's node snapshot, so a
 * health check costs no I/O. Add it to a module's providers next to `TerminusModule`:
 *
 * ```ts
 * @Get('health') @HealthCheck()
 * check() { return this.health.check([() => this.ringcache.isHealthy('cache')]); }
 * ```
 */
@Injectable()
export class RingcacheHealthIndicator {
  constructor(
    @Inject(HealthIndicatorService) private readonly indicators: HealthIndicatorService,
    @Inject(ModuleRef) private readonly moduleRef: ModuleRef,
  ) {}

  isHealthy<const Key extends string>(key: Key, options: RingcacheHealthOptions = {}) {
    const session = this.indicators.check(key);
    let cache: Cache;
    try {
      cache = this.moduleRef.get<Cache>(getCacheToken(options.cache), { strict: false });
    } catch {
      return session.down({ message: `no Ringcache cache named '${options.cache ?? 'default'}'` });
    }
    const nodes = cache.nodes().map((node) => ({ id: node.id, address: node.address, status: node.status }));
    const up = nodes.filter((node) => node.status === 'up').length;
    const required = options.minUp === 'all' ? nodes.length : (options.minUp ?? 1);
    const details = {
      adapter: cache.adapter.name,
      nodesUp: up,
      nodesTotal: nodes.length,
      nodes: Object.fromEntries(
        nodes.map((node) => [node.id, { address: node.address, status: node.status }]),
      ),
    } satisfies Record<string, unknown> & { nodes: Record<string, { address: string; status: NodeStatus }> };
    return up >= required && up > 0 ? session.up(details) : session.down(details);
  }
}
