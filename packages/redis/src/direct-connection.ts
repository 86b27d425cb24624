import { connect as connectTcp, type Socket } from 'node:net';
import { type ConnectionOptions, connect as connectTls } from 'node:tls';

/** Where and how to reach one node: what ioredis' own connection to it uses. */
export interface DirectConnectionOptions {
  readonly host: string;
  readonly port: number;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  /** TLS options for `tls.connect`; plain TCP when undefined. */
  readonly tls?: ConnectionOptions | undefined;
  /** How long connecting (TLS and AUTH included) may take. */
  readonly connectTimeout: number;
}

/** A Redis error reply (`-MOVED …`, `-WRONGTYPE …`): the message is the reply, as with ioredis. */
export class ReplyError extends Error {
  override readonly name = 'ReplyError';
}

/**
 * What the connection rejects pending calls with when it closes: ioredis' message for the same
 * event, so the shared error mapping (errors.ts) gives it E_NODE_UNAVAILABLE.
 */
export const CONNECTION_CLOSED = 'Connection is closed.';

/** The name direct connections give themselves (CLIENT SETNAME): how CLIENT LIST shows them. */
export const DIRECT_CONNECTION_NAME = 'ringcache-direct';

type Reply = Uint8Array | string | number | null;

const CR = 13;
const DOLLAR = 36;
const PLUS = 43;
const MINUS = 45;
const COLON = 58;
/** Values up to this size are copied into the tick's write buffer; larger ones go out as they are. */
const INLINE_VALUE_BYTES = 16 * 1024;
/** The smallest write buffer: below 4 KiB Node serves it from its shared pool. */
const MIN_BUFFER_BYTES = 1024;

/**
 * A lean RESP2 connection to one node for the adapter's most frequent commands (GET, SET, UNLINK).
 * ioredis spends ~2 µs of client CPU per command building a Command, routing it and queueing it;
 * this connection writes the command's bytes into one buffer per tick (one socket write per tick,
 * like the adapter's corking of ioredis sockets) and matches replies to calls in order.
 *
 * It knows no redirections, reconnection or offline queue: replies such as MOVED reject with a
 * ReplyError that the adapter re-sends through ioredis, and a connection that closes rejects its
 * pending calls and is replaced by DirectConnections. Calls are accepted only once it is `ready`.
 */
