import { isValidKey } from './keys.js';
import type { ErrorKind, Request, StorageCommand } from './types.js';

export interface RequestParserOptions {
  /**
   * Longest command line, in bytes. A longer line gets `CLIENT_ERROR line too long` and the
   * connection must close (the parser cannot find the next command).
   * @default 65536 (a `get` of 250 keys of 250 bytes fits)
   */
  maxLineBytes?: number;
  /**
   * Largest data block of a storage command. A larger one gets
   * `SERVER_ERROR object too large for cache` and its bytes are skipped, as memcached does; for a
   * `set` the error carries the key (`staleKey`), whose old value the server must then delete.
   * @default 1048576
   */
  maxValueBytes?: number;
}

/** What the parser produced, in stream order: a request, or the error reply owed for bad input. */
export type ParsedRequest =
  | { readonly type: 'request'; readonly request: Request }
  | {
      readonly type: 'error';
      readonly kind: ErrorKind;
      readonly message: string;
      /** The stream cannot be resynchronised: reply, then close the connection. */
      readonly close: boolean;
      /**
       * A `set` refused as too large: memcached deletes the key's old value before it answers
       * ("unacceptable for SET" to leave stale data), so a server built on this parser must too.
       */
      readonly staleKey?: string | undefined;
      /**
       * The refused request said `noreply`: memcached writes nothing for a too large value then
       * (the old value is still deleted), so neither must a server built on this parser.
       */
      readonly noreply?: boolean | undefined;
    };

const LF = 10;
const CR = 13;
const STORAGE: ReadonlySet<string> = new Set<StorageCommand>([
  'set',
  'add',
  'replace',
  'append',
  'prepend',
  'cas',
]);
const BAD_FORMAT = 'bad command line format';
/** First allocation for a data block; it doubles as bytes arrive. */
const INITIAL_BLOCK_BYTES = 16_384;

interface PendingBlock {
  /** The data block's length plus its CRLF. */
  readonly total: number;
  filled: number;
  /**
   * Where the block is copied; undefined when it is skipped. It grows with the bytes received
   * (doubling, up to `total`), so a header announcing 1 MB and a client that then sends nothing
   * costs little: many such clients cannot make the proxy allocate their announced sizes.
   */
  block: Uint8Array | undefined;
  /** The storage request without its value (when the block is kept). */
  readonly header: Omit<Extract<Request, { command: StorageCommand }>, 'value'> | undefined;
  /** The error owed once a skipped block has gone by. */
  readonly skipError: ParsedRequest | undefined;
}

type KeyCheck = (key: string | undefined) => key is string;

/**
 * Incremental parser of client requests (the server side, for the routing proxy). Feed it the
 * socket's chunks, cut anywhere; it calls `onRequest` once per request, or once per error reply
 * owed for bad input, in stream order. It never throws on input: malformed lines, unknown
 * commands, huge lengths and binary junk become `ERROR` / `CLIENT_ERROR` / `SERVER_ERROR`
 * items, following memcached's own replies.
 */
export class RequestParser {
  private readonly maxLineBytes: number;
  private readonly maxValueBytes: number;
  private rest: Buffer | undefined;
  private pending: PendingBlock | undefined;
  private closed = false;

  constructor(
    private readonly onRequest: (parsed: ParsedRequest) => void,
    options: RequestParserOptions = {},
  ) {
    this.maxLineBytes = options.maxLineBytes ?? 65_536;
    this.maxValueBytes = options.maxValueBytes ?? 1_048_576;
  }

  /** Bytes buffered for an incomplete request (for backpressure accounting). */
  get buffered(): number {
    return (this.rest?.length ?? 0) + (this.pending?.block === undefined ? 0 : this.pending.filled);
  }

  feed(chunk: Buffer): void {
    if (this.closed) return;
    let buffer = chunk;
    let offset = 0;
    if (this.pending !== undefined) {
      offset = this.fill(buffer, 0);
      if (offset === buffer.length) return;
    } else if (this.rest !== undefined) {
      buffer = Buffer.concat([this.rest, chunk]);
      this.rest = undefined;
    }
    while (offset < buffer.length && !this.closed) {
      const newline = buffer.indexOf(LF, offset);
      if (newline < 0 || newline - offset > this.maxLineBytes) {
        if (buffer.length - offset > this.maxLineBytes) {
          this.closed = true;
          this.onRequest({ type: 'error', kind: 'CLIENT_ERROR', message: 'line too long', close: true });
          return;
        }
        this.rest = buffer.subarray(offset);
        return;
      }
      const end = newline > offset && buffer[newline - 1] === CR ? newline - 1 : newline;
      const line = buffer.toString('utf8', offset, end);
      // Keys are bytes: one that is not valid UTF-8 would be routed and stored under another key.
      const clean =
        !line.includes('\ufffd') || Buffer.from(line, 'utf8').equals(buffer.subarray(offset, end));
      offset = this.command(buffer, line, clean ? validKey : validCleanKey, newline + 1);
    }
  }

