import { describe, expect, it } from 'vitest';
import { type Deadline, DeadlineQueue } from './deadlines.js';

/** A deadline that records its expiry and whether it was released. */
function deadline(onExpire: () => void = () => {}): Deadline & { released: boolean } {
  return {
    at: 0,
    pending: false,
    released: false,
    expire: onExpire,
    release() {
      this.released = true;
    },
  };
}

describe('DeadlineQueue', () => {
  it('expires pending calls in order with one timer, and skips settled ones', async () => {
    const queue = new DeadlineQueue(30);
    const expired: number[] = [];
    const deadlines = [0, 1, 2, 3].map((index) => deadline(() => expired.push(index)));
    for (const each of deadlines) queue.add(each);
    queue.settle(deadlines[1]!);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(expired).toEqual([0, 2, 3]);
    expect(queue.size).toBe(0);
    queue.close();
  });

  it('drops settled calls at once, so memory follows the calls in flight', () => {
    const queue = new DeadlineQueue(60_000);
    const deadlines = Array.from({ length: 10_000 }, () => deadline());
    for (const each of deadlines) queue.add(each);
    for (const each of deadlines.slice(0, 9_990)) queue.settle(each);
    expect(queue.size).toBe(10);
    expect(deadlines[0]!.released).toBe(true);
    expect(deadlines[9_995]!.released).toBe(false);
    for (const each of deadlines.slice(9_990)) queue.settle(each);
    expect(queue.size).toBe(0);
    queue.close();
  });
});
