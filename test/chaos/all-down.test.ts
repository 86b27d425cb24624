// Scenario 1 (issue 12): every backend down under ~500 ops/s. Per engine, on disposable engines:
// no uncaught exception or unhandled rejection, every call settles within timeout + 100 ms,
// pending calls per node stay within maxPending, heap growth < 20 MB after a forced GC, and every
// call issued has settled afterwards. 10 s of load (30 s with CHAOS_LONG=1). Two ways down:
// SIGKILL (connections refused: calls should fail fast) and SIGSTOP (connections accepted and
// silent: calls hang, so the timeout and maxPending are what bound them; 5 s short form).
import { type CacheAdapter, createCache } from '@ringcache/core';
import { hazelcastAdapter } from '@ringcache/hazelcast';
import { memcachedAdapter } from '@ringcache/memcached';
import { redisClusterAdapter } from '@ringcache/redis';
import { disposableHazelcast, disposableMemcached, disposableRedisCluster } from '@ringcache/test-engines';
import { describe, expect, it } from 'vitest';
import {
  CallTracker,
  heapAfterGc,
  LONG,
  openLoopLoad,
  processErrorCounter,
  report,
  samplePending,
  sleep,
} from './support.js';

const TIMEOUT = 500;
const MAX_PENDING = 100;
const OPS_PER_SECOND = 500;
const DURATION_MS = LONG ? 30_000 : 10_000;
const FROZEN_DURATION_MS = LONG ? 30_000 : 5000;
const MEBIBYTE = 1024 * 1024;

type Mode = 'SIGKILL' | 'SIGSTOP';

interface Engine {
  adapter: CacheAdapter;
  /** Sends `signal` to every node of the engine. */
  signalAll(signal: Mode | 'SIGCONT'): Promise<void>;
  stop(): Promise<void>;
  /** An engine-specific figure worth printing (ioredis' offline queue, say). */
  extra?(): Record<string, unknown>;
}

async function allDown(name: string, mode: Mode, start: () => Promise<Engine>): Promise<void> {
  const durationMs = mode === 'SIGKILL' ? DURATION_MS : FROZEN_DURATION_MS;
  const engine = await start();
  const errors = processErrorCounter();
  const cache = createCache({
    adapter: engine.adapter,
    timeout: TIMEOUT,
    maxPending: MAX_PENDING,
    onBackendError: 'throw',
  });
  try {
    for (let i = 0; i < 50; i++) await cache.set(`warm:${i}`, i);
    expect(await cache.get('warm:7')).toBe(7);
    await engine.signalAll(mode);
    // A first burst so that lazily created state (reconnect timers, histograms) exists before the baseline.
    const warmTracker = new CallTracker();
    await openLoopLoad(cache, warmTracker, {
      opsPerSecond: OPS_PER_SECOND,
      durationMs: 1000,
      keyPrefix: 'w:',
    });
    await warmTracker.drain(TIMEOUT + 2000);
    const heapBefore = await heapAfterGc();

    const tracker = new CallTracker();
    const pending = samplePending(cache);
    const loadStart = performance.now();
    await openLoopLoad(cache, tracker, {
      opsPerSecond: OPS_PER_SECOND,
      durationMs,
      keyPrefix: 'k:',
    });
    const achievedRate = tracker.issued / ((performance.now() - loadStart) / 1000);
    await tracker.drain(TIMEOUT + 2000);
    pending.stop();
    await sleep(200);
    const heapAfter = await heapAfterGc();
    const figures = {
      seconds: durationMs / 1000,
      issued: tracker.issued,
      opsPerSecond: Math.round(achievedRate),
      unsettled: tracker.pending,
      maxSettleMs: Math.round(tracker.maxMs),
      limitMs: TIMEOUT + 100,
      maxPendingPerNode: pending.max,
      maxPending: MAX_PENDING,
      heapGrowthMb: Number(((heapAfter - heapBefore) / MEBIBYTE).toFixed(2)),
      processErrors: errors.seen.length,
      outcomes: tracker.byCode,
      ...engine.extra?.(),
    };
    report(`all-down ${name} ${mode}`, figures);
    expect(errors.seen).toEqual([]);
    expect(tracker.pending).toBe(0);
    expect(tracker.maxMs).toBeLessThanOrEqual(TIMEOUT + 100);
    expect(pending.max).toBeLessThanOrEqual(MAX_PENDING);
    expect(heapAfter - heapBefore).toBeLessThan(20 * MEBIBYTE);
    // Every failure is typed (no UNTYPED:* or sync throws).
    expect(Object.keys(tracker.byCode).filter((code) => code.includes(':'))).toEqual([]);
    expect(achievedRate).toBeGreaterThan(OPS_PER_SECOND * 0.8);
  } finally {
    await cache.close().catch(() => undefined);
    errors.dispose();
    // A stopped process holds a SIGTERM until it runs again.
    if (mode === 'SIGSTOP') await engine.signalAll('SIGCONT').catch(() => undefined);
    await engine.stop();
  }
}