  /** Parses one command line; returns where parsing continues (after a data block, if any). */
  private command(buffer: Buffer, line: string, isKey: KeyCheck, next: number): number {
    const tokens = line.split(' ').filter((token) => token !== '');
    const name = tokens[0];
    if (name === undefined) return this.error('ERROR', '', next);
    if (STORAGE.has(name)) return this.storage(buffer, name as StorageCommand, tokens, isKey, next);
    const request = parseSimple(name, tokens, isKey);
    if (request === 'ERROR') return this.error('ERROR', '', next);
    if (typeof request === 'string') return this.error('CLIENT_ERROR', request, next);
    this.onRequest({ type: 'request', request });
    return next;
  }

  private storage(
    buffer: Buffer,
    command: StorageCommand,
    tokens: string[],
    isKey: KeyCheck,
    next: number,
  ): number {
    const withCas = command === 'cas';
    const expected = withCas ? 6 : 5;
    const size = parseInteger(tokens[4]);
    if (size === undefined || size < 0) {
      // Without a length the data block cannot be found: memcached answers and reads on.
      return this.error('CLIENT_ERROR', BAD_FORMAT, next);
    }
    if (size > MAX_SKIPPABLE_BYTES) {
      // memcached closes such connections too.
      this.closed = true;
      this.onRequest({ type: 'error', kind: 'CLIENT_ERROR', message: 'bad data chunk', close: true });
      return buffer.length;
    }
    const noreply = tokens.length === expected + 1 && tokens[expected] === 'noreply';
    const key = tokens[1];
    const flags = parseInteger(tokens[2]);
    const exptime = parseInteger(tokens[3]);
    const cas = withCas ? parseUnsigned64(tokens[5]) : undefined;
    const wellFormed =
      (tokens.length === expected || noreply) &&
      isKey(key) &&
      flags !== undefined &&
      flags >= 0 &&
      exptime !== undefined &&
      (!withCas || cas !== undefined);
    if (!wellFormed || size > this.maxValueBytes) {
      // The block is skipped, as memcached swallows it, so the next command is found.
      const skipError: ParsedRequest = wellFormed
        ? {
            type: 'error',
            kind: 'SERVER_ERROR',
            message: 'object too large for cache',
            close: false,
            // memcached unlinks the old item for `set` only (proto_text.c, process_update_command).
            staleKey: command === 'set' ? key : undefined,
            noreply: noreply || undefined,
          }
        : { type: 'error', kind: 'CLIENT_ERROR', message: BAD_FORMAT, close: false };
      this.pending = { total: size + 2, filled: 0, block: undefined, header: undefined, skipError };
    } else {
      this.pending = {
        total: size + 2,
        filled: 0,
        block: new Uint8Array(Math.min(size + 2, INITIAL_BLOCK_BYTES)),
        header: { command, key: key!, flags: flags!, exptime: exptime!, cas, noreply: noreply || undefined },
        skipError: undefined,
      };
    }
    return this.fill(buffer, next);
  }

  /** Copies (or skips) what `buffer` holds of the pending block; returns where parsing continues. */
  private fill(buffer: Buffer, offset: number): number {
    const pending = this.pending!;
    const take = Math.min(pending.total - pending.filled, buffer.length - offset);
    if (pending.block !== undefined) {
      if (pending.filled + take > pending.block.length) {
        const grown = new Uint8Array(
          Math.min(pending.total, Math.max(pending.filled + take, pending.block.length * 2)),
        );
        grown.set(pending.block.subarray(0, pending.filled));
        pending.block = grown;
      }
      pending.block.set(buffer.subarray(offset, offset + take), pending.filled);
    }
    pending.filled += take;
    if (pending.filled < pending.total) return buffer.length;
    this.pending = undefined;
    const block = pending.block;
    if (block === undefined) {
      this.onRequest(pending.skipError!);
    } else if (block[pending.total - 2] !== CR || block[pending.total - 1] !== LF) {
      this.onRequest({ type: 'error', kind: 'CLIENT_ERROR', message: 'bad data chunk', close: false });
    } else {
      const value = block.subarray(0, pending.total - 2);
      this.onRequest({ type: 'request', request: { ...pending.header!, value } });
    }
    return offset + take;
  }

