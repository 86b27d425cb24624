// A master dies under load: about 200 calls in flight, SIGKILL, the replica is promoted. Every call
// must settle within the cache timeout (a success or a typed error), full service must return
// within 10 s, and reads are checked against the history the test wrote. The figures are printed,
// so they show in CI logs.
import { type AdapterEvent, type Cache, createCache, RingcacheError } from '@ringcache/core';
import { type DisposableRedisCluster, disposableRedisCluster } from '@ringcache/test-engines';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ClusterFailoverOptions,
  type RedisClusterAdapter,
  redisClusterAdapter,
} from '../../src/index.js';
import { portOf } from '../helpers/cluster-faults.js';
import { analyzeHistory, type KeyHistory } from '../helpers/history.js';
import { confirmWithWait } from '../helpers/wait-confirm.js';

const NODE_TIMEOUT_MS = 3000;
const OPERATION_TIMEOUT_MS = 1000;
/** A settled call may be late by this much (event-loop lag on a busy machine), never more. */
const HANG_SLACK_MS = 500;
const WORKERS = 200;
const KEYS_PER_WORKER = 5;
const TYPED = ['E_NODE_UNAVAILABLE', 'E_TIMEOUT', 'E_OVERLOADED', 'E_BACKEND'];

let engine: DisposableRedisCluster | undefined;

beforeAll(async () => {
  engine = await disposableRedisCluster({ nodeTimeoutMs: NODE_TIMEOUT_MS });
});

afterAll(async () => {
  await engine?.stop();
});

interface Figures {
  operations: number;
  errorsByCode: Record<string, number>;
  /** Errors on keys of the killed master, and on keys of the others (CLUSTERDOWN while it is marked FAIL). */
  errorsOnVictimKeys: number;
  errorsOnOtherKeys: number;
  /** One message per error code, to see what the errors said. */
  sampleMessages: Record<string, string>;
  /** Per second, relative to the kill: `succeeded/failed` calls. */
  timeline: string[];
  untypedErrors: number;
  slowestMs: number;
  hangs: number;
  firstErrorAfterKillMs: number | undefined;
  lastErrorAfterKillMs: number | undefined;
  /** The first success on a key of the killed master after the last error: full service. */
  victimKeysServedAfterKillMs: number | undefined;
  promotedAfterKillMs: number | undefined;
  errorsWhileRejoining: number;
}

describe('failover under load', () => {
  it('default retry window (800 ms): calls settle typed, service returns within 10 s, no WAIT-1 write lost', async () => {
    const result = await killAMaster('default', {});
    expect(result.figures.untypedErrors).toBe(0);
    expect(result.figures.hangs).toBe(0);
    expect(result.figures.lastErrorAfterKillMs ?? 0).toBeLessThan(10_000);
    expect(result.figures.victimKeysServedAfterKillMs).toBeLessThan(10_000);
    expect(result.figures.errorsWhileRejoining).toBe(0);
    expect(result.history.durableRegressedReads).toBe(0);
    expect(result.history.lateWriteRegressedReads).toBe(0);
  });

  it("'ride-through' retry window (5 s): measured for comparison", async () => {
    const result = await killAMaster('ride-through', { retryWindow: 'ride-through' });
    expect(result.figures.untypedErrors).toBe(0);
    expect(result.figures.hangs).toBe(0);
    expect(result.figures.lastErrorAfterKillMs ?? 0).toBeLessThan(10_000);
    expect(result.figures.victimKeysServedAfterKillMs).toBeLessThan(10_000);
  });
});

async function killAMaster(label: string, failover: ClusterFailoverOptions) {
  if (engine === undefined) throw new Error('the disposable cluster did not start');
  const adapter = redisClusterAdapter({
    nodes: engine.nodes,
    failover: { clusterNodeTimeout: NODE_TIMEOUT_MS, ...failover },
  });
  const events: (AdapterEvent & { at: number })[] = [];
  adapter.subscribe((event) => events.push({ ...event, at: Date.now() }));
  await adapter.ready();
  const namespace = `failover-${label}-${Date.now()}`;
  const cache = createCache({ adapter, namespace, timeout: OPERATION_TIMEOUT_MS, onBackendError: 'throw' });
  const client = adapter.getClient();
  const keys = Array.from({ length: WORKERS * KEYS_PER_WORKER }, (_, index) => `k${index}`);
  const histories = new Map<string, KeyHistory>(keys.map((key) => [key, { events: [] }]));

  // Every key starts at 0, replicated everywhere.
  await cache.setMany(keys.map((key) => ({ key, value: 0 })));
  await Promise.all(client.nodes('master').map((master) => master.call('WAIT', 1, 1000)));
  for (const history of histories.values())
    history.events.push({ type: 'write', seq: 0, ok: true, durable: true });

  const load = startLoad(cache, adapter, namespace, keys, histories);
  await sleep(2000);
  const victim = adapter.slotMap().ownerOfSlot(0)!;
  for (const key of keys)
    if (adapter.topology().locate(`${namespace}:${key}`) === victim) load.victimKeys.add(key);
  const killAt = Date.now();
  await engine.kill(portOf(victim));
  // Run until 5 s after the kill and 3 s without an error, at most 25 s.
  while (Date.now() - killAt < 25_000) {
    await sleep(250);
    const quiet = load.lastErrorAt === undefined || Date.now() - load.lastErrorAt > 3000;
    if (Date.now() - killAt > 5000 && quiet) break;
  }
  const beforeRejoin = load.errors;
  await engine.restart(portOf(victim)); // it rejoins as a replica of the promoted one
  await sleep(2000);
  const errorsWhileRejoining = load.errors - beforeRejoin;
  await load.stop();
  const role = await roleOf(victim);
  await cache.close();

  const promoted = events.find(
    (event) =>
      event.type === 'topology:change' &&
      event.at > killAt &&
      !event.topology.nodes.some((node) => node.id === victim),
  );
  const figures: Figures = {
    operations: load.operations,
    errorsByCode: load.errorsByCode,
    errorsOnVictimKeys: load.errorsOnVictimKeys,
    errorsOnOtherKeys: load.errors - load.errorsOnVictimKeys,
    sampleMessages: load.sampleMessages,
    timeline: load.seconds.map(
      ([ok, failed], second) => `${second - Math.floor((killAt - load.origin) / 1000)}s ${ok}/${failed}`,
    ),
    untypedErrors: load.untyped,
    slowestMs: load.slowestMs,
    hangs: load.hangs,
    firstErrorAfterKillMs: load.firstErrorAt === undefined ? undefined : load.firstErrorAt - killAt,
    lastErrorAfterKillMs: load.lastErrorAt === undefined ? undefined : load.lastErrorAt - killAt,
    victimKeysServedAfterKillMs: load.victimBackAt === undefined ? undefined : load.victimBackAt - killAt,
    promotedAfterKillMs: promoted === undefined ? undefined : promoted.at - killAt,
    errorsWhileRejoining,
  };
  const history = analyzeHistory(histories.values());
  console.log(
    `\n[failover:${label}] killed master ${victim} (SIGKILL); restarted node's role: ${role}\n` +
      `${JSON.stringify({ ...figures, history, events: countEvents(events) }, null, 2)}\n`,
  );
  expect(role).toBe('slave');
  return { figures, history };
}

