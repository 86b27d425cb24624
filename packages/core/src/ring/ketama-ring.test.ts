import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, InvalidKeyError } from '../errors.js';
import type { TwemproxyHashName } from '../hashing/twemproxy-hashes.js';
import type { NodeSpecObject } from '../node-spec.js';
import { type KetamaOptions, ketamaRing } from './ketama-ring.js';

const keys = [
  ...Array.from({ length: 40 }, (_, index) => `key-${index}`),
  ...Array.from({ length: 10 }, (_, index) => `ключ-${index}`),
  ...Array.from({ length: 10 }, (_, index) => `🙂${index}`),
];

const local = (weights: number[]): NodeSpecObject[] =>
  weights.map((weight, index) => ({ host: '127.0.0.1', port: 21211 + index, weight }));

// Expected placements (index into the node list, one digit per key above) computed by a C
// transcription of twemproxy 0.5.0's ketama_update/ketama_dispatch and libmemcached's
// update_continuum, with twemproxy's hash functions, compiled with gcc on x86-64.
const references: { label: string; nodes: NodeSpecObject[]; options: KetamaOptions; expected: string }[] = [
  {
    label: 'md5, weights 1,2,1',
    nodes: local([1, 2, 1]),
    options: { hash: 'md5' },
    expected: '111101101010020212110101011010212111221111110110121112111122',
  },
  {
    label: 'md5, port 11211 left out of the point names',
    nodes: [1, 1, 7, 3].map((weight, index) => ({ host: `10.0.0.${index + 1}`, port: 11211, weight })),
    options: { hash: 'md5' },
    expected: '230333331230002122223222221333231201132113003222232322232132',
  },
  {
    label: 'murmur, named servers, weights 13..65',
    nodes: [13, 26, 39, 52, 65].map((weight, index) => ({
      host: 'cache',
      port: 20001 + index,
      weight,
      name: `server${index + 1}`,
    })),
    options: { hash: 'murmur' },
    expected: '033143434434332444144420343140221420333322444242140340344432',
  },
  {
    label: 'jenkins',
    nodes: local([1, 2, 1]),
    options: { hash: 'jenkins' },
    expected: '211010101200001011222111222001111121112202100111002020021201',
  },
  {
    label: 'one_at_a_time',
    nodes: local([1, 2, 1]),
    options: { hash: 'one_at_a_time' },
    expected: '120211200011122200211220001020201011011021112022101100102211',
  },
  {
    label: 'crc16 (clusters similar keys)',
    nodes: local([1, 2, 1]),
    options: { hash: 'crc16' },
    expected: '000000000000000000000000000000000000000011111111111111111111',
  },
  {
    label: 'libmemcached, md5, localhost:11211 hashed as "localhost"',
    nodes: [
      { host: 'localhost', port: 11211, weight: 3 },
      { host: 'localhost', port: 21212, weight: 1 },
      { host: 'localhost', port: 21213, weight: 2 },
    ],
    options: { compat: 'libmemcached' },
    expected: '010001220012002120002021021202001001210000000002002002001001',
  },
];

const idOf = (node: NodeSpecObject): string => `${node.host}:${node.port}`;

