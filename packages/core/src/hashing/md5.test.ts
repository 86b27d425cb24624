import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { md5First32 } from './md5.js';

const reference = (bytes: Uint8Array) => createHash('md5').update(bytes).digest().readUInt32LE(0);

describe('md5First32', () => {
  it('matches the RFC 1321 test suite (first 4 digest bytes)', () => {
    const cases: [string, string][] = [
      ['', 'd41d8cd9'],
      ['a', '0cc175b9'],
      ['abc', '90015098'],
      ['message digest', 'f96b697d'],
      ['abcdefghijklmnopqrstuvwxyz', 'c3fcd3d7'],
      ['12345678901234567890123456789012345678901234567890123456789012345678901234567890', '57edf4a2'],
    ];
    for (const [input, prefix] of cases) {
      expect(md5First32(Buffer.from(input)), input).toBe(Buffer.from(prefix, 'hex').readUInt32LE(0));
    }
  });

  it('equals Node’s md5 for any bytes, across the one- and two-block boundaries', () => {
    for (let length = 0; length <= 200; length++) {
      const bytes = Uint8Array.from({ length }, (_, index) => (index * 131 + length) & 0xff);
      expect(md5First32(bytes)).toBe(reference(bytes));
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(md5First32(bytes)).toBe(reference(bytes));
      }),
      { numRuns: 2000 },
    );
  });
});
