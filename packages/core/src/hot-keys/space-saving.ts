/**
 * Space-Saving top-K (Metwally, Agrawal, El Abbadi, 2005) over a Stream-Summary: at most
 * `capacity` counters, O(1) per access, no allocation once full. Any key whose true count
 * exceeds total/capacity is guaranteed to be tracked; a tracked key's count overestimates its
 * true count by at most its `error`.
 */
export class SpaceSaving {
  private readonly counters = new Map<string, Counter>();
  /** The bucket with the smallest count; buckets form an ascending doubly linked list. */
  private minBucket: Bucket | undefined;
  private total = 0;

  constructor(readonly capacity: number) {}

  /** Every access recorded since the last reset, tracked or not. */
  get accesses(): number {
    return this.total;
  }

  record(key: string): void {
    this.total++;
    let counter = this.counters.get(key);
    if (counter === undefined) {
      if (this.counters.size < this.capacity) {
        counter = { key, count: 0, error: 0, bucket: undefined, previous: undefined, next: undefined };
        this.counters.set(key, counter);
        this.attach(counter, this.bucketFor(undefined, 1));
        return;
      }
      // Evict one key of the smallest count: the newcomer inherits that count as its error bound.
      const victim = this.minBucket!.first!;
      this.counters.delete(victim.key);
      victim.key = key;
      victim.error = victim.count;
      this.counters.set(key, victim);
      counter = victim;
    }
    this.increment(counter);
  }

  /** The estimated count of a key, 0 when untracked. */
  count(key: string): number {
    return this.counters.get(key)?.count ?? 0;
  }

  /** Tracked keys, most frequent first. */
  top(limit: number): { key: string; count: number; error: number }[] {
    const result: { key: string; count: number; error: number }[] = [];
    let bucket = this.maxBucket();
    while (bucket !== undefined && result.length < limit) {
      for (
        let counter = bucket.first;
        counter !== undefined && result.length < limit;
        counter = counter.next
      ) {
        result.push({ key: counter.key, count: counter.count, error: counter.error });
      }
      bucket = bucket.lower;
    }
    return result;
  }

  reset(): void {
    this.counters.clear();
    this.minBucket = undefined;
    this.total = 0;
  }

  private increment(counter: Counter): void {
    const from = counter.bucket!;
    const target = this.bucketFor(from, from.count + 1);
    this.detach(counter);
    this.attach(counter, target);
  }

  /** The bucket of `count` just above `after` (or the lowest), created when missing. */
  private bucketFor(after: Bucket | undefined, count: number): Bucket {
    const next = after === undefined ? this.minBucket : after.higher;
    if (next !== undefined && next.count === count) return next;
    const bucket: Bucket = { count, first: undefined, lower: after, higher: next };
    if (after !== undefined) after.higher = bucket;
    else this.minBucket = bucket;
    if (next !== undefined) next.lower = bucket;
    return bucket;
  }

  private attach(counter: Counter, bucket: Bucket): void {
    counter.bucket = bucket;
    counter.count = bucket.count;
    counter.previous = undefined;
    counter.next = bucket.first;
    if (bucket.first !== undefined) bucket.first.previous = counter;
    bucket.first = counter;
  }

  private detach(counter: Counter): void {
    const bucket = counter.bucket!;
    if (counter.previous !== undefined) counter.previous.next = counter.next;
    else bucket.first = counter.next;
    if (counter.next !== undefined) counter.next.previous = counter.previous;
    if (bucket.first === undefined) {
      // Drop the empty bucket from the list.
      if (bucket.lower !== undefined) bucket.lower.higher = bucket.higher;
      else this.minBucket = bucket.higher;
      if (bucket.higher !== undefined) bucket.higher.lower = bucket.lower;
    }
  }

  private maxBucket(): Bucket | undefined {
    let bucket = this.minBucket;
    while (bucket?.higher !== undefined) bucket = bucket.higher;
    return bucket;
  }
}

interface Counter {
  key: string;
  count: number;
  error: number;
  bucket: Bucket | undefined;
  previous: Counter | undefined;
  next: Counter | undefined;
}

interface Bucket {
  count: number;
  first: Counter | undefined;
  lower: Bucket | undefined;
  higher: Bucket | undefined;
}