describe.each<Mode>(['SIGKILL', 'SIGSTOP'])('scenario 1: every backend down (%s)', (mode) => {
  it('Redis Cluster', async () => {
    await allDown('redis-cluster', mode, async () => {
      const cluster = await disposableRedisCluster({ masters: 3, replicas: 0 });
      const adapter = redisClusterAdapter({ nodes: cluster.nodes });
      return {
        adapter,
        signalAll: async (signal) => {
          for (const port of cluster.ports) await cluster.kill(port, signal);
        },
        stop: () => cluster.stop(),
        extra: () => {
          // ioredis' Cluster offline queue: commands parked while no node is connected.
          const client = adapter.getClient() as unknown as { offlineQueue?: { length: number } };
          // Commands written to a node connection and still awaiting a reply (a frozen node never answers).
          const awaitingReply = adapter
            .getClient()
            .nodes('all')
            .reduce(
              (sum, node) =>
                sum + ((node as unknown as { commandQueue?: { length: number } }).commandQueue?.length ?? 0),
              0,
            );
          // Auto-pipelining: while one pipeline per node is unanswered, later commands wait in the next one.
          const pipelines = (client as unknown as { _autoPipelines?: Map<string, { length?: number }> })
            ._autoPipelines;
          let waitingInAutoPipelines = 0;
          for (const pipeline of pipelines?.values() ?? []) waitingInAutoPipelines += pipeline.length ?? 0;
          return {
            ioredisOfflineQueue: client.offlineQueue?.length ?? 'n/a',
            ioredisAwaitingReply: awaitingReply,
            ioredisWaitingInAutoPipelines: waitingInAutoPipelines,
          };
        },
      };
    });
  });

  it('memcached', async () => {
    await allDown('memcached', mode, async () => {
      const pool = await disposableMemcached(3);
      const adapter = memcachedAdapter({
        servers: pool.nodes,
        health: { failureLimit: 2, retryTimeout: 1000 },
      });
      return {
        adapter,
        signalAll: async (signal) => {
          for (let index = 0; index < pool.nodes.length; index++) await pool.kill(index, signal);
        },
        stop: () => pool.stop(),
      };
    });
  });

  it('Hazelcast', async () => {
    await allDown('hazelcast', mode, async () => {
      const cluster = await disposableHazelcast(1);
      const adapter = await hazelcastAdapter({
        clusterName: cluster.clusterName,
        members: cluster.members,
        mapName: 'chaos-all-down',
        invocationTimeout: TIMEOUT,
        connectTimeout: 60_000,
      });
      return {
        adapter,
        signalAll: (signal) => cluster.kill(0, signal),
        stop: () => cluster.stop(),
        extra: () => {
          // Invocations sent and unanswered: hazelcast-client drops them only when the connection
          // closes (heartbeat timeout), not at the invocation timeout.
          const client = adapter.getClient() as unknown as {
            invocationService?: { pending?: Map<number, unknown> };
          };
          return { hazelcastPendingInvocations: client.invocationService?.pending?.size ?? 'n/a' };
        },
      };
    });
  });
});
