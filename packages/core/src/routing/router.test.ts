import { describe, expect, it } from 'vitest';
import type { AdapterEvent } from '../adapter.js';
import { NodeUnavailableError, PartialError } from '../errors.js';
import { hashRing } from '../ring/hash-ring.js';
import { Router } from './router.js';

const nodes = ['a:1', 'b:1', 'c:1'];
const keys = Array.from({ length: 300 }, (_, index) => `key:${index}`);
const failing = () => Promise.reject(new NodeUnavailableError('down'));

async function failTimes(router: Router, node: string, times: number) {
  for (let index = 0; index < times; index++) await router.run(node, failing).catch(() => {});
}

describe('Router', () => {
  it('ejects a node after failureLimit consecutive failures and routes its keys to the next node', async () => {
    const router = new Router({
      partitioner: hashRing(nodes),
      health: { failureLimit: 2, retryTimeout: 60_000 },
    });
    const events: AdapterEvent[] = [];
    router.subscribe((event) => events.push(event));
    await failTimes(router, 'b:1', 1);
    expect(router.health.isEjected('b:1')).toBe(false);
    await failTimes(router, 'b:1', 1);
    expect(router.health.isEjected('b:1')).toBe(true);
    expect(events.map((event) => event.type)).toEqual(['node:eject', 'topology:change']);
    for (const key of keys) {
      const [owner, next] = router.partitioner.locateN(key, 2);
      expect(router.route(key)).toBe(owner === 'b:1' ? next : owner);
      if (owner === 'b:1') expect(router.isFailover(key, router.route(key))).toBe(true);
    }
    expect(router.nodes().find((node) => node.id === 'b:1')?.status).toBe('ejected');
    router.close();
  });

  it('a success resets the consecutive-failure count', async () => {
    const router = new Router({ partitioner: hashRing(nodes), health: { failureLimit: 2 } });
    await failTimes(router, 'a:1', 1);
    await router.run('a:1', async () => 'ok');
    await failTimes(router, 'a:1', 1);
    expect(router.health.isEjected('a:1')).toBe(false);
    router.close();
  });

  it("with failover 'miss', an ejected node's keys fail fast with E_NODE_UNAVAILABLE", async () => {
    const router = new Router({
      partitioner: hashRing(nodes),
      failover: 'miss',
      health: { failureLimit: 1 },
    });
    await failTimes(router, 'c:1', 1);
    const key = keys.find((candidate) => router.partitioner.locate(candidate) === 'c:1')!;
    expect(() => router.route(key)).toThrowError(expect.objectContaining({ code: 'E_NODE_UNAVAILABLE' }));
    router.close();
  });

  it('re-admits a node only after retryTimeout and a successful probe', async () => {
    let probeOk = false;
    let probes = 0;
    const router = new Router({
      partitioner: hashRing(nodes),
      health: {
        failureLimit: 1,
        retryTimeout: 20,
        probe: async () => {
          probes++;
          if (!probeOk) throw new Error('still down');
        },
      },
    });
    await failTimes(router, 'a:1', 1);
    await new Promise((resolve) => setTimeout(resolve, 70));
    expect(probes).toBeGreaterThanOrEqual(2);
    expect(router.health.isEjected('a:1')).toBe(true);
    probeOk = true;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(router.health.isEjected('a:1')).toBe(false);
    expect(router.topology()).toBe(router.partitioner);
    router.close();
  });

  it('runGrouped answers in input order, and reports per-key outcomes when a node fails', async () => {
    const router = new Router({ partitioner: hashRing(nodes), health: { failureLimit: 100 } });
    const echoed = await router.runGrouped(
      keys,
      (key) => key,
      async (_node, group) => group.map((key) => key.toUpperCase()),
    );
    expect(echoed).toEqual(keys.map((key) => key.toUpperCase()));
    const error = await router
      .runGrouped(
        keys,
        (key) => key,
        async (node, group) => {
          if (node === 'b:1') throw new NodeUnavailableError('b is down');
          return group;
        },
      )
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PartialError);
    const results = (error as PartialError<string>).results;
    results.forEach((outcome, index) => {
      expect(outcome.key).toBe(keys[index]);
      expect(outcome.ok).toBe(router.partitioner.locate(keys[index]!) !== 'b:1');
    });
    router.close();
  });
});
