import { murmur3AfterBlock } from '@ringcache/core';

/**
 * Keys the adapter checks its own key handling against the client's with when it connects
 * (ASCII, multi-byte, a lone surrogate, long): partition ids here, serialized bytes in direct-imap.
 */
export const SAMPLE_KEYS = [
  '',
  'a',
  'ab',
  'abc',
  'user:42',
  'héllo wörld',
  '日本語',
  '🎉',
  '\ud800x',
  'k'.repeat(300),
];

/** The seed Hazelcast's MurmurHash3 (x86, 32-bit) uses for partition hashes. */
const HAZELCAST_MURMUR_SEED = 0x01000193;

/**
 * The partition hazelcast-client sends a string key to, computed without the client's
 * serialization round trip: `locate` runs on every call for per-node stats (measured 184 ns per
 * key through a scratch Buffer, against 59 ns hashing the string's UTF-8 on the fly).
 *
 * A string key is serialized as `[partition hash: int32 = 0][type id: int32][UTF-8 length:
 * int32 BE][UTF-8 bytes]`; with a zero partition hash the client hashes everything after the
 * first 8 bytes with MurmurHash3 (seed 0x01000193) and takes `Math.abs(hash) % partitionCount`
 * (HeapData.getPartitionHash, PartitionServiceImpl.getPartitionId in hazelcast-client 5.6).
 * Lone surrogates encode as U+FFFD, as Node's encoder (the client's) does.
 * The adapter checks this against the client's own `getPartitionId` when it connects and falls
 * back to the client's function on any difference.
 */
export function stringPartitionId(key: string, partitionCount: number): number {
  const length = Buffer.byteLength(key, 'utf8');
  // The big-endian length, as the little-endian block murmur3 reads first.
  const head =
    (length >>> 24) |
    (((length >>> 16) & 0xff) << 8) |
    (((length >>> 8) & 0xff) << 16) |
    ((length & 0xff) << 24);
  const hash = murmur3AfterBlock(head, key, HAZELCAST_MURMUR_SEED) | 0;
  return Math.abs(hash) % partitionCount;
}
