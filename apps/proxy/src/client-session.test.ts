import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Reply, Request } from '@ringcache/memcached/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientSession, type SessionHost } from './client-session.js';
import { CommandCounters, type Dispatcher, type Outcome } from './dispatcher.js';
import { type ProxyOptions, resolveProxyOptions } from './options.js';
import { TextFrontend } from './text-frontend.js';

// The reply queue and flow control alone, over a real loopback socket; the dispatcher is a stand-in
// whose replies the test releases in any order (the servers behind it are exercised in test/).
interface Deferred {
  request: Request;
  resolve(reply: Reply): void;
}

let server: Server | undefined;
let client: Socket | undefined;
afterEach(async () => {
  client?.destroy();
  if (server !== undefined) await new Promise((resolve) => server!.close(resolve));
  server = undefined;
});

async function session(options: Partial<ProxyOptions> = {}) {
  const deferred: Deferred[] = [];
  const dispatcher = {
    handle(request: Request): Outcome {
      if (request.command === 'version') return { type: 'version', version: 'now' };
      return new Promise<Reply>((resolve) => deferred.push({ request, resolve }));
    },
  } as unknown as Dispatcher;
  const closed: ClientSession[] = [];
  const host: SessionHost = {
    dispatcher,
    options: resolveProxyOptions({ servers: ['127.0.0.1:1'], ...options }),
    counters: new CommandCounters(),
    closed: (session) => closed.push(session),
  };
  server = createServer({ allowHalfOpen: true }, (socket) => {
    new ClientSession(socket, host, (_, sink) => new TextFrontend(sink));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  client = connect(port, '127.0.0.1');
  await once(client, 'connect');
  let received = '';
  client.on('data', (chunk) => {
    received += chunk;
  });
  return { deferred, closed, host, client, output: () => received };
}

async function until(condition: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const value = (key: string): Reply => ({
  type: 'values',
  items: [{ key, flags: 0, value: Buffer.from(key) }],
});

describe('ClientSession', () => {
  it('answers pipelined requests in request order whatever order their replies come in', async () => {
    const { deferred, client, output } = await session();
    client.write('get a\r\nget b\r\nversion\r\nget c\r\nbad command\r\n');
    await until(() => deferred.length === 3);
    deferred[2]!.resolve(value('c'));
    deferred[1]!.resolve(value('b'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(output()).toBe(''); // `a` is still pending: nothing may overtake it
    deferred[0]!.resolve(value('a'));
    await until(() => output().endsWith('ERROR\r\n'));
    expect(output()).toBe(
      'VALUE a 0 1\r\na\r\nEND\r\nVALUE b 0 1\r\nb\r\nEND\r\nVERSION now\r\nVALUE c 0 1\r\nc\r\nEND\r\nERROR\r\n',
    );
  });

  it('stops reading at maxClientPending requests in flight and resumes below half', async () => {
    const { deferred, client, output } = await session({ maxClientPending: 4 });
    for (let index = 0; index < 12; index++) {
      client.write(`get k${index}\r\n`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(deferred.length).toBe(4);
    for (const entry of deferred.splice(0, 2)) entry.resolve({ type: 'values', items: [] });
    await until(() => deferred.length >= 4);
    // Resumed at half: the kernel buffer's requests are read again.
    while (deferred.length > 0) {
      for (const entry of deferred.splice(0)) entry.resolve({ type: 'values', items: [] });
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await until(() => output().split('END\r\n').length - 1 === 12);
  });

  it('answers what was asked before quit, then closes', async () => {
    const { deferred, client, output, closed } = await session();
    client.write('get a\r\nquit\r\nget never\r\n');
    await until(() => deferred.length === 1);
    deferred[0]!.resolve(value('a'));
    await once(client, 'end');
    expect(output()).toBe('VALUE a 0 1\r\na\r\nEND\r\n');
    expect(deferred).toHaveLength(1);
    await until(() => closed.length === 1);
  });

  it('answers a client that half-closes after its requests', async () => {
    const { deferred, client, output } = await session();
    client.end('get a\r\n');
    await until(() => deferred.length === 1);
    deferred[0]!.resolve(value('a'));
    await once(client, 'end');
    expect(output()).toBe('VALUE a 0 1\r\na\r\nEND\r\n');
  });

  it('closes an idle client, but not one waiting for a reply', async () => {
    const { deferred, client } = await session({ clientIdleTimeout: 50 });
    client.write('get slow\r\n');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(client.destroyed || client.readableEnded).toBe(false);
    deferred[0]!.resolve({ type: 'values', items: [] });
    client.write('set half 0 0 10\r\nabc'); // half-written: idle all the same
    await once(client, 'close');
  });
});
