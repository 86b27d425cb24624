// Fault (b): SIGSTOP one memcached (timeouts, not refusals). Calls for its keys settle within
// the timeout; the p99 of calls to the other nodes stays under max(2× baseline, baseline + 25 ms)
// over at least 5,000 samples; after SIGCONT and re-admission no read returns a value older than
// the last acknowledged write.
import { type AdapterEvent, createCache } from '@ringcache/core';
import { type DisposableMemcached, disposableMemcached } from '@ringcache/test-engines';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MemcachedAdapter, memcachedAdapter } from '../../src/index.js';
import { duration, Load, percentile, type Sample, sleep, waitFor } from '../support/load.js';

const RETRY_TIMEOUT = 2000;
const TIMEOUT = 500;
const KEYS = 2000;
const CONCURRENCY = 32;
const MIN_SAMPLES = 5000;
const VICTIM = 2;

let engine: DisposableMemcached;
let adapter: MemcachedAdapter;

beforeAll(async () => {
  engine = await disposableMemcached(3);
  adapter = memcachedAdapter({
    servers: engine.nodes,
    timeout: TIMEOUT,
    health: { failureLimit: 2, retryTimeout: RETRY_TIMEOUT },
  });
});

afterAll(async () => {
  // A node left stopped by a failed assertion must not hang the teardown.
  await engine?.kill(VICTIM, 'SIGCONT').catch(() => undefined);
  await adapter?.close();
  await engine?.stop();
});

