import type { Partitioner } from './partitioner.js';

/**
 * The fraction of keys whose owner differs between two partitioners: how much of a cache a
 * topology change would invalidate. `keys` defaults to `sample` synthetic keys `key:<i>`.
 */
export function movedFraction(
  before: Partitioner,
  after: Partitioner,
  keys?: Iterable<string>,
  sample = 100_000,
): number {
  let total = 0;
  let moved = 0;
  const source = keys ?? syntheticKeys(sample);
  for (const key of source) {
    total++;
    if (before.locate(key) !== after.locate(key)) moved++;
  }
  return total === 0 ? 0 : moved / total;
}

function* syntheticKeys(count: number): Generator<string> {
  for (let index = 0; index < count; index++) yield `key:${index}`;
}
