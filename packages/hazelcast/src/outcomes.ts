import { type KeyOutcome, PartialError, SerializeError } from '@ringcache/core';
import type { HazelcastTopology } from './hazelcast-topology.js';

/** The owning member, or `''` when the table cannot tell (then the client routes on its own). */
export function ownerOrUnknown(topology: HazelcastTopology, key: string): string {
  try {
    return topology.locate(key);
  } catch {
    return '';
  }
}

/**
 * The stored bytes as a plain Uint8Array view (no copy): the contract moves Uint8Arrays, and a
 * Buffer would not deep-equal one. The client gives `null` for a miss.
 */
export function bytes(value: unknown, key: string): Uint8Array | undefined {
  if (value === null || value === undefined) return undefined;
  if (value instanceof Uint8Array) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  throw new SerializeError('the map holds a value that is not bytes: was it written by something else?', {
    key,
  });
}

/** Values in input order, or a PartialError with every key's outcome when any failed. */
export function settle<T>(outcomes: KeyOutcome<T>[], operation: string): T[] {
  const failures = outcomes.filter((outcome) => !outcome.ok);
  if (failures.length > 0) {
    const first = failures[0] as { error: unknown };
    throw new PartialError(`${operation}: ${failures.length} of ${outcomes.length} keys failed`, outcomes, {
      cause: first.error,
    });
  }
  return outcomes.map((outcome) => (outcome as { value: T }).value);
}

/**
 * Runs one single-key operation per item, all at once, so each key fails or succeeds on its
 * own: values in input order, or a PartialError with every key's outcome.
 */
export async function perKey<I, T>(
  operation: string,
  items: readonly I[],
  keyOf: (item: I) => string,
  run: (item: I) => Promise<T>,
  fail: (error: unknown, key: string) => unknown,
): Promise<T[]> {
  const outcomes = await Promise.all(
    items.map(async (item): Promise<KeyOutcome<T>> => {
      const key = keyOf(item);
      try {
        return { key, ok: true, value: await run(item) };
      } catch (error) {
        return { key, ok: false, error: fail(error, key) };
      }
    }),
  );
  return settle(outcomes, operation);
}