describe('fault (b): SIGSTOP one memcached under load', () => {
  it('settles its calls within the timeout, keeps the others’ p99, and serves nothing stale after re-admission', async () => {
    const victim = engine.nodes[VICTIM]!;
    const cache = createCache({ adapter, timeout: TIMEOUT, onBackendError: 'throw' });
    const keys = Array.from({ length: KEYS }, (_, index) => `fault-b:${index}`);
    // The last acknowledged write of each key: a sequence number that only grows.
    const acknowledged = new Map<string, number>(keys.map((key) => [key, 0]));
    await cache.setMany(keys.map((key) => ({ key, value: 0 })));
    let sequence = 0;
    const events: { at: number; event: AdapterEvent }[] = [];
    adapter.subscribe((event) => events.push({ at: performance.now(), event }));
    const staleReads: { key: string; read: number; acknowledged: number }[] = [];

    const startLoad = (checkStale: () => boolean) =>
      new Load({
        concurrency: CONCURRENCY,
        maxDurationMs: 60_000,
        call: (worker, step) => {
          const key = keys[(worker * 7919 + step * 104_729) % KEYS]!;
          const node = routeOf(key);
          if (step % 4 === 0) {
            const value = ++sequence;
            return {
              operation: 'set',
              key,
              node,
              run: async () => {
                await cache.set(key, value);
                if (value > acknowledged.get(key)!) acknowledged.set(key, value);
              },
            };
          }
          return {
            operation: 'get',
            key,
            node,
            run: async () => {
              // Only a value older than what was acknowledged before this read started is stale.
              const floor = acknowledged.get(key)!;
              const read = await cache.get<number>(key);
              if (checkStale() && read !== undefined && read < floor)
                staleReads.push({ key, read, acknowledged: floor });
            },
          };
        },
      });
    const routeOf = (key: string) => {
      try {
        return adapter.topology().locate(key);
      } catch {
        return undefined;
      }
    };
    const others = (samples: Sample[]) =>
      samples.filter((sample) => sample.node !== victim && sample.error === undefined);

    // Warm-up (JIT, connections), then the baseline: the same load, nothing stopped.
    const warmup = startLoad(() => false);
    await sleep(1000);
    await warmup.stop();
    const baselineLoad = startLoad(() => false);
    await waitFor(() => others(baselineLoad.samples).length >= MIN_SAMPLES * 20, 30_000, 'baseline samples');
    const baseline = percentile(others(await baselineLoad.stop()).map(duration), 99);

    // Stopped: the node stops answering; its calls time out until it is ejected.
    const stoppedLoad = startLoad(() => false);
    await sleep(200);
    const stopAt = performance.now();
    await engine.kill(VICTIM, 'SIGSTOP');
    await waitFor(() => events.some(({ event }) => event.type === 'node:eject'), 10_000, 'the ejection');
    const ejectAt = events.find(({ event }) => event.type === 'node:eject')!.at;
    await waitFor(
      () => others(stoppedLoad.samples.filter((sample) => sample.start >= stopAt)).length >= MIN_SAMPLES,
      30_000,
      'samples while stopped',
    );
    await sleep(Math.max(0, RETRY_TIMEOUT + 500 - (performance.now() - ejectAt))); // a probe fails meanwhile
    const stopped = (await stoppedLoad.stop()).filter((sample) => sample.start >= stopAt);
    const otherDurations = others(stopped).map(duration);
    const stoppedP99 = percentile(otherDurations, 99);
    const victimCalls = stopped.filter((sample) => sample.node === victim);
    const slowestVictimCall = victimCalls.reduce((max, sample) => Math.max(max, duration(sample)), 0);
    const readmittedWhileStopped = events.some(({ event }) => event.type === 'node:readmit');

    // SIGCONT: the probe succeeds, the node is flushed and re-admitted; reads must not go back in time.
    const resumedLoad = startLoad(() => true);
    const contAt = performance.now();
    await engine.kill(VICTIM, 'SIGCONT');
    await waitFor(() => events.some(({ event }) => event.type === 'node:readmit'), 15_000, 're-admission');
    const readmitAt = events.find(({ event }) => event.type === 'node:readmit')!.at;
    await sleep(1000);
    const resumed = await resumedLoad.stop();
    const afterReadmit = resumed.filter((sample) => sample.start > readmitAt);
    // A final sweep: every key, read once, none older than its last acknowledged write.
    const finalReads = await cache.getMany<number>(keys);
    keys.forEach((key, index) => {
      const read = finalReads[index];
      if (read !== undefined && read < acknowledged.get(key)!)
        staleReads.push({ key, read, acknowledged: acknowledged.get(key)! });
    });

    const limit = Math.max(2 * baseline, baseline + 25);
    const figures = {
      baselineOtherNodesP99Ms: round(baseline),
      stoppedOtherNodesP99Ms: round(stoppedP99),
      p99LimitMs: round(limit),
      otherNodeSamplesWhileStopped: otherDurations.length,
      callsToStoppedNode: victimCalls.length,
      failedCallsToStoppedNode: victimCalls.filter((sample) => sample.error !== undefined).length,
      slowestCallToStoppedNodeMs: round(slowestVictimCall),
      stopToEjectMs: round(ejectAt - stopAt),
      ejectionKind: ejectReasonCode(events),
      contToReadmitMs: round(readmitAt - contAt),
      callsAfterReadmit: afterReadmit.length,
      callsToVictimAfterReadmit: afterReadmit.filter((sample) => sample.node === victim).length,
      failedCallsAfterReadmit: afterReadmit.filter((sample) => sample.error !== undefined).length,
      staleReads: staleReads.length,
    };
    console.log(`fault (b) SIGSTOP figures: ${JSON.stringify(figures, null, 2)}`);

    expect(slowestVictimCall).toBeLessThanOrEqual(TIMEOUT + 50);
    expect(otherDurations.length).toBeGreaterThanOrEqual(MIN_SAMPLES);
    expect(stoppedP99).toBeLessThanOrEqual(limit);
    expect(figures.ejectionKind).toBe('E_TIMEOUT');
    // Timeouts are soft failures, and the public event says so.
    expect(events.find(({ event }) => event.type === 'node:eject')?.event).toMatchObject({ kind: 'soft' });
    expect(readmittedWhileStopped).toBe(false);
    expect(figures.callsToVictimAfterReadmit).toBeGreaterThan(0);
    expect(figures.failedCallsAfterReadmit).toBe(0);
    expect(staleReads).toEqual([]);
  });
});

function ejectReasonCode(events: { event: AdapterEvent }[]): string | undefined {
  const eject = events.find(({ event }) => event.type === 'node:eject')?.event;
  if (eject?.type !== 'node:eject') return undefined;
  return (eject.reason as { code?: string } | undefined)?.code;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
