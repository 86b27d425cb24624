// Generators for the protocol fuzz test: junk of every kind, cut points, and valid pipelines with
// the replies a model of memcached gives them.
import fc from 'fast-check';

/** Words, numbers (huge ones too), keys of this run, random text and stray line ends. */
const token = (run: string) =>
  fc.oneof(
    fc.constantFrom(
      'get',
      'gets',
      'set',
      'add',
      'cas',
      'append',
      'delete',
      'incr',
      'decr',
      'touch',
      'gat',
      'stats',
    ),
    // flush_all is refused by default (allow_flush): the junk may send it, it must never reach the servers.
    fc.constantFrom(
      'version',
      'quit',
      'noreply',
      'flush_all',
      'flush_all 0',
      'verbosity',
      'GET',
      'VALUE',
      'END',
    ),
    fc.constantFrom(
      '0',
      '-1',
      '1',
      '5',
      '4294967295',
      '4294967296',
      '2147483647',
      '99999999999999999999',
      '18446744073709551615',
    ),
    fc.string({ maxLength: 12 }).map((text) => `${run}:${text}`),
    fc.string({ minLength: 1, maxLength: 300 }),
    fc.constantFrom('\r\n', '\n', '\r', ' ', '  ', '\0', '\t'),
  );
/** Text-ish junk: tokens joined by spaces. */
const textJunk = (run: string) =>
  fc.array(token(run), { maxLength: 40 }).map((tokens) => Buffer.from(tokens.join(' '), 'latin1'));
/** Bytes, sometimes starting as a binary packet (0x80) with random header fields. */
const byteJunk = fc.oneof(
  fc.uint8Array({ maxLength: 400 }).map((bytes) => Buffer.from(bytes)),
  fc
    .tuple(
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: 0, max: 0xffff }),
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.uint8Array({ maxLength: 200 }),
    )
    .map(([opcode, keyLength, extrasLength, bodyLength, rest]) => {
      const header = Buffer.alloc(24);
      header[0] = 0x80;
      header[1] = opcode;
      header.writeUInt16BE(keyLength, 2);
      header[4] = extrasLength;
      header.writeUInt32BE(bodyLength, 8);
      return Buffer.concat([header, Buffer.from(rest)]);
    }),
);
const numberish = fc.oneof(
  fc.constantFrom(
    '0',
    '-1',
    '5',
    '1048577',
    '2147483647',
    '4294967295',
    '4294967296',
    '99999999999999999999',
    'x',
    '',
  ),
  fc.nat().map(String),
);
/** Storage commands with odd lengths (huge, negative, wrong), and data blocks cut short or overlong. */
const storageJunk = (run: string) =>
  fc
    .record({
      command: fc.constantFrom('set', 'add', 'replace', 'append', 'prepend', 'cas'),
      key: fc.oneof(fc.constant(`${run}:junk`), fc.string({ maxLength: 260 })),
      flags: numberish,
      exptime: numberish,
      length: numberish,
      cas: fc.option(numberish),
      noreply: fc.boolean(),
      data: fc.string({ maxLength: 64 }),
      end: fc.constantFrom('\r\n', '\n', '', 'xx', '\r\nget a\r\n'),
    })
    .map((parts) => {
      const line = [
        parts.command,
        parts.key,
        parts.flags,
        parts.exptime,
        parts.length,
        parts.cas ?? '',
        parts.noreply ? 'noreply' : '',
      ]
        .filter((part) => part !== '')
        .join(' ');
      return Buffer.from(`${line}\r\n${parts.data}${parts.end}`, 'latin1');
    });
/** Lines longer than the limit, with and without a line end. */
const longLines = fc
  .tuple(fc.integer({ min: 4000, max: 20_000 }), fc.boolean())
  .map(([length, ended]) => Buffer.from(`get ${'k '.repeat(length / 2)}${ended ? '\r\n' : ''}`));
/** Junk of every kind; keys carry the run's prefix. */
export const junk = (run: string) => fc.oneof(textJunk(run), byteJunk, storageJunk(run), longLines);

/** How a stream is cut into writes: cut points and whether to pause between writes. */
export const cuts = fc.array(fc.integer({ min: 0, max: 100_000 }), { maxLength: 10 });

