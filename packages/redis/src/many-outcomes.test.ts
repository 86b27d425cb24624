import { PartialError } from '@ringcache/core';
import { describe, expect, it } from 'vitest';
import { settleMany } from './many-outcomes.js';

const double = (value: number) => value * 2;
const wrap = (error: unknown, key: string) => ({ wrapped: error, key });

describe('settleMany', () => {
  it('converts the values in input order when every key succeeded', async () => {
    const replies = [Promise.resolve(1), Promise.resolve(2), Promise.resolve(3)];
    expect(await settleMany(['a', 'b', 'c'], replies, double, wrap)).toEqual([2, 4, 6]);
  });

  it('rejects with a PartialError holding every key’s outcome, the first failure as cause', async () => {
    const late = new Promise<number>((_, reject) => setTimeout(() => reject(new Error('late')), 10));
    const replies = [Promise.resolve(1), Promise.reject(new Error('first')), late];
    const error = (await settleMany(['a', 'b', 'c'], replies, double, wrap).catch(
      (e: unknown) => e,
    )) as PartialError;
    expect(error).toBeInstanceOf(PartialError);
    expect(error.message).toBe('2 of 3 keys failed');
    expect(error.cause).toEqual({ wrapped: new Error('first'), key: 'b' });
    expect(error.results).toEqual([
      { key: 'a', ok: true, value: 2 },
      { key: 'b', ok: false, error: { wrapped: new Error('first'), key: 'b' } },
      { key: 'c', ok: false, error: { wrapped: new Error('late'), key: 'c' } },
    ]);
  });
});
