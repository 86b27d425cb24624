import { hashRing, jumpHash, memoryAdapter, slotMap } from '@ringcache/core';
import { describe, expect, it } from 'vitest';
import { ringView } from './ring-view.js';

const nodesOf = (ids: string[]) => ids.map((id) => ({ id, address: id, status: 'up' as const }));

function expectWholeCircle(arcs: { start: number; end: number }[]) {
  expect(arcs[0]!.start).toBe(0);
  expect(arcs.at(-1)!.end).toBe(1);
  for (let index = 1; index < arcs.length; index++) expect(arcs[index]!.start).toBe(arcs[index - 1]!.end);
}

describe('ringView', () => {
  it('samples a consistent hash ring onto the circle, with one arc run per owner change', () => {
    const ids = ['a:1', 'b:1', 'c:1'];
    const ring = hashRing(ids, { vnodes: 16 });
    const view = ringView(ring, nodesOf(ids));
    expect(view).toMatchObject({ partitioner: 'consistent', method: 'sampled' });
    expectWholeCircle(view.arcs);
    // 48 points: about as many arcs, give or take neighbours owned by the same node.
    expect(view.arcs.length).toBeGreaterThan(15);
    expect(view.arcs.length).toBeLessThanOrEqual(48);
    const shares = view.nodes.map((node) => node.share);
    expect(shares.reduce((sum, share) => sum + share, 0)).toBeCloseTo(1, 10);
    // Arc lengths and key shares describe the same ownership.
    for (const node of view.nodes) {
      const length = view.arcs
        .filter((arc) => arc.node === node.id)
        .reduce((sum, arc) => sum + arc.end - arc.start, 0);
      expect(length).toBeCloseTo(node.share, 1);
    }
  });

  it('draws a slot map exactly: one arc per slot range', () => {
    const map = slotMap(['10.0.0.1:6379', '10.0.0.2:6379', '10.0.0.3:6379']);
    const view = ringView(map, nodesOf(['10.0.0.1:6379', '10.0.0.2:6379', '10.0.0.3:6379']));
    expect(view.method).toBe('exact');
    expect(view.arcs.map((arc) => arc.node)).toEqual(['10.0.0.1:6379', '10.0.0.2:6379', '10.0.0.3:6379']);
    expect(view.arcs[1]!.start).toBeCloseTo(map.slotsOf('10.0.0.2:6379')[0]!.start / 16384, 10);
    expectWholeCircle(view.arcs);
    const first = map.slotsOf('10.0.0.1:6379')[0]!;
    expect(view.nodes[0]!.share).toBeCloseTo((first.end - first.start + 1) / 16384, 10);
  });

  it('falls back to one arc per node, sized by share, for partitioners without a circle', () => {
    const ids = ['a:1', 'b:1', 'c:1', 'd:1'];
    const view = ringView(jumpHash(ids), nodesOf(ids));
    expect(view.method).toBe('share');
    expect(view.arcs.map((arc) => arc.node)).toEqual(ids);
    expect(view.arcs.at(-1)!.end).toBeCloseTo(1, 10);
  });

  it('reads the topology of a live adapter', async () => {
    const adapter = memoryAdapter({ nodes: 3 });
    const view = ringView(adapter.topology(), adapter.nodes());
    expect(view.nodes.map((node) => node.id)).toEqual(['memory:1', 'memory:2', 'memory:3']);
    await adapter.close();
  });
});
