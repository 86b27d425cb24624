// Hot-key splitting on the shared Redis Cluster: a promoted key's shards land on distinct masters
// (checked with the cluster's own CLUSTER KEYSLOT / CLUSTER SLOTS, not our slot map), hold the
// value there, take the reads; on demotion the split is announced over the bus and the shards are
// deleted.
import { randomUUID } from 'node:crypto';
import { type Cache, createCache, type HotKeyEntry } from '@ringcache/core';
import { redisCluster, requireEngine } from '@ringcache/test-engines';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisBus, redisBus, redisClusterAdapter } from '../src/index.js';

const available = await requireEngine('redis-cluster', redisCluster.nodes);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!available)('hot-key split on Redis Cluster', () => {
  const run = `split-${randomUUID().slice(0, 8)}`;
  const channel = `ringcache:split-test:${run}`;
  let cache: Cache;
  let bus: RedisBus;
  let listenerBus: RedisBus;
  let raw: Cluster;
  const heard: { type: string; key?: string }[] = [];
  const promoted: HotKeyEntry[] = [];
  const demoted: HotKeyEntry[] = [];

  beforeAll(async () => {
    bus = redisBus({ nodes: redisCluster.nodes });
    listenerBus = redisBus({ nodes: redisCluster.nodes });
    await listenerBus.subscribe(channel, {
      onMessage: (bytes) => heard.push(JSON.parse(new TextDecoder().decode(bytes))),
      onStatus: () => {},
    });
    cache = createCache({
      adapter: redisClusterAdapter({ nodes: redisCluster.nodes }),
      namespace: run,
      hotKeys: { policy: 'split', windowMs: 300, coolWindows: 1, promotionDelay: 50, bus, channel },
    });
    cache.on('hotkey:promote', (entry) => promoted.push(entry));
    cache.on('hotkey:demote', (entry) => demoted.push(entry));
    await cache.ready();
    raw = new Cluster(
      redisCluster.nodes.map((node) => ({ host: node.split(':')[0], port: Number(node.split(':')[1]) })),
    );
  });

  afterAll(async () => {
    await cache?.close();
    await listenerBus?.close();
    await bus?.close();
    raw?.disconnect();
  });

  /** The master that serves a key's slot, by the cluster's own answers. */
  async function masterOf(key: string): Promise<string> {
    const slot = (await raw.call('CLUSTER', 'KEYSLOT', key)) as number;
    const ranges = (await raw.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
    const range = ranges.find(([start, end]) => slot >= start && slot <= end)!;
    return `${range[2][0]}:${range[2][1]}`;
  }

  it('spreads a hot key over distinct masters, then deletes the shards when it cools', async () => {
    await cache.set('config', { version: 1 });
    const final = await cache.storedKey('config');
    const deadline = Date.now() + 20_000;
    let marker: { state: string; shards: string[] } | undefined;
    while (marker?.state !== 'split' && Date.now() < deadline) {
      for (let index = 0; index < 200; index++) {
        await cache.get(index % 10 < 3 ? 'config' : `cold:${index}`);
      }
      const bytes = await raw.getBuffer(`${final}#split`);
      marker = bytes === null ? undefined : JSON.parse(bytes.toString());
    }
    expect(promoted.map((entry) => entry.key)).toContain(final);
    expect(marker?.state).toBe('split');
    const shards = marker!.shards;
    expect(shards.length).toBe(3);
    const masters = await Promise.all(shards.map(masterOf));
    expect(new Set(masters).size).toBe(3);
    for (const shard of shards) expect(await raw.get(shard)).toBe(JSON.stringify({ version: 1 }));
    await sleep(200);
    // Reads now come from every master, and a write reaches every shard before it resolves.
    for (let index = 0; index < 30; index++) expect(await cache.get('config')).toEqual({ version: 1 });
    await cache.set('config', { version: 2 });
    for (const shard of shards) expect(await raw.get(shard)).toBe(JSON.stringify({ version: 2 }));
    expect(heard.some((message) => message.type === 'split' && message.key === final)).toBe(true);

    // No more reads: the key slides out of the window and is demoted.
    while (!demoted.some((entry) => entry.key === final) && Date.now() < deadline) await sleep(50);
    expect(demoted.map((entry) => entry.key)).toContain(final);
    while (!heard.some((message) => message.type === 'unsplit') && Date.now() < deadline) await sleep(20);
    expect(heard.some((message) => message.type === 'unsplit' && message.key === final)).toBe(true);
    await sleep(200);
    for (const shard of shards) expect(await raw.get(shard)).toBeNull();
    const after = JSON.parse((await raw.getBuffer(`${final}#split`))!.toString());
    expect(after.state).toBe('demoting');
    expect(await cache.get('config')).toEqual({ version: 2 });
  });
});
