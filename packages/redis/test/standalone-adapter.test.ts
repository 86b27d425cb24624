// redisAdapter over a single Redis and through Sentinel, on servers this file starts itself.
import { randomUUID } from 'node:crypto';
import { describeAdapterConformance } from '@ringcache/adapter-test-suite';
import { type AdapterEvent, createCache } from '@ringcache/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisAdapter } from '../src/index.js';
import { type RedisProcess, startRedisServer, startSentinel } from './helpers/redis-processes.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (value: Uint8Array | undefined) =>
  value === undefined ? undefined : new TextDecoder().decode(value);

let server: RedisProcess;
let sentinel: RedisProcess;

beforeAll(async () => {
  server = await startRedisServer();
  sentinel = await startSentinel(server.port);
});

afterAll(async () => {
  await sentinel?.kill();
  await server?.kill();
});

describeAdapterConformance({
  name: 'redis (standalone)',
  create: () => redisAdapter({ redis: { host: '127.0.0.1', port: server.port }, maxValueBytes: 1024 * 1024 }),
  describe,
  it,
  expect,
  beforeAll,
  afterAll,
});

describe('redisAdapter', () => {
  const run = `rc-standalone-${randomUUID().slice(0, 8)}`;

  it('sends a many-key read as one MGET and answers in order', async () => {
    const adapter = redisAdapter({ redis: { host: '127.0.0.1', port: server.port } });
    const monitor = new Redis({ host: '127.0.0.1', port: server.port });
    const commands: string[] = [];
    const stream = await monitor.monitor();
    stream.on('monitor', (_time: string, args: string[]) => commands.push(args[0]!.toLowerCase()));
    try {
      const keys = Array.from({ length: 20 }, (_, index) => `${run}:m${index}`);
      await adapter.setMany(keys.map((key) => ({ key, value: bytes(key), ttl: 0 })));
      commands.length = 0;
      const values = await adapter.getMany([...keys, `${run}:missing`].reverse());
      expect(values.map(text)).toEqual([undefined, ...[...keys].reverse()]);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(commands.filter((command) => command === 'mget' || command === 'get')).toEqual(['mget']);
    } finally {
      stream.disconnect();
      monitor.disconnect();
      await adapter.close();
    }
  });

  it('honours ioredis’ own keyPrefix on a client you pass, clear() included', async () => {
    const client = new Redis({ host: '127.0.0.1', port: server.port, keyPrefix: `${run}:io:` });
    const adapter = redisAdapter(client);
    const plain = redisAdapter({ redis: { host: '127.0.0.1', port: server.port } });
    try {
      await adapter.set('a', bytes('1'), 0);
      expect(text(await plain.get(`${run}:io:a`))).toBe('1');
      await plain.set(`${run}:other`, bytes('kept'), 0);
      await adapter.clear();
      expect(await plain.get(`${run}:io:a`)).toBeUndefined();
      expect(text(await plain.get(`${run}:other`))).toBe('kept');
    } finally {
      await adapter.close();
      await plain.close();
      client.disconnect();
    }
  });

  it('clear() without prefix: SCAN+UNLINK of keyPrefix* by default, FLUSHALL only when asked', async () => {
    const scoped = redisAdapter({
      redis: { host: '127.0.0.1', port: server.port },
      keyPrefix: `${run}:scoped:`,
    });
    const flusher = redisAdapter({ redis: { host: '127.0.0.1', port: server.port }, flushAllOnClear: true });
    try {
      await scoped.set('mine', bytes('x'), 0);
      await flusher.set(`${run}:bystander`, bytes('y'), 0);
      await scoped.clear();
      expect(await scoped.get('mine')).toBeUndefined();
      expect(text(await flusher.get(`${run}:bystander`))).toBe('y');
      await flusher.clear();
      expect(await flusher.get(`${run}:bystander`)).toBeUndefined();
      expect(await flusher.getClient().dbsize()).toBe(0);
    } finally {
      await scoped.close();
      await flusher.close();
    }
  });

  it('connects through Sentinel and reports the master it serves from', async () => {
    const adapter = redisAdapter({
      redis: { sentinels: [{ host: '127.0.0.1', port: sentinel.port }], name: 'mymaster' },
    });
    const events: AdapterEvent[] = [];
    adapter.subscribe((event) => events.push(event));
    try {
      const cache = createCache({ adapter, namespace: run });
      await cache.set('through-sentinel', { ok: true });
      expect(await cache.get('through-sentinel')).toEqual({ ok: true });
      expect(adapter.nodes()).toEqual([
        { id: `127.0.0.1:${server.port}`, address: `127.0.0.1:${server.port}`, status: 'up' },
      ]);
      expect(adapter.topology().locate('any')).toBe(`127.0.0.1:${server.port}`);
      expect(events.filter((event) => event.type === 'topology:change')).toHaveLength(1);
    } finally {
      await adapter.close();
    }
  });

  it('fails fast with E_NODE_UNAVAILABLE while the server is gone, and serves again when it is back', async () => {
    const own = await startRedisServer();
    const adapter = redisAdapter({ redis: { host: '127.0.0.1', port: own.port } });
    const events: string[] = [];
    adapter.subscribe((event) => events.push(event.type));
    try {
      await adapter.set('k', bytes('v'), 0);
      await own.kill();
      await new Promise((resolve) => setTimeout(resolve, 100));
      const started = Date.now();
      await expect(adapter.get('k')).rejects.toMatchObject({ code: 'E_NODE_UNAVAILABLE' });
      await expect(adapter.set('k', bytes('w'), 0)).rejects.toMatchObject({ code: 'E_NODE_UNAVAILABLE' });
      expect(Date.now() - started).toBeLessThan(50);
      expect(adapter.nodes()[0]!.status).toBe('down');
      await own.restart();
      const deadline = Date.now() + 10_000;
      while (adapter.nodes()[0]!.status === 'down' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await adapter.set('k', bytes('back'), 0);
      expect(text(await adapter.get('k'))).toBe('back');
      expect(events).toContain('node:eject');
      expect(events).toContain('node:readmit');
    } finally {
      await adapter.close();
      await own.kill();
    }
  });
});
