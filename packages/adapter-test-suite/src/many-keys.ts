import { type CacheAdapter, createCache } from '@ringcache/core';
import { keysOnEveryNode, ownerOf, type SuiteContext } from './context.js';

/** Many-key calls across nodes and slots, clears that reach every node. */
export function manyKeyTests(context: SuiteContext, adapter: () => CacheAdapter): void {
  const { describe, it, expect, runId, timeout } = context;

  describe('distributed behaviour', () => {
    it('getMany, setMany and deleteMany span every node and answer in input order', async () => {
      const namespace = `${runId}:many`;
      const cache = createCache({ adapter: adapter(), namespace, timeout });
      const keys = await keysOnEveryNode(cache, 'k', 20);
      expect(new Set(await Promise.all(keys.map((key) => ownerOf(cache, key)))).size).toBe(
        adapter().topology().nodes.length,
      );
      await cache.setMany(keys.map((key, index) => ({ key, value: index })));
      const asked = keys
        .flatMap((key, index) => (index % 3 === 0 ? [key, `missing-${index}`] : [key]))
        .reverse();
      const expected = asked.map((key) => (key.startsWith('missing-') ? undefined : keys.indexOf(key)));
      expect(await cache.getMany(asked)).toEqual(expected);
      const deleted = await cache.deleteMany([keys[0]!, 'missing-x', keys[1]!]);
      expect(deleted).toEqual([true, false, true]);
      expect(await cache.getMany([keys[0]!, keys[2]!])).toEqual([undefined, 2]);
    });

    it('clear() of a namespace reaches every node and spares other namespaces', async () => {
      const a = createCache({ adapter: adapter(), namespace: `${runId}:clear-a`, timeout });
      const b = createCache({ adapter: adapter(), namespace: `${runId}:clear-b`, timeout });
      const keysA = await keysOnEveryNode(a, 'a', 10);
      const keysB = await keysOnEveryNode(b, 'b', 10);
      await a.setMany(keysA.map((key) => ({ key, value: key })));
      await b.setMany(keysB.map((key) => ({ key, value: key })));
      await a.clear();
      expect((await a.getMany(keysA)).filter((value) => value !== undefined)).toEqual([]);
      expect(await b.getMany(keysB)).toEqual(keysB);
      await a.set(keysA[0]!, 'after clear');
      expect(await a.get(keysA[0]!)).toBe('after clear');
    });

    it('nodes(), topology() and stats() agree on the nodes and where keys live', async () => {
      const cache = createCache({ adapter: adapter(), namespace: `${runId}:topology`, timeout });
      const ids = adapter()
        .nodes()
        .map((node) => node.id)
        .sort();
      expect(ids.length).toBeGreaterThan(0);
      expect(
        adapter()
          .topology()
          .nodes.map((node) => node.id)
          .sort(),
      ).toEqual(ids);
      for (let index = 0; index < 200; index++)
        expect(ids).toContain(adapter().topology().locate(`key-${index}`));
      const keys = await keysOnEveryNode(cache, 't', 5);
      for (const key of keys) await cache.set(key, 1);
      const stats = cache.stats();
      expect(stats.nodes.map((node) => node.id).sort()).toEqual(ids);
      for (const node of stats.nodes) expect(node.sets).toBeGreaterThanOrEqual(5);
    });
  });
}
