// hazelcastBus on the shared 2-member cluster: fan-out between processes' clients, channel
// isolation, unsubscribe and close, and L1 invalidation between two caches.
import { createCache, type InvalidationBus } from '@ringcache/core';
import { hazelcast, requireEngine } from '@ringcache/test-engines';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HazelcastAdapter, hazelcastAdapter, hazelcastBus } from '../src/index.js';

const available = await requireEngine('hazelcast', hazelcast.members);
const run = `bus-${process.pid}-${Date.now()}`;
const connection = { clusterName: hazelcast.clusterName, members: hazelcast.members };

async function eventually(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe.skipIf(!available)('hazelcastBus on the shared cluster', () => {
  let adapter: HazelcastAdapter;
  let shared: InvalidationBus;
  let own: InvalidationBus;

  beforeAll(async () => {
    adapter = await hazelcastAdapter({ ...connection, mapName: `ringcache-${run}` });
    shared = hazelcastBus({ adapter });
    own = hazelcastBus(connection);
  });

  afterAll(async () => {
    await own?.close();
    await shared?.close();
    await (await adapter?.getMap())?.destroy();
    await adapter?.close();
  });

  it('fans a message out to every subscriber on other clients and its own, bytes intact', async () => {
    const channel = `${run}:fanout`;
    const received = { shared: [] as number[][], own: [] as number[][] };
    const stops = [
      await shared.subscribe(channel, { onMessage: (message) => received.shared.push([...message]) }),
      await own.subscribe(channel, { onMessage: (message) => received.own.push([...message]) }),
    ];
    await shared.publish(channel, Uint8Array.of(0, 1, 255));
    await own.publish(channel, Uint8Array.of(7));
    await eventually(() => received.shared.length === 2 && received.own.length === 2);
    expect(received.own).toEqual(received.shared);
    expect(received.own).toContainEqual([0, 1, 255]);
    for (const stop of stops) await stop();
  });

  it('keeps channels apart, and stops delivering after unsubscribe', async () => {
    const a: string[] = [];
    const b: string[] = [];
    const stopA = await own.subscribe(`${run}:a`, {
      onMessage: (message) => a.push(Buffer.from(message).toString()),
    });
    const stopB = await own.subscribe(`${run}:b`, {
      onMessage: (message) => b.push(Buffer.from(message).toString()),
    });
    await shared.publish(`${run}:a`, Buffer.from('for a'));
    await shared.publish(`${run}:b`, Buffer.from('for b'));
    await eventually(() => a.length === 1 && b.length === 1);
    await stopA();
    await shared.publish(`${run}:a`, Buffer.from('after stop'));
    await shared.publish(`${run}:b`, Buffer.from('still b'));
    await eventually(() => b.length === 2);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(a).toEqual(['for a']);
    expect(b).toEqual(['for b', 'still b']);
    await stopB();
  });

  it('rejects calls after close with E_CLOSED', async () => {
    const bus = hazelcastBus({ adapter });
    await bus.close();
    await bus.close();
    await expect(bus.publish(`${run}:x`, Uint8Array.of(1))).rejects.toMatchObject({ code: 'E_CLOSED' });
  });

  it('invalidates another process’s L1 when a key changes', async () => {
    const other = await hazelcastAdapter({ ...connection, mapName: `ringcache-${run}` });
    const otherBus = hazelcastBus({ adapter: other });
    const channel = `${run}:tier`;
    const mine = createCache({ adapter, namespace: 'l1', local: { bus: shared, channel, ttl: 60_000 } });
    const theirs = createCache({
      adapter: other,
      namespace: 'l1',
      local: { bus: otherBus, channel, ttl: 60_000 },
    });
    try {
      await mine.set('k', 'v1');
      // Warm both L1s, then change the key on one side: the other must stop serving v1.
      expect(await theirs.get('k')).toBe('v1');
      expect(await theirs.get('k')).toBe('v1');
      await mine.set('k', 'v2');
      const deadline = Date.now() + 5000;
      let seen = await theirs.get('k');
      while (seen !== 'v2' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        seen = await theirs.get('k');
      }
      expect(seen).toBe('v2');
    } finally {
      await theirs.close();
      await otherBus.close();
    }
  });
});
