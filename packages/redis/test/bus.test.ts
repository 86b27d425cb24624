// redisBus on the shared cluster and on a standalone server of this file's own.
import { randomUUID } from 'node:crypto';
import type { BusHandlers } from '@ringcache/core';
import { redisCluster, requireEngine } from '@ringcache/test-engines';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisBus, redisBus } from '../src/index.js';
import { type RedisProcess, startRedisServer } from './helpers/redis-processes.js';

const available = await requireEngine('redis-cluster', redisCluster.nodes);
const bytes = (text: string) => new TextEncoder().encode(text);

/** Collects what a subscription hears; `next()` resolves with the next message. */
function listener() {
  const messages: string[] = [];
  const statuses: string[] = [];
  let waiting: ((message: string) => void) | undefined;
  const handlers: BusHandlers = {
    onMessage(message) {
      const text = new TextDecoder().decode(message);
      messages.push(text);
      waiting?.(text);
      waiting = undefined;
    },
    onStatus: (status) => statuses.push(status),
  };
  return {
    handlers,
    messages,
    statuses,
    next: () =>
      new Promise<string>((resolve, reject) => {
        waiting = resolve;
        setTimeout(() => reject(new Error('no message within 2 s')), 2000).unref();
      }),
  };
}

/** The behaviour every flavour of the bus shares. */
function busBehaviour(makeBus: () => RedisBus) {
  const channel = `rc-bus-${randomUUID().slice(0, 8)}`;
  let a: RedisBus;
  let b: RedisBus;

  beforeAll(() => {
    a = makeBus();
    b = makeBus();
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('delivers exact bytes to every subscriber, the publisher’s own included', async () => {
    const onA = listener();
    const onB = listener();
    const offA = await a.subscribe(channel, onA.handlers);
    const offB = await b.subscribe(channel, onB.handlers);
    const heardA = onA.next();
    const heardB = onB.next();
    await a.publish(channel, bytes('héllo \u0000 wörld'));
    expect(await heardA).toBe('héllo \u0000 wörld');
    expect(await heardB).toBe('héllo \u0000 wörld');
    await offA();
    await offB();
  });

  it('keeps channels apart, stops after unsubscribe, survives a throwing handler', async () => {
    const first = listener();
    const second = listener();
    const off = await b.subscribe(`${channel}:1`, first.handlers);
    await b.subscribe(`${channel}:1`, {
      onMessage() {
        throw new Error('a broken handler');
      },
    });
    const offSecond = await b.subscribe(`${channel}:2`, second.handlers);
    const heard = first.next();
    const heardTwo = second.next();
    await a.publish(`${channel}:1`, bytes('one'));
    await a.publish(`${channel}:2`, bytes('two'));
    expect(await heard).toBe('one');
    expect(await heardTwo).toBe('two');
    await off();
    await a.publish(`${channel}:1`, bytes('unheard'));
    const again = second.next();
    await a.publish(`${channel}:2`, bytes('two again'));
    expect(await again).toBe('two again');
    expect(first.messages).toEqual(['one']);
    await offSecond();
  });

  it('rejects calls after close with E_CLOSED', async () => {
    const bus = makeBus();
    await bus.close();
    await bus.close();
    await expect(bus.publish(channel, bytes('x'))).rejects.toMatchObject({ code: 'E_CLOSED' });
    await expect(bus.subscribe(channel, listener().handlers)).rejects.toMatchObject({ code: 'E_CLOSED' });
  });
}

describe.skipIf(!available)('redisBus on the shared cluster', () => {
  let client: Cluster;
  beforeAll(() => {
    client = new Cluster([{ host: '127.0.0.1', port: redisCluster.ports[0]! }]);
    client.on('error', () => {});
  });
  afterAll(async () => {
    await client?.quit();
  });

  describe('over a cluster client you pass', () => busBehaviour(() => redisBus(client)));
  describe('over a cluster client of its own', () =>
    busBehaviour(() => redisBus({ nodes: redisCluster.nodes })));
});

describe('redisBus on a single Redis', () => {
  let server: RedisProcess;
  let client: Redis;
  beforeAll(async () => {
    server = await startRedisServer();
    client = new Redis({ host: '127.0.0.1', port: server.port });
  });
  afterAll(async () => {
    client?.disconnect();
    await server?.kill();
  });

  describe('over a client you pass', () => busBehaviour(() => redisBus({ client, channelPrefix: 'app:' })));

  it('tells subscribers when the subscription drops, then resubscribes and says so', async () => {
    const own = await startRedisServer();
    const errors: unknown[] = [];
    const bus = redisBus({
      redis: { host: '127.0.0.1', port: own.port },
      onError: (error) => errors.push(error),
    });
    try {
      const heard = listener();
      await bus.subscribe('status', heard.handlers);
      await own.kill();
      await waitFor(() => heard.statuses.includes('down'));
      await own.restart();
      await waitFor(() => heard.statuses.includes('up'), 10_000);
      expect(heard.statuses).toEqual(['down', 'up']);
      const next = heard.next();
      await bus.publish('status', bytes('after'));
      expect(await next).toBe('after');
      // A dropped socket is not an error; whatever ioredis reported went to onError, not a crash.
      for (const error of errors) expect(error).toBeInstanceOf(Error);
    } finally {
      await bus.close();
      await own.kill();
    }
  });
});

async function waitFor(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
