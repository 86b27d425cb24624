import { ConfigError } from '../errors.js';
import { codePointAt, utf8Length, utf8Packed } from '../hashing/utf8.js';
import { assertKey } from '../ring/checks.js';

/** Redis Cluster's fixed number of hash slots. */
export const SLOT_COUNT = 16384;

/** The highest slot number. */
export const MAX_SLOT = SLOT_COUNT - 1;

// CRC16/XMODEM (polynomial 0x1021, initial value 0), one table lookup per byte.
const CRC_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
    table[byte] = crc & 0xffff;
  }
  return table;
})();

/**
 * The hash tag of `key` by Redis Cluster's rule: the text between the first `{` and the first
 * `}` after it, when that text is non-empty. `undefined` when the key has no such tag, in which
 * case Redis hashes the whole key.
 *
 * `{` and `}` are ASCII, and UTF-8 never uses bytes below 0x80 inside a multi-byte sequence, so
 * finding them on UTF-16 code units gives the same split as Redis finding them on bytes.
 *
 * @example hashTag('{user1}.name') === 'user1'; hashTag('{}a{b}') === undefined
 * @throws InvalidKeyError when `key` is not a string
 */
export function hashTag(key: string): string | undefined {
  assertKey(key);
  const open = key.indexOf('{');
  if (open === -1) return undefined;
  const close = key.indexOf('}', open + 1);
  if (close === -1 || close === open + 1) return undefined;
  return key.slice(open + 1, close);
}

/**
 * The Redis Cluster slot of `key`, equal to `CLUSTER KEYSLOT key` for every string: CRC16/XMODEM
 * of the key's UTF-8 bytes (or of its hash tag, see {@link hashTag}) modulo 16384.
 *
 * A lone UTF-16 surrogate becomes U+FFFD (EF BF BD), as `TextEncoder` and Node's Buffer encode
 * it, which is what a client such as ioredis writes on the wire.
 *
 * Written here rather than with `cluster-key-slot`: that package (1.1.2, ioredis's) encodes lone
 * surrogates as CESU-8 and keeps scanning after an empty `{}` tag, so it disagrees with Redis
 * on such keys; and working around it needed a UTF-8 copy of every key, 0.3–0.8 µs per call on
 * the hot path of every Redis operation. This encodes UTF-8 on the fly and allocates nothing.
 *
 * @throws InvalidKeyError when `key` is not a string
 */
export function keySlot(key: string): number {
  assertKey(key);
  const open = key.indexOf('{');
  if (open !== -1) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) return crc16Utf8(key, open + 1, close) & MAX_SLOT;
  }
  return crc16Utf8(key, 0, key.length) & MAX_SLOT;
}

/** CRC16/XMODEM of all of `bytes` modulo 16384, with no hash-tag rule. */
export function slotOfBytes(bytes: Uint8Array): number {
  let crc = 0;
  for (let index = 0; index < bytes.length; index++) crc = feed(crc, bytes[index]!);
  return crc & MAX_SLOT;
}

/** CRC16/XMODEM of the UTF-8 bytes of `key[start, end)`, encoded on the fly. */
function crc16Utf8(key: string, start: number, end: number): number {
  let crc = 0;
  for (let index = start; index < end; index++) {
    const code = codePointAt(key, index, end);
    if (code < 0x80) {
      crc = feed(crc, code);
      continue;
    }
    if (code > 0xffff) index++;
    const bytes = utf8Packed(code);
    for (let byte = 0, count = utf8Length(code); byte < count; byte++)
      crc = feed(crc, (bytes >>> (byte << 3)) & 0xff);
  }
  return crc;
}

function feed(crc: number, byte: number): number {
  return ((crc << 8) ^ CRC_TABLE[((crc >> 8) ^ byte) & 0xff]!) & 0xffff;
}

/**
 * Checks a slot number.
 * @throws ConfigError when `slot` is not an integer from 0 to 16383
 */
export function assertSlot(slot: unknown, what = 'slot'): asserts slot is number {
  if (typeof slot !== 'number' || !Number.isInteger(slot) || slot < 0 || slot > MAX_SLOT) {
    throw new ConfigError(`${what} must be an integer from 0 to ${MAX_SLOT}, got ${String(slot)}`);
  }
}
