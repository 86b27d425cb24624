import { isValidKey, type Reply, type Request, type WriteBatch } from '@ringcache/memcached/protocol';
import type { Frontend, FrontendSink } from '../client-session.js';
import type { Outcome } from '../dispatcher.js';
import { BinaryRequestParser, type ParsedBinary } from './binary-parser.js';
import {
  type BinaryRequest,
  type BinaryResponse,
  BinaryStatus,
  encodeResponse,
  errorResponse,
  KEYED,
  LOUD,
  Opcode,
  QUIET,
  STORAGE,
} from './binary-protocol.js';

/** What a request becomes: the text request(s) to run and how to answer from the reply. */
type Answer = (reply: Reply | undefined) => BinaryResponse | BinaryResponse[] | undefined;

const NO_EXPIRY_CREATE = 0xffffffff;
const TOO_LARGE: Reply = Object.freeze({
  type: 'error',
  kind: 'SERVER_ERROR',
  message: 'object too large for cache',
});

/**
 * The binary protocol in front of text-protocol servers, for clients that speak only binary
 * (memjs). Each request maps onto the same text requests the text frontend dispatches
 * (`get` → `gets`, so responses carry the CAS unique; `set` with a CAS → `cas`); replies map
 * back to binary statuses. Quiet variants answer only on failure (and `getq` not on a miss);
 * `noop` answers in order after them, which is how memjs ends a multi-get.
 *
 * Limits of the translation: keys must be valid text-protocol keys (no spaces or control
 * characters, valid UTF-8); a store answers with CAS 0 (the text protocol does not return the
 * new unique); `incr` with an initial value is `incr`, then `add` on a miss, then `incr` again.
 */
export class BinaryFrontend implements Frontend {
  private readonly parser: BinaryRequestParser;

  constructor(private readonly sink: FrontendSink) {
    this.parser = new BinaryRequestParser((parsed) => this.onParsed(parsed), sink.host.options.maxValueBytes);
  }

  feed(chunk: Buffer): void {
    this.parser.feed(chunk);
  }

  private onParsed(parsed: ParsedBinary): void {
    const sink = this.sink;
    if (!sink.accepting) return;
    if (parsed.type === 'error') {
      sink.host.counters.clientErrors++;
      if (parsed.close) {
        sink.stopReading();
        return;
      }
      const response = errorResponse(parsed, parsed.status);
      const staleKey = parsed.staleKey === undefined ? undefined : textKey(parsed.staleKey);
      if (staleKey === undefined) this.respond(response);
      else {
        // As memcached: a too large set deletes the key's old value before the answer goes out.
        const outcome = sink.host.dispatcher.refuseTooLarge(staleKey, TOO_LARGE);
        sink.submit(outcome, (_, batch) => encodeResponse(response, batch));
      }
      return;
    }
    const request = parsed.request;
    const quiet = QUIET.has(request.opcode);
    const opcode = LOUD[request.opcode] ?? request.opcode;
    let result: { outcome: Outcome; answer: Answer } | BinaryResponse | undefined;
    try {
      result = this.translate(request, opcode, quiet);
    } catch {
      result = errorResponse(request, BinaryStatus.internalError);
    }
    if (result === undefined) return;
    if (!('answer' in result)) {
      this.respond(result);
      return;
    }
    const { outcome, answer } = result;
    const write = (reply: Reply | undefined, batch: WriteBatch) => {
      let responses: BinaryResponse | BinaryResponse[] | undefined;
      try {
        responses = answer(reply);
      } catch {
        responses = errorResponse(request, BinaryStatus.internalError);
      }
      if (responses === undefined) return;
      for (const response of Array.isArray(responses) ? responses : [responses])
        encodeResponse(response, batch);
    };
    sink.submit(outcome, write);
  }

  private respond(response: BinaryResponse): void {
    this.sink.submit(undefined, (_, batch) => encodeResponse(response, batch));
  }

