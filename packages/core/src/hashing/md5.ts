/**
 * The first 32 bits of MD5 (RFC 1321), as the little-endian number twemproxy and libmemcached
 * take from the digest for ketama key hashes. A lookup hashes one short key: measured, Node's
 * `createHash('md5')` spent most of its time creating the hash object and digest Buffer, and this
 * allocation-free loop is several times faster on keys under 56 bytes (one block).
 */
export function md5First32(bytes: Uint8Array): number {
  const length = bytes.length;
  // Message, 0x80, zero padding, then the bit length in the last 8 bytes of the last block.
  const blocks = ((length + 8) >>> 6) + 1;
  let a0 = 0x67452301;
  let b0 = 0xefcdab89 | 0;
  let c0 = 0x98badcfe | 0;
  let d0 = 0x10325476;
  for (let block = 0; block < blocks; block++) {
    const base = block << 6;
    for (let word = 0; word < 16; word++) {
      let value = 0;
      for (let byte = 0; byte < 4; byte++) {
        const position = base + (word << 2) + byte;
        const input = position < length ? bytes[position]! : position === length ? 0x80 : 0;
        value |= input << (byte << 3);
      }
      words[word] = value;
    }
    if (block === blocks - 1) {
      words[14] = length << 3;
      words[15] = Math.floor(length / 0x20000000);
    }
    let a = a0;
    let b = b0;
    let c = c0;
    let d = d0;
    for (let step = 0; step < 64; step++) {
      let mixed: number;
      let index: number;
      if (step < 16) {
        mixed = (b & c) | (~b & d);
        index = step;
      } else if (step < 32) {
        mixed = (d & b) | (~d & c);
        index = (5 * step + 1) & 15;
      } else if (step < 48) {
        mixed = b ^ c ^ d;
        index = (3 * step + 5) & 15;
      } else {
        mixed = c ^ (b | ~d);
        index = (7 * step) & 15;
      }
      const sum = (a + mixed + SINES[step]! + words[index]!) | 0;
      const shift = SHIFTS[((step >>> 4) << 2) | (step & 3)]!;
      a = d;
      d = c;
      c = b;
      b = (b + ((sum << shift) | (sum >>> (32 - shift)))) | 0;
    }
    a0 = (a0 + a) | 0;
    b0 = (b0 + b) | 0;
    c0 = (c0 + c) | 0;
    d0 = (d0 + d) | 0;
  }
  return a0 >>> 0;
}

/** Per-round left rotations, four per round. */
const SHIFTS = Int32Array.of(7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21);
/** floor(|sin(i + 1)| × 2^32), the RFC's table T. */
const SINES = Int32Array.from({ length: 64 }, (_, index) =>
  Math.floor(Math.abs(Math.sin(index + 1)) * 2 ** 32),
);
/** One block's sixteen little-endian words, reused by every call. */
const words = new Int32Array(16);
