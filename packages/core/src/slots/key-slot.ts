import calculate from 'cluster-key-slot';
import { ConfigError } from '../errors.js';
import { assertKey, utf8 } from '../ring/checks.js';

/** Redis Cluster's fixed number of hash slots. */
export const SLOT_COUNT = 16384;

/** The highest slot number. */
export const MAX_SLOT = SLOT_COUNT - 1;

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

// cluster-key-slot's JS indexes `value[i]` and reads `value.length`, so any byte array works;
// its typings only name Buffer. A Uint8Array keeps this module free of Node's Buffer.
const crc16Slot = calculate as unknown as (bytes: Uint8Array) => number;

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
 * Why not call `cluster-key-slot` on the string directly (as ioredis does): version 1.1.2 gets
 * two inputs wrong. It encodes lone surrogates as CESU-8 (ED A0 80) rather than U+FFFD, and
 * after an empty tag `{}` it keeps scanning and hashes the text up to a later `}` (`'{}a}'` →
 * CRC16('a')) where Redis hashes the whole key. So the tag is found here and only tag-free bytes
 * reach the package, which is then correct; see {@link slotOfBytes}.
 *
 * @throws InvalidKeyError when `key` is not a string
 */
export function keySlot(key: string): number {
  assertKey(key);
  return slotOfBytes(utf8(hashTag(key) ?? key));
}

/**
 * CRC16/XMODEM of all of `bytes` modulo 16384, with no hash-tag rule.
 *
 * The package applies its own tag scan, which only changes the result when a `}` follows a `{`.
 * When `bytes` holds both, CRC16/XMODEM's linearity (initial value 0, no final XOR, so
 * `crc(a ^ b) = crc(a) ^ crc(b)` for equal lengths) splits the input into one copy with every
 * `}` zeroed (no `}`: the package hashes it all) and one holding only the `}` bytes (no `{`:
 * likewise), and XORs the two results. The mask to 14 bits commutes with XOR.
 */
export function slotOfBytes(bytes: Uint8Array): number {
  const open = bytes.indexOf(OPEN_BRACE);
  if (open === -1 || bytes.indexOf(CLOSE_BRACE, open + 1) === -1) return crc16Slot(bytes);
  const withoutClose = bytes.map((byte) => (byte === CLOSE_BRACE ? 0 : byte));
  const onlyClose = bytes.map((byte) => (byte === CLOSE_BRACE ? CLOSE_BRACE : 0));
  return crc16Slot(withoutClose) ^ crc16Slot(onlyClose);
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
