import { type KeyOutcome, PartialError } from '../errors.js';

/**
 * A PartialError as the caller sees it: its keys (not the namespaced, hashed ones the engine
 * saw), in input order, with `values` (decoded) for the keys that succeeded when given. Outcomes
 * past the caller's keys (hot-key shards written alongside) are the cache's own and dropped.
 */
export function relabel(
  error: PartialError,
  keys: readonly string[],
  values?: readonly unknown[],
): PartialError {
  const results = keys.map((key, index): KeyOutcome<unknown> => {
    const outcome = error.results[index];
    if (outcome === undefined || outcome.ok) {
      return { key, ok: true, value: values === undefined ? outcome?.value : values[index] };
    }
    return { key, ok: false, error: outcome.error };
  });
  return new PartialError(error.message, results, { cause: error });
}

/** `pending`, with a PartialError it rejects with relabelled to the caller's keys. */
export function withUserKeys<T>(pending: Promise<T>, keys: readonly string[]): Promise<T> {
  return pending.catch((error: unknown) => {
    throw error instanceof PartialError ? relabel(error, keys) : error;
  });
}
