import { DEFAULT_VNODES, hashRing, jumpHash, ketamaRing, rendezvousHash } from '@ringcache/core';
import { describe, expect, it } from 'vitest';
import { UsageError } from './io.js';
import {
  buildPartitioner,
  describePartitioner,
  parsePartitionerFlags,
  partitionerHelp,
} from './partitioner-options.js';

const nodes = ['10.0.0.1:11211', '10.0.0.2:11211', '10.0.0.3:11211:2'];
const keys = Array.from({ length: 2000 }, (_, index) => `user:${index}`);

describe('parsePartitionerFlags', () => {
  it("defaults to the consistent ring, and ketama to the core's default hash (fnv1a_64)", () => {
    expect(parsePartitionerFlags({})).toEqual({ ring: 'consistent', vnodes: DEFAULT_VNODES });
    expect(parsePartitionerFlags({ ring: 'ketama' })).toEqual({ ring: 'ketama', hash: 'fnv1a_64' });
    expect(parsePartitionerFlags({ ring: 'ketama', hash: 'md5' })).toEqual({ ring: 'ketama', hash: 'md5' });
    expect(partitionerHelp).toMatch(/--hash NAME +ketama only, twemproxy's hash names \(default: fnv1a_64,/);
    expect(parsePartitionerFlags({ vnodes: '160' })).toEqual({ ring: 'consistent', vnodes: 160 });
    expect(parsePartitionerFlags({ ring: 'jump' })).toEqual({ ring: 'jump' });
  });

  it('rejects unknown names and flags that do not apply to the ring', () => {
    expect(() => parsePartitionerFlags({ ring: 'maglev' })).toThrow(/unknown ring 'maglev'/);
    expect(() => parsePartitionerFlags({ ring: 'ketama', hash: 'sha1' })).toThrow(/unknown hash 'sha1'/);
    expect(() => parsePartitionerFlags({ hash: 'md5' })).toThrow(/--hash applies to --ring ketama only/);
    expect(() => parsePartitionerFlags({ ring: 'jump', vnodes: '10' })).toThrow(UsageError);
    expect(() => parsePartitionerFlags({ vnodes: 'many' })).toThrow(/--vnodes must be a whole number/);
    expect(() => parsePartitionerFlags({ vnodes: '0' })).toThrow(UsageError);
  });
});

describe('buildPartitioner', () => {
  it('builds the same partitioner as the core factory', () => {
    const unweighted = nodes.slice(0, 2);
    const pairs = [
      [buildPartitioner(nodes, parsePartitionerFlags({})), hashRing(nodes)],
      [buildPartitioner(nodes, parsePartitionerFlags({ vnodes: '64' })), hashRing(nodes, { vnodes: 64 })],
      [buildPartitioner(nodes, parsePartitionerFlags({ ring: 'ketama' })), ketamaRing(nodes)],
      [buildPartitioner(unweighted, { ring: 'jump' }), jumpHash(unweighted)],
      [buildPartitioner(nodes, { ring: 'rendezvous' }), rendezvousHash(nodes)],
    ] as const;
    for (const [built, expected] of pairs) {
      expect(built.kind).toBe(expected.kind);
      for (const key of keys) expect(built.locate(key)).toBe(expected.locate(key));
    }
  });

  it('describes the choice for reports', () => {
    expect(describePartitioner({ ring: 'consistent', vnodes: 4096 })).toBe('consistent (4096 vnodes)');
    expect(describePartitioner({ ring: 'ketama', hash: 'crc32' })).toBe('ketama (crc32)');
    expect(describePartitioner({ ring: 'rendezvous' })).toBe('rendezvous');
  });
});
