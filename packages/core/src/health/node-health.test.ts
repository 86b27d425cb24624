// Node health is our own logic (counters, timers, a probe callback), not an engine: fake timers
// and scripted probes exercise every path. The engines' own failures are in the adapters' fault
// suites (memcached: SIGKILL = hard, SIGSTOP = soft).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createCache } from '../cache/cache.js';
import type { CacheEvents } from '../cache/events.js';
import { NodeUnavailableError } from '../errors.js';
import { memoryAdapter } from '../memory/memory-adapter.js';
import { hashRing } from '../ring/hash-ring.js';
import { Router } from '../routing/router.js';
import { type HealthEvent, type HealthOptions, NodeHealth } from './node-health.js';

const NODES = ['a:1', 'b:1', 'c:1'];

/** A probe whose outcome the test scripts, with the nodes it was called for. */
function scriptedProbe() {
  const calls: string[] = [];
  let fail = true;
  return {
    calls,
    succeed: () => {
      fail = false;
    },
    probe: async (node: string) => {
      calls.push(node);
      if (fail) throw new Error(`${node} still down`);
    },
  };
}

function health(options: HealthOptions) {
  const tracker = new NodeHealth(NODES, options);
  const events: HealthEvent[] = [];
  tracker.subscribe((event) => events.push(event));
  return { tracker, events };
}

