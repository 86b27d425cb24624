import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connectionFailureKind, MemcachedConnection } from './connection.js';
import { encodeReplyToBuffer } from './reply-encoder.js';
import { RequestParser } from './request-parser.js';
import type { Reply, Request } from './types.js';

/**
 * A small memcached speaking through this module's server half (RequestParser + encodeReply),
 * with knobs a real server has no way to offer on demand: replies cut byte by byte, replies held
 * back (a stalled server), dropped connections. Integration tests run against real memcached.
 */
class ScriptedServer {
  readonly store = new Map<string, Uint8Array>();
  readonly sockets = new Set<Socket>();
  /** Replies are held while true (the server reads but does not answer). */
  stalled = false;
  /** Replies go out one byte per event-loop turn. */
  fragment = false;
  received = 0;
  /** Per socket: replies not yet written, in order, and the function that writes them. */
  private readonly outputs = new Map<Socket, Buffer[]>();
  private readonly pumps = new Map<Socket, () => void>();
  private server: Server | undefined;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => {});
      const parser = new RequestParser((parsed) => {
        if (parsed.type === 'error')
          return this.reply(socket, { type: 'error', kind: parsed.kind, message: parsed.message });
        this.received++;
        const reply = this.execute(parsed.request);
        if (reply !== undefined) this.reply(socket, reply);
      });
      socket.on('data', (chunk) => parser.feed(chunk));
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  resume(): void {
    this.stalled = false;
    for (const pump of [...this.pumps.values()]) pump();
  }

  dropConnections(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  async stop(): Promise<void> {
    this.dropConnections();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise((resolve) => server.close(resolve));
  }

  /** Replies leave in order, one socket at a time, held while stalled, cut if `fragment`. */
  private reply(socket: Socket, reply: Reply): void {
    let output = this.outputs.get(socket);
    if (output === undefined) {
      const queue: Buffer[] = [];
      output = queue;
      this.outputs.set(socket, queue);
      let busy = false;
      const pump = () => {
        if (busy || this.stalled || socket.destroyed) return;
        const next = queue.shift();
        if (next === undefined) return;
        if (!this.fragment) {
          socket.write(next);
          return pump();
        }
        busy = true;
        socket.write(next.subarray(0, 1));
        const rest = next.subarray(1);
        if (rest.length > 0) queue.unshift(rest);
        setImmediate(() => {
          busy = false;
          pump();
        });
      };
      this.pumps.set(socket, pump);
      socket.on('close', () => {
        this.outputs.delete(socket);
        this.pumps.delete(socket);
      });
    }
    output.push(encodeReplyToBuffer(reply));
    this.pumps.get(socket)!();
  }

  private execute(request: Request): Reply | undefined {
    switch (request.command) {
      case 'get':
        return {
          type: 'values',
          items: request.keys.flatMap((key) => {
            const value = this.store.get(key);
            return value === undefined ? [] : [{ key, flags: 0, value }];
          }),
        };
      case 'set':
        this.store.set(request.key, request.value);
        return request.noreply ? undefined : { type: 'status', status: 'STORED' };
      case 'delete':
        return { type: 'status', status: this.store.delete(request.key) ? 'DELETED' : 'NOT_FOUND' };
      case 'version':
        return { type: 'version', version: 'scripted' };
      default:
        return { type: 'error', kind: 'ERROR', message: '' };
    }
  }
}

const text = (value: string) => new Uint8Array(Buffer.from(value));
const set = (key: string, value: string): Request => ({
  command: 'set',
  key,
  flags: 0,
  exptime: 0,
  value: text(value),
});
const get = (...keys: string[]): Request => ({ command: 'get', keys });

let server: ScriptedServer;
let connection: MemcachedConnection | undefined;
const open = (options: Partial<ConstructorParameters<typeof MemcachedConnection>[0]> = {}) => {
  connection = new MemcachedConnection({ host: '127.0.0.1', port: server.port, timeout: 500, ...options });
  return connection;
};

afterEach(async () => {
  connection?.close();
  await server?.stop();
});

