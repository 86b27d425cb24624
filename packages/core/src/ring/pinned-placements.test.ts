import { describe, expect, it } from 'vitest';
import type { NodeSpec } from '../node-spec.js';
import { slotMap } from '../slots/slot-map.js';
import { hashRing } from './hash-ring.js';
import { jumpHash } from './jump-hash.js';
import { ketamaRing } from './ketama-ring.js';
import type { Partitioner } from './partitioner.js';
import { rendezvousHash } from './rendezvous-hash.js';

// Placements pinned as literals: every process, machine and release must place these keys on
// these nodes, or caches filled by one version would go cold under the next (and two processes
// sharing a pool would disagree). The expected strings were computed once, with the code of the
// commit that added this file, and are never regenerated to make a change pass: a change of
// hash, point naming, tie-breaking or walk order fails here. One digit per key: the index in
// the node list of the owner (`locate`), or of the third choice (`locateN(key, 3)[2]`).

const keys = [
  ...Array.from({ length: 24 }, (_, index) => `user:${index * 7919}`),
  '',
  'a',
  '{tag}x',
  'ключ-1',
  '日本語',
  '🙂🙂',
  'ünï:42',
  'x'.repeat(300),
];
const weighted: NodeSpec[] = [
  '10.0.1.1:11211',
  '10.0.1.2:11211:2',
  { host: '10.0.1.3', port: 6379, name: 'cache-c' },
  '10.0.1.4:7000:1',
];
const unweighted: NodeSpec[] = ['10.0.1.1:11211', '10.0.1.2:11211', '10.0.1.3:6379', '10.0.1.4:7000'];

const indexOf = (partitioner: Partitioner, id: string | undefined) =>
  partitioner.nodes.findIndex((node) => node.id === id);
const owners = (partitioner: Partitioner) =>
  keys.map((key) => indexOf(partitioner, partitioner.locate(key))).join('');
const thirdChoices = (partitioner: Partitioner) =>
  keys.map((key) => indexOf(partitioner, partitioner.locateN(key, 3)[2])).join('');

describe('pinned placements', () => {
  it('hashRing (default murmur3, 4096 vnodes; and 160 vnodes)', () => {
    expect(owners(hashRing(weighted))).toBe('11121201301133202023001211101100');
    expect(thirdChoices(hashRing(weighted))).toBe('00303313033322313212230023230032');
    expect(owners(hashRing(weighted, { vnodes: 160 }))).toBe('31011301213312123130031131132131');
  });

  it('ketamaRing (default: twemproxy, fnv1a_64)', () => {
    expect(owners(ketamaRing(weighted))).toBe('20010100221113111011112233103313');
    expect(thirdChoices(ketamaRing(weighted))).toBe('02231031010200300233201101011000');
  });

  it('jumpHash', () => {
    expect(owners(jumpHash(unweighted))).toBe('00311311321322332113333302120310');
    expect(thirdChoices(jumpHash(unweighted))).toBe('13202120130013111202102010333221');
  });

  it('rendezvousHash (weighted and unweighted)', () => {
    expect(owners(rendezvousHash(weighted))).toBe('21013111203313310321223120101130');
    expect(thirdChoices(rendezvousHash(weighted))).toBe('12331232312230001100111011313011');
    expect(owners(rendezvousHash(unweighted))).toBe('21222313203213310301323120100230');
  });

  it('slotMap (an even split of three masters)', () => {
    expect(owners(slotMap(unweighted.slice(0, 3)))).toBe('21201101121222201212010002102102');
  });
});
