import { keySlot, SLOT_COUNT, slotMap } from '@ringcache/core';
import { describe, expect, it } from 'vitest';
import {
  fingerprint,
  nodeIdOf,
  slotMapOfTable,
  slotTableToReply,
  splitNodeKey,
  unknownSlotMap,
  withKeyPrefix,
} from './topology.js';

/** ioredis' table for a reply: one shared array per entry, as ioredis builds it. */
function table(entries: [number, number, string[]][]): (string[] | undefined)[] {
  const slots = new Array<string[] | undefined>(SLOT_COUNT);
  for (const [start, end, nodes] of entries) for (let slot = start; slot <= end; slot++) slots[slot] = nodes;
  return slots;
}

const threeMasters = table([
  [0, 5460, ['127.0.0.1:7000', '127.0.0.1:7004']],
  [5461, 10922, ['127.0.0.1:7001', '127.0.0.1:7005']],
  [10923, 16383, ['127.0.0.1:7002', '127.0.0.1:7003']],
]);

describe('slotTableToReply / slotMapOfTable', () => {
  it('rebuilds the CLUSTER SLOTS reply and the core slot map of a 3-master cluster', () => {
    expect(slotTableToReply(threeMasters)).toEqual([
      [0, 5460, ['127.0.0.1', 7000], ['127.0.0.1', 7004]],
      [5461, 10922, ['127.0.0.1', 7001], ['127.0.0.1', 7005]],
      [10923, 16383, ['127.0.0.1', 7002], ['127.0.0.1', 7003]],
    ]);
    const map = slotMapOfTable(threeMasters)!;
    expect(map.nodes.map((node) => node.id)).toEqual(['127.0.0.1:7000', '127.0.0.1:7001', '127.0.0.1:7002']);
    expect(map.locate('foo')).toBe('127.0.0.1:7002'); // slot 12182
    expect(map.replicasOf(0)).toEqual(['127.0.0.1:7004']);
  });

  it('merges runs with equal but distinct arrays (a MOVED correction) and splits changed ones', () => {
    const slots = table([[0, 16383, ['127.0.0.1:7000']]]);
    slots[100] = ['127.0.0.1:7000']; // equal content, another array
    slots[200] = ['127.0.0.1:7001'];
    expect(slotTableToReply(slots)).toEqual([
      [0, 199, ['127.0.0.1', 7000]],
      [200, 200, ['127.0.0.1', 7001]],
      [201, 16383, ['127.0.0.1', 7000]],
    ]);
  });

  it('leaves out uncovered slots; an empty table gives no map', () => {
    const partial = table([[0, 99, ['127.0.0.1:7000']]]);
    expect(slotTableToReply(partial)).toEqual([[0, 99, ['127.0.0.1', 7000]]]);
    expect(slotMapOfTable(partial)!.coveredSlots).toBe(100);
    expect(slotMapOfTable([])).toBeUndefined();
    expect(slotMapOfTable(new Array(SLOT_COUNT))).toBeUndefined();
  });

  it('handles IPv6 node keys (ioredis leaves them unbracketed)', () => {
    expect(splitNodeKey('::1:7000')).toEqual(['::1', 7000]);
    expect(splitNodeKey('[::1]:7000')).toEqual(['::1', 7000]);
    expect(nodeIdOf('::1', 7000)).toBe('[::1]:7000');
    expect(nodeIdOf('10.0.0.1', '6379')).toBe('10.0.0.1:6379');
    expect(slotMapOfTable(table([[0, 16383, ['::1:7000']]]))!.nodes[0]!.id).toBe('[::1]:7000');
  });
});

describe('unknownSlotMap', () => {
  it('lists the startup nodes and locates no key', () => {
    const map = unknownSlotMap(['127.0.0.1:7000', '127.0.0.1:7001']);
    expect(map.nodes.map((node) => node.id)).toEqual(['127.0.0.1:7000', '127.0.0.1:7001']);
    expect(() => map.locate('k')).toThrow(expect.objectContaining({ code: 'E_NODE_UNAVAILABLE' }));
  });
});

describe('withKeyPrefix', () => {
  const map = slotMap(['127.0.0.1:7000', '127.0.0.1:7001', '127.0.0.1:7002']);

  it('locates keys as the engine sees them, prefix included', () => {
    const view = withKeyPrefix(map, 'app:');
    for (const key of ['a', 'b', 'user:1', '{tag}x']) {
      expect(view.locate(key)).toBe(map.locate(`app:${key}`));
      expect(view.locateN(key, 2)).toEqual(map.locateN(`app:${key}`, 2));
    }
    // A hash tag in the prefix pins every key to one slot, as Redis would.
    const pinned = withKeyPrefix(map, '{app}:');
    expect(new Set(['a', 'b', 'c', 'd'].map((key) => pinned.locate(key))).size).toBe(1);
    expect(pinned.locate('a')).toBe(map.ownerOfSlot(keySlot('app')));
  });

  it('keeps the contract: non-string keys are E_KEY_INVALID, derived partitioners keep the prefix', () => {
    const view = withKeyPrefix(map, 'app:');
    expect(() => view.locate(42 as unknown as string)).toThrow(
      expect.objectContaining({ code: 'E_KEY_INVALID' }),
    );
    const grown = view.withNode('127.0.0.1:7009');
    expect(grown.nodes).toHaveLength(4);
    expect(grown.locate('a')).toBe(map.withNode('127.0.0.1:7009').locate('app:a'));
    expect(withKeyPrefix(map, '')).toBe(map);
  });
});

describe('fingerprint', () => {
  it('changes when ownership changes, not otherwise', () => {
    const a = slotMapOfTable(threeMasters)!;
    const b = slotMapOfTable(threeMasters.map((nodes) => (nodes ? [...nodes] : nodes)))!;
    expect(fingerprint(a)).toBe(fingerprint(b));
    const moved = threeMasters.slice();
    moved[0] = ['127.0.0.1:7004', '127.0.0.1:7000'];
    expect(fingerprint(slotMapOfTable(moved)!)).not.toBe(fingerprint(a));
  });
});
