import { MAX_KEY_BYTES } from '@ringcache/memcached/protocol';
import { type BinaryRequest, BinaryStatus, HEADER_BYTES, Opcode, REQUEST_MAGIC } from './binary-protocol.js';

/** What the parser produced, in stream order. */
export type ParsedBinary =
  | { readonly type: 'request'; readonly request: BinaryRequest }
  | {
      readonly type: 'error';
      readonly opcode: number;
      readonly opaque: number;
      readonly status: number;
      /** The stream cannot be trusted (bad magic, absurd length): close without answering. */
      readonly close: boolean;
      /** A set (or setq) refused as too large: its key, whose old value must be deleted (as memcached). */
      readonly staleKey?: Buffer | undefined;
    };

interface Header {
  readonly opcode: number;
  readonly keyLength: number;
  readonly extrasLength: number;
  readonly bodyLength: number;
  readonly opaque: number;
  readonly cas: bigint;
}

interface PendingBody {
  readonly header: Header;
  filled: number;
  /** Undefined when the body is skipped (too large, inconsistent lengths). */
  readonly block: Uint8Array | undefined;
  readonly skipStatus: number;
  /** Extras and key of a too large set, kept while its value is skipped. */
  readonly prefix: Uint8Array | undefined;
}

// Bodies past this are not skipped byte by byte: the connection is closed, as for text.
const MAX_SKIPPABLE_BYTES = 0x7fff_fff0;

/**
 * Incremental parser of binary-protocol requests: 24-byte headers and their bodies, cut
 * anywhere. Never throws on input. A body is only allocated once its length is known to be
 * within `maxValueBytes` (+ key and extras); a larger one is skipped as it streams by and
 * answered with "too large", as memcached does; a bad magic byte closes the connection.
 */
export class BinaryRequestParser {
  private readonly header = Buffer.alloc(HEADER_BYTES);
  private headerFilled = 0;
  private body: PendingBody | undefined;
  private closed = false;

  constructor(
    private readonly onParsed: (parsed: ParsedBinary) => void,
    private readonly maxValueBytes: number,
  ) {}

  feed(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length && !this.closed) {
      if (this.body !== undefined) {
        offset = this.fill(chunk, offset);
        continue;
      }
      const take = Math.min(HEADER_BYTES - this.headerFilled, chunk.length - offset);
      chunk.copy(this.header, this.headerFilled, offset, offset + take);
      this.headerFilled += take;
      offset += take;
      if (this.headerFilled < HEADER_BYTES) return;
      this.headerFilled = 0;
      this.onHeader();
    }
  }

  private onHeader(): void {
    const raw = this.header;
    const header: Header = {
      opcode: raw[1]!,
      keyLength: raw.readUInt16BE(2),
      extrasLength: raw[4]!,
      bodyLength: raw.readUInt32BE(8),
      opaque: raw.readUInt32BE(12),
      cas: raw.readBigUInt64BE(16),
    };
    if (raw[0] !== REQUEST_MAGIC || header.bodyLength > MAX_SKIPPABLE_BYTES) {
      this.closed = true;
      this.onParsed({
        type: 'error',
        opcode: header.opcode,
        opaque: header.opaque,
        status: BinaryStatus.invalid,
        close: true,
      });
      return;
    }
    const valueLength = header.bodyLength - header.keyLength - header.extrasLength;
    let skipStatus = 0;
    if (valueLength < 0 || header.keyLength > MAX_KEY_BYTES) skipStatus = BinaryStatus.invalid;
    else if (valueLength > this.maxValueBytes) skipStatus = BinaryStatus.tooLarge;
    const set = header.opcode === Opcode.set || header.opcode === Opcode.setQ;
    this.body = {
      header,
      filled: 0,
      block: skipStatus === 0 ? new Uint8Array(header.bodyLength) : undefined,
      skipStatus,
      prefix:
        skipStatus === BinaryStatus.tooLarge && set
          ? new Uint8Array(header.extrasLength + header.keyLength)
          : undefined,
    };
    if (header.bodyLength === 0) this.finish();
  }

  /** Copies (or skips) what `chunk` holds of the pending body; returns where parsing continues. */
  private fill(chunk: Buffer, offset: number): number {
    const body = this.body!;
    const take = Math.min(body.header.bodyLength - body.filled, chunk.length - offset);
    body.block?.set(chunk.subarray(offset, offset + take), body.filled);
    const prefix = body.prefix;
    if (prefix !== undefined && body.filled < prefix.length) {
      prefix.set(chunk.subarray(offset, offset + Math.min(take, prefix.length - body.filled)), body.filled);
    }
    body.filled += take;
    if (body.filled === body.header.bodyLength) this.finish();
    return offset + take;
  }

  private finish(): void {
    const { header, block, skipStatus, prefix } = this.body!;
    this.body = undefined;
    if (block === undefined) {
      this.onParsed({
        type: 'error',
        opcode: header.opcode,
        opaque: header.opaque,
        status: skipStatus,
        close: false,
        staleKey:
          prefix === undefined
            ? undefined
            : Buffer.from(prefix.buffer, prefix.byteOffset + header.extrasLength, header.keyLength),
      });
      return;
    }
    const bytes = Buffer.from(block.buffer, block.byteOffset, block.byteLength);
    const keyStart = header.extrasLength;
    const valueStart = keyStart + header.keyLength;
    this.onParsed({
      type: 'request',
      request: {
        opcode: header.opcode,
        opaque: header.opaque,
        cas: header.cas,
        extras: bytes.subarray(0, keyStart),
        key: bytes.subarray(keyStart, valueStart),
        value: block.subarray(valueStart),
      },
    });
  }
}
