import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeReplyToBuffer } from './reply-encoder.js';
import { ReplyParser } from './reply-parser.js';
import { ProtocolError, type Reply, type ReplyShape } from './types.js';

/** Parses `bytes` cut into the given chunks, with the shapes of the expected replies. */
function parse(shapes: ReplyShape[], chunks: Buffer[]): Reply[] {
  const replies: Reply[] = [];
  const queue = [...shapes];
  const parser = new ReplyParser(
    () => queue[0],
    (reply) => {
      queue.shift();
      replies.push(reply);
    },
  );
  for (const chunk of chunks) parser.feed(chunk);
  expect(parser.busy).toBe(false);
  return replies;
}

const bytes = (text: string) => Buffer.from(text, 'utf8');
const value = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'));

/** Every way to cut `buffer` in two, plus byte by byte. */
function cuts(buffer: Buffer): Buffer[][] {
  const ways: Buffer[][] = [[...buffer].map((byte) => Buffer.of(byte))];
  for (let at = 0; at <= buffer.length; at++) ways.push([buffer.subarray(0, at), buffer.subarray(at)]);
  return ways;
}

describe('ReplyParser', () => {
  const cases: [string, ReplyShape, string, Reply][] = [
    ['a miss', 'values', 'END\r\n', { type: 'values', items: [] }],
    [
      'a hit',
      'values',
      'VALUE k 5 3\r\nabc\r\nEND\r\n',
      { type: 'values', items: [{ key: 'k', flags: 5, value: value('abc'), cas: undefined }] },
    ],
    [
      'gets with cas, two hits, a utf-8 key and an empty value',
      'values',
      'VALUE clé 0 0 18446744073709551615\r\n\r\nVALUE b 4294967295 2 7\r\n\r\n\r\nEND\r\n',
      {
        type: 'values',
        items: [
          { key: 'clé', flags: 0, value: value(''), cas: 18446744073709551615n },
          { key: 'b', flags: 4294967295, value: value('\r\n'), cas: 7n },
        ],
      },
    ],
    [
      'a value holding END and CRLF',
      'values',
      'VALUE k 0 7\r\nEND\r\n\r\n\r\nEND\r\n',
      {
        type: 'values',
        items: [{ key: 'k', flags: 0, value: value('END\r\n\r\n'), cas: undefined }],
      },
    ],
    ['STORED', 'line', 'STORED\r\n', { type: 'status', status: 'STORED' }],
    ['NOT_STORED', 'line', 'NOT_STORED\r\n', { type: 'status', status: 'NOT_STORED' }],
    ['EXISTS', 'line', 'EXISTS\r\n', { type: 'status', status: 'EXISTS' }],
    ['NOT_FOUND', 'line', 'NOT_FOUND\r\n', { type: 'status', status: 'NOT_FOUND' }],
    ['DELETED', 'line', 'DELETED\r\n', { type: 'status', status: 'DELETED' }],
    ['TOUCHED', 'line', 'TOUCHED\r\n', { type: 'status', status: 'TOUCHED' }],
    ['OK', 'line', 'OK\r\n', { type: 'status', status: 'OK' }],
    ['an incr result', 'line', '18446744073709551615\r\n', { type: 'number', value: 18446744073709551615n }],
    ['a version', 'line', 'VERSION 1.6.18\r\n', { type: 'version', version: '1.6.18' }],
    ['ERROR', 'line', 'ERROR\r\n', { type: 'error', kind: 'ERROR', message: '' }],
    [
      'CLIENT_ERROR',
      'line',
      'CLIENT_ERROR bad data chunk\r\n',
      { type: 'error', kind: 'CLIENT_ERROR', message: 'bad data chunk' },
    ],
    [
      'SERVER_ERROR',
      'line',
      'SERVER_ERROR object too large for cache\r\n',
      { type: 'error', kind: 'SERVER_ERROR', message: 'object too large for cache' },
    ],
    [
      'an error ending a retrieval',
      'values',
      'VALUE a 0 1\r\nx\r\nSERVER_ERROR out of memory writing get response\r\n',
      { type: 'error', kind: 'SERVER_ERROR', message: 'out of memory writing get response' },
    ],
    [
      'stats',
      'stats',
      'STAT pid 42\r\nSTAT version 1.6.18\r\nSTAT rusage_user 0.1 0.2\r\nEND\r\n',
      {
        type: 'stats',
        stats: [
          ['pid', '42'],
          ['version', '1.6.18'],
          ['rusage_user', '0.1 0.2'],
        ],
      },
    ],
    ['empty stats', 'stats', 'END\r\n', { type: 'stats', stats: [] }],
    ['an error to stats', 'stats', 'ERROR\r\n', { type: 'error', kind: 'ERROR', message: '' }],
  ];

  it.each(cases)('parses %s, however the stream is cut', (_, shape, wire, expected) => {
    for (const chunks of cuts(bytes(wire))) expect(parse([shape], chunks)).toEqual([expected]);
  });

  it('parses pipelined replies in order from one chunk', () => {
    const wire = cases.map(([, , text]) => text).join('');
    const replies = parse(
      cases.map(([, shape]) => shape),
      [bytes(wire)],
    );
    expect(replies).toEqual(cases.map(([, , , reply]) => reply));
  });

  it('assembles a 1 MiB value from 64 KiB chunks without losing a byte', () => {
    const data = Buffer.alloc(1024 * 1024);
    for (let index = 0; index < data.length; index++) data[index] = (index * 31) & 0xff;
    const wire = Buffer.concat([bytes(`VALUE big 0 ${data.length}\r\n`), data, bytes('\r\nEND\r\n')]);
    const chunks: Buffer[] = [];
    for (let at = 0; at < wire.length; at += 65536) chunks.push(wire.subarray(at, at + 65536));
    const [reply] = parse(['values'], chunks);
    expect(reply?.type === 'values' && Buffer.from(reply.items[0]!.value).equals(data)).toBe(true);
  });

  it('copies values out of the socket chunk', () => {
    const chunk = bytes('VALUE k 0 3\r\nabc\r\nEND\r\n');
    const [reply] = parse(['values'], [chunk]);
    chunk.fill(0);
    expect(reply).toEqual({
      type: 'values',
      items: [{ key: 'k', flags: 0, value: value('abc'), cas: undefined }],
    });
  });

  it.each([
    ['a reply with no request pending', [], 'STORED\r\n'],
    ['an unknown line', ['line'], 'WHAT\r\n'],
    ['a data block not ending in CRLF', ['values'], 'VALUE k 0 3\r\nabcd\r\nEND\r\n'],
    ['a malformed VALUE line', ['values'], 'VALUE k x 3\r\nabc\r\nEND\r\n'],
    ['a VALUE line without a length', ['values'], 'VALUE k 0\r\nEND\r\n'],
    ['a status where values are due', ['values'], 'STORED\r\n'],
    ['an endless line', ['line'], 'x'.repeat(10_000)],
  ] as [string, ReplyShape[], string][])('throws ProtocolError on %s', (_, shapes, wire) => {
    expect(() => parse(shapes, [bytes(wire)])).toThrow(ProtocolError);
  });

  const item = fc.record({
    key: fc.stringMatching(/^[!-~]{1,40}$/),
    flags: fc.nat({ max: 0xffffffff }),
    value: fc.uint8Array({ maxLength: 300 }),
    cas: fc.option(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), { nil: undefined }),
  });
  const reply: fc.Arbitrary<[ReplyShape, Reply]> = fc.oneof(
    fc
      .array(item, { maxLength: 4 })
      .map((items): [ReplyShape, Reply] => ['values', { type: 'values', items }]),
    fc
      .constantFrom('STORED', 'NOT_STORED', 'EXISTS', 'NOT_FOUND', 'DELETED', 'TOUCHED', 'OK' as const)
      .map((status): [ReplyShape, Reply] => ['line', { type: 'status', status }]),
    fc
      .bigInt({ min: 0n, max: 2n ** 64n - 1n })
      .map((n): [ReplyShape, Reply] => ['line', { type: 'number', value: n }]),
    fc
      .array(fc.tuple(fc.stringMatching(/^[a-z_]{1,12}$/), fc.stringMatching(/^[!-~]{0,12}$/)), {
        maxLength: 4,
      })
      .map((stats): [ReplyShape, Reply] => ['stats', { type: 'stats', stats }]),
    fc
      .tuple(fc.constantFrom('CLIENT_ERROR', 'SERVER_ERROR' as const), fc.stringMatching(/^[a-z ]{1,20}$/))
      .map(([kind, message]): [ReplyShape, Reply] => [
        'line',
        { type: 'error', kind, message: message.trim() || 'x' },
      ]),
  );

  it('fuzz: any pipeline of replies, cut at random points, parses back to the same replies', () => {
    fc.assert(
      fc.property(
        fc.array(reply, { minLength: 1, maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (pairs, points) => {
          const wire = Buffer.concat(pairs.map(([, r]) => encodeReplyToBuffer(r)));
          const at = [...new Set(points.map((point) => point % (wire.length + 1)))].sort((a, b) => a - b);
          const chunks = [0, ...at].map((start, index) => wire.subarray(start, at[index] ?? wire.length));
          expect(
            parse(
              pairs.map(([shape]) => shape),
              chunks,
            ),
          ).toEqual(pairs.map(([, r]) => r));
        },
      ),
      { numRuns: 400 },
    );
  });
});