  private error(kind: ErrorKind, message: string, next: number): number {
    this.onRequest({ type: 'error', kind, message, close: false });
    return next;
  }
}

// Lengths past this are not skipped byte by byte: the connection is closed instead.
const MAX_SKIPPABLE_BYTES = 0x7fff_fff0;

const validKey: KeyCheck = (key): key is string => key !== undefined && isValidKey(key);
/** For lines that held invalid UTF-8: the replaced characters mark the bad keys. */
const validCleanKey: KeyCheck = (key): key is string => validKey(key) && !key.includes('\ufffd');

/** Every command without a data block; a string is the error to reply (`'ERROR'` = unknown command). */
function parseSimple(name: string, tokens: string[], isKey: KeyCheck): Request | string {
  const count = tokens.length;
  const noreply = tokens[count - 1] === 'noreply';
  switch (name) {
    case 'get':
    case 'gets': {
      const keys = tokens.slice(1);
      // memcached checks the token count first (WANT_TOKENS_MIN): a bare `get` is an unknown command.
      if (keys.length === 0) return 'ERROR';
      if (!keys.every(isKey)) return BAD_FORMAT;
      return { command: name, keys };
    }
    case 'gat':
    case 'gats': {
      const exptime = parseInteger(tokens[1]);
      const keys = tokens.slice(2);
      if (exptime === undefined || keys.length === 0 || !keys.every(isKey)) return BAD_FORMAT;
      return { command: name, exptime, keys };
    }
    case 'delete': {
      if (count < 2 || count > 4) return 'ERROR';
      // `delete <key> [0] [noreply]`: the legacy time argument is accepted only as 0.
      const rest = tokens.slice(2, noreply ? -1 : undefined);
      if (!isKey(tokens[1]) || rest.length > 1 || (rest.length === 1 && rest[0] !== '0')) {
        return rest.length === 1 ? 'bad command line format.  Usage: delete <key> [noreply]' : BAD_FORMAT;
      }
      return { command: 'delete', key: tokens[1]!, noreply: noreply || undefined };
    }
    case 'incr':
    case 'decr': {
      if (count !== 3 && count !== 4) return 'ERROR';
      if (count !== (noreply ? 4 : 3) || !isKey(tokens[1])) return BAD_FORMAT;
      const delta = parseUnsigned64(tokens[2]);
      if (delta === undefined) return 'invalid numeric delta argument';
      return { command: name, key: tokens[1]!, delta, noreply: noreply || undefined };
    }
    case 'touch': {
      const exptime = parseInteger(tokens[2]);
      if (count !== 3 && count !== 4) return 'ERROR';
      if (count !== (noreply ? 4 : 3) || !isKey(tokens[1]) || exptime === undefined) return BAD_FORMAT;
      return { command: 'touch', key: tokens[1]!, exptime, noreply: noreply || undefined };
    }
    case 'flush_all': {
      const args = tokens.slice(1, noreply ? -1 : undefined);
      const delay = args.length === 0 ? undefined : parseInteger(args[0]);
      if (args.length > 1 || (args.length === 1 && (delay === undefined || delay < 0))) return BAD_FORMAT;
      return { command: 'flush_all', delay, noreply: noreply || undefined };
    }
    case 'verbosity': {
      if (count < 2) return 'ERROR';
      const level = parseInteger(tokens[1]);
      if (count !== (noreply ? 3 : 2) || level === undefined || level < 0) return BAD_FORMAT;
      return { command: 'verbosity', level, noreply: noreply || undefined };
    }
    case 'stats':
      return count === 1 ? { command: 'stats' } : { command: 'stats', arguments: tokens.slice(1) };
    case 'version':
      // memcached answers VERSION whatever follows the command.
      return { command: 'version' };
    case 'quit':
      return count === 1 ? { command: 'quit' } : 'ERROR';
    default:
      return 'ERROR';
  }
}

/** A decimal integer from -2^31 to 2^32-1 (exptime may be negative: already expired). */
function parseInteger(token: string | undefined): number | undefined {
  if (token === undefined || !/^-?\d{1,10}$/.test(token)) return undefined;
  const value = Number(token);
  return value >= -2147483648 && value <= 0xffffffff ? value : undefined;
}

function parseUnsigned64(token: string | undefined): bigint | undefined {
  if (token === undefined || !/^\d{1,20}$/.test(token)) return undefined;
  const value = BigInt(token);
  return value <= 0xffffffffffffffffn ? value : undefined;
}
