import type { Socket } from 'node:net';
import { Fifo, type Reply, WriteBatch } from '@ringcache/memcached/protocol';
import type { CommandCounters, Dispatcher, Outcome } from './dispatcher.js';
import type { ResolvedProxyOptions } from './options.js';

/** What a session needs from its server. */
export interface SessionHost {
  readonly dispatcher: Dispatcher;
  readonly options: ResolvedProxyOptions;
  readonly counters: CommandCounters;
  closed(session: ClientSession): void;
}

/** Writes a request's reply in the client's protocol (nothing for a `noreply`/quiet request). */
export type ReplyWriter = (reply: Reply | undefined, batch: WriteBatch) => void;

/** Reads one protocol from the client's bytes and submits each request to the session. */
export interface Frontend {
  feed(chunk: Buffer): void;
}

/** What a frontend may do: answer in order, stop reading. */
export interface FrontendSink {
  readonly host: SessionHost;
  /** False once the session stopped reading: requests still parsed from the last chunk are dropped. */
  readonly accepting: boolean;
  /** Queues a request's outcome; `write` puts its reply on the wire when every earlier one is out. */
  submit(outcome: Outcome, write: ReplyWriter): void;
  /** Reads no more requests; closes once every queued reply is written. */
  stopReading(): void;
}

/** Picks the client's protocol from its first byte, as memcached does (0x80: binary). */
export type FrontendFactory = (firstByte: number, sink: FrontendSink) => Frontend;

/** A request's place in the client's reply order. */
interface Slot {
  done: boolean;
  reply: Reply | undefined;
  readonly write: ReplyWriter;
}

const INTERNAL_ERROR: Reply = Object.freeze({ type: 'error', kind: 'SERVER_ERROR', message: 'proxy error' });

/**
 * One client connection. Requests are dispatched as soon as they are parsed, so a client's
 * pipelined requests run concurrently across servers; replies go out strictly in request order
 * through a queue of slots, batched into one socket write per event-loop turn.
 *
 * Bounded: at `maxClientPending` requests in flight, or `maxClientOutputBytes` of replies the
 * client has not read, the proxy stops reading from it (TCP pushes back on the client) until it
 * catches up. The frontends bound a line to `maxRequestLineBytes` and a value to `maxValueBytes`.
 */
export class ClientSession implements FrontendSink {
  private frontend: Frontend | undefined;
  private readonly slots = new Fifo<Slot>();
  private readonly batch = new WriteBatch();
  private readonly maxPending: number;
  private readonly maxOutput: number;
  private flushScheduled = false;
  private paused = false;
  /** Received bytes not yet parsed because the session paused mid-chunk. */
  private backlog: Buffer | undefined;
  private feeding = false;
  /** After `quit`, a fatal protocol error, the client's FIN or shutdown: nothing more is read. */
  private closing = false;
  private ended = false;

  constructor(
    private readonly socket: Socket,
    readonly host: SessionHost,
    private readonly frontends: FrontendFactory,
  ) {
    const options = host.options;
    this.maxPending = options.maxClientPending;
    this.maxOutput = options.maxClientOutputBytes;
    socket.setNoDelay(true);
    if (options.clientIdleTimeout > 0) socket.setTimeout(options.clientIdleTimeout);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.updateReading());
    // The client sent FIN: answer what it asked, then close (the server allows half-open sockets).
    socket.on('end', () => this.stopReading());
    socket.on('timeout', () => {
      // Idle with nothing in flight (a half-written request counts as idle): close.
      if (this.slots.length === 0) socket.destroy();
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.ended = true;
      host.closed(this);
    });
  }

  get accepting(): boolean {
    return !this.closing;
  }

  /** Requests waiting for their reply. */
  get pending(): number {
    return this.slots.length;
  }

  submit(outcome: Outcome, write: ReplyWriter): void {
    if (!(outcome instanceof Promise)) {
      if (this.slots.length === 0) {
        write(outcome, this.batch);
        this.scheduleFlush();
      } else {
        this.slots.push({ done: true, reply: outcome, write });
      }
      return;
    }
    const slot: Slot = { done: false, reply: undefined, write };
    this.slots.push(slot);
    outcome.then(
      (reply) => this.complete(slot, reply),
      () => this.complete(slot, INTERNAL_ERROR),
    );
    if (this.slots.length >= this.maxPending) this.updateReading();
  }

  stopReading(): void {
    this.closing = true;
    this.maybeEnd();
  }

  /** Closes now, pending replies or not. */
  destroy(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.closing) return;
    this.frontend ??= this.frontends(chunk[0]!, this);
    this.backlog = this.backlog === undefined ? chunk : Buffer.concat([this.backlog, chunk]);
    this.feed();
  }

  /**
   * Parses the backlog, in slices small enough that the session can pause between two: one
   * socket chunk may hold thousands of requests, and pausing the socket alone would let all of
   * them through. A slice ends at a line end, so the parser rarely has to join pieces.
   */
  private feed(): void {
    if (this.feeding || this.frontend === undefined) return;
    this.feeding = true;
    try {
      const buffer = this.backlog;
      this.backlog = undefined;
      let offset = 0;
      while (buffer !== undefined && offset < buffer.length) {
        if (this.closing) return;
        if (this.paused) {
          this.backlog = buffer.subarray(offset);
          return;
        }
        // A request is at least 6 bytes ("get a\n"): this many bytes cannot exceed the room left.
        const room = (this.maxPending - this.slots.length) * 6;
        let end = buffer.length;
        if (buffer.length - offset > room) {
          const newline = buffer.indexOf(10, offset + Math.max(room, 64));
          end = newline < 0 ? buffer.length : newline + 1;
        }
        this.frontend.feed(offset === 0 && end === buffer.length ? buffer : buffer.subarray(offset, end));
        offset = end;
      }
    } catch {
      // The frontends answer bad input themselves; anything else is a bug: drop this client only.
      this.socket.destroy();
    } finally {
      this.feeding = false;
    }
  }

  private complete(slot: Slot, reply: Reply | undefined): void {
    slot.done = true;
    slot.reply = reply;
    if (this.ended || this.slots.peek() !== slot) return;
    // Write every finished reply at the head of the queue; the rest wait for the one ahead.
    for (let head = this.slots.peek(); head?.done; head = this.slots.peek()) {
      this.slots.shift();
      head.write(head.reply, this.batch);
    }
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // After the microtasks of this I/O callback: the replies resolved by one backend read share a write.
    process.nextTick(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.ended) return;
    if (!this.batch.empty) this.batch.flush((chunk) => this.socket.write(chunk));
    this.updateReading();
    this.maybeEnd();
  }

  /** Pauses reading while the client has too much in flight or unread; resumes below half. */
  private updateReading(): void {
    if (this.ended) return;
    const unread = this.socket.writableLength;
    if (!this.paused) {
      if (this.slots.length >= this.maxPending || unread >= this.maxOutput) {
        this.paused = true;
        this.socket.pause();
      }
    } else if (!this.closing && this.slots.length <= this.maxPending / 2 && unread <= this.maxOutput / 2) {
      this.paused = false;
      // What was received before the pause goes first; it may pause the session again.
      this.feed();
      if (!this.paused) this.socket.resume();
    }
  }

  private maybeEnd(): void {
    if (!this.closing || this.ended || this.slots.length > 0 || this.flushScheduled) return;
    this.ended = true;
    this.socket.end();
  }
}
