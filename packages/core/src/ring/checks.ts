import { ConfigError, InvalidKeyError } from '../errors.js';

/** Every partitioner rejects non-string keys the same way. */
export function assertKey(key: unknown): asserts key is string {
  if (typeof key !== 'string') throw new InvalidKeyError(`a key must be a string, got ${typeof key}`);
}

/** `locateN`'s `n` must be an integer from 1 to the node count. */
export function assertReplicaCount(n: unknown, nodeCount: number): asserts n is number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > nodeCount) {
    throw new ConfigError(`n must be an integer from 1 to the node count (${nodeCount}), got ${String(n)}`);
  }
}

const encoder = new TextEncoder();

/** Keys are hashed as their UTF-8 bytes. */
export function utf8(key: string): Uint8Array {
  return encoder.encode(key);
}
