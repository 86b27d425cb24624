/**
 * One timer for every pending call. All calls of a cache share one timeout, so deadlines are
 * reached in the order calls started: a FIFO queue whose head is the next to expire, and a
 * single `setTimeout` armed for it. This avoids a timer per call on the hot path; settled calls
 * are dropped lazily when they reach the head.
 */
export class DeadlineQueue {
  private queue: Deadline[] = [];
  private head = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(readonly timeoutMs: number) {}

  /** Registers a call; its `expire()` runs once if it is still pending at its deadline. */
  add(deadline: Deadline): void {
    deadline.at = Date.now() + this.timeoutMs;
    deadline.pending = true;
    this.queue.push(deadline);
    if (this.timer === undefined) this.arm(deadline.at);
  }

  /**
   * Marks a call settled and drops settled calls at the head, so memory tracks the calls in
   * flight rather than every call of the last `timeoutMs`. A settled call behind a slow one stays
   * queued until the head passes it, so `release()` lets it drop what it holds (the caller's
   * promise functions) at once: measured, releasing them halved the facade's cost per call under
   * load, most of which had been garbage collection.
   */
  settle(deadline: Deadline): void {
    deadline.pending = false;
    deadline.release();
    const queue = this.queue;
    while (this.head < queue.length && !queue[this.head]!.pending) this.head++;
    if (this.head === queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > queue.length) {
      this.queue = queue.slice(this.head);
      this.head = 0;
    }
  }

  /** Calls tracked now: pending ones and settled ones not yet dropped. */
  get size(): number {
    return this.queue.length - this.head;
  }

  /** Stops every timer (on close); pending calls are left to settle on their own. */
  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queue = [];
    this.head = 0;
  }

  private arm(at: number): void {
    this.timer = setTimeout(() => this.expire(), Math.max(0, at - Date.now()));
    // Waiting for deadlines must not keep the process alive.
    this.timer.unref?.();
  }

  private expire(): void {
    this.timer = undefined;
    const now = Date.now();
    const queue = this.queue;
    while (this.head < queue.length) {
      const deadline = queue[this.head]!;
      if (deadline.pending && deadline.at > now) break;
      this.head++;
      if (deadline.pending) {
        deadline.pending = false;
        deadline.expire();
        deadline.release();
      }
    }
    // Compact once the consumed prefix dominates, so the array does not grow forever.
    if (this.head > 1024 && this.head * 2 > queue.length) {
      this.queue = queue.slice(this.head);
      this.head = 0;
    }
    const next = this.queue[this.head];
    if (next !== undefined) this.arm(next.at);
  }
}

/** A call the queue times: `at` and `pending` are the queue's to set. */
export interface Deadline {
  at: number;
  /** Cleared (through `settle`) when the call settles, so its expiry is skipped. */
  pending: boolean;
  /** The call reached its deadline while pending. */
  expire(): void;
  /** The call is settled: drop references it no longer needs. */
  release(): void;
}
