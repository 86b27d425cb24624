// Bounds and timeouts: a client that stops reading is paused, idle clients are closed, the
// client count is capped, a server that never answers costs its requests a SERVER_ERROR after
// `timeout` (the connection staying in step), and ejection routes around it.
import { randomUUID } from 'node:crypto';
import { hashRing } from '@ringcache/core';
import { memcached, requireEngine } from '@ringcache/test-engines';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ProxyEvent, RunningProxy } from '../src/index.js';
import { blackHole, countReplies, RawClient, sleep, startTestProxy } from './support/proxy.js';

const available = await requireEngine('memcached', memcached.nodes);
const run = randomUUID().slice(0, 8);

describe.skipIf(!available)('limits and timeouts', () => {
  let proxy: RunningProxy | undefined;
  const clients: RawClient[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await proxy?.close();
    proxy = undefined;
  });

  async function connect(): Promise<RawClient> {
    const client = await RawClient.connect(proxy!.address.port);
    clients.push(client);
    return client;
  }

  it('stops reading from a client that does not read its replies, and catches up when it does', async () => {
    proxy = await startTestProxy({ maxClientOutputBytes: 64 * 1024, maxClientPending: 32 });
    const client = await connect();
    const key = `${run}:big`;
    const value = 'v'.repeat(20_000);
    await client.exchange(`set ${key} 0 0 ${value.length}\r\n${value}\r\n`);
    client.socket.pause();
    const requests = 3000;
    client.write(`get ${key}\r\n`.repeat(requests));
    await sleep(500);
    const ops = () => proxy!.stats().servers.reduce((sum, server) => sum + server.ops, 0);
    const paused = ops();
    await sleep(300);
    // Reading stopped: the requests whose replies fit in the kernel's socket buffers (loopback
    // buffers take several MB) went out, then nothing more; not all 3000 (60 MB of replies).
    expect(ops()).toBe(paused);
    expect(paused * value.length).toBeLessThan(16 * 1024 ** 2);
    expect(process.memoryUsage().rss).toBeLessThan(1024 ** 3);
    client.socket.resume();
    const reply = `VALUE ${key} 0 ${value.length}\r\n${value}\r\nEND\r\n`;
    await client.untilLength(requests * reply.length, 20_000);
    expect(client.text).toBe(reply.repeat(requests));
  });

  it('closes idle clients, half-written requests included, and keeps busy ones', async () => {
    proxy = await startTestProxy({ clientIdleTimeout: 200 });
    const idle = await connect();
    const half = await connect();
    half.write(`set ${run}:half 0 0 10\r\nabc`);
    const busy = await connect();
    const started = Date.now();
    while (Date.now() - started < 700) {
      expect(await busy.exchange('version\r\n')).toMatch(/^VERSION/);
      await sleep(50);
    }
    expect(idle.closed).toBe(true);
    expect(half.closed).toBe(true);
    expect(busy.closed).toBe(false);
  });

  it('refuses clients beyond client_connections with SERVER_ERROR', async () => {
    proxy = await startTestProxy({ clientConnections: 2 });
    await connect();
    await connect();
    const third = await connect();
    await third.until(() => third.closed);
    expect(third.text).toBe('SERVER_ERROR too many connections\r\n');
    expect(proxy.stats().connections).toMatchObject({ current: 2, rejected: 1 });
  });
});

