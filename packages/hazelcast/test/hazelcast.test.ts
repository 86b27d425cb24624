// What the conformance suite cannot see: where Hazelcast really puts keys, how values are stored,
// TTL against Hazelcast's second-truncated clock, prefix clears with awkward prefixes, and the
// connection behaviour. Runs on the shared 2-member cluster of `npm run servers:up hazelcast`.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createCache } from '@ringcache/core';
import { ensureHazelcastJar, hazelcast, requireEngine } from '@ringcache/test-engines';
import { Client } from 'hazelcast-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HazelcastAdapter, hazelcastAdapter } from '../src/index.js';

const available = await requireEngine('hazelcast', hazelcast.members);
const run = `hz-${process.pid}-${Date.now()}`;

/** Hazelcast's Java client's answer: partition id and owner address of each key. */
async function javaPartitionOwners(keys: readonly string[]): Promise<[number, string][]> {
  // The member jar holds the Java client too.
  const jar = await ensureHazelcastJar();
  const source = fileURLToPath(new URL('./fixtures/PartitionOwners.java', import.meta.url));
  const args = ['-cp', jar, source, hazelcast.clusterName, ...hazelcast.members];
  const input = keys
    .map((key) =>
      JSON.stringify(key).replace(
        /[\u007f-\uffff]/g,
        (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
      ),
    )
    .join('\n');
  const output = await new Promise<string>((resolve, reject) => {
    const child = execFile('java', args, { timeout: 90_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout) =>
      error ? reject(error) : resolve(stdout),
    );
    child.stdin?.end(`${input}\n`);
  });
  return output
    .trim()
    .split('\n')
    .map((line) => {
      const [partition, owner] = line.split(' ');
      return [Number(partition), owner!];
    });
}

describe.skipIf(!available)('hazelcast adapter on the shared cluster', () => {
  let adapter: HazelcastAdapter;
  let raw: Client;

  beforeAll(async () => {
    adapter = await hazelcastAdapter({
      clusterName: hazelcast.clusterName,
      members: hazelcast.members,
      mapName: `ringcache-it-${run}`,
    });
    raw = await Client.newHazelcastClient({
      clusterName: hazelcast.clusterName,
      network: { clusterMembers: hazelcast.members },
      properties: { 'hazelcast.logging.level': 'OFF' },
    });
  });

  afterAll(async () => {
    await (await adapter?.getMap())?.destroy();
    await adapter?.close();
    await raw?.shutdown();
  });

  it('lists both members with their partitions, all up', () => {
    const nodes = adapter.nodes();
    expect(nodes.map((node) => node.id).sort()).toEqual([...hazelcast.members].sort());
    expect(nodes.every((node) => node.status === 'up')).toBe(true);
    expect(nodes.reduce((sum, node) => sum + node.partitions, 0)).toBe(271);
    expect(adapter.topology().partitionCount).toBe(271);
  });

  it('computes the partition the client routes to, and its owner, for 20,000 keys', () => {
    const service = adapter.getClient().getPartitionService();
    const members = new Map(
      adapter
        .getClient()
        .getCluster()
        .getMembers()
        .map((member) => [member.uuid.toString(), `${member.address.host}:${member.address.port}`]),
    );
    const topology = adapter.topology();
    const random = () =>
      String.fromCharCode(
        ...Array.from({ length: 1 + Math.floor(Math.random() * 40) }, () => Math.random() * 0xffff),
      );
    const keys = [
      '',
      'é',
      '\ud800',
      'x'.repeat(70_000),
      ...Array.from({ length: 20_000 }, (_, i) => (i % 2 ? `k:${i}` : random())),
    ];
    for (const key of keys) {
      const partition = service.getPartitionId(key);
      expect(topology.partitionOf(key)).toBe(partition);
      expect(topology.locate(key)).toBe(members.get(service.getPartitionOwner(partition).toString()));
    }
  });

  it('agrees with Hazelcast’s Java client on partition and owner', async () => {
    // Lone surrogates are left out: Java and Node encode them differently, and only the Node
    // client's encoding matters to this adapter (it is what the member receives).
    const keys = ['a', 'user:42', 'héllo wörld', '日本語 🎉', 'line\nbreak', `${run}:${'z'.repeat(500)}`];
    for (let i = 0; i < 500; i++) keys.push(`${run}:key-${i}`);
    const java = await javaPartitionOwners(keys);
    const topology = adapter.topology();
    expect(java.map(([partition]) => partition)).toEqual(keys.map((key) => topology.partitionOf(key)));
    expect(java.map(([, owner]) => owner)).toEqual(keys.map((key) => topology.locate(key)));
  }, 120_000);

  it('stores values as byte[]: a plain client reads back a Buffer with the same bytes', async () => {
    const key = `${run}:bytes`;
    await adapter.set(key, Uint8Array.of(0, 1, 2, 253, 254, 255), 0);
    const map = await raw.getMap<string, unknown>(`ringcache-it-${run}`);
    const stored = await map.get(key);
    expect(Buffer.isBuffer(stored)).toBe(true);
    expect([...(stored as Buffer)]).toEqual([0, 1, 2, 253, 254, 255]);
    expect(await adapter.get(key)).toEqual(Uint8Array.of(0, 1, 2, 253, 254, 255));
  });

  it('a TTL is never cut short by Hazelcast’s whole-second expiry, and 0 means never', async () => {
    const map = await adapter.getMap();
    const keys = Array.from({ length: 8 }, (_, i) => `${run}:ttl-${i}`);
    // Spread over a second so some writes land just before a second boundary.
    const written = await Promise.all(
      keys.map(async (key, i) => {
        await new Promise((resolve) => setTimeout(resolve, i * 125));
        const at = Date.now();
        await adapter.set(key, Uint8Array.of(1), 1000);
        return at;
      }),
    );
    await adapter.set(`${run}:forever`, Uint8Array.of(1), 0);
    const view = await map.getEntryView(`${run}:forever`);
    expect(view.ttl.toString()).toBe('9223372036854775807');
    // Each key must still be there 900 ms after its write (Hazelcast alone gave 55–979 ms).
    const checks = keys.map(async (key, i) => {
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, written[i]! + 900 - Date.now())));
      return adapter.get(key);
    });
    expect((await Promise.all(checks)).every((value) => value !== undefined)).toBe(true);
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, Math.max(...written) + 2100 - Date.now())),
    );
    expect(await adapter.getMany(keys)).toEqual(keys.map(() => undefined));
  });

  it('clear(prefix) removes exactly the keys under awkward prefixes', async () => {
    const prefixes = ['a\\', '50%', 'a_b', 'x\\Ey', '.*', 'line\nbreak', '[q]'];
    const keys = prefixes.flatMap((prefix) => [`${run}:${prefix}1`, `${run}:${prefix}\n2`]);
    const others = [`${run}:a`, `${run}:50`, `${run}:axb1`, `${run}:xEy1`, `${run}:line`, `${run}:q]`];
    await adapter.setMany([...keys, ...others].map((key) => ({ key, value: Uint8Array.of(1), ttl: 0 })));
    for (const prefix of prefixes) await adapter.clear(`${run}:${prefix}`);
    expect(await adapter.getMany(keys)).toEqual(keys.map(() => undefined));
    expect((await adapter.getMany(others)).every((value) => value !== undefined)).toBe(true);
  });

  it('answers delete and deleteMany with whether each key held a value', async () => {
    await adapter.set(`${run}:d1`, Uint8Array.of(1), 0);
    expect(await adapter.delete(`${run}:d1`)).toBe(true);
    expect(await adapter.delete(`${run}:d1`)).toBe(false);
    await adapter.setMany([{ key: `${run}:d2`, value: Uint8Array.of(2), ttl: 0 }]);
    expect(await adapter.deleteMany([`${run}:d2`, `${run}:d3`, `${run}:d2`])).toEqual([true, false, false]);
  });

  it('works over a client it was given, and leaves that client running on close', async () => {
    const borrowed = await hazelcastAdapter({ client: raw, mapName: `ringcache-it-${run}` });
    const cache = createCache({ adapter: borrowed, namespace: run });
    await cache.set('shared', { ok: true });
    expect(await cache.get('shared')).toEqual({ ok: true });
    expect(borrowed.nodes().every((node) => node.status === 'up')).toBe(true);
    await cache.close();
    expect(raw.getLifecycleService().isRunning()).toBe(true);
    await expect(borrowed.get(`${run}:shared`)).rejects.toMatchObject({ code: 'E_CLOSED' });
  });
});

