import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { Cache, type HotKeyEntry, type Partitioner } from '@ringcache/core';
import { FakeDatabase } from '../catalog/fake-database.js';
import { BACKEND_DESCRIPTION } from '../tokens.js';
import { TrafficGenerator } from '../traffic/traffic-generator.js';
import { type RingView, ringView } from './ring-view.js';

export interface HotKeyEvent extends HotKeyEntry {
  type: 'promote' | 'demote';
  at: number;
}

const EVENTS_KEPT = 30;

/** What the dashboard polls: the cache's own stats plus what only the sample knows. */
@Injectable()
export class StatsService implements OnModuleInit, OnModuleDestroy {
  private readonly events: HotKeyEvent[] = [];
  /** Keys promoted and not yet demoted: the ones whose mitigation is running. */
  private readonly promoted = new Set<string>();
  private readonly unsubscribe: (() => void)[] = [];
  private ring: { topology: Partitioner; view: RingView } | undefined;

  constructor(
    private readonly cache: Cache,
    @Inject(FakeDatabase) private readonly database: FakeDatabase,
    @Inject(TrafficGenerator) private readonly traffic: TrafficGenerator,
    @Inject(BACKEND_DESCRIPTION) private readonly backend: { name: string; description: string },
  ) {}

  onModuleInit(): void {
    this.unsubscribe.push(
      this.cache.on('hotkey:promote', (entry) => this.record('promote', entry)),
      this.cache.on('hotkey:demote', (entry) => this.record('demote', entry)),
    );
  }

  onModuleDestroy(): void {
    for (const unsubscribe of this.unsubscribe.splice(0)) unsubscribe();
  }

  stats() {
    const stats = this.cache.stats();
    return {
      backend: this.backend.name,
      description: this.backend.description,
      at: Date.now(),
      adapter: stats.adapter,
      hitRate: stats.hitRate,
      totals: stats.totals,
      nodes: stats.nodes,
      // The cache lists the hottest keys of the window, from half the threshold up; `mitigated`
      // tells the ones actually promoted (split) from those merely close to it.
      hotKeys: (stats.hotKeys ?? []).map((entry) => ({ ...entry, mitigated: this.promoted.has(entry.key) })),
      hotKeyEvents: [...this.events].reverse(),
      database: { reads: this.database.reads },
      traffic: this.traffic.snapshot(),
    };
  }

  /** Recomputed only when the topology changes (sampling the ring costs tens of milliseconds). */
  ringView(): RingView {
    const topology = this.cache.adapter.topology();
    if (this.ring?.topology !== topology)
      this.ring = { topology, view: ringView(topology, this.cache.nodes()) };
    const statuses = new Map(this.cache.nodes().map((node) => [node.id, node.status]));
    return {
      ...this.ring.view,
      nodes: this.ring.view.nodes.map((node) => ({ ...node, status: statuses.get(node.id) ?? node.status })),
    };
  }

  private record(type: HotKeyEvent['type'], entry: HotKeyEntry): void {
    if (type === 'promote') this.promoted.add(entry.key);
    else this.promoted.delete(entry.key);
    this.events.push({ ...entry, type, at: Date.now() });
    if (this.events.length > EVENTS_KEPT) this.events.shift();
  }
}