describe('NodeHealth', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('ejects after failureLimit consecutive failures, with the last failure kind and reason', () => {
    const { tracker, events } = health({ failureLimit: 3 });
    tracker.recordFailure('a:1', 'first', 'hard');
    tracker.recordFailure('a:1', 'second', 'hard');
    expect(tracker.isEjected('a:1')).toBe(false);
    tracker.recordFailure('a:1', 'third', 'soft');
    expect(tracker.isEjected('a:1')).toBe(true);
    expect(tracker.ejected()).toEqual(['a:1']);
    expect(events).toEqual([{ type: 'node:eject', node: 'a:1', reason: 'third', kind: 'soft' }]);
    // Further failures while out change nothing.
    tracker.recordFailure('a:1', 'fourth', 'hard');
    expect(events).toHaveLength(1);
    tracker.close();
  });

  it('counts consecutive failures only: a success in between starts again, other nodes are separate', () => {
    const { tracker, events } = health({ failureLimit: 2 });
    tracker.recordFailure('a:1', 'x', 'hard');
    tracker.recordSuccess('a:1');
    tracker.recordFailure('a:1', 'x', 'hard');
    tracker.recordFailure('b:1', 'x', 'hard');
    expect(tracker.ejected()).toEqual([]);
    tracker.recordFailure('b:1', 'x', 'soft');
    expect(events.map((event) => [event.type, event.node])).toEqual([['node:eject', 'b:1']]);
    tracker.close();
  });

  it('defaults to twemproxy: 2 failures, 30 s before the first probe', async () => {
    const probe = scriptedProbe();
    const { tracker } = health({ probe: probe.probe });
    expect([tracker.failureLimit, tracker.retryTimeout]).toEqual([2, 30_000]);
    tracker.recordFailure('c:1', 'x', 'hard');
    tracker.recordFailure('c:1', 'x', 'hard');
    await vi.advanceTimersByTimeAsync(29_999);
    expect(probe.calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(probe.calls).toEqual(['c:1']);
    tracker.close();
  });

  it('probes after retryTimeout, again each retryTimeout while the probe fails, re-admits once it succeeds', async () => {
    const probe = scriptedProbe();
    const flushed: string[] = [];
    const { tracker, events } = health({
      failureLimit: 1,
      retryTimeout: 2000,
      probe: probe.probe,
      beforeReadmit: async (node) => {
        // The flush runs while the node is still out: nothing is routed to it before it is empty.
        expect(tracker.isEjected(node)).toBe(true);
        flushed.push(node);
      },
    });
    tracker.recordFailure('b:1', 'refused', 'hard');
    await vi.advanceTimersByTimeAsync(1999);
    expect(probe.calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(probe.calls).toEqual(['b:1']);
    expect(flushed).toEqual([]); // a failed probe does not flush
    expect(tracker.isEjected('b:1')).toBe(true);
    await vi.advanceTimersByTimeAsync(2000);
    expect(probe.calls).toEqual(['b:1', 'b:1']);
    probe.succeed();
    await vi.advanceTimersByTimeAsync(2000);
    expect(flushed).toEqual(['b:1']);
    expect(tracker.isEjected('b:1')).toBe(false);
    expect(events.map((event) => event.type)).toEqual(['node:eject', 'node:readmit']);
    // Re-admitted with a clean count: failureLimit failures again to eject.
    tracker.recordFailure('b:1', 'again', 'soft');
    expect(events.at(-1)).toEqual({ type: 'node:eject', node: 'b:1', reason: 'again', kind: 'soft' });
    tracker.close();
  });

  it('keeps the node out when beforeReadmit (the flush) fails, and tries again later', async () => {
    let flushes = 0;
    const { tracker, events } = health({
      failureLimit: 1,
      retryTimeout: 1000,
      probe: async () => {},
      beforeReadmit: async () => {
        flushes++;
        if (flushes === 1) throw new Error('flush_all failed');
      },
    });
    tracker.recordFailure('a:1', 'x', 'hard');
    await vi.advanceTimersByTimeAsync(1000);
    expect([flushes, tracker.isEjected('a:1')]).toEqual([1, true]);
    await vi.advanceTimersByTimeAsync(1000);
    expect([flushes, tracker.isEjected('a:1')]).toEqual([2, false]);
    expect(events.map((event) => event.type)).toEqual(['node:eject', 'node:readmit']);
    tracker.close();
  });

  it('readmit() skips the probe; close() stops probing', async () => {
    const probe = scriptedProbe();
    const { tracker, events } = health({ failureLimit: 1, retryTimeout: 1000, probe: probe.probe });
    tracker.recordFailure('a:1', 'x', 'hard');
    tracker.readmit('a:1');
    expect(tracker.isEjected('a:1')).toBe(false);
    await vi.advanceTimersByTimeAsync(5000);
    expect(probe.calls).toEqual([]);
    tracker.recordFailure('c:1', 'x', 'hard');
    tracker.close();
    await vi.advanceTimersByTimeAsync(5000);
    expect(probe.calls).toEqual([]);
    expect(events.map((event) => event.type)).toEqual(['node:eject', 'node:readmit', 'node:eject']);
  });

  it('refuses a failureLimit below 1 and a negative retryTimeout', () => {
    expect(() => new NodeHealth(NODES, { failureLimit: 0 })).toThrow(/failureLimit/);
    expect(() => new NodeHealth(NODES, { retryTimeout: -1 })).toThrow(/retryTimeout/);
  });
});

describe('the failure kind, from health to the public events', () => {
  it('Router passes kind on its node:eject event', async () => {
    const router = new Router({
      partitioner: hashRing(NODES),
      health: { failureLimit: 1 },
      classify: (error) => (error === 'timed out' ? 'soft' : 'hard'),
    });
    const ejections: unknown[] = [];
    router.subscribe((event) => {
      if (event.type === 'node:eject') ejections.push(event);
    });
    await router.run('a:1', () => Promise.reject('timed out')).catch(() => {});
    await router.run('b:1', () => Promise.reject('refused')).catch(() => {});
    expect(ejections).toEqual([
      { type: 'node:eject', node: 'a:1', reason: 'timed out', kind: 'soft' },
      { type: 'node:eject', node: 'b:1', reason: 'refused', kind: 'hard' },
    ]);
    router.close();
  });

  it("the cache's node:eject event carries kind", async () => {
    const adapter = memoryAdapter({ nodes: 2, health: { failureLimit: 1 }, failover: 'miss' });
    const cache = createCache({ adapter });
    const ejections: CacheEvents['node:eject'][] = [];
    cache.on('node:eject', (event) => ejections.push(event));
    await adapter.faults!.stopNode('memory:1');
    const owned = Array.from({ length: 50 }, (_, index) => `k${index}`).find(
      (key) => adapter.topology().locate(key) === 'memory:1',
    )!;
    await expect(cache.set(owned, 1)).rejects.toBeDefined();
    expect(ejections).toHaveLength(1);
    expect(ejections[0]).toMatchObject({ node: 'memory:1', kind: 'hard' });
    expect(NodeUnavailableError.isInstance(ejections[0]!.reason)).toBe(true);
    await cache.close();
  });
});
