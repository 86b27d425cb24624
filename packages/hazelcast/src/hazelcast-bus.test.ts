// The bus's reading rules against a scripted ringbuffer; test/bus.test.ts runs it on members.
import { type Client, StaleSequenceError, TargetDisconnectedError } from 'hazelcast-client';
import { describe, expect, it, vi } from 'vitest';
import { hazelcastBus } from './hazelcast-bus.js';

const long = (value: number) => ({ toNumber: () => value });

/** An in-memory ringbuffer whose reads block until an item or a scripted failure arrives. */
function fakeRingbuffer(capacity = 100) {
  const items: Buffer[] = [];
  let head = 0;
  const waiters: (() => void)[] = [];
  const failures: unknown[] = [];
  const wake = () => {
    for (const waiter of waiters.splice(0)) waiter();
  };
  const ringbuffer = {
    async tailSequence() {
      return long(head + items.length - 1);
    },
    async headSequence() {
      return long(head);
    },
    async add(item: Buffer) {
      items.push(Buffer.from(item));
      while (items.length > capacity) {
        items.shift();
        head++;
      }
      wake();
      return long(head + items.length - 1);
    },
    async readMany(start: number, _min: number, max: number) {
      for (;;) {
        const failure = failures.shift();
        if (failure !== undefined) throw failure;
        const from = Math.max(start, head);
        if (from < head + items.length) {
          const batch = items.slice(from - head, from - head + max);
          return {
            getReadCount: () => batch.length,
            getNextSequenceToReadFrom: () => long(from + batch.length),
            size: () => batch.length,
            get: (index: number) => batch[index],
          };
        }
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
  };
  return {
    ringbuffer,
    names: [] as string[],
    fail(error: unknown) {
      failures.push(error);
      wake();
    },
  };
}

function busOver(fake: ReturnType<typeof fakeRingbuffer>, onError = vi.fn()) {
  const client = {
    getRingbuffer: async (name: string) => {
      fake.names.push(name);
      return fake.ringbuffer;
    },
  } as unknown as Client;
  return hazelcastBus({ client, retryDelay: 5, onError });
}

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString();
const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('hazelcastBus (scripted ringbuffer)', () => {
  it('delivers what is published after subscribe resolved, in order, to every subscriber', async () => {
    const fake = fakeRingbuffer();
    const bus = busOver(fake);
    await bus.publish('c', Buffer.from('before'));
    const a: string[] = [];
    const b: string[] = [];
    await bus.subscribe('c', { onMessage: (message) => a.push(text(message)) });
    const stopB = await bus.subscribe('c', { onMessage: (message) => b.push(text(message)) });
    await bus.publish('c', Buffer.from('one'));
    await bus.publish('c', new TextEncoder().encode('two'));
    await tick();
    expect(a).toEqual(['one', 'two']);
    expect(b).toEqual(['one', 'two']);
    await stopB();
    await bus.publish('c', Buffer.from('three'));
    await tick();
    expect(a).toEqual(['one', 'two', 'three']);
    expect(b).toEqual(['one', 'two']);
    expect(fake.names.every((name) => name === 'ringcache-bus:c')).toBe(true);
    await bus.close();
  });

  it('reports down on a failed read and up once reading again, without losing messages', async () => {
    const fake = fakeRingbuffer();
    const onError = vi.fn();
    const bus = busOver(fake, onError);
    const seen: string[] = [];
    const statuses: string[] = [];
    await bus.subscribe('c', {
      onMessage: (message) => seen.push(text(message)),
      onStatus: (status) => statuses.push(status),
    });
    fake.fail(new TargetDisconnectedError('member gone'));
    await bus.publish('c', Buffer.from('during'));
    await tick();
    expect(statuses).toEqual(['down', 'up']);
    expect(seen).toEqual(['during']);
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ code: 'E_NODE_UNAVAILABLE' }));
    await bus.close();
  });

  it('reports lost messages as down then up, and a stale sequence restarts at the head', async () => {
    const fake = fakeRingbuffer(2);
    const bus = busOver(fake);
    const seen: string[] = [];
    const statuses: string[] = [];
    await bus.subscribe('c', {
      onMessage: (message) => seen.push(text(message)),
      onStatus: (status) => statuses.push(status),
    });
    // Three messages into a ringbuffer of two before the reader runs: the first is overwritten.
    await Promise.all(['m1', 'm2', 'm3'].map((message) => bus.publish('c', Buffer.from(message))));
    await tick();
    expect(seen).toEqual(['m2', 'm3']);
    expect(statuses).toEqual(['down', 'up']);
    fake.fail(new StaleSequenceError('gone'));
    await bus.publish('c', Buffer.from('m4'));
    await tick();
    expect(seen).toEqual(['m2', 'm3', 'm4']);
    expect(statuses).toEqual(['down', 'up', 'down', 'up']);
    await bus.close();
  });

  it('survives throwing handlers, and rejects calls after close with E_CLOSED', async () => {
    const fake = fakeRingbuffer();
    const bus = busOver(fake);
    const seen: string[] = [];
    await bus.subscribe('c', {
      onMessage: () => {
        throw new Error('bad handler');
      },
    });
    await bus.subscribe('c', { onMessage: (message) => seen.push(text(message)) });
    await bus.publish('c', Buffer.from('x'));
    await bus.publish('c', Buffer.from('y'));
    await tick();
    expect(seen).toEqual(['x', 'y']);
    await bus.close();
    await bus.close();
    await expect(bus.publish('c', Buffer.from('z'))).rejects.toMatchObject({ code: 'E_CLOSED' });
    await expect(bus.subscribe('c', { onMessage: () => {} })).rejects.toMatchObject({ code: 'E_CLOSED' });
  });

  it('rejects bad options and channels with E_CONFIG', async () => {
    expect(() => hazelcastBus({ batchSize: 0 })).toThrow(expect.objectContaining({ code: 'E_CONFIG' }));
    expect(() => hazelcastBus({ members: ['nope'] })).toThrow(expect.objectContaining({ code: 'E_CONFIG' }));
    const bus = busOver(fakeRingbuffer());
    await expect(bus.publish('', Buffer.from('x'))).rejects.toMatchObject({ code: 'E_CONFIG' });
    await bus.close();
  });
});
