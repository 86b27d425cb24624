// Scenario 3 (issue 12): `redis-cli --cluster reshard` moves 200 slots (1,000 with CHAOS_LONG=1)
// between two masters of a disposable cluster while the cache reads and writes keys placed in
// exactly those slots (and elsewhere): no MOVED/ASK/CROSSSLOT/TRYAGAIN error may reach the
// caller, and every read must match the history the test wrote. getMany spans slots throughout.
//
// Both configurations are strict. With the adapter's defaults (ioredis auto-pipelining off, the
// adapter coalescing each tick's writes) ioredis follows MOVED/ASK per command. With
// auto-pipelining on, ioredis does not follow them inside a batch mixing callers' commands, so the
// adapter re-sends such commands alone (packages/redis/src/redis-adapter-base.ts, redirectable).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createCache, keySlot } from '@ringcache/core';
import { redisClusterAdapter } from '@ringcache/redis';
import { type DisposableRedisCluster, disposableRedisCluster } from '@ringcache/test-engines';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { historyWorkload } from './history.js';
import { LONG, processErrorCounter, report, sleep } from './support.js';

const run = promisify(execFile);
const SLOTS = LONG ? 1000 : 200;

async function redisCli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout.trim();
}

/** Keys whose slot is in [from, to], `perSlot` per slot where possible, found by trying suffixes. */
function keysInSlots(prefix: string, from: number, to: number, count: number): string[] {
  const keys: string[] = [];
  for (let n = 0; keys.length < count && n < count * 20_000; n++) {
    const key = `${prefix}${n}`;
    const slot = keySlot(key);
    if (slot >= from && slot <= to) keys.push(key);
  }
  return keys;
}

describe.each([
  { label: 'adapter defaults (write coalescing)', autoPipelining: undefined },
  { label: 'ioredis auto-pipelining on', autoPipelining: true },
])('scenario 3: resharding under load, $label', ({ autoPipelining }) => {
  let cluster: DisposableRedisCluster;

  beforeAll(async () => {
    cluster = await disposableRedisCluster({ masters: 3, replicas: 0 });
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it(`moves ${SLOTS} slots while reads and writes go on: 0 redirection errors, 0 wrong values`, async () => {
    // The master owning slot 0 gives; redis-cli takes a source's slots from its lowest one.
    const slotsReply = await redisCli(cluster.ports[0]!, 'CLUSTER', 'NODES');
    const masters = slotsReply
      .split('\n')
      .map((line) => line.split(' '))
      .filter((fields) => fields[2]?.includes('master'))
      .map((fields) => ({
        id: fields[0]!,
        port: Number(fields[1]!.split(':')[1]!.split('@')[0]),
        slots: fields.slice(8),
      }));
    const source = masters.find((master) => master.slots.some((range) => range.split('-')[0] === '0'))!;
    const target = masters.find((master) => master !== source)!;
    expect(source).toBeDefined();

    // Half the keys in the slots that move, half anywhere.
    const moving = keysInSlots('reshard:m:', 0, SLOTS - 1, 400);
    const anywhere = Array.from({ length: 400 }, (_, index) => `reshard:a:${index}`);
    const keys = [...moving, ...anywhere];
    const errors = processErrorCounter();
    const cache = createCache({
      adapter: redisClusterAdapter({
        nodes: cluster.nodes,
        ...(autoPipelining === undefined ? {} : { enableAutoPipelining: autoPipelining }),
      }),
      onBackendError: 'throw',
      timeout: 2000,
    });
    try {
      for (const key of keys) await cache.set(key, `${key}#0`);
      const load = historyWorkload(cache, { keys, workers: 8, pauseMs: 2, initial: (key) => `${key}#0` });
      await sleep(1000);
      const started = performance.now();
      const { stdout } = await run(
        'redis-cli',
        [
          '--cluster',
          'reshard',
          `127.0.0.1:${source.port}`,
          '--cluster-from',
          source.id,
          '--cluster-to',
          target.id,
          '--cluster-slots',
          String(SLOTS),
          '--cluster-yes',
        ],
        { maxBuffer: 64 * 1024 * 1024 },
      );
      const reshardMs = Math.round(performance.now() - started);
      const movedLines = stdout.split('\n').filter((line) => line.startsWith('Moving slot')).length;
      await sleep(2000);
      const figures = await load.stop();
      report(`reshard ${autoPipelining === true ? 'auto-pipelining on' : 'adapter defaults'}`, {
        slots: SLOTS,
        slotsMovedByRedisCli: movedLines,
        reshardMs,
        keysInMovingSlots: moving.length,
        processErrors: errors.seen.length,
        ...figures,
      });
      expect(movedLines).toBe(SLOTS);
      expect(errors.seen).toEqual([]);
      expect(figures.redirectionErrors).toBe(0);
      expect(figures.readsWrong).toBe(0);
      expect(figures.readsRegressed).toBe(0);
      expect(figures.readsMissing).toBe(0);
      expect(Object.keys(figures.errors).filter((code) => code.startsWith('UNTYPED'))).toEqual([]);
      expect(figures.errors).toEqual({});
      expect(figures.reads).toBeGreaterThan(0);
    } finally {
      errors.dispose();
      await cache.close();
    }
  });
});
