// Fault (a): SIGKILL one memcached under load. The node must be ejected after at most
// failureLimit failures, every call settles within the operation timeout, no more than 40% of
// keys change owner, and the restarted node is re-admitted once retryTimeout passed and a probe
// succeeded.
import { type AdapterEvent, createCache, type Partitioner } from '@ringcache/core';
import { type DisposableMemcached, disposableMemcached } from '@ringcache/test-engines';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MemcachedAdapter, memcachedAdapter } from '../../src/index.js';
import { duration, Load, type Sample, sleep, waitFor } from '../support/load.js';

const FAILURE_LIMIT = 2;
const RETRY_TIMEOUT = 2000;
const ADAPTER_TIMEOUT = 500;
const CACHE_TIMEOUT = 1000;
const KEYS = 3000;
const CONCURRENCY = 50;
const VICTIM = 1;

let engine: DisposableMemcached;
let adapter: MemcachedAdapter;

beforeAll(async () => {
  engine = await disposableMemcached(3);
  const indexOf = (id: string) => engine.nodes.indexOf(id);
  adapter = memcachedAdapter({
    servers: engine.nodes,
    timeout: ADAPTER_TIMEOUT,
    health: { failureLimit: FAILURE_LIMIT, retryTimeout: RETRY_TIMEOUT },
    faults: {
      stopNode: (id) => engine.kill(indexOf(id), 'SIGKILL'),
      startNode: (id) => engine.restart(indexOf(id)),
    },
  });
});

afterAll(async () => {
  await adapter?.close();
  await engine?.stop();
});

describe('fault (a): SIGKILL one memcached under load', () => {
  it('ejects it after ≤ failureLimit failures, keeps every call within the timeout, moves ≤ 40% of keys, re-admits it after retryTimeout + probe', async () => {
    const victim = engine.nodes[VICTIM]!;
    const cache = createCache({ adapter, timeout: CACHE_TIMEOUT, onBackendError: 'throw' });
    const keys = Array.from({ length: KEYS }, (_, index) => `fault-a:${index}`);
    const owners = new Map(keys.map((key) => [key, adapter.topology().locate(key)]));
    await cache.setMany(keys.map((key) => ({ key, value: 0 })));

    const events: { at: number; event: AdapterEvent }[] = [];
    adapter.subscribe((event) => events.push({ at: performance.now(), event }));
    let topologyAtEject: Partitioner | undefined;
    adapter.subscribe((event) => {
      if (event.type === 'node:eject') topologyAtEject = adapter.topology();
    });

    const load = new Load({
      concurrency: CONCURRENCY,
      maxDurationMs: 60_000,
      call: (worker, sequence) => {
        const key = keys[(worker * 7919 + sequence * 104_729) % KEYS]!;
        let node: string | undefined;
        try {
          node = adapter.topology().locate(key);
        } catch {
          node = undefined;
        }
        const write = sequence % 2 === 0;
        return {
          operation: write ? 'set' : 'get',
          key,
          node,
          run: () => (write ? cache.set(key, sequence) : cache.get(key)),
        };
      },
    });
    await sleep(1000);
    const killAt = performance.now();
    const inFlightAtKill = CONCURRENCY; // closed loop: every worker has one call in flight
    await adapter.faults!.stopNode(victim);
    await waitFor(() => events.some(({ event }) => event.type === 'node:eject'), 10_000, 'the ejection');
    const ejectAt = events.find(({ event }) => event.type === 'node:eject')!.at;
    await sleep(1000);
    await adapter.faults!.startNode(victim);
    const restartedAt = performance.now();
    await waitFor(() => events.some(({ event }) => event.type === 'node:readmit'), 15_000, 're-admission');
    const readmitAt = events.find(({ event }) => event.type === 'node:readmit')!.at;
    await sleep(1000);
    const samples = await load.stop();

    // Failures the node's health counted before ejecting it: one per connection failure.
    const failuresBeforeEject = events.filter(
      ({ at, event }) =>
        event.type === 'client:error' && event.node === victim && at >= killAt && at <= ejectAt,
    ).length;
    const failed = samples.filter((sample) => sample.error !== undefined);
    const failedAfterEject = failed.filter((sample) => sample.start > ejectAt);
    const slowest = samples.reduce((max, sample) => Math.max(max, duration(sample)), 0);
    const moved = keys.filter((key) => topologyAtEject!.locate(key) !== owners.get(key)).length / KEYS;
    const victimShare = keys.filter((key) => owners.get(key) === victim).length / KEYS;
    const backHome = keys.every((key) => adapter.topology().locate(key) === owners.get(key));
    const afterReadmit = samples.filter((sample) => sample.start > readmitAt && sample.node === victim);

    const figures = {
      calls: samples.length,
      callsInFlightAtKill: inFlightAtKill,
      failedCalls: failed.length,
      failedCallsStartedAfterEjection: failedAfterEject.length,
      failureCodes: countBy(failed, (sample) => (sample.error as { code?: string }).code ?? 'unknown'),
      nodeFailuresBeforeEjection: failuresBeforeEject,
      killToEjectMs: round(ejectAt - killAt),
      slowestCallMs: round(slowest),
      victimKeyShare: round(victimShare),
      keysMovedOnEjection: round(moved),
      ejectToReadmitMs: round(readmitAt - ejectAt),
      restartToReadmitMs: round(readmitAt - restartedAt),
      callsToVictimAfterReadmit: afterReadmit.length,
      failedCallsToVictimAfterReadmit: afterReadmit.filter((sample) => sample.error !== undefined).length,
    };
    console.log(`fault (a) SIGKILL figures: ${JSON.stringify(figures, null, 2)}`);

    // A killed server refuses connections: a hard failure, and the public event says so.
    expect(events.find(({ event }) => event.type === 'node:eject')?.event).toMatchObject({ kind: 'hard' });
    expect(failuresBeforeEject).toBeGreaterThanOrEqual(1);
    expect(failuresBeforeEject).toBeLessThanOrEqual(FAILURE_LIMIT);
    expect(slowest).toBeLessThanOrEqual(CACHE_TIMEOUT + 50);
    // Every failed call was in flight at the kill or started before the ejection was known.
    expect(failedAfterEject).toEqual([]);
    expect(failed.every((sample) => sample.start < ejectAt)).toBe(true);
    expect(moved).toBeLessThanOrEqual(0.4);
    expect(moved).toBeCloseTo(victimShare, 5); // only the victim's keys moved
    expect(readmitAt - ejectAt).toBeGreaterThanOrEqual(RETRY_TIMEOUT);
    expect(readmitAt).toBeGreaterThan(restartedAt); // the probe needed the server back
    expect(backHome).toBe(true);
    expect(afterReadmit.length).toBeGreaterThan(0);
    expect(figures.failedCallsToVictimAfterReadmit).toBe(0);
  });
});

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function countBy(samples: Sample[], keyOf: (sample: Sample) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const sample of samples) counts[keyOf(sample)] = (counts[keyOf(sample)] ?? 0) + 1;
  return counts;
}
