import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BinaryRequestParser, type ParsedBinary } from './binary-parser.js';
import { BinaryStatus, HEADER_BYTES, Opcode, REQUEST_MAGIC } from './binary-protocol.js';

function packet(opcode: number, key: string, extras: Buffer, value: Buffer, opaque = 7, cas = 0n): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header[0] = REQUEST_MAGIC;
  header[1] = opcode;
  header.writeUInt16BE(Buffer.byteLength(key), 2);
  header[4] = extras.length;
  header.writeUInt32BE(extras.length + Buffer.byteLength(key) + value.length, 8);
  header.writeUInt32BE(opaque, 12);
  header.writeBigUInt64BE(cas, 16);
  return Buffer.concat([header, extras, Buffer.from(key), value]);
}

function parseAll(chunks: Buffer[], maxValueBytes = 1024): ParsedBinary[] {
  const out: ParsedBinary[] = [];
  const parser = new BinaryRequestParser((parsed) => out.push(parsed), maxValueBytes);
  for (const chunk of chunks) parser.feed(chunk);
  return out;
}

describe('BinaryRequestParser', () => {
  const set = packet(Opcode.set, 'k', Buffer.alloc(8, 1), Buffer.from('value'), 1, 99n);
  const get = packet(Opcode.getKQ, 'key2', Buffer.alloc(0), Buffer.alloc(0), 2);
  const noop = packet(Opcode.noop, '', Buffer.alloc(0), Buffer.alloc(0), 3);

  it('splits header fields, extras, key and value', () => {
    const [parsed] = parseAll([set]);
    expect(parsed?.type).toBe('request');
    if (parsed?.type !== 'request') return;
    expect(parsed.request.opcode).toBe(Opcode.set);
    expect(parsed.request.opaque).toBe(1);
    expect(parsed.request.cas).toBe(99n);
    expect(parsed.request.extras).toEqual(Buffer.alloc(8, 1));
    expect(parsed.request.key.toString()).toBe('k');
    expect(Buffer.from(parsed.request.value).toString()).toBe('value');
  });

  it('gives the same requests however the stream is cut', () => {
    const stream = Buffer.concat([set, get, noop, set]);
    const whole = parseAll([stream]);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: stream.length }), { maxLength: 8 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const chunks: Buffer[] = [];
        let start = 0;
        for (const point of [...points, stream.length]) {
          chunks.push(stream.subarray(start, point));
          start = point;
        }
        expect(parseAll(chunks)).toEqual(whole);
      }),
    );
    expect(whole.map((parsed) => (parsed.type === 'request' ? parsed.request.opaque : -1))).toEqual([
      1, 2, 3, 1,
    ]);
  });

  it('skips a too large value with "too large" and goes on', () => {
    const big = packet(Opcode.set, 'k', Buffer.alloc(8), Buffer.alloc(2000), 5);
    const parsed = parseAll([big.subarray(0, 100), big.subarray(100), noop], 1024);
    expect(parsed[0]).toEqual({
      type: 'error',
      opcode: Opcode.set,
      opaque: 5,
      status: BinaryStatus.tooLarge,
      close: false,
      staleKey: Buffer.from('k'),
    });
    expect(parsed[1]?.type).toBe('request');
    // Only a set names its key: memcached deletes the old value for set alone.
    const add = packet(Opcode.add, 'k', Buffer.alloc(8), Buffer.alloc(2000), 6);
    expect(parseAll([add], 1024)[0]).toMatchObject({ status: BinaryStatus.tooLarge, staleKey: undefined });
  });

  it('refuses lengths that do not add up and keys over 250 bytes', () => {
    const bad = Buffer.from(noop);
    bad.writeUInt16BE(10, 2); // a key longer than the body
    expect(parseAll([bad])[0]).toMatchObject({ status: BinaryStatus.invalid, close: false });
    const long = packet(Opcode.get, 'k'.repeat(251), Buffer.alloc(0), Buffer.alloc(0));
    expect(parseAll([long])[0]).toMatchObject({ status: BinaryStatus.invalid, close: false });
  });

  it('closes on a bad magic byte or an absurd length', () => {
    const text = Buffer.from('get foo\r\n'.repeat(4));
    expect(parseAll([text])).toEqual([expect.objectContaining({ type: 'error', close: true })]);
    const huge = Buffer.from(noop);
    huge.writeUInt32BE(0xffffffff, 8);
    expect(parseAll([huge, noop])).toEqual([expect.objectContaining({ type: 'error', close: true })]);
  });
});
