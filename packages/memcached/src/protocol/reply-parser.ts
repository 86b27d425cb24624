import { ProtocolError, type Reply, type ReplyShape, type Status, type ValueItem } from './types.js';

/** Longest reply line accepted (a VALUE line holds a key of at most 250 bytes). */
const MAX_LINE_BYTES = 8192;

const CR = 13;
const LF = 10;
const SPACE = 32;

const STATUSES: ReadonlySet<string> = new Set<Status>([
  'STORED',
  'NOT_STORED',
  'EXISTS',
  'NOT_FOUND',
  'DELETED',
  'TOUCHED',
  'OK',
]);

/** A value whose data block spans several chunks: filled as they arrive. */
interface PartialValue {
  readonly key: string;
  readonly flags: number;
  readonly cas: bigint | undefined;
  /** The data block plus its trailing CRLF. */
  readonly block: Uint8Array;
  filled: number;
}

/**
 * Incremental parser of server replies (the client side). Feed it the socket's chunks, cut
 * anywhere; it calls `onReply` once per complete reply, in order. It asks `nextShape()` which
 * shape the next reply has (the head of the caller's FIFO of pending requests), since a `STAT`
 * block and a `VALUE` block both end with `END`.
 *
 * Values are copied out of the socket's chunks, so a returned value never pins a larger buffer.
 * @throws ProtocolError from `feed` on anything that is not a well-formed reply: the stream is
 *   then out of step and the connection must be closed.
 */
export class ReplyParser {
  private rest: Buffer | undefined;
  private partial: PartialValue | undefined;
  private shape: ReplyShape | undefined;
  private items: ValueItem[] = [];
  private stats: [string, string][] = [];

  constructor(
    private readonly nextShape: () => ReplyShape | undefined,
    private readonly onReply: (reply: Reply) => void,
  ) {}

  /** True while a reply is partly received. */
  get busy(): boolean {
    return this.rest !== undefined || this.partial !== undefined || this.shape !== undefined;
  }

  /** Forgets any partial reply (after the connection was replaced). */
  reset(): void {
    this.rest = undefined;
    this.partial = undefined;
    this.shape = undefined;
    this.items = [];
    this.stats = [];
  }

  feed(chunk: Buffer): void {
    let buffer = chunk;
    let offset = 0;
    if (this.partial !== undefined) {
      offset = this.fillPartial(buffer, 0);
      if (offset === buffer.length) return;
    } else if (this.rest !== undefined) {
      buffer = Buffer.concat([this.rest, chunk]);
      this.rest = undefined;
    }
    const length = buffer.length;
    while (offset < length) {
      const newline = buffer.indexOf(LF, offset);
      if (newline < 0) {
        if (length - offset > MAX_LINE_BYTES) throw new ProtocolError('reply line too long');
        this.rest = buffer.subarray(offset);
        return;
      }
      const lineEnd = newline > offset && buffer[newline - 1] === CR ? newline - 1 : newline;
      if (this.shape === undefined) {
        this.shape = this.nextShape();
        if (this.shape === undefined) throw new ProtocolError('a reply arrived with no request pending');
      }
      offset = this.line(buffer, offset, lineEnd, newline + 1);
    }
  }

  /** Handles one line; returns where parsing continues. */
  private line(buffer: Buffer, start: number, end: number, next: number): number {
    const first = buffer[start];
    if (this.shape === 'values') {
      if (first === 86 /* V */ && isWord(buffer, start, end, 'VALUE '))
        return this.value(buffer, start, end, next);
      if (end - start === 3 && first === 69 /* E */ && buffer[start + 1] === 78 && buffer[start + 2] === 68) {
        const items = this.items;
        this.items = [];
        this.emit({ type: 'values', items });
        return next;
      }
    } else if (this.shape === 'stats') {
      if (first === 83 /* S */ && isWord(buffer, start, end, 'STAT ')) {
        const text = buffer.toString('utf8', start + 5, end);
        const space = text.indexOf(' ');
        this.stats.push(space < 0 ? [text, ''] : [text.slice(0, space), text.slice(space + 1)]);
        return next;
      }
      if (end - start === 3 && isWord(buffer, start, end, 'END')) {
        const stats = this.stats;
        this.stats = [];
        this.emit({ type: 'stats', stats });
        return next;
      }
    } else {
      const text = buffer.toString('latin1', start, end);
      if (STATUSES.has(text)) {
        this.emit({ type: 'status', status: text as Status });
        return next;
      }
      if (/^\d{1,20}$/.test(text)) {
        this.emit({ type: 'number', value: BigInt(text) });
        return next;
      }
      if (text.startsWith('VERSION ')) {
        this.emit({ type: 'version', version: text.slice(8) });
        return next;
      }
    }
    const error = errorReply(buffer.toString('utf8', start, end));
    if (error === undefined) {
      throw new ProtocolError(
        `unexpected reply line '${buffer.toString('latin1', start, Math.min(end, start + 64))}'`,
      );
    }
    // An error ends whatever reply was in progress.
    this.items = [];
    this.stats = [];
    this.emit(error);
    return next;
  }