describe('MemcachedConnection', () => {
  it('pipelines many requests in one write and matches replies in order, even cut byte by byte', async () => {
    server = new ScriptedServer();
    await server.start();
    const client = open({ timeout: 5000 });
    await Promise.all(
      Array.from({ length: 50 }, (_, index) => client.request(set(`k${index}`, `v${index}`))),
    );
    server.fragment = true;
    const replies = await Promise.all(
      Array.from({ length: 50 }, (_, index) => client.request(get(`k${index}`, 'missing'))),
    );
    replies.forEach((reply, index) => {
      expect(reply).toEqual({
        type: 'values',
        items: [{ key: `k${index}`, flags: 0, value: text(`v${index}`), cas: undefined }],
      });
    });
  });

  it('times a stalled request out as a soft failure, keeps the stream in step, and never sends a request late', async () => {
    server = new ScriptedServer();
    await server.start();
    const client = open({ timeout: 200 });
    await client.request(set('a', '1'));
    server.stalled = true;
    const stalled = client.request(get('a')).catch((error: unknown) => error);
    const error = await stalled;
    expect(error).toMatchObject({ code: 'E_TIMEOUT' });
    expect(connectionFailureKind(error)).toBe('soft');
    server.resume();
    // The late reply to the timed-out get is dropped; this request gets its own reply.
    expect(await client.request(set('b', '2'))).toEqual({ type: 'status', status: 'STORED' });
    expect(await client.request(get('b'))).toMatchObject({ type: 'values', items: [{ key: 'b' }] });
  });

  it('fails every request of a refused connection with one shared hard E_NODE_UNAVAILABLE, then backs off', async () => {
    server = new ScriptedServer();
    await server.start();
    await server.stop(); // nothing listens on the port now
    const failures: unknown[] = [];
    const client = open({ backoff: { min: 300, max: 300 }, onFailure: (error) => failures.push(error) });
    const errors = await Promise.all(
      [client.request(get('a')), client.request(get('b'))].map((p) => p.catch((e: unknown) => e)),
    );
    expect(errors[0]).toMatchObject({ code: 'E_NODE_UNAVAILABLE' });
    expect(errors[1]).toBe(errors[0]);
    expect(connectionFailureKind(errors[0])).toBe('hard');
    expect(failures).toEqual([errors[0]]);
    expect(client.status).toBe('down');
    // While backing off, requests fail at once with the same error, without dialing.
    const started = Date.now();
    expect(await client.request(get('c')).catch((e: unknown) => e)).toBe(errors[0]);
    expect(Date.now() - started).toBeLessThan(50);
    expect(failures).toHaveLength(1);
    // A forced request (a health probe) dials anyway; the server is back.
    await server.start();
    expect(await client.request({ command: 'version' }, { force: true })).toEqual({
      type: 'version',
      version: 'scripted',
    });
    expect(client.status).toBe('up');
  });

  it('reconnects at once after the server drops an established connection', async () => {
    server = new ScriptedServer();
    await server.start();
    const client = open();
    await client.request(set('a', '1'));
    server.stalled = true;
    const inFlight = client.request(get('a')).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 50));
    server.dropConnections();
    expect(await inFlight).toMatchObject({ code: 'E_NODE_UNAVAILABLE' });
    server.stalled = false;
    expect(await client.request(get('a'))).toMatchObject({ type: 'values', items: [{ key: 'a' }] });
  });

  it('rejects with E_OVERLOADED past maxPending, E_ABORTED for an aborted signal, E_CLOSED after close', async () => {
    server = new ScriptedServer();
    await server.start();
    const client = open({ maxPending: 3, timeout: 2000 });
    server.stalled = true;
    const held = [1, 2, 3].map(() => client.request(get('a')).catch((e: unknown) => e));
    expect(await client.request(get('a')).catch((e: unknown) => e)).toMatchObject({ code: 'E_OVERLOADED' });
    const controller = new AbortController();
    controller.abort();
    client.close();
    expect(await Promise.all(held)).toEqual(
      [1, 2, 3].map(() => expect.objectContaining({ code: 'E_CLOSED' })),
    );
    expect(
      await client.request(get('a'), { signal: controller.signal }).catch((e: unknown) => e),
    ).toMatchObject({ code: 'E_CLOSED' });
    const other = open();
    expect(
      await other.request(get('a'), { signal: controller.signal }).catch((e: unknown) => e),
    ).toMatchObject({ code: 'E_ABORTED' });
  });

  it('drops a request aborted before it was written', async () => {
    server = new ScriptedServer();
    await server.start();
    const client = open();
    const controller = new AbortController();
    const pending = client
      .request(set('aborted', 'x'), { signal: controller.signal })
      .catch((e: unknown) => e);
    controller.abort(); // before the connection is even up
    expect(await pending).toMatchObject({ code: 'E_ABORTED' });
    expect(await client.request(get('aborted'))).toEqual({ type: 'values', items: [] });
  });

  it('rejects a request whose key would inject a command, without sending it', async () => {
    server = new ScriptedServer();
    await server.start();
    const client = open();
    const injected = client.request(get('a\r\nflush_all')).catch((e: unknown) => e);
    expect(await injected).toMatchObject({ code: 'E_KEY_INVALID' });
    expect(await client.request(get('a'))).toEqual({ type: 'values', items: [] });
    expect(server.received).toBe(1);
  });

  it('resolves noreply requests once written', async () => {
    server = new ScriptedServer();
    await server.start();
    const client = open();
    expect(await client.request({ ...set('q', '1'), noreply: true } as Request)).toBeUndefined();
    expect(await client.request(get('q'))).toMatchObject({ type: 'values', items: [{ key: 'q' }] });
  });

  it('holds writes in memory (bounded by maxPending) while the server does not read, and recovers', async () => {
    server = new ScriptedServer();
    await server.start();
    const client = open({ timeout: 5000, maxPending: 2000 });
    await client.request(get('warm'));
    for (const socket of server.sockets) socket.pause();
    const big = new Uint8Array(256 * 1024);
    const writes = Array.from({ length: 200 }, (_, index) =>
      client.request({ command: 'set', key: `big${index}`, flags: 0, exptime: 0, value: big }),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(client.pending).toBe(200);
    for (const socket of server.sockets) socket.resume();
    expect(new Set((await Promise.all(writes)).map((reply) => JSON.stringify(reply)))).toEqual(
      new Set([JSON.stringify({ type: 'status', status: 'STORED' })]),
    );
  });
});