describe('ketamaRing', () => {
  it.each(references)('places keys like the C reference: $label', ({ nodes, options, expected }) => {
    const ring = ketamaRing(nodes, options);
    expect(keys.map((key) => nodes.findIndex((node) => idOf(node) === ring.locate(key))).join('')).toBe(
      expected,
    );
  });

  it('hashes the name, or host:port, or the bare host on port 11211', () => {
    const named = (names: string[]) => names.map((name, index) => ({ host: 'h', port: 1000 + index, name }));
    const byIndex = (nodes: NodeSpecObject[]) => {
      const ring = ketamaRing(nodes, { hash: 'md5' });
      return keys.map((key) => nodes.findIndex((node) => idOf(node) === ring.locate(key))).join('');
    };
    expect(byIndex(local([1, 1, 1]))).toBe(
      byIndex(named(['127.0.0.1:21211', '127.0.0.1:21212', '127.0.0.1:21213'])),
    );
    const onDefaultPort = ['a', 'b', 'c'].map((host) => ({ host, port: 11211 }));
    expect(byIndex(onDefaultPort)).toBe(byIndex(named(['a', 'b', 'c'])));
    expect(byIndex(onDefaultPort)).not.toBe(byIndex(named(['a:11211', 'b:11211', 'c:11211'])));
  });

  it("defaults to twemproxy with fnv1a_64, twemproxy's default hash", () => {
    const nodes = local([1, 2, 1]);
    const implicit = ketamaRing(nodes);
    const explicit = ketamaRing(nodes, { hash: 'fnv1a_64', compat: 'twemproxy' });
    expect(implicit.kind).toBe('ketama');
    expect(keys.map((key) => implicit.locate(key))).toEqual(keys.map((key) => explicit.locate(key)));
  });

  it('sends hash 0 and the 15-bit crc32 to the first point', () => {
    // twemproxy's server_pool_hash returns 0 for an empty key; crc32 keeps bits 16-30 only.
    const ring = ketamaRing(local([1, 2, 1]), { hash: 'crc32' });
    const first = ring.locate('');
    expect(new Set(keys.map((key) => ring.locate(key)))).toEqual(new Set([first]));
  });

  it('gives a node whose share rounds down to zero points no keys, yet locateN still lists it', () => {
    const nodes = [
      { host: 'a', port: 1, weight: 1 },
      { host: 'b', port: 1, weight: 1000 },
    ];
    const ring = ketamaRing(nodes, { hash: 'fnv1_32' });
    expect(new Set(keys.map((key) => ring.locate(key)))).toEqual(new Set(['b:1']));
    expect(ring.locateN('key-1', 2)).toEqual(['b:1', 'a:1']);
  });

  describe('ties', () => {
    // "tie36-<i>" and "tie1312-<i>" share the point value 1622176544; the md5 of these keys falls
    // on the arc that ends there.
    const tieKeys = ['tie-key-49', 'tie-key-130'];

    it('go to the server twemproxy sorts first by name (shorter, then bytewise), in any list order', () => {
      const nodes = [
        { host: 'a', port: 1, name: 'tie1312' },
        { host: 'b', port: 1, name: 'tie36' },
      ];
      for (const list of [nodes, [...nodes].reverse()]) {
        const ring = ketamaRing(list, { hash: 'md5' });
        expect(tieKeys.map((key) => ring.locate(key))).toEqual(['b:1', 'b:1']);
      }
    });

    it('go to the server listed first with libmemcached', () => {
      const nodes = [
        { host: 'tie1312', port: 11211 },
        { host: 'tie36', port: 11211 },
      ];
      const ring = ketamaRing(nodes, { compat: 'libmemcached' });
      expect(tieKeys.map((key) => ring.locate(key))).toEqual(['tie1312:11211', 'tie1312:11211']);
      const reversed = ketamaRing([...nodes].reverse(), { compat: 'libmemcached' });
      expect(tieKeys.map((key) => reversed.locate(key))).toEqual(['tie36:11211', 'tie36:11211']);
    });
  });

  it('returns the only node of a one-node ring without hashing', () => {
    const ring = ketamaRing(['10.0.0.1:11211'], { hash: 'md5' });
    expect(ring.locate('anything')).toBe('10.0.0.1:11211');
    expect(ring.locateN('anything', 1)).toEqual(['10.0.0.1:11211']);
  });

  describe('rejects bad input', () => {
    const nodes = local([1, 1, 1]);
    it.each<[string, () => unknown]>([
      ['an unknown hash', () => ketamaRing(nodes, { hash: 'sha1' as TwemproxyHashName })],
      ['an unknown compat', () => ketamaRing(nodes, { compat: 'spymemcached' as 'twemproxy' })],
      [
        'a non-md5 hash with libmemcached',
        () => ketamaRing(nodes, { hash: 'murmur', compat: 'libmemcached' }),
      ],
      [
        'a name with libmemcached',
        () => ketamaRing([{ host: 'a', port: 1, name: 'x' }], { compat: 'libmemcached' }),
      ],
      ['a fractional weight', () => ketamaRing([{ host: 'a', port: 1, weight: 1.5 }])],
      ['an empty node list', () => ketamaRing([])],
      ['a duplicate node', () => ketamaRing(['a:1', 'a:1'])],
      [
        'two nodes with one point name',
        () =>
          ketamaRing([
            { host: 'a', port: 11211 },
            { host: 'b', port: 2, name: 'a' },
          ]),
      ],
      [
        'a point name longer than twemproxy hashes',
        () => ketamaRing([{ host: 'a', port: 1, name: 'n'.repeat(270) }]),
      ],
      ['n = 0', () => ketamaRing(nodes).locateN('k', 0)],
      ['n above the node count', () => ketamaRing(nodes).locateN('k', 4)],
      ['adding a node twice', () => ketamaRing(nodes).withNode('127.0.0.1:21211')],
      ['removing an unknown node', () => ketamaRing(nodes).withoutNode('127.0.0.1:1')],
      ['removing the last node', () => ketamaRing(['a:1']).withoutNode('a:1')],
      ['a zero weight', () => ketamaRing(nodes).withWeight('127.0.0.1:21211', 0)],
      ['a weight for an unknown node', () => ketamaRing(nodes).withWeight('x:1', 2)],
    ])('%s', (_, build) => {
      expect(build).toThrow(ConfigError);
    });

    it('a non-string key', () => {
      const ring = ketamaRing(nodes);
      expect(() => ring.locate(7 as unknown as string)).toThrow(InvalidKeyError);
      expect(() => ring.locateN(undefined as unknown as string, 1)).toThrow(InvalidKeyError);
    });
  });

  it('returns new rings from withNode, withoutNode and withWeight', () => {
    const ring = ketamaRing(local([1, 1]), { hash: 'md5' });
    const grown = ring.withNode({ host: '127.0.0.1', port: 21213, weight: 2 });
    expect(grown.nodes.map((node) => node.id)).toEqual([
      '127.0.0.1:21211',
      '127.0.0.1:21212',
      '127.0.0.1:21213',
    ]);
    expect(ring.nodes).toHaveLength(2);
    const reweighted = grown.withWeight('127.0.0.1:21212', 2);
    expect(reweighted.nodes.map((node) => node.weight)).toEqual([1, 2, 2]);
    // Same nodes and weights as a ring built directly: same placement.
    const direct = ketamaRing(local([1, 2, 2]), { hash: 'md5' });
    expect(keys.map((key) => reweighted.locate(key))).toEqual(keys.map((key) => direct.locate(key)));
    expect(reweighted.withoutNode('127.0.0.1:21213').nodes.map((node) => node.weight)).toEqual([1, 2]);
  });

  describe('properties', () => {
    const hashName = fc.constantFrom<TwemproxyHashName>('md5', 'fnv1a_64', 'murmur', 'jenkins', 'hsieh');
    const nodeCount = fc.integer({ min: 2, max: 8 });
    const anyKey = fc.string({ unit: 'grapheme', maxLength: 40 });
    const ring = (count: number, hash: TwemproxyHashName) =>
      ketamaRing(
        Array.from({ length: count }, (_, index) => `10.1.0.${index}:11211`),
        { hash },
      );

    it('is deterministic across instances', () => {
      fc.assert(
        fc.property(nodeCount, hashName, fc.array(anyKey, { maxLength: 20 }), (count, hash, sample) => {
          const first = ring(count, hash);
          const second = ring(count, hash);
          return sample.every((key) => first.locate(key) === second.locate(key));
        }),
      );
    });

    it('locateN returns n distinct nodes, the first being locate', () => {
      fc.assert(
        fc.property(
          nodeCount,
          hashName,
          anyKey,
          fc.integer({ min: 1, max: 8 }),
          (count, hash, key, wanted) => {
            const partitioner = ring(count, hash);
            const n = Math.min(wanted, count);
            const located = partitioner.locateN(key, n);
            return (
              located.length === n && new Set(located).size === n && located[0] === partitioner.locate(key)
            );
          },
        ),
      );
    });

    // Up to 24 equal nodes all get 160 points (see below), so a new node takes its own points'
    // arcs and nothing else moves.
    it('adding a node of equal weight moves about 1/(N+1) of keys, all of them to the new node', () => {
      // Unstructured keys: fnv and crc-like key hashes cluster sequential ones like `user:<n>`.
      let state = 0x2545f491;
      const sample = Array.from({ length: 4000 }, () => {
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        return `k${(state >>> 0).toString(36)}`;
      });
      fc.assert(
        fc.property(fc.integer({ min: 2, max: 23 }), hashName, fc.nat(), (count, hash, salt) => {
          const before = ring(count, hash);
          const added = `10.9.${salt % 250}.7:${1024 + (salt % 60000)}`;
          const after = before.withNode(added);
          let moved = 0;
          for (const key of sample) {
            const owner = after.locate(key);
            if (owner === before.locate(key)) continue;
            moved++;
            if (owner !== added) return false;
          }
          // 160 points give each node's share a spread of about ±10%, the sample about ±5%.
          const ideal = sample.length / (count + 1);
          return moved > ideal * 0.6 && moved < ideal * 1.5;
        }),
        { numRuns: 40 },
      );
    });

    // Up to 24 equal nodes all get 160 points; at 25 float32 rounding gives each 156 (see ketamaRing).
    it("removing a node of equal weight moves only that node's keys", () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 3, max: 8 }),
          hashName,
          fc.nat(),
          fc.array(anyKey, { minLength: 1, maxLength: 50 }),
          (count, hash, pick, sample) => {
            const before = ring(count, hash);
            const removed = before.nodes[pick % count]!.id;
            const after = before.withoutNode(removed);
            return sample.every(
              (key) => before.locate(key) === removed || after.locate(key) === before.locate(key),
            );
          },
        ),
      );
    });
  });
});
