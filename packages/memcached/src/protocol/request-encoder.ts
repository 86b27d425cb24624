import { ConfigError } from '@ringcache/core';
import { assertValidKey } from './keys.js';
import type { Request } from './types.js';

/**
 * Where encoded bytes go. Text and data blocks are kept apart so a writer can merge the text of
 * many pipelined requests into one string and pass large values through without copying.
 */
export interface ByteSink {
  /** Protocol text (command lines). UTF-8; keys may hold non-ASCII characters. */
  text(text: string): void;
  /** A data block, written as is. */
  bytes(data: Uint8Array): void;
}

const CRLF = '\r\n';

/**
 * Writes one request in the text protocol. Keys are checked (no injected commands); numbers
 * are checked to be in range, so a request that encodes is one the server can parse.
 * @throws InvalidKeyError / KeyTooLongError on a bad key, ConfigError on an out-of-range number
 */
export function encodeRequest(request: Request, sink: ByteSink): void {
  switch (request.command) {
    case 'get':
    case 'gets':
      sink.text(`${request.command} ${keyList(request.keys)}${CRLF}`);
      return;
    case 'gat':
    case 'gats':
      sink.text(`${request.command} ${exptime(request.exptime)} ${keyList(request.keys)}${CRLF}`);
      return;
    case 'set':
    case 'add':
    case 'replace':
    case 'append':
    case 'prepend':
    case 'cas': {
      assertValidKey(request.key);
      let line = `${request.command} ${request.key} ${flags(request.flags)} ${exptime(request.exptime)} ${request.value.byteLength}`;
      if (request.command === 'cas') line += ` ${unsigned64(request.cas, 'cas')}`;
      sink.text(`${line}${noreply(request.noreply)}${CRLF}`);
      sink.bytes(request.value);
      sink.text(CRLF);
      return;
    }
    case 'delete':
      assertValidKey(request.key);
      sink.text(`delete ${request.key}${noreply(request.noreply)}${CRLF}`);
      return;
    case 'incr':
    case 'decr':
      assertValidKey(request.key);
      sink.text(
        `${request.command} ${request.key} ${unsigned64(request.delta, 'delta')}${noreply(request.noreply)}${CRLF}`,
      );
      return;
    case 'touch':
      assertValidKey(request.key);
      sink.text(`touch ${request.key} ${exptime(request.exptime)}${noreply(request.noreply)}${CRLF}`);
      return;
    case 'flush_all':
      sink.text(
        `flush_all${request.delay === undefined ? '' : ` ${unsigned32(request.delay)}`}${noreply(request.noreply)}${CRLF}`,
      );
      return;
    case 'stats': {
      const args = request.arguments ?? [];
      for (const argument of args) {
        if (!/^[\x21-\x7e]+$/.test(argument)) throw new ConfigError(`bad stats argument '${argument}'`);
      }
      sink.text(args.length === 0 ? `stats${CRLF}` : `stats ${args.join(' ')}${CRLF}`);
      return;
    }
    case 'verbosity':
      sink.text(`verbosity ${unsigned32(request.level)}${noreply(request.noreply)}${CRLF}`);
      return;
    case 'version':
      sink.text(`version${CRLF}`);
      return;
    case 'quit':
      sink.text(`quit${CRLF}`);
      return;
  }
}

/** Encodes one request into a single Buffer (tests, tools; the connection batches instead). */
export function encodeRequestToBuffer(request: Request): Buffer {
  const parts: Buffer[] = [];
  encodeRequest(request, {
    text: (text) => parts.push(Buffer.from(text, 'utf8')),
    bytes: (data) => parts.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength)),
  });
  return Buffer.concat(parts);
}

function keyList(keys: readonly string[]): string {
  if (keys.length === 0) throw new ConfigError('a retrieval command needs at least one key');
  for (const key of keys) assertValidKey(key);
  return keys.length === 1 ? keys[0]! : keys.join(' ');
}

function noreply(value: boolean | undefined): string {
  return value === true ? ' noreply' : '';
}

function flags(value: number): number {
  if (Number.isInteger(value) && value >= 0 && value <= 0xffffffff) return value;
  throw new ConfigError(`flags must be a 32-bit unsigned integer, got ${String(value)}`);
}

/** Seconds from now, a unix time past 30 days, or negative: already expired. */
function exptime(value: number): number {
  if (Number.isInteger(value) && value >= -2147483648 && value <= 0xffffffff) return value;
  throw new ConfigError(`exptime must be an integer from -2^31 to 2^32-1, got ${String(value)}`);
}

function unsigned32(value: number): number {
  if (Number.isInteger(value) && value >= 0 && value <= 0xffffffff) return value;
  throw new ConfigError(`expected an integer from 0 to 2^32-1, got ${String(value)}`);
}

function unsigned64(value: bigint | undefined, what: string): string {
  if (typeof value === 'bigint' && value >= 0n && value <= 0xffffffffffffffffn) return value.toString();
  throw new ConfigError(`${what} must be a 64-bit unsigned bigint, got ${String(value)}`);
}