export function split(stream: Buffer, points: number[]): Buffer[] {
  const sorted = [...new Set(points.map((point) => point % (stream.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const point of [...sorted, stream.length]) {
    if (point > start) chunks.push(stream.subarray(start, point));
    start = point;
  }
  return chunks;
}

/** A valid command of a small key space, and the reply a model of memcached expects. */
export type Command =
  | { op: 'set'; key: number; value: number; noreply: boolean }
  | { op: 'get'; keys: number[] }
  | { op: 'delete'; key: number }
  | { op: 'incr'; key: number; delta: number }
  | { op: 'append'; key: number; value: number }
  | { op: 'touch'; key: number };
const keyIndex = fc.integer({ min: 0, max: 11 });
export const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({
    op: fc.constant('set' as const),
    key: keyIndex,
    value: fc.integer({ min: 0, max: 99_999 }),
    noreply: fc.boolean(),
  }),
  fc.record({ op: fc.constant('get' as const), keys: fc.array(keyIndex, { minLength: 1, maxLength: 8 }) }),
  fc.record({ op: fc.constant('delete' as const), key: keyIndex }),
  fc.record({ op: fc.constant('incr' as const), key: keyIndex, delta: fc.integer({ min: 0, max: 1000 }) }),
  fc.record({ op: fc.constant('append' as const), key: keyIndex, value: fc.integer({ min: 0, max: 9 }) }),
  fc.record({ op: fc.constant('touch' as const), key: keyIndex }),
);

export function renderPipeline(commands: Command[], prefix: string): { request: string; expected: string } {
  const model = new Map<string, string>();
  const name = (index: number) => `${prefix}:${index}`;
  let request = '';
  let expected = '';
  for (const entry of commands) {
    switch (entry.op) {
      case 'set': {
        const value = String(entry.value);
        request += `set ${name(entry.key)} 0 0 ${value.length}${entry.noreply ? ' noreply' : ''}\r\n${value}\r\n`;
        model.set(name(entry.key), value);
        if (!entry.noreply) expected += 'STORED\r\n';
        break;
      }
      case 'get':
        request += `get ${entry.keys.map(name).join(' ')}\r\n`;
        for (const key of entry.keys.map(name)) {
          const value = model.get(key);
          if (value !== undefined) expected += `VALUE ${key} 0 ${value.length}\r\n${value}\r\n`;
        }
        expected += 'END\r\n';
        break;
      case 'delete':
        request += `delete ${name(entry.key)}\r\n`;
        expected += model.delete(name(entry.key)) ? 'DELETED\r\n' : 'NOT_FOUND\r\n';
        break;
      case 'incr': {
        const key = name(entry.key);
        request += `incr ${key} ${entry.delta}\r\n`;
        const value = model.get(key);
        if (value === undefined) {
          expected += 'NOT_FOUND\r\n';
          break;
        }
        // memcached reads the leading digits (a space may follow), and writes a shorter result
        // in place, padded with spaces to the old length.
        const next = String(BigInt(/^\d+/.exec(value)![0]) + BigInt(entry.delta));
        model.set(key, next.length < value.length ? next.padEnd(value.length, ' ') : next);
        expected += `${next}\r\n`;
        break;
      }
      case 'append': {
        const key = name(entry.key);
        const value = model.get(key);
        if (value !== undefined && value.length >= 15) {
          // Keeps values short enough for incr: a long one is replaced instead.
          request += `set ${key} 0 0 1\r\n${entry.value}\r\n`;
          model.set(key, String(entry.value));
          expected += 'STORED\r\n';
        } else {
          request += `append ${key} 0 0 1\r\n${entry.value}\r\n`;
          if (value !== undefined) model.set(key, `${value}${entry.value}`);
          expected += value === undefined ? 'NOT_STORED\r\n' : 'STORED\r\n';
        }
        break;
      }
      case 'touch':
        request += `touch ${name(entry.key)} 0\r\n`;
        expected += model.has(name(entry.key)) ? 'TOUCHED\r\n' : 'NOT_FOUND\r\n';
        break;
    }
  }
  return { request, expected };
}
