// Scenario 1 (issue 12): every backend down under ~500 ops/s. Per engine, on disposable engines:
// no uncaught exception or unhandled rejection, every call settles within timeout + 100 ms,
// pending calls per node stay within maxPending, heap growth < 20 MB after a forced GC, and every
// call issued has settled afterwards. 10 s of load (30 s with CHAOS_LONG=1). Two ways down:
// SIGKILL (connections refused: calls should fail fast) and SIGSTOP (connections accepted and
// silent: calls hang, so the timeout and maxPending are what bound them; 5 s short form).
import { monitorEventLoopDelay } from 'node:perf_hooks';
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
  /**
   * The client's own queues under the facade, sampled while the load runs (their highest values
   * are reported and checked against `queueLimits`).
   */
  queues?(): Record<string, number>;
  /** The most each queue may hold in this mode; a queue missing here is only reported. */
  queueLimits?(mode: Mode): Record<string, number>;
}

/** The highest value of each named queue, sampled every `everyMs`. */
function sampleQueues(read: () => Record<string, number>, everyMs = 20) {
  const max: Record<string, number> = {};
  const sample = () => {
    for (const [name, length] of Object.entries(read())) max[name] = Math.max(max[name] ?? 0, length);
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    max,
    stop() {
      clearInterval(timer);
      sample();
    },
  };
}

