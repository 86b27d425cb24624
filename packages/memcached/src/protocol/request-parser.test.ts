import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeRequestToBuffer } from './request-encoder.js';
import { type ParsedRequest, RequestParser, type RequestParserOptions } from './request-parser.js';
import type { Request } from './types.js';

function parse(chunks: Buffer[], options?: RequestParserOptions): ParsedRequest[] {
  const parsed: ParsedRequest[] = [];
  const parser = new RequestParser((item) => parsed.push(item), options);
  for (const chunk of chunks) parser.feed(chunk);
  return parsed;
}

const wire = (text: string) => Buffer.from(text, 'utf8');
const request = (r: Request): ParsedRequest => ({ type: 'request', request: r });
const clientError = (message: string, close = false): ParsedRequest => ({
  type: 'error',
  kind: 'CLIENT_ERROR',
  message,
  close,
});
const value = (text: string) => new Uint8Array(Buffer.from(text));

describe('RequestParser', () => {
  const requests: Request[] = [
    { command: 'get', keys: ['a'] },
    { command: 'gets', keys: ['a', 'b', 'ключ'] },
    { command: 'gat', exptime: 60, keys: ['a', 'b'] },
    { command: 'gats', exptime: 0, keys: ['a'] },
    {
      command: 'set',
      key: 'k',
      flags: 7,
      exptime: 0,
      value: value('hello'),
      cas: undefined,
      noreply: undefined,
    },
    { command: 'add', key: 'k', flags: 0, exptime: 10, value: value(''), cas: undefined, noreply: true },
    {
      command: 'replace',
      key: 'k',
      flags: 0,
      exptime: -1,
      value: value('x\r\ny'),
      cas: undefined,
      noreply: undefined,
    },
    {
      command: 'append',
      key: 'k',
      flags: 0,
      exptime: 0,
      value: value('z'),
      cas: undefined,
      noreply: undefined,
    },
    {
      command: 'prepend',
      key: 'k',
      flags: 0,
      exptime: 0,
      value: value('a'),
      cas: undefined,
      noreply: undefined,
    },
    {
      command: 'cas',
      key: 'k',
      flags: 1,
      exptime: 2,
      value: value('v'),
      cas: 18446744073709551615n,
      noreply: undefined,
    },
    { command: 'delete', key: 'k', noreply: undefined },
    { command: 'delete', key: 'k', noreply: true },
    { command: 'incr', key: 'n', delta: 18446744073709551615n, noreply: undefined },
    { command: 'decr', key: 'n', delta: 1n, noreply: true },
    { command: 'touch', key: 'k', exptime: 100, noreply: undefined },
    { command: 'flush_all', delay: undefined, noreply: undefined },
    { command: 'flush_all', delay: 10, noreply: true },
    { command: 'stats' },
    { command: 'stats', arguments: ['slabs'] },
    { command: 'verbosity', level: 1, noreply: undefined },
    { command: 'version' },
    { command: 'quit' },
  ];

  it.each(requests.map((r) => [r.command, r] as const))('round-trips %s through encodeRequest', (_, r) => {
    const bytes = encodeRequestToBuffer(r);
    for (let at = 0; at <= bytes.length; at++) {
      expect(parse([bytes.subarray(0, at), bytes.subarray(at)])).toEqual([request(r)]);
    }
    expect(parse([...bytes].map((byte) => Buffer.of(byte)))).toEqual([request(r)]);
  });

  it('parses a pipeline in order, and accepts bare LF and repeated spaces as memcached does', () => {
    const stream = wire('get a\nset  k 0 0 1\r\nx\r\ndelete k 0\r\nversion\r\n');
    expect(parse([stream])).toEqual([
      request({ command: 'get', keys: ['a'] }),
      request({
        command: 'set',
        key: 'k',
        flags: 0,
        exptime: 0,
        value: value('x'),
        cas: undefined,
        noreply: undefined,
      }),
      request({ command: 'delete', key: 'k', noreply: undefined }),
      request({ command: 'version' }),
    ]);
  });

  it.each([
    ['an unknown command', 'bogus\r\n', [{ type: 'error', kind: 'ERROR', message: '', close: false }]],
    ['an empty line', '\r\n', [{ type: 'error', kind: 'ERROR', message: '', close: false }]],
    // memcached counts tokens first: too few is an unknown command (ERROR), as memccapable expects.
    ['get without keys', 'get\r\n', [{ type: 'error', kind: 'ERROR', message: '', close: false }]],
    ['a key of 251 bytes', `get ${'k'.repeat(251)}\r\n`, [clientError('bad command line format')]],
    ['incr by a non-number', 'incr n x\r\n', [clientError('invalid numeric delta argument')]],
    ['incr past 2^64', 'incr n 18446744073709551616\r\n', [clientError('invalid numeric delta argument')]],
    ['touch without exptime', 'touch k\r\n', [{ type: 'error', kind: 'ERROR', message: '', close: false }]],
    ['version with arguments', 'version foo bar\r\n', [request({ command: 'version' })]],
    ['delete without a key', 'delete\r\n', [{ type: 'error', kind: 'ERROR', message: '', close: false }]],
    [
      'a set without a length',
      'set k 0 0\r\nget a\r\n',
      [clientError('bad command line format'), request({ command: 'get', keys: ['a'] })],
    ],
    [
      'a set with bad flags: its block is skipped',
      'set k x 0 3\r\nabc\r\nget a\r\n',
      [clientError('bad command line format'), request({ command: 'get', keys: ['a'] })],
    ],
    [
      'a data block longer than announced',
      'set k 0 0 1\r\nxyz\r\nget a\r\n',
      // memcached reads length+2 bytes, answers bad data chunk, then reads on: 'z\r\n' is junk.
      [
        clientError('bad data chunk'),
        { type: 'error', kind: 'ERROR', message: '', close: false },
        request({ command: 'get', keys: ['a'] }),
      ],
    ],
  ] as [string, string, ParsedRequest[]][])('answers %s like memcached and reads on', (_, text, expected) => {
    expect(parse([wire(text)])).toEqual(expected);
  });

  it('skips an oversized value without buffering it, answers SERVER_ERROR, and reads on', () => {
    const parsed: ParsedRequest[] = [];
    const parser = new RequestParser((item) => parsed.push(item), { maxValueBytes: 10 });
    parser.feed(wire('set k 0 0 5000000\r\n'));
    for (let sent = 0; sent < 5_000_000; sent += 65536) {
      parser.feed(Buffer.alloc(Math.min(65536, 5_000_000 - sent), 97));
      expect(parser.buffered).toBeLessThan(70_000);
    }
    parser.feed(wire('\r\nget a\r\n'));
    expect(parsed).toEqual([
      {
        type: 'error',
        kind: 'SERVER_ERROR',
        message: 'object too large for cache',
        close: false,
        staleKey: 'k',
      },
      request({ command: 'get', keys: ['a'] }),
    ]);
  });

  it('names the key of a too large set only (memcached deletes its old value; add, cas... keep it)', () => {
    const tooLarge = (command: string) =>
      parse([wire(`${command} k 0 0 20${command === 'cas' ? ' 1' : ''}\r\n${'x'.repeat(20)}\r\n`)], {
        maxValueBytes: 10,
      })[0];
    expect(tooLarge('set')).toMatchObject({ kind: 'SERVER_ERROR', staleKey: 'k' });
    expect(tooLarge('set')).not.toHaveProperty('noreply', true);
    const quiet = parse([wire(`set k 0 0 20 noreply\r\n${'x'.repeat(20)}\r\n`)], { maxValueBytes: 10 });
    expect(quiet).toEqual([expect.objectContaining({ staleKey: 'k', noreply: true })]);
    for (const command of ['add', 'replace', 'append', 'prepend', 'cas']) {
      const parsed = tooLarge(command);
      expect(parsed).toMatchObject({ kind: 'SERVER_ERROR', message: 'object too large for cache' });
      expect(parsed).not.toHaveProperty('staleKey', 'k');
    }
  });

  it('allocates a data block as its bytes arrive, not as its header announces', () => {
    // 200 clients announcing 1 MB values and sending nothing must not cost 200 MB.
    const before = process.memoryUsage().arrayBuffers;
    const parsers = Array.from({ length: 200 }, () => {
      const parser = new RequestParser(() => {});
      parser.feed(wire('set k 0 0 1000000\r\nabc'));
      return parser;
    });
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(50 * 1024 ** 2);
    // A value fed in small pieces still arrives whole.
    const parsed: ParsedRequest[] = [];
    const parser = new RequestParser((item) => parsed.push(item));
    const data = Buffer.alloc(300_000, 7);
    parser.feed(wire('set k 0 0 300000\r\n'));
    for (let sent = 0; sent < data.length; sent += 7001) parser.feed(data.subarray(sent, sent + 7001));
    parser.feed(wire('\r\n'));
    expect(parsed).toHaveLength(1);
    const request = parsed[0]?.type === 'request' ? parsed[0].request : undefined;
    expect(request?.command === 'set' && Buffer.from(request.value).equals(data)).toBe(true);
    expect(parsers).toHaveLength(200);
  });

  it('closes on a line longer than maxLineBytes, and on an unskippable length', () => {
    expect(parse([wire(`get ${'a '.repeat(100)}`)], { maxLineBytes: 64 })).toEqual([
      clientError('line too long', true),
    ]);
    expect(parse([wire('set k 0 0 4000000000\r\n')])).toEqual([clientError('bad data chunk', true)]);
    expect(parse([wire('set k 0 0 99999999999\r\n')])).toEqual([clientError('bad command line format')]);
  });

  it('refuses keys that are not valid UTF-8 rather than storing them under another key', () => {
    const line = Buffer.concat([wire('get a '), Buffer.of(0xff, 0xfe), wire('\r\n')]);
    expect(parse([line])).toEqual([clientError('bad command line format')]);
    expect(parse([wire('get a\uFFFDb\r\n')])).toEqual([request({ command: 'get', keys: ['a\uFFFDb'] })]);
  });

  it('fuzz: junk never throws, every item is a request or an error, and the stream resynchronises', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.array(fc.nat(), { maxLength: 8 }), (junk, points) => {
        const tail = wire('\r\nversion\r\n');
        const stream = Buffer.concat([Buffer.from(junk), tail]);
        const at = [...new Set(points.map((point) => point % (stream.length + 1)))].sort((a, b) => a - b);
        const chunks = [0, ...at].map((start, index) => stream.subarray(start, at[index] ?? stream.length));
        const parsed = parse(chunks, { maxLineBytes: 1024, maxValueBytes: 100 });
        for (const item of parsed) expect(['request', 'error']).toContain(item.type);
        // Unless the junk announced a data block still being read, the trailing command is found.
        const opensBlock = /(^|\n)\s*(set|add|replace|append|prepend|cas) /.test(
          Buffer.from(junk).toString('latin1'),
        );
        if (!opensBlock) expect(parsed.at(-1)).toEqual(request({ command: 'version' }));
      }),
      { numRuns: 500 },
    );
  });

  it('fuzz: random pipelines of valid requests, cut anywhere, parse back unchanged', () => {
    const key = fc.stringMatching(/^[!-~]{1,30}$/);
    const storage = fc.record({
      command: fc.constantFrom('set', 'add', 'replace', 'append', 'prepend' as const),
      key,
      flags: fc.nat({ max: 0xffffffff }),
      exptime: fc.integer({ min: -1, max: 100_000 }),
      value: fc.uint8Array({ maxLength: 200 }),
      cas: fc.constant(undefined),
      noreply: fc.constantFrom(undefined, true),
    });
    const retrieval = fc.record({
      command: fc.constantFrom('get', 'gets' as const),
      keys: fc.array(key, { minLength: 1, maxLength: 5 }),
    });
    const arbitrary = fc.array(fc.oneof(storage, retrieval) as fc.Arbitrary<Request>, {
      minLength: 1,
      maxLength: 10,
    });
    fc.assert(
      fc.property(arbitrary, fc.array(fc.nat(), { maxLength: 10 }), (list, points) => {
        const stream = Buffer.concat(list.map(encodeRequestToBuffer));
        const at = [...new Set(points.map((point) => point % (stream.length + 1)))].sort((a, b) => a - b);
        const chunks = [0, ...at].map((start, index) => stream.subarray(start, at[index] ?? stream.length));
        expect(parse(chunks)).toEqual(list.map(request));
      }),
      { numRuns: 300 },
    );
  });
});
