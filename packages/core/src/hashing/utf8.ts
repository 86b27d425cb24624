/**
 * UTF-8 encoding on the fly, shared by the hashes that read a key's bytes without copying them
 * (murmur3 for the ring, CRC16 for Redis key slots). Both must see exactly the bytes TextEncoder
 * (and so every engine client) would send.
 */

/**
 * The code point at `index` of `key`, a surrogate pair joined (when it ends before `end`). A lone
 * surrogate reads as U+FFFD, as TextEncoder encodes it. The caller advances by 2 for a code point
 * above U+FFFF, by 1 otherwise.
 */
export function codePointAt(key: string, index: number, end: number): number {
  const code = key.charCodeAt(index);
  if (code < 0xd800 || code > 0xdfff) return code;
  if (code <= 0xdbff && index + 1 < end) {
    const low = key.charCodeAt(index + 1);
    if (low >= 0xdc00 && low <= 0xdfff) return 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
  }
  return 0xfffd;
}

/** How many UTF-8 bytes a code point of U+0080 or above takes: 2, 3 or 4. */
export function utf8Length(code: number): number {
  return code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
}

/** The UTF-8 bytes of a code point of U+0080 or above, packed first byte lowest. */
export function utf8Packed(code: number): number {
  if (code < 0x800) return 0xc0 | (code >> 6) | ((0x80 | (code & 0x3f)) << 8);
  if (code < 0x10000) {
    return 0xe0 | (code >> 12) | ((0x80 | ((code >> 6) & 0x3f)) << 8) | ((0x80 | (code & 0x3f)) << 16);
  }
  return (
    0xf0 |
    (code >> 18) |
    ((0x80 | ((code >> 12) & 0x3f)) << 8) |
    ((0x80 | ((code >> 6) & 0x3f)) << 16) |
    ((0x80 | (code & 0x3f)) << 24)
  );
}
