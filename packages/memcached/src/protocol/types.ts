/**
 * The memcached text protocol as data: the requests a client sends and the replies a server
 * answers (protocol.txt in the memcached sources). One vocabulary for both sides, so the
 * adapter's client and a server (the routing proxy) encode and parse with the same module:
 *
 * - client: `encodeRequest` → wire → `ReplyParser`
 * - server: `RequestParser` → wire ← `encodeReply`
 */

/** Commands that store a data block. `cas` also carries a `cas` unique. */
export type StorageCommand = 'set' | 'add' | 'replace' | 'append' | 'prepend' | 'cas';

export type Request =
  | { readonly command: 'get' | 'gets'; readonly keys: readonly string[] }
  | { readonly command: 'gat' | 'gats'; readonly exptime: number; readonly keys: readonly string[] }
  | {
      readonly command: StorageCommand;
      readonly key: string;
      /** 32-bit unsigned, opaque to the server; Ringcache writes 0 (see the package README). */
      readonly flags: number;
      readonly exptime: number;
      readonly value: Uint8Array;
      /** Required for `cas`, ignored otherwise. */
      readonly cas?: bigint | undefined;
      readonly noreply?: boolean | undefined;
    }
  | { readonly command: 'delete'; readonly key: string; readonly noreply?: boolean | undefined }
  | {
      readonly command: 'incr' | 'decr';
      readonly key: string;
      readonly delta: bigint;
      readonly noreply?: boolean | undefined;
    }
  | {
      readonly command: 'touch';
      readonly key: string;
      readonly exptime: number;
      readonly noreply?: boolean | undefined;
    }
  | {
      readonly command: 'flush_all';
      readonly delay?: number | undefined;
      readonly noreply?: boolean | undefined;
    }
  | { readonly command: 'stats'; readonly arguments?: readonly string[] | undefined }
  | { readonly command: 'verbosity'; readonly level: number; readonly noreply?: boolean | undefined }
  | { readonly command: 'version' }
  | { readonly command: 'quit' };

export type Command = Request['command'];

/** One item of a retrieval reply (`VALUE <key> <flags> <bytes> [<cas>]`). */
export interface ValueItem {
  readonly key: string;
  readonly flags: number;
  readonly value: Uint8Array;
  /** Present for `gets`/`gats`. */
  readonly cas?: bigint | undefined;
}

/** Single-line replies that are not errors. */
export type Status = 'STORED' | 'NOT_STORED' | 'EXISTS' | 'NOT_FOUND' | 'DELETED' | 'TOUCHED' | 'OK';

export type ErrorKind = 'ERROR' | 'CLIENT_ERROR' | 'SERVER_ERROR';

export type Reply =
  /** `get`/`gets`/`gat`/`gats`: the hits in request order, then `END`. */
  | { readonly type: 'values'; readonly items: ValueItem[] }
  | { readonly type: 'status'; readonly status: Status }
  /** `incr`/`decr`: the new value, a 64-bit unsigned. */
  | { readonly type: 'number'; readonly value: bigint }
  | { readonly type: 'version'; readonly version: string }
  /** `stats [args]`: `STAT <name> <value>` lines, then `END`. */
  | { readonly type: 'stats'; readonly stats: [name: string, value: string][] }
  | { readonly type: 'error'; readonly kind: ErrorKind; readonly message: string };

/**
 * The shape of reply a request gets, which the reply parser must know: a `STAT` block and a
 * `VALUE` block both end with `END`, and `incr` answers a bare number.
 */
export type ReplyShape = 'values' | 'stats' | 'line';

/** The reply shape of a command; `undefined` for `quit` and `noreply` requests (no reply at all). */
export function replyShape(request: Request): ReplyShape | undefined {
  switch (request.command) {
    case 'get':
    case 'gets':
    case 'gat':
    case 'gats':
      return 'values';
    case 'stats':
      return 'stats';
    case 'quit':
      return undefined;
    case 'version':
      return 'line';
    default:
      return 'noreply' in request && request.noreply === true ? undefined : 'line';
  }
}

/** Largest key, in bytes (KEY_MAX_LENGTH in memcached). */
export const MAX_KEY_BYTES = 250;

/** Relative `exptime` values above this (30 days, in seconds) are read as a unix time. */
export const MAX_RELATIVE_EXPTIME = 60 * 60 * 24 * 30;

/** A protocol violation: the stream cannot be trusted past this point, the connection must close. */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}
