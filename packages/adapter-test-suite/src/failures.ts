import { type CacheAdapter, createCache, type PartialError, RingcacheError } from '@ringcache/core';
import { keysOnEveryNode, ownerOf, type SuiteContext, sleep } from './context.js';

const TYPED_FAILURES = ['E_NODE_UNAVAILABLE', 'E_TIMEOUT', 'E_OVERLOADED', 'E_BACKEND'];

/** A node stopped through the adapter's `faults` hooks, then started again. */
export function failureTests(context: SuiteContext): void {
  const { describe, it, expect, beforeAll, afterAll, runId, timeout, recoveryTimeout } = context;

  describe('a node going away', () => {
    let adapter: CacheAdapter;
    beforeAll(async () => {
      adapter = await context.create();
    });
    afterAll(async () => {
      await adapter?.close();
    });

    it('reads of its keys settle as misses or typed errors, never hang; other nodes are unaffected; it comes back', async ({
      skip,
    }) => {
      // Known only once the adapter exists: reported as skipped, never as passed.
      if (adapter.faults === undefined) return skip('the adapter has no faults hooks');
      const namespace = `${runId}:fault`;
      const lenient = createCache({ adapter, namespace, timeout });
      const strict = createCache({ adapter, namespace, timeout, onBackendError: 'throw' });
      const keys = await keysOnEveryNode(lenient, 'f', 20);
      await lenient.setMany(keys.map((key) => ({ key, value: key })));
      const owners = new Map(
        await Promise.all(keys.map(async (key) => [key, await ownerOf(lenient, key)] as const)),
      );
      const victim = owners.get(keys[0]!)!;
      const victimKeys = keys.filter((key) => owners.get(key) === victim);
      const otherKeys = keys.filter((key) => owners.get(key) !== victim);

      await adapter.faults.stopNode(victim);
      try {
        for (const key of victimKeys) {
          const started = Date.now();
          const value = await lenient.get(key);
          expect(Date.now() - started).toBeLessThan(timeout + 1000);
          // A replica promoted in its place may still hold the value; nothing else may come back.
          expect([undefined, key]).toContain(value);
          const strictResult = await strict.get(key).catch((error: unknown) => error);
          if (RingcacheError.isInstance(strictResult)) expect(TYPED_FAILURES).toContain(strictResult.code);
          else expect([undefined, key]).toContain(strictResult);
        }
        expect(await lenient.getMany(otherKeys)).toEqual(otherKeys);
        // A many-key call over every node: E_PARTIAL whose per-key results (the caller's keys, in
        // input order) hold the other nodes' values and typed errors only for the victim's keys.
        // An engine that promoted a replica in time may answer everything instead.
        const many = await strict.getMany(keys).catch((error: unknown) => error);
        if (RingcacheError.isInstance(many)) {
          expect(many.code).toBe('E_PARTIAL');
          const results = (many as PartialError).results;
          expect(results.map((outcome) => outcome.key)).toEqual(keys);
          for (const outcome of results) {
            if (outcome.ok) expect([undefined, outcome.key]).toContain(outcome.value);
            else {
              expect(victimKeys).toContain(outcome.key);
              expect(TYPED_FAILURES).toContain((outcome.error as RingcacheError).code);
            }
          }
          for (const key of otherKeys)
            expect(results[keys.indexOf(key)]).toMatchObject({ ok: true, value: key });
        } else {
          expect(many).toHaveLength(keys.length);
        }
      } finally {
        await adapter.faults.startNode(victim);
      }

      // Back in service: the victim's keys (whoever owns them now: Redis may have promoted a
      // replica, Hazelcast may have moved partitions) can be written and read again.
      const deadline = Date.now() + recoveryTimeout;
      let recovered = false;
      while (!recovered && Date.now() < deadline) {
        try {
          await strict.setMany(victimKeys.map((key) => ({ key, value: 'back' })));
          recovered = (await strict.getMany(victimKeys)).every((value) => value === 'back');
        } catch {
          // Still failing over.
        }
        if (!recovered) await sleep(200);
      }
      expect(recovered).toBe(true);
    });
  });

  describe('a closed adapter', () => {
    it('rejects calls with E_CLOSED and closes idempotently', async () => {
      const adapter = await context.create();
      const cache = createCache({ adapter, namespace: `${runId}:closed`, timeout });
      await cache.set('k', 1);
      await cache.close();
      await cache.close();
      await expect(cache.get('k')).rejects.toEqual(expect.objectContaining({ code: 'E_CLOSED' }));
      await expect(adapter.get(`${runId}:closed:k`)).rejects.toEqual(
        expect.objectContaining({ code: 'E_CLOSED' }),
      );
      await expect(adapter.set(`${runId}:closed:k`, Uint8Array.of(1), 0)).rejects.toEqual(
        expect.objectContaining({ code: 'E_CLOSED' }),
      );
    });
  });
}