export class DirectConnection {
  /** `connecting` until connected (and authenticated); `closed` for good after. */
  state: 'connecting' | 'ready' | 'closed' = 'connecting';
  private readonly socket: Socket;
  // Pending calls in order; `head` is the next to answer (shifting an array per reply costs more).
  private resolvers: ((reply: Reply) => void)[] = [];
  private rejecters: ((error: Error) => void)[] = [];
  private head = 0;
  // The tick's outgoing commands: the finished `parts`, then `buffer[0, length)`, then `pendingText`.
  private pendingText = '';
  private buffer: Buffer | undefined;
  private length = 0;
  private parts: Buffer[] = [];
  private nextBufferBytes = MIN_BUFFER_BYTES;
  private scheduled = false;
  // Unparsed input: the start of a reply that has not fully arrived.
  private rest: Buffer[] = [];
  private restBytes = 0;
  /** Input needed before parsing is worth trying again (a long bulk reply arriving in pieces). */
  private awaitedBytes = 0;
  private connectTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly options: DirectConnectionOptions,
    private readonly events: {
      /** Connected and authenticated: calls may be sent. */
      onReady(): void;
      /** Closed, with why; pending calls were rejected. */
      onClose(error: Error): void;
    },
  ) {
    const { host, port, tls } = options;
    this.socket = tls === undefined ? connectTcp({ host, port }) : connectTls({ ...tls, host, port });
    this.socket.setNoDelay(true);
    this.socket.on(tls === undefined ? 'connect' : 'secureConnect', () => this.onConnect());
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (error) => this.destroy(error));
    this.socket.on('close', () => this.destroy(new Error(CONNECTION_CLOSED)));
    this.connectTimer = setTimeout(
      () => this.destroy(new Error(`connect ETIMEDOUT (${host}:${port})`)),
      options.connectTimeout,
    );
    this.connectTimer.unref();
  }

  /** The local TCP port (how the server's CLIENT LIST tells this connection from others). */
  get localPort(): number | undefined {
    return this.socket.localPort;
  }

  /** Calls sent and not answered yet. */
  get pending(): number {
    return this.resolvers.length - this.head;
  }

  /** The value as a plain Uint8Array view of the reply (no copy), or null. */
  get(key: string): Promise<Uint8Array | null> {
    this.text(`*2\r\n$3\r\nGET\r\n$${Buffer.byteLength(key)}\r\n${key}\r\n`);
    return this.reply() as Promise<Uint8Array | null>;
  }

  /** SET, with `PX ttl` when `ttl > 0` (whole milliseconds). */
  set(key: string, value: Uint8Array, ttl: number): Promise<unknown> {
    this.text(
      `*${ttl > 0 ? 5 : 3}\r\n$3\r\nSET\r\n$${Buffer.byteLength(key)}\r\n${key}\r\n$${value.byteLength}\r\n`,
    );
    this.bytes(value);
    if (ttl > 0) {
      const px = String(ttl);
      this.text(`\r\n$2\r\nPX\r\n$${px.length}\r\n${px}\r\n`);
    } else {
      this.text('\r\n');
    }
    return this.reply();
  }

  /** UNLINK of one key: resolves with the number of keys removed. */
  unlink(key: string): Promise<number> {
    this.text(`*2\r\n$6\r\nUNLINK\r\n$${Buffer.byteLength(key)}\r\n${key}\r\n`);
    return this.reply() as Promise<number>;
  }

  /** Closes at once: pending calls reject with `error`. */
  destroy(error: Error): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.connectTimer);
    this.socket.destroy();
    const rejecters = this.rejecters;
    const head = this.head;
    this.resolvers = [];
    this.rejecters = [];
    this.head = 0;
    for (let index = head; index < rejecters.length; index++) rejecters[index]!(error);
    this.events.onClose(error);
  }

  /**
   * AUTH when there is a password (a failure closes the connection), then CLIENT SETNAME so
   * operators can tell these connections apart in CLIENT LIST (a user not allowed to name its
   * connection still gets a working one).
   */
  private onConnect(): void {
    const { username, password } = this.options;
    const auth =
      password == null || password === ''
        ? undefined
        : this.command(
            username == null || username === '' ? ['AUTH', password] : ['AUTH', username, password],
          );
    const named = this.command(['CLIENT', 'SETNAME', DIRECT_CONNECTION_NAME]).catch(noop);
    Promise.all([auth, named]).then(
      () => this.ready(),
      (error: Error) => this.destroy(error),
    );
  }

  private command(args: readonly string[]): Promise<Reply> {
    this.text(`*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`);
    return this.reply();
  }

  private ready(): void {
    if (this.state !== 'connecting') return;
    clearTimeout(this.connectTimer);
    this.state = 'ready';
    this.events.onReady();
  }

  private reply(): Promise<Reply> {
    return new Promise<Reply>((resolve, reject) => {
      this.resolvers.push(resolve);
      this.rejecters.push(reject);
    });
  }

  // --- writing: the tick's commands accumulate in one buffer, flushed once the tick ends

  private reserve(bytes: number): Buffer {
    let buffer = this.buffer;
    if (buffer === undefined || buffer.length - this.length < bytes) {
      if (buffer !== undefined && this.length > 0) this.parts.push(buffer.subarray(0, this.length));
      buffer = Buffer.allocUnsafe(Math.max(bytes, this.nextBufferBytes));
      this.buffer = buffer;
      this.length = 0;
    }
    return buffer;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    process.nextTick(this.flush);
  }

  /**
   * Commands are text until a value's bytes come: a tick of GETs goes out as one string (the
   * socket encodes it once, measured cheaper than filling a buffer command by command).
   */
  private text(text: string): void {
    this.pendingText += text;
    this.schedule();
  }

  /** Moves the pending text into the byte buffer, ahead of bytes that follow it. */
  private spill(): void {
    const text = this.pendingText;
    if (text === '') return;
    this.pendingText = '';
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    const buffer = this.reserve(text.length * 3);
    this.length += buffer.write(text, this.length);
  }

  private bytes(value: Uint8Array): void {
    this.spill();
    this.schedule();
    if (value.byteLength > INLINE_VALUE_BYTES) {
      // Large values are written as they are: copying them would cost more than a second write.
      if (this.buffer !== undefined && this.length > 0) this.parts.push(this.buffer.subarray(0, this.length));
      this.buffer = undefined;
      this.length = 0;
      this.parts.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
      return;
    }
    const buffer = this.reserve(value.byteLength);
    buffer.set(value, this.length);
    this.length += value.byteLength;
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    if (this.state === 'closed') return;
    if (this.buffer === undefined && this.parts.length === 0) {
      const text = this.pendingText;
      this.pendingText = '';
      if (text !== '') this.socket.write(text);
      return;
    }
    this.spill();
    const parts = this.parts;
    this.parts = [];
    if (this.buffer !== undefined && this.length > 0) parts.push(this.buffer.subarray(0, this.length));
    const written = parts.reduce((sum, part) => sum + part.length, 0);
    // The socket keeps what it was given until it is sent: the next tick writes into a new buffer.
    this.buffer = undefined;
    this.length = 0;
    this.nextBufferBytes = Math.max(MIN_BUFFER_BYTES, Math.min(written, 1 << 20));
    if (parts.length === 1) {
      this.socket.write(parts[0]!);
      return;
    }
    this.socket.cork();
    for (const part of parts) this.socket.write(part);
    this.socket.uncork();
  };

  // --- reading: RESP2 replies of the kinds these commands get (+, -, :, $)

  private onData(chunk: Buffer): void {
    if (this.restBytes > 0) {
      this.rest.push(chunk);
      this.restBytes += chunk.length;
      if (this.restBytes < this.awaitedBytes) return;
      chunk = Buffer.concat(this.rest, this.restBytes);
      this.rest = [];
      this.restBytes = 0;
    }
    let offset = 0;
    try {
      offset = this.parse(chunk);
    } catch (error) {
      this.destroy(error as Error);
      return;
    }
    if (offset < chunk.length) {
      this.rest.push(chunk.subarray(offset));
      this.restBytes = chunk.length - offset;
    }
  }

  /** Answers every complete reply in `input`; returns where the first incomplete one starts. */
  private parse(input: Buffer): number {
    const end = input.length;
    let offset = 0;
    this.awaitedBytes = 0;
    while (offset < end) {
      const lineEnd = input.indexOf(CR, offset + 1);
      if (lineEnd === -1 || lineEnd + 1 >= end) return offset;
      const type = input[offset];
      if (type === DOLLAR) {
        const length = integer(input, offset + 1, lineEnd);
        if (length < 0) {
          offset = lineEnd + 2;
          this.answer(null);
          continue;
        }
        const start = lineEnd + 2;
        if (start + length + 2 > end) {
          this.awaitedBytes = start + length + 2 - offset;
          return offset;
        }
        offset = start + length + 2;
        this.answer(new Uint8Array(input.buffer, input.byteOffset + start, length));
      } else if (type === PLUS) {
        const text = input.toString('latin1', offset + 1, lineEnd);
        offset = lineEnd + 2;
        this.answer(text);
      } else if (type === COLON) {
        const value = integer(input, offset + 1, lineEnd);
        offset = lineEnd + 2;
        this.answer(value);
      } else if (type === MINUS) {
        const message = input.toString('utf8', offset + 1, lineEnd);
        offset = lineEnd + 2;
        this.answerError(new ReplyError(message));
      } else {
        throw new Error(
          `redis protocol error: unexpected reply type ${JSON.stringify(String.fromCharCode(type!))}`,
        );
      }
    }
    return offset;
  }

  private answer(reply: Reply): void {
    const resolve = this.resolvers[this.head];
    if (resolve === undefined) throw new Error('redis protocol error: a reply nobody asked for');
    this.release();
    resolve(reply);
  }

  private answerError(error: Error): void {
    const reject = this.rejecters[this.head];
    if (reject === undefined) throw new Error('redis protocol error: a reply nobody asked for');
    this.release();
    reject(error);
  }

  /** Drops the answered call; the queues restart when empty, and are compacted when mostly answered. */
  private release(): void {
    this.resolvers[this.head] = noop;
    this.rejecters[this.head] = noop;
    this.head++;
    if (this.head === this.resolvers.length) {
      this.resolvers = [];
      this.rejecters = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.resolvers.length) {
      this.resolvers = this.resolvers.slice(this.head);
      this.rejecters = this.rejecters.slice(this.head);
      this.head = 0;
    }
  }
}

/** The decimal integer in `input[start, end)` (an optional leading `-`). */
function integer(input: Buffer, start: number, end: number): number {
  let index = start;
  const negative = input[index] === MINUS;
  if (negative) index++;
  let value = 0;
  for (; index < end; index++) {
    const digit = input[index]! - 48;
    if (digit < 0 || digit > 9) throw new Error('redis protocol error: malformed length or integer');
    value = value * 10 + digit;
  }
  return negative ? -value : value;
}

function noop(): void {}
