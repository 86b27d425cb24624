import { md5First32 } from './md5.js';

/** A key hash: the key's bytes in, an unsigned 32-bit integer out. */
export type HashFunction = (bytes: Uint8Array) => number;

/**
 * The names twemproxy (nutcracker) accepts for a pool's `hash:` setting (the HASH_CODEC table in
 * src/hashkit/nc_hashkit.h). `crc32` is twemproxy's libmemcached-compatible 15-bit variant;
 * `crc32a` is the standard CRC-32.
 */
export type TwemproxyHashName =
  | 'one_at_a_time'
  | 'md5'
  | 'crc16'
  | 'crc32'
  | 'crc32a'
  | 'fnv1_64'
  | 'fnv1a_64'
  | 'fnv1_32'
  | 'fnv1a_32'
  | 'hsieh'
  | 'murmur'
  | 'jenkins';

// twemproxy's hashes take `const char *` and several widen a byte with `(uint32_t)key[i]`. On
// x86-64 (and every platform Debian's amd64 nutcracker runs on) `char` is signed, so bytes from
// 0x80 up are sign-extended to 0xffffff80.. before they are mixed in. Multi-byte UTF-8 keys hit
// this on every non-ASCII byte, so the sign extension is part of the algorithm we must mirror.
function signedByte(byte: number): number {
  return (byte << 24) >> 24;
}

/** hash_md5 (nc_md5.c): the first 4 digest bytes, little-endian, as libmemcached's md5. */
export function md5Hash(bytes: Uint8Array): number {
  return md5First32(bytes);
}

/**
 * hash_fnv1_64 (nc_fnv.c): 64-bit FNV-1 truncated to its low 32 bits. The low 32 bits of a
 * 64-bit product depend only on the operands' low 32 bits, so 32-bit arithmetic with the low
 * halves of the 64-bit offset basis and prime gives the same result.
 */
export function fnv1_64(bytes: Uint8Array): number {
  let hash = 0x84222325;
  for (const byte of bytes) {
    hash = Math.imul(hash, 0x1b3) ^ signedByte(byte);
  }
  return hash >>> 0;
}

/**
 * hash_fnv1a_64 (nc_fnv.c): not a real 64-bit FNV-1a. twemproxy keeps a uint32_t state seeded
 * with the low half of the 64-bit basis and multiplies by `(uint32_t) FNV_64_PRIME` (= 0x1b3).
 */
export function fnv1a_64(bytes: Uint8Array): number {
  let hash = 0x84222325;
  for (const byte of bytes) {
    hash = Math.imul(hash ^ signedByte(byte), 0x1b3);
  }
  return hash >>> 0;
}

/** hash_fnv1_32 (nc_fnv.c). */
export function fnv1_32(bytes: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (const byte of bytes) {
    hash = Math.imul(hash, 0x01000193) ^ signedByte(byte);
  }
  return hash >>> 0;
}

/** hash_fnv1a_32 (nc_fnv.c). */
export function fnv1a_32(bytes: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (const byte of bytes) {
    hash = Math.imul(hash ^ signedByte(byte), 0x01000193);
  }
  return hash >>> 0;
}

/** hash_one_at_a_time (nc_one_at_a_time.c): Jenkins' one-at-a-time, with signed bytes. */
export function oneAtATime(bytes: Uint8Array): number {
  let value = 0;
  for (const byte of bytes) {
    value = (value + signedByte(byte)) | 0;
    value = (value + (value << 10)) | 0;
    value ^= value >>> 6;
  }
  value = (value + (value << 3)) | 0;
  value ^= value >>> 11;
  value = (value + (value << 15)) | 0;
  return value >>> 0;
}

/**
 * hash_murmur (nc_murmur.c): MurmurHash2 with twemproxy's length-dependent seed
 * (`0xdeadbeef * length`), reading 4-byte little-endian words.
 */
export function murmur(bytes: Uint8Array): number {
  const m = 0x5bd1e995;
  const length = bytes.length;
  let h = (Math.imul(0xdeadbeef, length) ^ length) | 0;
  let offset = 0;
  for (; length - offset >= 4; offset += 4) {
    let k =
      bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  // The C switch falls through from case 3 to case 1.
  const rest = length - offset;
  if (rest >= 3) h ^= bytes[offset + 2]! << 16;
  if (rest >= 2) h ^= bytes[offset + 1]! << 8;
  if (rest >= 1) h = Math.imul(h ^ bytes[offset]!, m);
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h >>> 0;
}

// The CRC-32 (IEEE, reflected) table of nc_crc32.c.
const crc32Table = new Uint32Array(256).map((_, index) => {
  let crc = index;
  for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  return crc >>> 0;
});

// The CRC-16/XMODEM (CCITT, polynomial 0x1021, not reflected) table of nc_crc16.c in 0.5.0.
const crc16Table = new Uint32Array(256).map((_, index) => {
  let crc = index << 8;
  for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  return crc;
});

function crc32Raw(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = (crc >>> 8) ^ crc32Table[(crc ^ byte) & 0xff]!;
  return ~crc >>> 0;
}

/**
 * hash_crc32 (nc_crc32.c), what the config name `crc32` selects: libmemcached's variant, which
 * keeps only bits 16–30 of the CRC-32 (`((~crc) >> 16) & 0x7fff`), so it ranges over 0–32767.
 */
export function crc32(bytes: Uint8Array): number {
  return (crc32Raw(bytes) >>> 16) & 0x7fff;
}

/** hash_crc32a (nc_crc32.c), config name `crc32a`: the standard CRC-32 (IEEE). */
export function crc32a(bytes: Uint8Array): number {
  return crc32Raw(bytes);
}

/**
 * hash_crc16 (nc_crc16.c) as released in twemproxy 0.5.0 (Debian's nutcracker): the XMODEM
 * table, but the running value is a uint32_t that is never cut to 16 bits, so the bytes shifted
 * out of the CRC stay in the upper half and the result spans 32 bits. (Unreleased upstream code
 * later switched to a 16-bit CRC-16/ARC; the real 0.5.0 binary places keys by this one.)
 */
export function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) crc = (crc << 8) ^ crc16Table[((crc >>> 8) ^ byte) & 0xff]!;
  return crc >>> 0;
}