describe('hazelcast adapter without a cluster', () => {
  // A port nothing listens on: the connection is refused at once.
  const nowhere = { clusterName: 'nobody', members: ['127.0.0.1:1'], mapName: 'none' };

  it('rejects with E_NODE_UNAVAILABLE after connectTimeout, leaving nothing running', async () => {
    const started = Date.now();
    await expect(hazelcastAdapter({ ...nowhere, connectTimeout: 1500 })).rejects.toMatchObject({
      code: 'E_NODE_UNAVAILABLE',
    });
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('with connectTimeout 0, starts at once and fails calls fast instead of queueing them', async () => {
    const adapter = await hazelcastAdapter({ ...nowhere, connectTimeout: 0 });
    try {
      expect(adapter.nodes()).toEqual([]);
      expect(() => adapter.topology().locate('k')).toThrow(
        expect.objectContaining({ code: 'E_NODE_UNAVAILABLE' }),
      );
      for (const call of [
        () => adapter.get('k'),
        () => adapter.set('k', Uint8Array.of(1), 0),
        () => adapter.getMany(['k']),
      ]) {
        const started = Date.now();
        await expect(call()).rejects.toMatchObject({
          code: expect.stringMatching(/E_NODE_UNAVAILABLE|E_PARTIAL/),
        });
        expect(Date.now() - started).toBeLessThan(500);
      }
      const cache = createCache({ adapter, timeout: 1000 });
      expect(await cache.get('k')).toBeUndefined();
    } finally {
      await adapter.close();
    }
  });
});
