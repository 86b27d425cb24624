import { type KeyOutcome, PartialError } from '@ringcache/core';

/**
 * Settles the replies of a many-key call, one promise per key in input order, as the contract
 * wants: the converted values, or a PartialError carrying every key's outcome when some failed.
 * The happy path is one `Promise.all`; per-key outcome objects are only built after a failure
 * (from the same, already settled promises: nothing is sent twice).
 */
export async function settleMany<R, T>(
  keys: readonly string[],
  replies: readonly Promise<R>[],
  convert: (reply: R) => T,
  failure: (error: unknown, key: string) => unknown,
): Promise<T[]> {
  let values: R[];
  try {
    values = await Promise.all(replies);
  } catch {
    throw partialError(keys, await Promise.allSettled(replies), convert, failure);
  }
  const converted = new Array<T>(values.length);
  for (let index = 0; index < values.length; index++) converted[index] = convert(values[index]!);
  return converted;
}

function partialError<R, T>(
  keys: readonly string[],
  settled: readonly PromiseSettledResult<R>[],
  convert: (reply: R) => T,
  failure: (error: unknown, key: string) => unknown,
): PartialError<T> {
  let failed = 0;
  let first: unknown;
  const outcomes = settled.map((result, index): KeyOutcome<T> => {
    const key = keys[index]!;
    if (result.status === 'fulfilled') return { key, ok: true, value: convert(result.value) };
    const error = failure(result.reason, key);
    if (failed++ === 0) first = error;
    return { key, ok: false, error };
  });
  return new PartialError<T>(`${failed} of ${keys.length} keys failed`, outcomes, { cause: first });
}
