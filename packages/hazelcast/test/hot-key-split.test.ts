// Hot-key splitting on the shared 2-member Hazelcast cluster: a promoted key's shards sit in
// partitions owned by different members (checked with the client's partition service, not our
// partition table), hold the value, and are deleted when the key cools and the split is undone.
import { type Cache, createCache, type HotKeyEntry, type InvalidationBus } from '@ringcache/core';
import { hazelcast, requireEngine } from '@ringcache/test-engines';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HazelcastAdapter, hazelcastAdapter, hazelcastBus } from '../src/index.js';

const available = await requireEngine('hazelcast', hazelcast.members);
const run = `split-${process.pid}-${Date.now()}`;
const connection = { clusterName: hazelcast.clusterName, members: hazelcast.members };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!available)('hot-key split on Hazelcast', () => {
  let adapter: HazelcastAdapter;
  let bus: InvalidationBus;
  let cache: Cache;
  const promoted: HotKeyEntry[] = [];
  const demoted: HotKeyEntry[] = [];

  beforeAll(async () => {
    adapter = await hazelcastAdapter({ ...connection, mapName: `ringcache-${run}` });
    bus = hazelcastBus(connection);
    cache = createCache({
      adapter,
      hotKeys: { policy: 'split', windowMs: 300, coolWindows: 1, promotionDelay: 50, bus },
    });
    cache.on('hotkey:promote', (entry) => promoted.push(entry));
    cache.on('hotkey:demote', (entry) => demoted.push(entry));
    await cache.ready();
  });

  afterAll(async () => {
    const map = await adapter?.getMap();
    await cache?.close();
    await map?.destroy().catch(() => {});
    await bus?.close?.();
  });

  it('puts the shards in partitions of distinct members, then deletes them when the key cools', async () => {
    const map = await adapter.getMap();
    const service = adapter.getClient().getPartitionService();
    const ownerOf = (key: string) => service.getPartitionOwner(service.getPartitionId(key))?.toString();
    await cache.set('config', { version: 1 });
    const deadline = Date.now() + 20_000;
    let marker: { state: string; shards: string[] } | undefined;
    while (marker?.state !== 'split' && Date.now() < deadline) {
      for (let index = 0; index < 200; index++) await cache.get(index % 10 < 3 ? 'config' : `cold:${index}`);
      const bytes = await map.get('config#split');
      marker = bytes === null || bytes === undefined ? undefined : JSON.parse(bytes.toString());
    }
    expect(promoted.map((entry) => entry.key)).toContain('config');
    expect(marker?.state).toBe('split');
    const shards = marker!.shards;
    expect(shards.length).toBe(2);
    expect(new Set(shards.map(ownerOf)).size).toBe(2);
    for (const shard of shards)
      expect((await map.get(shard))?.toString()).toBe(JSON.stringify({ version: 1 }));
    await cache.set('config', { version: 2 });
    for (const shard of shards)
      expect((await map.get(shard))?.toString()).toBe(JSON.stringify({ version: 2 }));

    while (!demoted.some((entry) => entry.key === 'config') && Date.now() < deadline) await sleep(50);
    expect(demoted.map((entry) => entry.key)).toContain('config');
    await sleep(300);
    for (const shard of shards) expect(await map.get(shard)).toBeNull();
    expect(JSON.parse((await map.get('config#split'))!.toString()).state).toBe('demoting');
    expect(await cache.get('config')).toEqual({ version: 2 });
  });
});