  /** `VALUE <key> <flags> <bytes> [<cas>]` and its data block. */
  private value(buffer: Buffer, start: number, end: number, next: number): number {
    const keyStart = start + 6;
    const keyEnd = buffer.indexOf(SPACE, keyStart);
    if (keyEnd < 0 || keyEnd >= end || keyEnd === keyStart) throw new ProtocolError('malformed VALUE line');
    const flagsEnd = tokenEnd(buffer, keyEnd + 1, end);
    const bytesEnd = tokenEnd(buffer, flagsEnd + 1, end);
    const flags = parseUnsigned(buffer, keyEnd + 1, flagsEnd);
    const size = parseUnsigned(buffer, flagsEnd + 1, bytesEnd);
    let cas: bigint | undefined;
    if (bytesEnd < end) {
      const casEnd = tokenEnd(buffer, bytesEnd + 1, end);
      if (casEnd !== end) throw new ProtocolError('malformed VALUE line');
      cas = BigInt(buffer.toString('latin1', bytesEnd + 1, casEnd));
    }
    if (flags > 0xffffffff || size > 0x7fffffff) throw new ProtocolError('VALUE line out of range');
    const key = buffer.toString('utf8', keyStart, keyEnd);
    if (buffer.length - next >= size + 2) {
      if (buffer[next + size] !== CR || buffer[next + size + 1] !== LF) {
        throw new ProtocolError('data block not followed by CRLF');
      }
      this.items.push({ key, flags, value: copyOut(buffer, next, size), cas });
      return next + size + 2;
    }
    this.partial = { key, flags, cas, block: new Uint8Array(size + 2), filled: 0 };
    return this.fillPartial(buffer, next);
  }

  /** Copies what `buffer` holds of the partial value's block; returns where parsing continues. */
  private fillPartial(buffer: Buffer, offset: number): number {
    const partial = this.partial!;
    const take = Math.min(partial.block.length - partial.filled, buffer.length - offset);
    partial.block.set(buffer.subarray(offset, offset + take), partial.filled);
    partial.filled += take;
    if (partial.filled < partial.block.length) return buffer.length;
    const size = partial.block.length - 2;
    if (partial.block[size] !== CR || partial.block[size + 1] !== LF) {
      throw new ProtocolError('data block not followed by CRLF');
    }
    this.partial = undefined;
    this.items.push({
      key: partial.key,
      flags: partial.flags,
      value: partial.block.subarray(0, size),
      cas: partial.cas,
    });
    return offset + take;
  }

  private emit(reply: Reply): void {
    this.shape = undefined;
    this.onReply(reply);
  }
}

/**
 * A copy of `size` bytes of `buffer` as a plain Uint8Array. Small copies come from Node's
 * buffer pool (one slab shared by many values) instead of one allocation each, which is four
 * times cheaper; the result is a plain Uint8Array view so `slice()` still copies, as callers of
 * a Uint8Array expect (a Buffer's `slice()` would not).
 */
function copyOut(buffer: Buffer, start: number, size: number): Uint8Array {
  const copy = Buffer.allocUnsafe(size);
  buffer.copy(copy, 0, start, start + size);
  return new Uint8Array(copy.buffer, copy.byteOffset, size);
}

/** Parses `ERROR`, `CLIENT_ERROR <message>` and `SERVER_ERROR <message>`. */
export function errorReply(line: string): Extract<Reply, { type: 'error' }> | undefined {
  if (line === 'ERROR') return { type: 'error', kind: 'ERROR', message: '' };
  if (line.startsWith('ERROR ')) return { type: 'error', kind: 'ERROR', message: line.slice(6) };
  if (line.startsWith('CLIENT_ERROR')) {
    return { type: 'error', kind: 'CLIENT_ERROR', message: line.slice(12).trimStart() };
  }
  if (line.startsWith('SERVER_ERROR')) {
    return { type: 'error', kind: 'SERVER_ERROR', message: line.slice(12).trimStart() };
  }
  return undefined;
}

function isWord(buffer: Buffer, start: number, end: number, word: string): boolean {
  if (end - start < word.length) return false;
  for (let index = 0; index < word.length; index++) {
    if (buffer[start + index] !== word.charCodeAt(index)) return false;
  }
  return true;
}

/** The end of the token starting at `start` (the next space, or `end`). */
function tokenEnd(buffer: Buffer, start: number, end: number): number {
  if (start >= end) throw new ProtocolError('malformed VALUE line');
  const space = buffer.indexOf(SPACE, start);
  return space < 0 || space > end ? end : space;
}

function parseUnsigned(buffer: Buffer, start: number, end: number): number {
  if (start >= end || end - start > 12) throw new ProtocolError('malformed number in VALUE line');
  let value = 0;
  for (let index = start; index < end; index++) {
    const digit = buffer[index]! - 48;
    if (digit < 0 || digit > 9) throw new ProtocolError('malformed number in VALUE line');
    value = value * 10 + digit;
  }
  return value;
}
