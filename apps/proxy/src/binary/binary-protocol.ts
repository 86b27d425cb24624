import type { ByteSink } from '@ringcache/memcached/protocol';

/**
 * The memcached binary protocol's constants (protocol_binary.h), for the proxy's binary
 * frontend: clients such as memjs speak only this protocol, the servers behind the proxy get the
 * text protocol.
 */
export const HEADER_BYTES = 24;
export const REQUEST_MAGIC = 0x80;
export const RESPONSE_MAGIC = 0x81;

export const Opcode = {
  get: 0x00,
  set: 0x01,
  add: 0x02,
  replace: 0x03,
  delete: 0x04,
  increment: 0x05,
  decrement: 0x06,
  quit: 0x07,
  flush: 0x08,
  getQ: 0x09,
  noop: 0x0a,
  version: 0x0b,
  getK: 0x0c,
  getKQ: 0x0d,
  append: 0x0e,
  prepend: 0x0f,
  stat: 0x10,
  setQ: 0x11,
  addQ: 0x12,
  replaceQ: 0x13,
  deleteQ: 0x14,
  incrementQ: 0x15,
  decrementQ: 0x16,
  quitQ: 0x17,
  flushQ: 0x18,
  appendQ: 0x19,
  prependQ: 0x1a,
  verbosity: 0x1b,
  touch: 0x1c,
  gat: 0x1d,
  gatQ: 0x1e,
  gatK: 0x23,
  gatKQ: 0x24,
} as const;

/** Quiet opcodes: they answer only on failure (getq/getkq not even on a miss). */
export const QUIET = new Set<number>([
  Opcode.getQ,
  Opcode.getKQ,
  Opcode.setQ,
  Opcode.addQ,
  Opcode.replaceQ,
  Opcode.deleteQ,
  Opcode.incrementQ,
  Opcode.decrementQ,
  Opcode.quitQ,
  Opcode.flushQ,
  Opcode.appendQ,
  Opcode.prependQ,
  Opcode.gatQ,
  Opcode.gatKQ,
]);
/** Quiet opcode → its loud twin, so one switch handles both. */
export const LOUD: Readonly<Record<number, number>> = {
  [Opcode.getQ]: Opcode.get,
  [Opcode.getKQ]: Opcode.getK,
  [Opcode.setQ]: Opcode.set,
  [Opcode.addQ]: Opcode.add,
  [Opcode.replaceQ]: Opcode.replace,
  [Opcode.deleteQ]: Opcode.delete,
  [Opcode.incrementQ]: Opcode.increment,
  [Opcode.decrementQ]: Opcode.decrement,
  [Opcode.quitQ]: Opcode.quit,
  [Opcode.flushQ]: Opcode.flush,
  [Opcode.appendQ]: Opcode.append,
  [Opcode.prependQ]: Opcode.prepend,
  [Opcode.gatQ]: Opcode.gat,
  [Opcode.gatKQ]: Opcode.gatK,
};
/** Storage opcodes → the text command. */
export const STORAGE: Readonly<Record<number, 'set' | 'add' | 'replace' | 'append' | 'prepend'>> = {
  [Opcode.set]: 'set',
  [Opcode.add]: 'add',
  [Opcode.replace]: 'replace',
  [Opcode.append]: 'append',
  [Opcode.prepend]: 'prepend',
};
/** The (loud) opcodes of commands on one key. */
export const KEYED = new Set<number>([
  Opcode.get,
  Opcode.getK,
  Opcode.gat,
  Opcode.gatK,
  Opcode.set,
  Opcode.add,
  Opcode.replace,
  Opcode.append,
  Opcode.prepend,
  Opcode.delete,
  Opcode.touch,
  Opcode.increment,
  Opcode.decrement,
]);
export const BinaryStatus = {
  ok: 0x0000,
  notFound: 0x0001,
  exists: 0x0002,
  tooLarge: 0x0003,
  invalid: 0x0004,
  notStored: 0x0005,
  nonNumeric: 0x0006,
  unknownCommand: 0x0081,
  outOfMemory: 0x0082,
  internalError: 0x0084,
  temporaryFailure: 0x0086,
} as const;

/** The text memcached itself answers with each status (binary error bodies carry such a message). */
export const STATUS_TEXT: Readonly<Record<number, string>> = {
  [BinaryStatus.notFound]: 'Not found',
  [BinaryStatus.exists]: 'Data exists for key.',
  [BinaryStatus.tooLarge]: 'Too large.',
  [BinaryStatus.invalid]: 'Invalid arguments',
  [BinaryStatus.notStored]: 'Not stored.',
  [BinaryStatus.nonNumeric]: 'Non-numeric server-side value for incr or decr',
  [BinaryStatus.unknownCommand]: 'Unknown command',
  [BinaryStatus.outOfMemory]: 'Out of memory',
  [BinaryStatus.internalError]: 'Internal error',
  [BinaryStatus.temporaryFailure]: 'Temporary failure',
};

/** A parsed binary request: the header fields plus its extras, key and value. */
export interface BinaryRequest {
  readonly opcode: number;
  readonly opaque: number;
  readonly cas: bigint;
  readonly extras: Buffer;
  readonly key: Buffer;
  readonly value: Uint8Array;
}

export interface BinaryResponse {
  readonly opcode: number;
  readonly opaque: number;
  readonly status: number;
  readonly cas?: bigint | undefined;
  readonly extras?: Uint8Array | undefined;
  readonly key?: Uint8Array | undefined;
  readonly value?: Uint8Array | undefined;
}

const EMPTY = new Uint8Array(0);

/** Writes one response packet. */
export function encodeResponse(response: BinaryResponse, sink: ByteSink): void {
  const extras = response.extras ?? EMPTY;
  const key = response.key ?? EMPTY;
  const value = response.value ?? EMPTY;
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header[0] = RESPONSE_MAGIC;
  header[1] = response.opcode;
  header.writeUInt16BE(key.byteLength, 2);
  header[4] = extras.byteLength;
  header[5] = 0;
  header.writeUInt16BE(response.status, 6);
  header.writeUInt32BE(extras.byteLength + key.byteLength + value.byteLength, 8);
  header.writeUInt32BE(response.opaque, 12);
  header.writeBigUInt64BE(response.cas ?? 0n, 16);
  sink.bytes(header);
  sink.bytes(extras);
  sink.bytes(key);
  sink.bytes(value);
}

/** An error response whose body is memcached's message for the status (or `message`). */
export function errorResponse(
  request: { opcode: number; opaque: number },
  status: number,
  message?: string,
): BinaryResponse {
  return {
    opcode: request.opcode,
    opaque: request.opaque,
    status,
    value: Buffer.from(message ?? STATUS_TEXT[status] ?? 'Error', 'utf8'),
  };
}
