// The lean connection on its own, against a redis-server started here (plain TCP and TLS ports,
// an ACL user), so AUTH, TLS and a dying server can be exercised without touching the shared cluster.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { freePort, isListening, type TestCertificate, testCertificate } from '@ringcache/test-engines';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DIRECT_CONNECTION_NAME,
  DirectConnection,
  type DirectConnectionOptions,
  ReplyError,
} from '../src/direct-connection.js';
import { isUnavailable } from '../src/errors.js';

let certificate: TestCertificate;
let server: ChildProcess;
let port = 0;
let tlsPort = 0;
let admin: Redis;

beforeAll(async () => {
  certificate = testCertificate('redis-direct');
  port = await freePort();
  tlsPort = await freePort();
  const args = [
    ...['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'],
    ...['--tls-port', String(tlsPort), '--tls-auth-clients', 'no'],
    ...['--tls-cert-file', certificate.cert, '--tls-key-file', certificate.key],
    ...['--tls-ca-cert-file', certificate.cert],
  ];
  server = spawn('redis-server', args, { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  while (!(await isListening('127.0.0.1', port))) {
    if (Date.now() > deadline || server.exitCode !== null) throw new Error('redis-server did not start');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  admin = new Redis({ port, lazyConnect: true });
  await admin.connect();
  await admin.acl('SETUSER', 'alice', 'on', '>wonderland', '~*', '+@all');
});

afterAll(async () => {
  admin?.disconnect();
  if (server?.pid !== undefined && server.exitCode === null && server.signalCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGKILL');
    await exited;
  }
  certificate?.remove();
});

/** A connection that resolves once ready, or rejects with what closed it. */
async function open(options: Partial<DirectConnectionOptions> = {}): Promise<DirectConnection> {
  let connection: DirectConnection | undefined;
  await new Promise<void>((resolve, reject) => {
    connection = new DirectConnection(
      { host: '127.0.0.1', port, connectTimeout: 2000, ...options },
      { onReady: resolve, onClose: reject },
    );
  });
  return connection!;
}

const text = (value: Uint8Array | null) => (value === null ? null : Buffer.from(value).toString());

describe('DirectConnection', () => {
  it('answers GET, SET and UNLINK in order, many per tick, for any key and value bytes', async () => {
    const connection = await open();
    try {
      const keys = Array.from({ length: 1000 }, (_, index) => `direct:é漢🙂:${index}`);
      expect(await Promise.all(keys.map((key) => connection.set(key, Buffer.from(key), 0)))).toEqual(
        keys.map(() => 'OK'),
      );
      expect((await Promise.all(keys.map((key) => connection.get(key)))).map(text)).toEqual(keys);

      const values = [
        Uint8Array.of(0xc3, 0x28, 0xff, 0xfe, 0x00),
        new Uint8Array(0),
        Buffer.alloc(40_000, 'a'), // written as its own part, not copied
        Buffer.alloc(3_000_000, 'b'), // its reply arrives in many reads
      ];
      await Promise.all(values.map((value, index) => connection.set(`direct:value:${index}`, value, 0)));
      const read = await Promise.all(values.map((_, index) => connection.get(`direct:value:${index}`)));
      expect(read.map((value, index) => Buffer.compare(value!, values[index]!))).toEqual(values.map(() => 0));
      expect(await admin.getBuffer('direct:value:0')).toEqual(Buffer.from(values[0]!));

      await connection.set('direct:ttl', Buffer.from('x'), 1500);
      const ttl = await admin.pttl('direct:ttl');
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(1500);
      expect(await admin.pttl('direct:value:0')).toBe(-1);

      expect(await Promise.all([connection.unlink('direct:ttl'), connection.unlink('direct:ttl')])).toEqual([
        1, 0,
      ]);
      expect(await connection.get('direct:ttl')).toBeNull();
    } finally {
      connection.destroy(new Error('test over'));
    }
  });

  it('rejects a call answered with an error reply, and only that call', async () => {
    const connection = await open();
    try {
      await admin.lpush('direct:list', 'x');
      const [before, failed, after] = await Promise.allSettled([
        connection.get('direct:value:0'),
        connection.get('direct:list'),
        connection.unlink('direct:missing'),
      ]);
      expect(before).toMatchObject({ status: 'fulfilled' });
      expect(failed).toMatchObject({ status: 'rejected', reason: expect.any(ReplyError) });
      expect((failed as PromiseRejectedResult).reason.message).toMatch(/^WRONGTYPE /);
      expect(after).toEqual({ status: 'fulfilled', value: 0 });
    } finally {
      connection.destroy(new Error('test over'));
    }
  });

  it('authenticates as an ACL user and names itself for CLIENT LIST', async () => {
    const connection = await open({ username: 'alice', password: 'wonderland' });
    try {
      expect(await connection.set('direct:alice', Buffer.from('hi'), 0)).toBe('OK');
      const clients = await admin.client('LIST');
      expect(clients).toMatch(new RegExp(`name=${DIRECT_CONNECTION_NAME} .*user=alice`));
    } finally {
      connection.destroy(new Error('test over'));
    }
  });

  it('closes with the server’s error when the password is wrong', async () => {
    await expect(open({ username: 'alice', password: 'wrong' })).rejects.toMatchObject({
      message: expect.stringMatching(/^WRONGPASS /),
    });
  });

  it('works over TLS when the server certificate is trusted, and refuses it otherwise', async () => {
    const connection = await open({ port: tlsPort, tls: { ca: certificate.ca } });
    try {
      await connection.set('direct:tls', Buffer.from('secure'), 0);
      expect(text(await connection.get('direct:tls'))).toBe('secure');
    } finally {
      connection.destroy(new Error('test over'));
    }
    await expect(open({ port: tlsPort, tls: {} })).rejects.toThrow(/self-signed|certificate/);
  });

  it('gives up connecting after connectTimeout', async () => {
    // A listener that never answers the TLS handshake.
    const silent: Server = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port: silentPort } = silent.address() as { port: number };
      const started = Date.now();
      await expect(open({ port: silentPort, tls: {}, connectTimeout: 300 })).rejects.toThrow(/ETIMEDOUT/);
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      silent.close();
    }
  });

  // Last: it kills the server.
  it('rejects pending calls with an E_NODE_UNAVAILABLE error when the server dies', async () => {
    const connection = await open();
    let closedWith: Error | undefined;
    const closed = new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (connection.state === 'closed') {
          clearInterval(timer);
          resolve();
        }
      }, 10);
    });
    process.kill(server.pid!, 'SIGSTOP');
    const pending = connection.get('direct:value:0').catch((error: Error) => {
      closedWith = error;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(connection.pending).toBe(1);
    process.kill(server.pid!, 'SIGKILL');
    await pending;
    await closed;
    // ECONNRESET or "Connection is closed.", whichever the socket reports first: both mean unavailable.
    expect(closedWith).toBeInstanceOf(Error);
    expect(isUnavailable(closedWith)).toBe(true);
    expect(connection.pending).toBe(0);
  });
});