describe.skipIf(!available)('a server that never answers', () => {
  let hole: Awaited<ReturnType<typeof blackHole>>;
  let proxy: RunningProxy | undefined;
  let servers: string[];
  let ring: ReturnType<typeof hashRing>;
  /** Keys owned by the hung server and by the healthy one. */
  let hung: string[];
  let healthy: string[];
  const clients: RawClient[] = [];

  beforeAll(async () => {
    hole = await blackHole();
    servers = [memcached.nodes[0]!, hole.address];
    ring = hashRing(servers);
    const keys = Array.from({ length: 40 }, (_, index) => `${run}:t${index}`);
    hung = keys.filter((key) => ring.locate(key) === hole.address);
    healthy = keys.filter((key) => ring.locate(key) !== hole.address);
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await proxy?.close();
    proxy = undefined;
  });
  afterAll(async () => {
    await hole?.close();
  });

  async function connect(): Promise<RawClient> {
    const client = await RawClient.connect(proxy!.address.port);
    clients.push(client);
    return client;
  }

  it('answers SERVER_ERROR after the timeout, in order, and the connection stays in step', async () => {
    proxy = await startTestProxy({ servers, timeout: 300 });
    const client = await connect();
    const good = healthy[0]!;
    const started = Date.now();
    const reply = await client.exchange(
      `set ${good} 0 0 2\r\nok\r\nget ${hung[0]}\r\nget ${good}\r\nset ${hung[1]} 0 0 1\r\nx\r\nget ${good} ${hung[2]}\r\nversion\r\n`,
      8, // lines: STORED, SERVER_ERROR, VALUE + data + END, SERVER_ERROR × 2, VERSION
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    expect(reply).toBe(
      'STORED\r\n' +
        `SERVER_ERROR server ${hole.address} timed out\r\n` +
        `VALUE ${good} 0 2\r\nok\r\nEND\r\n` +
        `SERVER_ERROR server ${hole.address} timed out\r\n` +
        `SERVER_ERROR server ${hole.address} timed out\r\n` +
        `VERSION ${reply.split('VERSION ')[1]}`,
    );
    expect(await client.exchange(`get ${good}\r\n`, 1, /END\r\n/g)).toBe(
      `VALUE ${good} 0 2\r\nok\r\nEND\r\n`,
    );
    const stats = proxy.stats().servers.find((server) => server.id === hole.address)!;
    expect(stats).toMatchObject({ timeouts: 3, errors: 3, status: 'up' });
    expect(proxy.stats().commands.serverErrors).toBe(3);
  });

  it("with read_errors: miss, a many-key get returns the healthy server's hits", async () => {
    proxy = await startTestProxy({ servers, timeout: 200, readErrors: 'miss' });
    const client = await connect();
    const good = healthy[1]!;
    await client.exchange(`set ${good} 0 0 1\r\ng\r\n`);
    expect(await client.exchange(`get ${hung[0]} ${good} ${hung[1]}\r\n`, 1, /END\r\n/g)).toBe(
      `VALUE ${good} 0 1\r\ng\r\nEND\r\n`,
    );
    // Writes still fail loudly.
    expect(await client.exchange(`set ${hung[0]} 0 0 1\r\nx\r\n`)).toMatch(/^SERVER_ERROR /);
  });

  it('with auto_eject_hosts, ejects it after server_failure_limit timeouts and routes around it', async () => {
    proxy = await startTestProxy({
      servers,
      timeout: 200,
      autoEjectHosts: true,
      serverFailureLimit: 2,
      serverRetryTimeout: 60_000,
      failoverTtl: 5000,
    });
    const events: ProxyEvent[] = [];
    proxy.subscribe((event) => events.push(event));
    const client = await connect();
    await client.exchange(`get ${hung[0]}\r\nget ${hung[1]}\r\n`, 2);
    expect(events.filter((event) => event.type === 'node:eject')).toEqual([
      expect.objectContaining({ type: 'node:eject', node: hole.address }),
    ]);
    const started = Date.now();
    expect(await client.exchange(`set ${hung[2]} 0 0 1\r\nf\r\nget ${hung[2]}\r\n`, 2)).toBe(
      `STORED\r\nVALUE ${hung[2]} 0 1\r\nf\r\nEND\r\n`,
    );
    expect(Date.now() - started).toBeLessThan(150);
    const stats = proxy.stats();
    expect(stats.servers.find((server) => server.id === hole.address)).toMatchObject({
      status: 'ejected',
      ejected: 1,
    });
    expect(stats.servers.find((server) => server.id === hole.address)?.ejectedAt).toBeGreaterThan(0);
    const text = await client.exchange('stats\r\n', 1, /END\r\n/g);
    expect(text).toContain(`STAT server:${hole.address}:status ejected`);
    expect(text).toContain('STAT servers_ejected 1');
  });

  it('answers SERVER_ERROR at once when a server has server_max_pending requests queued', async () => {
    proxy = await startTestProxy({ servers, timeout: 500, serverMaxPending: 5 });
    const client = await connect();
    const started = Date.now();
    client.write(
      hung
        .slice(0, 1)
        .flatMap((key) => Array.from({ length: 8 }, () => `get ${key}\r\n`))
        .join(''),
    );
    await client.until((received) => countReplies(received.toString('latin1')) >= 8);
    const lines = client.take().trim().split('\r\n');
    expect(lines.filter((line) => line.endsWith('overloaded'))).toHaveLength(3);
    expect(lines.filter((line) => line.endsWith('timed out'))).toHaveLength(5);
    // Overloaded ones came back at once but were held behind the earlier requests: order is kept.
    expect(lines.slice(0, 5).every((line) => line.endsWith('timed out'))).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
