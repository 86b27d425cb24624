import { murmur3Bytes } from '@ringcache/core';

/** The seed Hazelcast's MurmurHash3 (x86, 32-bit) uses for partition hashes. */
const HAZELCAST_MURMUR_SEED = 0x01000193;
/** Bytes of the length prefix Hazelcast writes before a string's UTF-8 bytes. */
const LENGTH_PREFIX = 4;

let scratch = Buffer.allocUnsafe(256);

/**
 * The partition hazelcast-client sends a string key to, computed without the client's
 * serialization round trip (about ten times faster: `locate` runs on every call for per-node
 * stats).
 *
 * A string key is serialized as `[partition hash: int32 = 0][type id: int32][UTF-8 length:
 * int32 BE][UTF-8 bytes]`; with a zero partition hash the client hashes everything after the
 * first 8 bytes with MurmurHash3 (seed 0x01000193) and takes `Math.abs(hash) % partitionCount`
 * (HeapData.getPartitionHash, PartitionServiceImpl.getPartitionId in hazelcast-client 5.6).
 * Node's UTF-8 encoder is the one the client uses, so lone surrogates agree (U+FFFD).
 * The adapter checks this against the client's own `getPartitionId` when it connects and falls
 * back to the client's function on any difference.
 */
export function stringPartitionId(key: string, partitionCount: number): number {
  const length = Buffer.byteLength(key, 'utf8');
  const size = LENGTH_PREFIX + length;
  if (scratch.length < size) scratch = Buffer.allocUnsafe(Math.max(size, scratch.length * 2));
  scratch.writeInt32BE(length, 0);
  scratch.write(key, LENGTH_PREFIX, length, 'utf8');
  const hash = murmur3Bytes(scratch.subarray(0, size), HAZELCAST_MURMUR_SEED) | 0;
  return Math.abs(hash) % partitionCount;
}
