import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8 } from '../ring/checks.js';
import { murmur3, murmur3AfterBlock, murmur3Bytes } from './murmur3.js';

describe('murmur3', () => {
  it.each([
    ['', 0, 0],
    ['', 1, 0x514e28b7],
    ['hello', 0, 0x248bfa47],
    ['Hello, world!', 1234, 0xfaf6cdb3],
    ['The quick brown fox jumps over the lazy dog', 0, 0x2e4ff723],
  ])('matches the reference vector for %j (seed %d)', (input, seed, expected) => {
    expect(murmur3(input, seed)).toBe(expected);
    expect(murmur3Bytes(utf8(input), seed)).toBe(expected);
  });

  it('hashes a string exactly as its UTF-8 bytes, including lone surrogates', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.integer({ min: 0, max: 0xffffffff }), (key, seed) => {
        expect(murmur3(key, seed)).toBe(murmur3Bytes(utf8(key), seed));
      }),
      { numRuns: 2000 },
    );
    expect(murmur3('a\ud800b')).toBe(murmur3Bytes(utf8('a\ud800b')));
    expect(murmur3('\udc00')).toBe(murmur3Bytes(utf8('\udc00')));
  });

  it('hashes a leading four-byte block then the string, as murmur3 of the concatenated bytes', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary' }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        (key, head, seed) => {
          const bytes = new Uint8Array([
            head & 0xff,
            (head >>> 8) & 0xff,
            (head >>> 16) & 0xff,
            head >>> 24,
            ...utf8(key),
          ]);
          expect(murmur3AfterBlock(head, key, seed)).toBe(murmur3Bytes(bytes, seed));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