/** Polls `read` until every queue is empty or `limitMs` passed; returns the last reading. */
async function drained(read: () => Record<string, number>, limitMs: number): Promise<Record<string, number>> {
  const until = performance.now() + limitMs;
  let last = read();
  while (Object.values(last).some((length) => length > 0) && performance.now() < until) {
    await sleep(100);
    last = read();
  }
  return last;
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
    const queues = sampleQueues(engine.queues ?? (() => ({})));
    // How late the event loop ran: on a loaded machine a call settles late by this much however
    // well the cache keeps its deadlines, so a slow settle is read against it.
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const loadStart = performance.now();
    await openLoopLoad(cache, tracker, {
      opsPerSecond: OPS_PER_SECOND,
      durationMs,
      keyPrefix: 'k:',
    });
    const achievedRate = tracker.issued / ((performance.now() - loadStart) / 1000);
    await tracker.drain(TIMEOUT + 2000);
    pending.stop();
    queues.stop();
    loopDelay.disable();
    await sleep(200);
    const heapAfter = await heapAfterGc();
    const figures = {
      seconds: durationMs / 1000,
      issued: tracker.issued,
      opsPerSecond: Math.round(achievedRate),
      unsettled: tracker.pending,
      maxSettleMs: Math.round(tracker.maxMs),
      limitMs: TIMEOUT + 100,
      eventLoopDelayMaxMs: Math.round(loopDelay.max / 1e6),
      maxPendingPerNode: pending.max,
      maxPending: MAX_PENDING,
      heapGrowthMb: Number(((heapAfter - heapBefore) / MEBIBYTE).toFixed(2)),
      processErrors: errors.seen.length,
      outcomes: tracker.byCode,
      maxQueued: queues.max,
    };
    // A frozen node answers everything it was sent once it runs again: whatever the clients still
    // hold for it must then drain (what they hold cannot outlive the node's silence).
    let afterResume: Record<string, number> | undefined;
    if (mode === 'SIGSTOP' && engine.queues !== undefined) {
      await engine.signalAll('SIGCONT');
      afterResume = await drained(engine.queues, 15_000);
    }
    report(`all-down ${name} ${mode}`, {
      ...figures,
      ...(afterResume && { queuedAfterResume: afterResume }),
    });
    expect(errors.seen).toEqual([]);
    expect(tracker.pending).toBe(0);
    expect(tracker.maxMs).toBeLessThanOrEqual(TIMEOUT + 100);
    expect(pending.max).toBeLessThanOrEqual(MAX_PENDING);
    expect(heapAfter - heapBefore).toBeLessThan(20 * MEBIBYTE);
    // Every failure is typed (no UNTYPED:* or sync throws).
    expect(Object.keys(tracker.byCode).filter((code) => code.includes(':'))).toEqual([]);
    expect(achievedRate).toBeGreaterThan(OPS_PER_SECOND * 0.8);
    for (const [queue, limit] of Object.entries(engine.queueLimits?.(mode) ?? {})) {
      expect(queues.max[queue] ?? 0, `${name}: most ever in ${queue}`).toBeLessThanOrEqual(limit);
    }
    if (afterResume !== undefined) {
      expect(afterResume, `${name}: client queues once the nodes run again`).toEqual(
        Object.fromEntries(Object.keys(afterResume).map((queue) => [queue, 0])),
      );
    }
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
        queues: () => {
          const client = adapter.getClient() as unknown as {
            offlineQueue?: { length: number };
            nodes(role: 'all'): { offlineQueue?: { length: number }; commandQueue?: { length: number } }[];
          };
          const nodes = client.nodes('all');
          const sum = (lengthOf: (node: (typeof nodes)[number]) => number | undefined) =>
            nodes.reduce((total, node) => total + (lengthOf(node) ?? 0), 0);
          const direct = (
            adapter as unknown as { direct?: { connections: ReadonlyMap<string, { pending: number }> } }
          ).direct;
          let directPending = 0;
          for (const connection of direct?.connections.values() ?? []) directPending += connection.pending;
          return {
            // The Cluster client's offline queue: commands parked while it is not connected.
            ioredisOfflineQueue: client.offlineQueue?.length ?? 0,
            // Each node connection's offline queue (commands parked while that node reconnects).
            ioredisNodeOfflineQueues: sum((node) => node.offlineQueue?.length),
            // Commands written to a node connection and still awaiting a reply.
            ioredisAwaitingReply: sum((node) => node.commandQueue?.length),
            // The same on the adapter's direct connections (single-key GET/SET/UNLINK).
            directAwaitingReply: directPending,
          };
        },
        queueLimits: (mode): Record<string, number> => {
          // The adapter fails calls at once while the Cluster client is not connected, so its
          // offline queue never holds anything; a refused node rejects what it was sent, so the
          // rest stays within what the facade lets through (maxPending per node).
          const bounded = MAX_PENDING * cluster.ports.length;
          if (mode === 'SIGKILL') {
            return {
              ioredisOfflineQueue: 0,
              ioredisNodeOfflineQueues: bounded,
              ioredisAwaitingReply: bounded,
              directAwaitingReply: bounded,
            };
          }
          // Frozen nodes: a command written to a socket keeps its place until its reply comes or
          // the connection closes, because RESP replies carry no id and are matched by order.
          // The caller already got E_TIMEOUT (that frees its maxPending slot), so what a frozen
          // master is owed is bounded by time instead: the adapter refuses a master that owes
          // replies and was silent for `failover.silenceLimit` (2 s by default), so at most
          // about rate × (2 s + the 250 ms check) is ever sent to frozen masters. What they are
          // owed must drain once the nodes run again (checked above).
          const silenceBound = Math.ceil(OPS_PER_SECOND * 2.5);
          return {
            ioredisOfflineQueue: 0,
            ioredisNodeOfflineQueues: bounded,
            ioredisAwaitingReply: silenceBound,
            directAwaitingReply: silenceBound,
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
        queues: () => {
          const client = adapter.getClient() as unknown as {
            invocationService?: { pending?: Map<number, unknown> };
          };
          const pending = client.invocationService?.pending;
          if (pending === undefined)
            throw new Error('hazelcast-client internals changed: no invocationService.pending');
          return { hazelcastPendingInvocations: pending.size };
        },
        // Invocations sent and unanswered. A refused member fails them at once: within maxPending.
        // A frozen one keeps them until they are answered or the connection closes (heartbeat
        // timeout), not at the invocation timeout: like ioredis above, they are bounded by the
        // heap check and must drain once the member runs again.
        queueLimits: (mode): Record<string, number> =>
          mode === 'SIGKILL' ? { hazelcastPendingInvocations: MAX_PENDING } : {},
      };
    });
  });
});
