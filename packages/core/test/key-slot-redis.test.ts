import { redisCluster, requireEngine } from '@ringcache/test-engines';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ClusterSlotsNode,
  type ClusterSlotsReply,
  fromClusterSlots,
} from '../src/slots/cluster-slots.js';
import { keySlot, SLOT_COUNT } from '../src/slots/key-slot.js';

const available = await requireEngine('redis-cluster', redisCluster.nodes);

// Proves keySlot equals Redis's own CLUSTER KEYSLOT, and that a map built from CLUSTER SLOTS
// sends each key to the master that serves it. Any cluster node answers KEYSLOT.

const RANDOM_KEYS = 2000;
const ROUTED_KEYS = 500;
// A fresh seed each run widens coverage over time; a failure prints it to replay.
const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);

/** Hash-tag edge cases, where cluster-key-slot alone (and so ioredis) differs from Redis. */
const edgeCases = [
  '',
  '{}',
  '{{a}}',
  'a{b}{c}',
  '{}a{b}',
  'a{',
  'a}b{',
  '{a',
  'a}',
  '}{a}',
  '{}a}',
  '{}}',
  '{{}}',
  '{{}a}',
  '{{',
  '}}',
  '{a}}b',
  '{{{a}}}',
  '{user1}.a',
  '{user1}.b',
  '{é}x',
  '{日本}語',
  '{😀}',
  'x{😀}{y}',
  '{\uD83D}', // a lone high surrogate inside a tag
  '\uDE00{}a}',
  '\u0000{\u0000}',
  '{ }',
  'a'.repeat(1000),
  `{${'é'.repeat(300)}}tail`,
];

const loneSurrogates = fc.string({
  unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)),
  maxLength: 20,
});
const braceHeavy = fc.string({
  unit: fc.constantFrom('{', '}', 'a', 'é', '日', '😀', '\uD800', '\0', ' '),
  maxLength: 16,
});
const randomKey = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }), // any code point: 1- to 4-byte UTF-8
  fc.string({ unit: 'binary-ascii', maxLength: 40 }), // bytes 0–255 as chars: "binary-ish"
  fc.string({ unit: 'grapheme', maxLength: 10 }),
  loneSurrogates,
  braceHeavy,
  fc.tuple(fc.string(), fc.string(), fc.string()).map(([a, b, c]) => `${a}{${b}}${c}`),
);

function addressOf(node: ClusterSlotsNode): string {
  return `${node[0]}:${node[1]}`;
}

function hostPort(address: string): [string, number] {
  const colon = address.lastIndexOf(':');
  return [address.slice(0, colon), Number(address.slice(colon + 1))];
}

/** A plain (non-cluster) connection that never crashes the process with an 'error' event. */
async function connect(address: string, errors: unknown[]): Promise<Redis> {
  const [host, port] = hostPort(address);
  const client = new Redis(port, host, { lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on('error', (error: unknown) => errors.push(error));
  await client.connect();
  return client;
}

/** Runs one command per key in one pipeline; throws on the first error reply. */
async function pipelined<T>(
  client: Redis,
  keys: readonly string[],
  add: (pipeline: ReturnType<Redis['pipeline']>, key: string) => void,
): Promise<T[]> {
  const pipeline = client.pipeline();
  for (const key of keys) add(pipeline, key);
  const results = (await pipeline.exec()) ?? [];
  return results.map(([error, value], index) => {
    if (error) throw new Error(`${JSON.stringify(keys[index])}: ${error.message}`);
    return value as T;
  });
}

describe.skipIf(!available)('keySlot against a real Redis Cluster', () => {
  const errors: unknown[] = [];
  let redis: Redis;
  const serverSlots = (keys: readonly string[]) =>
    pipelined<number>(redis, keys, (pipeline, key) => pipeline.cluster('KEYSLOT', key));

  beforeAll(async () => {
    redis = await connect(redisCluster.nodes[0]!, errors);
  });
  afterAll(async () => {
    await redis?.quit();
  });

  it('equals CLUSTER KEYSLOT for the hash-tag edge cases', async () => {
    const expected = await serverSlots(edgeCases);
    expect(edgeCases.map((key) => [key, keySlot(key)])).toEqual(
      edgeCases.map((key, i) => [key, expected[i]]),
    );
    expect(errors).toEqual([]);
  });

  it(`equals CLUSTER KEYSLOT for ${RANDOM_KEYS} random keys (seed ${seed})`, async () => {
    const keys = fc.sample(randomKey, { numRuns: RANDOM_KEYS, seed });
    const expected = await serverSlots(keys);
    const mismatches = keys
      .map((key, index) => ({ key, ours: keySlot(key), redis: expected[index] }))
      .filter((entry) => entry.ours !== entry.redis);
    expect(mismatches, `seed ${seed}`).toEqual([]);
    expect(expected).toHaveLength(RANDOM_KEYS);
  });

  it(`routes ${ROUTED_KEYS} keys to the master CLUSTER SLOTS names, which serves them`, async () => {
    // No cast: ioredis's typing of the reply fits ClusterSlotsReply.
    const reply: ClusterSlotsReply = await redis.cluster('SLOTS');
    const map = fromClusterSlots(reply, { defaultHost: hostPort(redisCluster.nodes[0]!)[0] });
    expect(map.coveredSlots).toBe(SLOT_COUNT);
    const masterIds = new Set(reply.map((entry) => addressOf(entry[2]!)));
    expect(map.nodes.map((node) => node.id).sort()).toEqual([...masterIds].sort());

    const keys = [...edgeCases, ...fc.sample(randomKey, { numRuns: ROUTED_KEYS, seed: seed + 1 })];
    const slots = await serverSlots(keys);
    keys.forEach((key, index) => {
      const slot = slots[index]!;
      const entry = reply.find(([start, end]) => start <= slot && slot <= end)!;
      const [, , master, ...replicas] = entry;
      expect(map.locate(key), JSON.stringify(key)).toBe(addressOf(master!));
      expect(map.replicasOf(slot)).toEqual(replicas.map(addressOf));
    });

    // The strongest check: ask each chosen master for the key. A master not serving the slot
    // answers MOVED, which `pipelined` turns into a failure. EXISTS writes nothing.
    const byNode = new Map<string, string[]>();
    for (const key of keys) byNode.set(map.locate(key), [...(byNode.get(map.locate(key)) ?? []), key]);
    for (const [address, nodeKeys] of byNode) {
      const client = await connect(address, errors);
      try {
        await pipelined(client, nodeKeys, (pipeline, key) => pipeline.exists(key));
      } finally {
        await client.quit();
      }
    }
    expect(errors).toEqual([]);
  });
});
