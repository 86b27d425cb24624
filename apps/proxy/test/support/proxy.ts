import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { memcached } from '@ringcache/test-engines';
import { type ProxyOptions, type RunningProxy, startProxy } from '../../src/index.js';

/** A proxy on a free loopback port in front of the shared servers (or `servers`). */
export function startTestProxy(options: Partial<ProxyOptions> = {}): Promise<RunningProxy> {
  return startProxy({ listen: '127.0.0.1:0', servers: memcached.nodes, ...options });
}

/**
 * A raw protocol client: writes bytes, collects everything the server sends, and waits for the
 * collected bytes to satisfy a condition. What real clients hide (order, framing) shows here.
 */
export class RawClient {
  private chunks: Buffer[] = [];
  /** Bytes received since the last `take()`. */
  length = 0;
  private waiters = new Set<() => void>();
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.length += chunk.length;
      for (const waiter of this.waiters) waiter();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      for (const waiter of this.waiters) waiter();
    });
  }

  static async connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    const socket = connect(port, host);
    await once(socket, 'connect');
    socket.setNoDelay(true);
    return new RawClient(socket);
  }

  /** What was received since the last `take()`, joined once (cheap to call again). */
  get bytes(): Buffer {
    if (this.chunks.length !== 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0]!;
  }

  get text(): string {
    return this.bytes.toString('latin1');
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Empties what was received so far and returns it. */
  take(): string {
    const text = this.text;
    this.chunks = [];
    this.length = 0;
    return text;
  }

  /** Resolves once `length` bytes were received (cheap per chunk, for large transfers). */
  untilLength(length: number, ms = 5000): Promise<void> {
    return this.wait(() => this.length >= length, ms);
  }

  /** Resolves once `condition(received)` holds (or rejects after `ms`); runs on every chunk. */
  until(condition: (received: Buffer) => boolean, ms = 5000): Promise<void> {
    return this.wait(() => condition(this.bytes), ms);
  }

  private async wait(condition: () => boolean, ms: number): Promise<void> {
    if (condition()) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(
          new Error(
            `timed out after ${ms} ms; received ${this.length} bytes, ending ${JSON.stringify(this.text.slice(-300))}`,
          ),
        );
      }, ms);
      const check = () => {
        if (!this.closed && !condition()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
    });
  }

  /** Sends `request` and returns the text received until it holds `count` times `terminator`. */
  async exchange(request: string | Buffer, terminators = 1, terminator = /\r\n/g): Promise<string> {
    this.take();
    this.write(request);
    await this.until(
      (received) => (received.toString('latin1').match(terminator)?.length ?? 0) >= terminators,
    );
    return this.take();
  }

  close(): void {
    this.socket.destroy();
  }
}

/** How many complete replies a text stream holds: each ends with a line that is not VALUE/STAT data. */
export function countReplies(text: string): number {
  let count = 0;
  let offset = 0;
  while (offset < text.length) {
    const end = text.indexOf('\r\n', offset);
    if (end < 0) break;
    const line = text.slice(offset, end);
    offset = end + 2;
    if (line.startsWith('VALUE ')) {
      offset += Number(line.split(' ')[3]) + 2;
    } else if (!line.startsWith('STAT ')) {
      count++;
    }
  }
  return count;
}

/** A TCP server that accepts and never answers: a hung backend. */
export async function blackHole(): Promise<{
  address: string;
  sockets: Set<Socket>;
  close(): Promise<void>;
}> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  return {
    address: `127.0.0.1:${port}`,
    sockets,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
