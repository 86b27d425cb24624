import { describe, expect, it } from 'vitest';
import { NodeUnavailableError, PartialError } from '../errors.js';
import { hashRing } from '../ring/hash-ring.js';
import { Router } from './router.js';

const keys = Array.from({ length: 300 }, (_, index) => `key:${index}`);

describe('Router.runGrouped', () => {
  it('sends each node its items once, in input order, and puts the answers back in input order', async () => {
    const router = new Router({ partitioner: hashRing(['a:1', 'b:1', 'c:1']) });
    const entries = keys.map((key, index) => ({ key, value: index }));
    const calls: { node: string; items: typeof entries }[] = [];
    const answers = await router.runGrouped(
      entries,
      (entry) => entry.key,
      async (node, items) => {
        calls.push({ node, items });
        return items.map((entry) => entry.value * 2);
      },
    );
    expect(answers).toEqual(entries.map((entry) => entry.value * 2));
    expect(calls.map((call) => call.node).sort()).toEqual(['a:1', 'b:1', 'c:1']);
    for (const { node, items } of calls) {
      expect(items.every((entry) => router.route(entry.key) === node)).toBe(true);
      const positions = items.map((entry) => entry.value);
      expect(positions).toEqual([...positions].sort((a, b) => a - b));
    }
    router.close();
  });

  it("fails the keys it cannot route (failover 'miss') without calling their node", async () => {
    const router = new Router({
      partitioner: hashRing(['a:1', 'b:1', 'c:1']),
      failover: 'miss',
      health: { failureLimit: 1 },
    });
    await router.run('c:1', () => Promise.reject(new NodeUnavailableError('down'))).catch(() => {});
    expect(router.health.isEjected('c:1')).toBe(true);
    const called: string[] = [];
    const error = await router
      .runGrouped(
        keys,
        (key) => key,
        async (node, group) => {
          called.push(node);
          return group.map((key) => `value of ${key}`);
        },
      )
      .catch((caught: unknown) => caught);
    expect(called.sort()).toEqual(['a:1', 'b:1']);
    expect(error).toBeInstanceOf(PartialError);
    const results = (error as PartialError<string>).results;
    expect(results).toHaveLength(keys.length);
    results.forEach((outcome, index) => {
      const key = keys[index]!;
      expect(outcome.key).toBe(key);
      if (router.partitioner.locate(key) === 'c:1') {
        expect(outcome).toMatchObject({
          ok: false,
          error: expect.objectContaining({ code: 'E_NODE_UNAVAILABLE' }),
        });
      } else {
        expect(outcome).toEqual({ key, ok: true, value: `value of ${key}` });
      }
    });
    router.close();
  });
});
