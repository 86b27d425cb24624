import { describe, expect, it } from 'vitest';
import { encodeRequestToBuffer } from './request-encoder.js';
import type { Request } from './types.js';

const encode = (request: Request) => encodeRequestToBuffer(request).toString('latin1');

describe('encodeRequest', () => {
  it('writes the text protocol', () => {
    expect(encode({ command: 'get', keys: ['a', 'b'] })).toBe('get a b\r\n');
    expect(encode({ command: 'set', key: 'k', flags: 0, exptime: 10, value: Uint8Array.of(0, 13, 10) })).toBe(
      'set k 0 10 3\r\n\u0000\r\n\r\n',
    );
    expect(
      encode({
        command: 'cas',
        key: 'k',
        flags: 1,
        exptime: 0,
        value: new Uint8Array(0),
        cas: 5n,
        noreply: true,
      }),
    ).toBe('cas k 1 0 0 5 noreply\r\n\r\n');
    expect(encode({ command: 'incr', key: 'n', delta: 2n ** 64n - 1n })).toBe(
      'incr n 18446744073709551615\r\n',
    );
    expect(encode({ command: 'flush_all' })).toBe('flush_all\r\n');
    expect(encode({ command: 'stats', arguments: ['slabs'] })).toBe('stats slabs\r\n');
  });

  it('writes UTF-8 keys as their bytes', () => {
    expect(encodeRequestToBuffer({ command: 'delete', key: 'é' })).toEqual(
      Buffer.from('delete é\r\n', 'utf8'),
    );
  });

  it.each([
    ['a space', 'a b'],
    ['CR LF', 'a\r\nflush_all'],
    ['a NUL', 'a\u0000'],
    ['DEL', 'a\u007f'],
    ['nothing', ''],
  ])('refuses a key holding %s (no smuggled commands)', (_, key) => {
    expect(() => encode({ command: 'get', keys: [key] })).toThrow(
      expect.objectContaining({ code: 'E_KEY_INVALID' }),
    );
  });

  it('refuses a key over 250 bytes, counting UTF-8 bytes', () => {
    expect(() => encode({ command: 'delete', key: 'k'.repeat(251) })).toThrow(
      expect.objectContaining({ code: 'E_KEY_TOO_LONG' }),
    );
    expect(() => encode({ command: 'delete', key: 'é'.repeat(126) })).toThrow(
      expect.objectContaining({ code: 'E_KEY_TOO_LONG' }),
    );
    expect(encode({ command: 'delete', key: 'k'.repeat(250) })).toHaveLength(259);
  });

  it('refuses numbers the server would misread', () => {
    const bad = expect.objectContaining({ code: 'E_CONFIG' });
    expect(() =>
      encode({ command: 'set', key: 'k', flags: 2 ** 32, exptime: 0, value: new Uint8Array(0) }),
    ).toThrow(bad);
    expect(() => encode({ command: 'touch', key: 'k', exptime: 1.5 })).toThrow(bad);
    expect(() => encode({ command: 'incr', key: 'k', delta: -1n })).toThrow(bad);
    expect(() => encode({ command: 'get', keys: [] })).toThrow(bad);
    expect(() => encode({ command: 'stats', arguments: ['a\r\nb'] })).toThrow(bad);
  });
});
