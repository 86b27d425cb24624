import { describe, expect, it } from 'vitest';
import { DeadlineQueue } from './deadlines.js';

describe('DeadlineQueue', () => {
  it('expires pending calls in order with one timer, and skips settled ones', async () => {
    const queue = new DeadlineQueue(30);
    const expired: number[] = [];
    const deadlines = [0, 1, 2, 3].map((index) => queue.add(() => expired.push(index)));
    queue.settle(deadlines[1]!);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(expired).toEqual([0, 2, 3]);
    expect(queue.size).toBe(0);
    queue.close();
  });

  it('drops settled calls at once, so memory follows the calls in flight', () => {
    const queue = new DeadlineQueue(60_000);
    const deadlines = Array.from({ length: 10_000 }, () => queue.add(() => {}));
    for (const deadline of deadlines.slice(0, 9_990)) queue.settle(deadline);
    expect(queue.size).toBe(10);
    expect(deadlines[0]!.onExpire).toBeUndefined();
    for (const deadline of deadlines.slice(9_990)) queue.settle(deadline);
    expect(queue.size).toBe(0);
    queue.close();
  });
});