/** hash_hsieh (nc_hsieh.c): Paul Hsieh's SuperFastHash, 0 for an empty key. */
export function hsieh(bytes: Uint8Array): number {
  const length = bytes.length;
  if (length === 0) return 0;
  const get16 = (at: number): number => bytes[at]! | (bytes[at + 1]! << 8);
  let hash = 0;
  let offset = 0;
  for (let blocks = length >>> 2; blocks > 0; blocks--, offset += 4) {
    hash = (hash + get16(offset)) | 0;
    const tmp = (get16(offset + 2) << 11) ^ hash;
    hash = (hash << 16) ^ tmp;
    hash = (hash + (hash >>> 11)) | 0;
  }
  switch (length & 3) {
    case 3:
      hash = (hash + get16(offset)) | 0;
      hash ^= hash << 16;
      // `(uint32_t)key[2] << 18` reads a signed char: sign-extended, like the bytes above.
      hash ^= signedByte(bytes[offset + 2]!) << 18;
      hash = (hash + (hash >>> 11)) | 0;
      break;
    case 2:
      hash = (hash + get16(offset)) | 0;
      hash ^= hash << 11;
      hash = (hash + (hash >>> 17)) | 0;
      break;
    case 1:
      hash = (hash + bytes[offset]!) | 0;
      hash ^= hash << 10;
      hash = (hash + (hash >>> 1)) | 0;
      break;
  }
  hash ^= hash << 3;
  hash = (hash + (hash >>> 5)) | 0;
  hash ^= hash << 4;
  hash = (hash + (hash >>> 17)) | 0;
  hash ^= hash << 25;
  hash = (hash + (hash >>> 6)) | 0;
  return hash >>> 0;
}

const rotate = (value: number, bits: number): number => (value << bits) | (value >>> (32 - bits));

/** A little-endian word at `at`, with bytes past the end read as 0 (lookup3's partial block). */
function wordAt(bytes: Uint8Array, at: number): number {
  let word = 0;
  for (let index = Math.min(3, bytes.length - at - 1); index >= 0; index--) {
    word = (word << 8) | bytes[at + index]!;
  }
  return word;
}

/**
 * hash_jenkins (nc_jenkins.c): Bob Jenkins' lookup3 `hashlittle` with initval 13. Its aligned
 * fast paths read the same little-endian words as the byte path, so one path is enough.
 */
export function jenkins(bytes: Uint8Array): number {
  let length = bytes.length;
  let a = (0xdeadbeef + length + 13) | 0;
  let b = a;
  let c = a;
  let offset = 0;
  for (; length > 12; length -= 12, offset += 12) {
    a = (a + wordAt(bytes, offset)) | 0;
    b = (b + wordAt(bytes, offset + 4)) | 0;
    c = (c + wordAt(bytes, offset + 8)) | 0;
    // mix(a,b,c)
    a = (a - c) ^ rotate(c, 4);
    c = (c + b) | 0;
    b = (b - a) ^ rotate(a, 6);
    a = (a + c) | 0;
    c = (c - b) ^ rotate(b, 8);
    b = (b + a) | 0;
    a = (a - c) ^ rotate(c, 16);
    c = (c + b) | 0;
    b = (b - a) ^ rotate(a, 19);
    a = (a + c) | 0;
    c = (c - b) ^ rotate(b, 4);
    b = (b + a) | 0;
  }
  // A zero-length tail returns c unmixed (`case 0: return c;`).
  if (length === 0) return c >>> 0;
  a = (a + wordAt(bytes, offset)) | 0;
  if (length > 4) b = (b + wordAt(bytes, offset + 4)) | 0;
  if (length > 8) c = (c + wordAt(bytes, offset + 8)) | 0;
  // final(a,b,c)
  c = (c ^ b) - rotate(b, 14);
  a = (a ^ c) - rotate(c, 11);
  b = (b ^ a) - rotate(a, 25);
  c = (c ^ b) - rotate(b, 16);
  a = (a ^ c) - rotate(c, 4);
  b = (b ^ a) - rotate(a, 14);
  c = (c ^ b) - rotate(b, 24);
  return c >>> 0;
}

/** Every twemproxy hash by its config name. */
export const twemproxyHashes: Readonly<Record<TwemproxyHashName, HashFunction>> = Object.freeze({
  one_at_a_time: oneAtATime,
  md5: md5Hash,
  crc16,
  crc32,
  crc32a,
  fnv1_64,
  fnv1a_64,
  fnv1_32,
  fnv1a_32,
  hsieh,
  murmur,
  jenkins,
});

/** True when `name` is a hash name twemproxy accepts. */
export function isTwemproxyHashName(name: unknown): name is TwemproxyHashName {
  return typeof name === 'string' && Object.hasOwn(twemproxyHashes, name);
}
