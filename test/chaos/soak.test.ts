// Scenario 2 (issue 12): a mixed soak over Redis Cluster, memcached and Hazelcast (disposable
// engines) with a random fault every 15 s: SIGKILL or SIGSTOP of one node, held 5 s, then restart
// or SIGCONT. Every read is checked against the history its writer kept (history.ts): never a
// value not written to that key; misses and, on Redis, reads of an older acknowledged value (a
// write lost in a failover: Redis replicates asynchronously) are counted and printed, except that
// a tenth of the Redis writes are confirmed with WAIT 1 (a replica holds them) and no read may go
// back past one of those. Errors must be typed, no unhandled rejection, and every engine must
// serve every key again after the last fault.
// Short form: 45 s, 3 faults; CHAOS_LONG=1: 2 minutes, 8 faults. `CHAOS_SEED` replays a run.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type Cache, createCache } from '@ringcache/core';
import { hazelcastAdapter } from '@ringcache/hazelcast';
import { memcachedAdapter } from '@ringcache/memcached';
import { type RedisClusterAdapter, redisClusterAdapter } from '@ringcache/redis';
import {
  type DisposableHazelcast,
  type DisposableMemcached,
  type DisposableRedisCluster,
  disposableHazelcast,
  disposableMemcached,
  disposableRedisCluster,
} from '@ringcache/test-engines';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confirmWithWait } from '../../packages/redis/test/helpers/wait-confirm.js';
import { type HistoryFigures, historyWorkload } from './history.js';
import { codeOf, LONG, processErrorCounter, report, sleep } from './support.js';

const run = promisify(execFile);
const DURATION_MS = LONG ? 120_000 : 45_000;
const FAULT_EVERY_MS = 15_000;
const FAULT_HOLD_MS = 5000;
const TIMEOUT = 1000;
// biome-ignore lint/suspicious/noUndeclaredEnvVars: a replay knob for this test only.
const SEED = Number(process.env.CHAOS_SEED ?? Date.now() % 100_000);
/** Every this many writes of a Redis worker is confirmed with WAIT 1. */
const CONFIRM_EVERY = 10;

/** mulberry32: a small seeded generator, so a failing run can be replayed with CHAOS_SEED. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

type EngineName = 'redis' | 'memcached' | 'hazelcast';
type FaultKind = 'SIGKILL' | 'SIGSTOP';

interface Fault {
  engine: EngineName;
  node: string;
  kind: FaultKind;
  atMs: number;
  healMs: number;
}

/** The ports of the Redis masters that are up now, from a node that answers. */
async function redisMasters(cluster: DisposableRedisCluster): Promise<number[]> {
  for (const port of cluster.ports) {
    try {
      const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'CLUSTER', 'NODES'], {
        timeout: 2000,
      });
      return stdout
        .split('\n')
        .map((line) => line.split(' '))
        .filter((fields) => fields[2]?.includes('master') && !fields[2].includes('fail') && fields.length > 8)
        .map((fields) => Number(fields[1]!.split(':')[1]!.split('@')[0]));
    } catch {
      // This node is down or stopped: ask the next one.
    }
  }
  return [];
}

