import { type CacheNode, parseNodeSpec, RingcacheError } from '@ringcache/core';
import { describe, expect, it } from 'vitest';
import { hazelcastTopology, NO_OWNER } from './hazelcast-topology.js';

const nodes: CacheNode[] = ['10.0.0.1:5701', '10.0.0.2:5701', '10.0.0.3:5701'].map(parseNodeSpec);
// 9 partitions: a,a,b,b,a,c,c,b,(none). A key's partition is its first character code mod 9 here.
const owners = Uint16Array.from([0, 0, 1, 1, 0, 2, 2, 1, NO_OWNER]);
const partitionOf = (key: string) => key.charCodeAt(0) % 9;
const topology = hazelcastTopology(nodes, owners, partitionOf);
const keyOn = (partition: number) => String.fromCharCode(partition + 9 * 10);

describe('hazelcastTopology', () => {
  it('locates a key on the owner of its partition', () => {
    expect(topology.kind).toBe('hazelcast');
    expect(topology.partitionCount).toBe(9);
    expect(topology.partitionOf(keyOn(3))).toBe(3);
    expect(topology.locate(keyOn(0))).toBe('10.0.0.1:5701');
    expect(topology.locate(keyOn(3))).toBe('10.0.0.2:5701');
    expect(topology.locate(keyOn(6))).toBe('10.0.0.3:5701');
  });

  it('locateN walks partitions upward for distinct owners, then adds members owning none', () => {
    expect(topology.locateN(keyOn(0), 1)).toEqual(['10.0.0.1:5701']);
    expect(topology.locateN(keyOn(0), 3)).toEqual(['10.0.0.1:5701', '10.0.0.2:5701', '10.0.0.3:5701']);
    expect(topology.locateN(keyOn(6), 2)).toEqual(['10.0.0.3:5701', '10.0.0.2:5701']);
    // Wraps past the unowned last partition to partition 0.
    expect(topology.locateN(keyOn(7), 3)).toEqual(['10.0.0.2:5701', '10.0.0.1:5701', '10.0.0.3:5701']);
    const idle = hazelcastTopology([...nodes, parseNodeSpec('10.0.0.4:5701')], owners, partitionOf);
    expect(idle.locateN(keyOn(0), 4)).toEqual([
      '10.0.0.1:5701',
      '10.0.0.2:5701',
      '10.0.0.3:5701',
      '10.0.0.4:5701',
    ]);
    expect(() => topology.locateN(keyOn(0), 4)).toThrow(expect.objectContaining({ code: 'E_CONFIG' }));
    expect(() => topology.locateN(keyOn(0), 0)).toThrow(expect.objectContaining({ code: 'E_CONFIG' }));
  });

  it('reports partitions per member and owners per partition', () => {
    expect(topology.partitionsOf('10.0.0.1:5701')).toEqual([0, 1, 4]);
    expect(topology.partitionsOf('10.0.0.9:5701')).toEqual([]);
    expect(topology.ownerOfPartition(5)).toBe('10.0.0.3:5701');
    expect(topology.ownerOfPartition(8)).toBeUndefined();
    expect(topology.ownerOfPartition(99)).toBeUndefined();
  });

  it('throws typed errors for unowned partitions, missing tables and non-string keys', () => {
    expect(() => topology.locate(keyOn(8))).toThrow(expect.objectContaining({ code: 'E_NODE_UNAVAILABLE' }));
    const empty = hazelcastTopology([], new Uint16Array(0), partitionOf);
    expect(() => empty.locate('k')).toThrow(expect.objectContaining({ code: 'E_NODE_UNAVAILABLE' }));
    expect(() => topology.locate(7 as unknown as string)).toThrow(
      expect.objectContaining({ code: 'E_KEY_INVALID' }),
    );
  });

  it('is read-only: Hazelcast adds, removes and weighs members itself', () => {
    for (const change of [
      () => topology.withNode(),
      () => topology.withoutNode(),
      () => topology.withWeight(),
    ]) {
      expect(change).toThrow(RingcacheError);
    }
    expect(Object.isFrozen(topology.nodes)).toBe(true);
  });
});
