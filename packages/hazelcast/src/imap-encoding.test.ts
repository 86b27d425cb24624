import { describe, expect, it } from 'vitest';
import { hazelcastTtl, prefixPattern, storedKey, toBuffer } from './imap-encoding.js';

describe('toBuffer', () => {
  it('passes Buffers through and views other Uint8Arrays without copying', () => {
    const buffer = Buffer.from([1, 2, 3]);
    expect(toBuffer(buffer)).toBe(buffer);
    const backing = new Uint8Array([9, 1, 2, 3, 9]);
    const view = backing.subarray(1, 4);
    const converted = toBuffer(view);
    expect(Buffer.isBuffer(converted)).toBe(true);
    expect([...converted]).toEqual([1, 2, 3]);
    backing[1] = 7;
    expect(converted[0]).toBe(7);
  });
});

describe('hazelcastTtl', () => {
  it('sends 0 (never expires) for no expiry, never a negative "map default"', () => {
    expect(hazelcastTtl(0)).toBe(0);
  });

  it('adds one second so that second-truncated expiry never comes before the asked TTL', () => {
    expect(hazelcastTtl(1)).toBe(1001);
    expect(hazelcastTtl(200)).toBe(1200);
    expect(hazelcastTtl(1000)).toBe(2000);
    expect(hazelcastTtl(1500.2)).toBe(2501);
  });

  it('treats TTLs beyond Hazelcast’s int-seconds range (about 68 years) as no expiry', () => {
    expect(hazelcastTtl(68 * 365 * 24 * 3600 * 1000)).toBeGreaterThan(0);
    expect(hazelcastTtl(70 * 365 * 24 * 3600 * 1000)).toBe(0);
    expect(hazelcastTtl(Number.MAX_SAFE_INTEGER)).toBe(0);
  });
});

describe('prefixPattern', () => {
  it('quotes the prefix as a Java regex literal followed by anything, line breaks included', () => {
    expect(prefixPattern('app:')).toBe('(?s)\\Qapp:\\E.*');
    expect(prefixPattern('50%_off.*[x]\\')).toBe('(?s)\\Q50%_off.*[x]\\\\E.*');
  });

  it('splits out a literal \\E the way Pattern.quote does', () => {
    expect(prefixPattern('a\\Eb')).toBe('(?s)\\Qa\\E\\\\E\\Qb\\E.*');
  });
});

describe('storedKey', () => {
  it('is the key itself when well formed, with lone surrogates as U+FFFD otherwise', () => {
    const key = 'héllo 🎉';
    expect(storedKey(key)).toBe(key);
    expect(storedKey('\ud800x')).toBe('\ufffdx');
    expect(storedKey('a\udc00')).toBe('a\ufffd');
    expect(storedKey('x\ud83d')).toBe(Buffer.from('x\ud83d').toString());
  });
});