describe('scenario 2: mixed soak with random faults', () => {
  let redis: DisposableRedisCluster;
  let pool: DisposableMemcached;
  let members: DisposableHazelcast;
  const caches = new Map<EngineName, Cache>();
  let redisAdapter: RedisClusterAdapter;

  beforeAll(async () => {
    // One at a time: three engines starting at once overload a 2-core machine.
    redis = await disposableRedisCluster({ masters: 3, replicas: 1 });
    pool = await disposableMemcached(3);
    members = await disposableHazelcast(2);
    const common = { timeout: TIMEOUT, onBackendError: 'throw' as const };
    redisAdapter = redisClusterAdapter({ nodes: redis.nodes });
    caches.set('redis', createCache({ ...common, adapter: redisAdapter }));
    caches.set(
      'memcached',
      createCache({
        ...common,
        adapter: memcachedAdapter({ servers: pool.nodes, health: { failureLimit: 2, retryTimeout: 1000 } }),
      }),
    );
    caches.set(
      'hazelcast',
      createCache({
        ...common,
        adapter: await hazelcastAdapter({
          clusterName: members.clusterName,
          members: members.members,
          mapName: 'chaos-soak',
          invocationTimeout: TIMEOUT,
        }),
      }),
    );
  });

  afterAll(async () => {
    for (const cache of caches.values()) await cache.close().catch(() => undefined);
    await redis?.stop();
    await pool?.stop();
    await members?.stop();
  });

  it(`${DURATION_MS / 1000} s, a fault every ${FAULT_EVERY_MS / 1000} s: reads within the history, typed errors, full recovery`, async () => {
    const next = random(SEED);
    const errors = processErrorCounter();
    const loads = new Map(
      [...caches].map(([name, cache]) => {
        const keys = Array.from({ length: 300 }, (_, index) => `soak:${name}:${index}`);
        const confirm =
          name === 'redis'
            ? {
                every: CONFIRM_EVERY,
                before: (key: string) => confirmWithWait(redisAdapter.getClient(), key),
              }
            : undefined;
        return [name, historyWorkload(cache, { keys, workers: 3, pauseMs: 10, confirm })] as const;
      }),
    );
    const faults: Fault[] = [];
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    try {
      const count = Math.floor(DURATION_MS / FAULT_EVERY_MS);
      for (let index = 0; index < count; index++) {
        // Faults at 5 s, 20 s, 35 s, ...: each is healed before the next is due.
        await sleep(Math.max(0, index * FAULT_EVERY_MS + 5000 - elapsed()));
        const engines: EngineName[] = ['redis', 'memcached', 'hazelcast'];
        const engine = engines[Math.floor(next() * engines.length)]!;
        const kind: FaultKind = next() < 0.5 ? 'SIGKILL' : 'SIGSTOP';
        const fault: Fault = { engine, kind, node: '', atMs: elapsed(), healMs: 0 };
        if (engine === 'redis') {
          const masters = await redisMasters(redis);
          const port = masters[Math.floor(next() * masters.length)] ?? redis.ports[0]!;
          fault.node = `127.0.0.1:${port}`;
          await redis.kill(port, kind);
          await sleep(FAULT_HOLD_MS);
          if (kind === 'SIGSTOP') await redis.kill(port, 'SIGCONT');
          else await redis.restart(port);
        } else if (engine === 'memcached') {
          const node = Math.floor(next() * pool.nodes.length);
          fault.node = pool.nodes[node]!;
          await pool.kill(node, kind);
          await sleep(FAULT_HOLD_MS);
          if (kind === 'SIGSTOP') await pool.kill(node, 'SIGCONT');
          else await pool.restart(node);
        } else {
          const member = Math.floor(next() * members.members.length);
          fault.node = members.members[member]!;
          await members.kill(member, kind);
          await sleep(FAULT_HOLD_MS);
          if (kind === 'SIGSTOP') await members.kill(member, 'SIGCONT');
          else await members.restart(member);
        }
        fault.healMs = elapsed();
        faults.push(fault);
      }
      await sleep(Math.max(0, DURATION_MS - elapsed()));
    } finally {
      for (const load of loads.values()) await load.stop();
    }
    const healed = elapsed();

    // Full recovery: every engine takes a write and serves it back on 100 fresh keys, without an
    // error, within 30 s of the last heal.
    const recovery: Record<string, number | string> = {};
    for (const [name, cache] of caches) {
      const from = performance.now();
      let outcome: number | string = 'not recovered';
      while (performance.now() - from < 30_000) {
        const keys = Array.from({ length: 100 }, (_, index) => `soak:${name}:recovered:${index}`);
        try {
          for (const key of keys) await cache.set(key, key);
          const values = await cache.getMany(keys);
          if (values.every((value, index) => value === keys[index])) {
            outcome = Math.round(performance.now() - from);
            break;
          }
        } catch (error) {
          outcome = `not recovered: ${codeOf(error)}`;
        }
        await sleep(500);
      }
      recovery[name] = outcome;
    }
    errors.dispose();

    const figures: Record<string, HistoryFigures> = {};
    for (const [name, load] of loads) figures[name] = load.figures;
    report('soak', {
      seed: SEED,
      seconds: healed / 1000,
      faults,
      recoveryMs: recovery,
      processErrors: errors.seen,
    });
    for (const [name, figure] of Object.entries(figures)) {
      const { wrongSamples, redirectionSamples, ...rest } = figure;
      report(`soak ${name}`, { ...rest, wrongSamples, redirectionSamples });
    }

    expect(errors.seen).toEqual([]);
    expect(faults).toHaveLength(Math.floor(DURATION_MS / FAULT_EVERY_MS));
    for (const [name, figure] of Object.entries(figures)) {
      expect(figure.readsWrong, `${name}: values never written`).toBe(0);
      expect(
        Object.keys(figure.errors).filter((code) => code.startsWith('UNTYPED')),
        `${name}: untyped errors`,
      ).toEqual([]);
      expect(figure.reads, `${name}: reads`).toBeGreaterThan(100);
      // memcached and Hazelcast: a miss is allowed after a kill, never an older acknowledged value.
      // Redis: a lost write (older value after a failover) is reported above, not failed, unless a
      // replica had confirmed a newer write (WAIT 1).
      if (name !== 'redis') expect(figure.readsRegressed, `${name}: older acknowledged values`).toBe(0);
      expect(figure.readsRegressedPastConfirmed, `${name}: reads older than a WAIT 1 write`).toBe(0);
    }
    // The confirmations ran: a good share of the Redis writes picked for WAIT 1 were held by a
    // replica (how many depends on the machine's load and on the faults, so no ratio is asked).
    expect(figures.redis!.confirmed).toBeGreaterThan(Math.min(100, figures.redis!.confirmTried / 4));
    for (const [name, outcome] of Object.entries(recovery)) {
      expect(typeof outcome, `${name} recovery: ${String(outcome)}`).toBe('number');
    }
  });
});
