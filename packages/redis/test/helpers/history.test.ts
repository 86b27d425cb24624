import { describe, expect, it } from 'vitest';
import { analyzeHistory, type HistoryEvent } from './history.js';

const write = (seq: number, ok = true, durable = false): HistoryEvent => ({
  type: 'write',
  seq,
  ok,
  durable,
});
const read = (value: number | undefined): HistoryEvent => ({ type: 'read', value });

describe('analyzeHistory', () => {
  it('accepts the last acknowledged value and later indeterminate ones', () => {
    const figures = analyzeHistory([
      { events: [write(0, true, true), read(0), write(1, false), read(1), read(0), write(2), read(2)] },
    ]);
    expect(figures).toMatchObject({ reads: 4, writes: 3, indeterminateWrites: 1, regressedReads: 0 });
  });

  it('classifies regressions: lost acknowledged writes, late failed writes, durable ones', () => {
    const figures = analyzeHistory([
      { events: [write(0, true, true), write(1), read(0)] }, // lost, not durable
      { events: [write(0), write(1, false), write(2, true, true), read(1)] }, // late write over a durable one
      { events: [write(0, true, true), read(undefined)] }, // durable value gone
    ]);
    expect(figures).toMatchObject({
      regressedReads: 3,
      regressedKeys: 3,
      durableRegressedReads: 2,
      lateWriteRegressedReads: 1,
      lostWriteRegressedReads: 2,
    });
  });
});