  /** The text request(s) for one binary request, or an immediate response (or none). */
  private translate(
    request: BinaryRequest,
    opcode: number,
    quiet: boolean,
  ): { outcome: Outcome; answer: Answer } | BinaryResponse | undefined {
    const { extras } = request;
    switch (opcode) {
      case Opcode.noop:
      case Opcode.verbosity:
        return { opcode: request.opcode, opaque: request.opaque, status: BinaryStatus.ok };
      case Opcode.quit:
        if (!quiet) this.respond({ opcode: request.opcode, opaque: request.opaque, status: BinaryStatus.ok });
        this.sink.stopReading();
        return undefined;
      case Opcode.version:
        return this.run(request, { command: 'version' }, (reply) =>
          reply?.type === 'version' ? success(request, { value: Buffer.from(reply.version) }) : undefined,
        );
      case Opcode.stat: {
        const section = request.key.toString('latin1');
        const stats: Request =
          section === '' ? { command: 'stats' } : { command: 'stats', arguments: [section] };
        return this.run(request, stats, (reply) => {
          if (reply?.type === 'status') return success(request); // `stats reset`
          if (reply?.type !== 'stats') return undefined;
          return [
            ...reply.stats.map(([name, value]) =>
              success(request, { key: Buffer.from(name), value: Buffer.from(value) }),
            ),
            success(request),
          ];
        });
      }
      case Opcode.flush: {
        if (extras.length !== 0 && extras.length !== 4) return invalid(request);
        const delay = extras.length === 4 ? extras.readUInt32BE(0) : undefined;
        return this.run(request, { command: 'flush_all', delay }, (reply) =>
          reply?.type === 'status' && reply.status === 'OK' ? success(request) : undefined,
        );
      }
    }
    if (!KEYED.has(opcode)) return errorResponse(request, BinaryStatus.unknownCommand);
    const key = textKey(request.key);
    if (key === undefined) return invalid(request);
    switch (opcode) {
      case Opcode.get:
      case Opcode.getK:
      case Opcode.gat:
      case Opcode.gatK: {
        const touch = opcode === Opcode.gat || opcode === Opcode.gatK;
        if (extras.length !== (touch ? 4 : 0) || request.value.byteLength > 0) return invalid(request);
        const withKey = opcode === Opcode.getK || opcode === Opcode.gatK ? request.key : undefined;
        const text: Request = touch
          ? { command: 'gats', exptime: extras.readUInt32BE(0), keys: [key] }
          : { command: 'gets', keys: [key] };
        return this.run(request, text, (reply) => {
          if (reply?.type !== 'values') return undefined;
          const item = reply.items[0];
          if (item === undefined) return quiet ? null : failure(request, BinaryStatus.notFound, withKey);
          const flags = Buffer.allocUnsafe(4);
          flags.writeUInt32BE(item.flags, 0);
          return success(request, { extras: flags, key: withKey, value: item.value, cas: item.cas });
        });
      }
      case Opcode.set:
      case Opcode.add:
      case Opcode.replace:
      case Opcode.append:
      case Opcode.prepend: {
        const command = STORAGE[opcode]!;
        const appends = command === 'append' || command === 'prepend';
        if (extras.length !== (appends ? 0 : 8)) return invalid(request);
        const flags = appends ? 0 : extras.readUInt32BE(0);
        const exptime = appends ? 0 : extras.readUInt32BE(4);
        const value = request.value;
        const text: Request =
          request.cas !== 0n && (command === 'set' || command === 'replace')
            ? { command: 'cas', key, flags, exptime, value, cas: request.cas }
            : { command, key, flags, exptime, value };
        return this.run(request, text, (reply) => {
          if (reply?.type !== 'status') return undefined;
          if (reply.status === 'STORED') return quiet ? null : success(request);
          if (reply.status === 'NOT_STORED') {
            const status =
              command === 'add'
                ? BinaryStatus.exists
                : command === 'replace'
                  ? BinaryStatus.notFound
                  : BinaryStatus.notStored;
            return failure(request, status);
          }
          if (reply.status === 'EXISTS') return failure(request, BinaryStatus.exists);
          if (reply.status === 'NOT_FOUND') return failure(request, BinaryStatus.notFound);
          return undefined;
        });
      }
      case Opcode.delete:
        if (extras.length !== 0 || request.cas !== 0n) return invalid(request);
        return this.run(request, { command: 'delete', key }, (reply) => {
          if (reply?.type === 'status' && reply.status === 'DELETED') return quiet ? null : success(request);
          if (reply?.type === 'status' && reply.status === 'NOT_FOUND')
            return failure(request, BinaryStatus.notFound);
          return undefined;
        });
      case Opcode.touch:
        if (extras.length !== 4) return invalid(request);
        return this.run(request, { command: 'touch', key, exptime: extras.readUInt32BE(0) }, (reply) => {
          if (reply?.type === 'status' && reply.status === 'TOUCHED') return success(request);
          if (reply?.type === 'status' && reply.status === 'NOT_FOUND')
            return failure(request, BinaryStatus.notFound);
          return undefined;
        });
      case Opcode.increment:
      case Opcode.decrement: {
        if (extras.length !== 20) return invalid(request);
        const command = opcode === Opcode.increment ? 'incr' : 'decr';
        const delta = extras.readBigUInt64BE(0);
        const initial = extras.readBigUInt64BE(8);
        const exptime = extras.readUInt32BE(16);
        const outcome = this.counter(key, command, delta, initial, exptime);
        return {
          outcome,
          answer: (reply) => {
            if (reply?.type === 'number') {
              if (quiet) return undefined;
              const value = Buffer.allocUnsafe(8);
              value.writeBigUInt64BE(reply.value, 0);
              return success(request, { value });
            }
            if (reply?.type === 'status' && reply.status === 'NOT_FOUND')
              return failure(request, BinaryStatus.notFound);
            if (reply?.type === 'error' && reply.kind === 'CLIENT_ERROR') {
              return failure(request, BinaryStatus.nonNumeric);
            }
            return fromError(request, reply);
          },
        };
      }
      default:
        return errorResponse(request, BinaryStatus.unknownCommand);
    }
  }

