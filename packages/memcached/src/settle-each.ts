import { type KeyOutcome, PartialError } from '@ringcache/core';

/**
 * Runs one call per item in parallel and returns the results in input order.
 * @throws PartialError carrying every item's outcome when some failed
 */
export async function settleEach<I, T>(
  items: readonly I[],
  keyOf: (item: I) => string,
  call: (item: I) => Promise<T>,
): Promise<T[]> {
  const settled = await Promise.allSettled(items.map(call));
  const outcomes: KeyOutcome<T>[] = settled.map((result, index) =>
    result.status === 'fulfilled'
      ? { key: keyOf(items[index]!), ok: true, value: result.value }
      : { key: keyOf(items[index]!), ok: false, error: result.reason },
  );
  const failed = outcomes.filter((outcome) => !outcome.ok);
  if (failed.length > 0) {
    throw new PartialError(`${failed.length} of ${items.length} keys failed`, outcomes, {
      cause: (failed[0] as { error: unknown }).error,
    });
  }
  return settled.map((result) => (result as PromiseFulfilledResult<T>).value);
}
