import { describe, expect, it } from 'vitest';
import { simulate, summarize, syntheticNodeId } from './simulation.js';

describe('simulation', () => {
  it('names synthetic nodes 10.0.0.i:11211, carrying past 255', () => {
    expect(syntheticNodeId(1)).toBe('10.0.0.1:11211');
    expect(syntheticNodeId(255)).toBe('10.0.0.255:11211');
    expect(syntheticNodeId(256)).toBe('10.0.1.0:11211');
  });

  it('summarizes per-node counts as max/mean, min/mean and relative stddev', () => {
    expect(summarize([10, 10, 10, 10])).toEqual({
      nodes: 4,
      maxOverMean: 1,
      minOverMean: 1,
      stddevOverMean: 0,
    });
    const uneven = summarize([5, 15]);
    expect(uneven.maxOverMean).toBe(1.5);
    expect(uneven.minOverMean).toBe(0.5);
    expect(uneven.stddevOverMean).toBe(0.5);
  });

  it('counts only keys of removed nodes as moved when ketama loses equal-weight nodes', () => {
    const result = simulate({
      choice: { ring: 'ketama', hash: 'md5' },
      nodeCount: 6,
      change: { kind: 'remove', count: 2 },
      keyCount: 20_000,
    });
    expect(result.movement).toMatchObject({
      minimal: true,
      strayKeys: 0,
      changedNodes: ['10.0.0.6:11211', '10.0.0.5:11211'],
    });
    expect(result.movement!.keys).toBe(Math.round(result.movement!.fraction * 20_000));
  });

  it('reports progress up to the total', () => {
    const calls: number[] = [];
    simulate({
      choice: { ring: 'rendezvous' },
      nodeCount: 3,
      keyCount: 70_000,
      onProgress: (done) => calls.push(done),
    });
    expect(calls).toEqual([65_536, 70_000]);
  });
});
