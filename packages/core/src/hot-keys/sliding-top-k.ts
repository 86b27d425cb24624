import { SpaceSaving } from './space-saving.js';

/**
 * Top-K over a sliding window: a ring of `slices` Space-Saving summaries, one per slice of the
 * window. Reads count in the newest slice (O(1), no allocation once it is full); `slide()` drops
 * the oldest slice, so the window always covers the last `slices` slices rather than restarting
 * from zero (a tumbling window forgets a hot key at every boundary and needs a whole window to see
 * it again). Memory is O(slices × capacity).
 */
export class SlidingTopK {
  private readonly ring: SpaceSaving[];
  private newest = 0;

  constructor(
    readonly capacity: number,
    readonly slices: number,
  ) {
    this.ring = Array.from({ length: slices }, () => new SpaceSaving(capacity));
  }

  record(key: string): void {
    this.ring[this.newest]!.record(key);
  }

  /** Reads counted over the whole window, tracked or not. */
  get accesses(): number {
    let total = 0;
    for (const summary of this.ring) total += summary.accesses;
    return total;
  }

  /**
   * Keys of the window, most frequent first, with their summed counts. A key untracked in a slice
   * counts 0 there: an underestimate by at most that slice's smallest counter, which is below
   * `accesses / capacity` — far under any useful hot threshold. O(slices × capacity).
   */
  top(limit: number): { key: string; count: number }[] {
    const counts = new Map<string, number>();
    for (const summary of this.ring) {
      for (const { key, count } of summary.top(summary.capacity)) {
        counts.set(key, (counts.get(key) ?? 0) + count);
      }
    }
    return [...counts]
      .map(([key, count]) => ({ key, count }))
      .sort((left, right) => right.count - left.count)
      .slice(0, limit);
  }

  /** Drops the oldest slice: it becomes the (empty) newest. */
  slide(): void {
    this.newest = (this.newest + 1) % this.slices;
    this.ring[this.newest]!.reset();
  }
}