/** 200 workers, each owning 5 keys (so each key's history is sequential), reading or writing in a loop. */
function startLoad(
  cache: Cache,
  adapter: RedisClusterAdapter,
  namespace: string,
  keys: readonly string[],
  histories: Map<string, KeyHistory>,
) {
  const state = {
    operations: 0,
    errors: 0,
    untyped: 0,
    hangs: 0,
    slowestMs: 0,
    errorsByCode: {} as Record<string, number>,
    firstErrorAt: undefined as number | undefined,
    lastErrorAt: undefined as number | undefined,
    errorsOnVictimKeys: 0,
    victimKeys: new Set<string>(),
    victimBackAt: undefined as number | undefined,
    sampleMessages: {} as Record<string, string>,
    /** When the load started: the timeline counts from here. */
    origin: Date.now(),
    seconds: [] as [number, number][],
    stopped: false,
  };
  const sequences = new Map(keys.map((key) => [key, 0]));
  const settle = (key: string, started: number, error?: unknown) => {
    const now = Date.now();
    state.operations++;
    state.slowestMs = Math.max(state.slowestMs, now - started);
    if (now - started > OPERATION_TIMEOUT_MS + HANG_SLACK_MS) state.hangs++;
    const second = Math.floor((now - state.origin) / 1000);
    for (let index = state.seconds.length; index <= second; index++) state.seconds.push([0, 0]);
    state.seconds[second]![error === undefined ? 0 : 1]++;
    if (error === undefined) {
      const after = state.lastErrorAt !== undefined && (state.victimBackAt ?? 0) < state.lastErrorAt;
      if (after && state.victimKeys.has(key)) state.victimBackAt = now;
      return;
    }
    state.errors++;
    if (state.victimKeys.has(key)) state.errorsOnVictimKeys++;
    state.firstErrorAt ??= now;
    state.lastErrorAt = now;
    const code = RingcacheError.isInstance(error) ? error.code : 'untyped';
    if (!TYPED.includes(code)) state.untyped++;
    state.errorsByCode[code] = (state.errorsByCode[code] ?? 0) + 1;
    state.sampleMessages[code] ??= error instanceof Error ? error.message : String(error);
  };
  const worker = async (index: number) => {
    for (let round = 0; !state.stopped; round++) {
      const key = keys[index * KEYS_PER_WORKER + (round % KEYS_PER_WORKER)]!;
      const history = histories.get(key)!;
      const started = Date.now();
      if (Math.random() < 0.5) {
        const seq = sequences.get(key)! + 1;
        sequences.set(key, seq);
        try {
          const confirm = confirmWithWait(adapter.getClient(), `${namespace}:${key}`, 50);
          await cache.set(key, seq);
          settle(key, started);
          const durable = Math.random() < 0.05 && (await confirm());
          history.events.push({ type: 'write', seq, ok: true, durable });
        } catch (error) {
          settle(key, started, error);
          history.events.push({ type: 'write', seq, ok: false, durable: false });
        }
      } else {
        try {
          const value = await cache.get<number>(key);
          settle(key, started);
          history.events.push({ type: 'read', value });
        } catch (error) {
          settle(key, started, error);
        }
      }
    }
  };
  const running = Promise.all(Array.from({ length: WORKERS }, (_, index) => worker(index)));
  return Object.assign(state, {
    async stop() {
      state.stopped = true;
      await running;
    },
  });
}

async function roleOf(id: string): Promise<string> {
  const redis = new Redis({ host: '127.0.0.1', port: portOf(id), lazyConnect: true });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return ((await redis.call('ROLE')) as [string])[0];
  } finally {
    redis.disconnect();
  }
}

function countEvents(events: readonly AdapterEvent[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const event of events) counts[event.type] = (counts[event.type] ?? 0) + 1;
  return counts;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