  /**
   * Runs one text request; `answer` maps its reply (`null`: answer nothing; `undefined`: the
   * reply was not the expected kind, map it as an error).
   */
  private run(
    request: BinaryRequest,
    text: Request,
    answer: (reply: Reply | undefined) => BinaryResponse | BinaryResponse[] | null | undefined,
  ): { outcome: Outcome; answer: Answer } {
    return {
      outcome: this.sink.host.dispatcher.handle(text),
      answer: (reply) => {
        const mapped = answer(reply);
        if (mapped === null) return undefined;
        return mapped ?? fromError(request, reply);
      },
    };
  }

  /** Binary incr/decr: creates the counter at `initial` on a miss unless exptime is 0xffffffff. */
  private async counter(
    key: string,
    command: 'incr' | 'decr',
    delta: bigint,
    initial: bigint,
    exptime: number,
  ): Promise<Reply | undefined> {
    const dispatcher = this.sink.host.dispatcher;
    const first = await dispatcher.handle({ command, key, delta });
    if (first?.type !== 'status' || first.status !== 'NOT_FOUND' || exptime === NO_EXPIRY_CREATE)
      return first;
    const value = Buffer.from(initial.toString(), 'latin1');
    const added = await dispatcher.handle({ command: 'add', key, flags: 0, exptime, value });
    if (added?.type === 'status' && added.status === 'STORED') return { type: 'number', value: initial };
    // Someone created it meanwhile: count on theirs.
    if (added?.type === 'status' && added.status === 'NOT_STORED')
      return dispatcher.handle({ command, key, delta });
    return added;
  }
}

/** A binary key usable on the text protocol (valid UTF-8, no space or control character). */
function textKey(bytes: Buffer): string | undefined {
  const key = bytes.toString('utf8');
  if (!isValidKey(key) || Buffer.byteLength(key) !== bytes.length || key.includes('\ufffd')) return undefined;
  return key;
}

function success(
  request: BinaryRequest,
  body: {
    extras?: Uint8Array | undefined;
    key?: Uint8Array | undefined;
    value?: Uint8Array;
    cas?: bigint | undefined;
  } = {},
): BinaryResponse {
  return { opcode: request.opcode, opaque: request.opaque, status: BinaryStatus.ok, ...body };
}

function failure(request: BinaryRequest, status: number, key?: Uint8Array): BinaryResponse {
  const response = errorResponse(request, status);
  return key === undefined ? response : { ...response, key };
}

function invalid(request: BinaryRequest): BinaryResponse {
  return errorResponse(request, BinaryStatus.invalid);
}

/** A text error reply (or anything unexpected) as a binary status with the text as its body. */
function fromError(request: BinaryRequest, reply: Reply | undefined): BinaryResponse {
  if (reply?.type !== 'error') return errorResponse(request, BinaryStatus.internalError);
  if (reply.kind === 'ERROR') return errorResponse(request, BinaryStatus.unknownCommand);
  if (reply.kind === 'CLIENT_ERROR')
    return errorResponse(request, BinaryStatus.invalid, reply.message || undefined);
  if (reply.message.includes('too large')) return errorResponse(request, BinaryStatus.tooLarge);
  if (reply.message.includes('out of memory')) return errorResponse(request, BinaryStatus.outOfMemory);
  // The proxy's own failures (a server down, timed out, full): retrying later may succeed.
  return errorResponse(request, BinaryStatus.temporaryFailure, reply.message || undefined);
}
