// Fault suite: servers die and hang behind the proxy, on disposable memcached. With
// auto_eject_hosts a server is ejected after server_failure_limit failures, the others keep
// serving throughout, its keys fail over, and it is probed, flushed and re-admitted after
// server_retry_timeout. Without it (nutcracker's default) its keys fail fast, nothing moves.
import { MemcachedConnection, type Reply } from '@ringcache/memcached/protocol';
import { type DisposableMemcached, disposableMemcached } from '@ringcache/test-engines';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ProxyEvent, type ProxyOptions, type RunningProxy, startProxy } from '../../src/index.js';
import { RawClient, sleep } from '../support/proxy.js';

const RETRY_TIMEOUT = 1500;
const TIMEOUT = 400;
const VICTIM = 1;

let engine: DisposableMemcached;
let proxy: RunningProxy | undefined;

beforeAll(async () => {
  engine = await disposableMemcached(3);
});
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  // Every test starts with three live, empty servers (failover copies of one test must not
  // show up in the next).
  for (let index = 0; index < 3; index++) {
    const [host, port] = engine.nodes[index]!.split(':');
    const probe = new MemcachedConnection({ host: host!, port: Number(port), timeout: 300 });
    const flushed = await probe.request({ command: 'flush_all' }).then(
      () => true,
      () => false,
    );
    probe.close();
    if (!flushed) await engine.restart(index);
  }
});
afterAll(async () => {
  await engine?.stop();
});

async function start(options: Partial<ProxyOptions>): Promise<{ proxy: RunningProxy; events: ProxyEvent[] }> {
  proxy = await startProxy({
    listen: '127.0.0.1:0',
    servers: engine.nodes,
    distribution: 'ketama',
    timeout: TIMEOUT,
    ...options,
  });
  const events: ProxyEvent[] = [];
  proxy.subscribe((event) => events.push(event));
  return { proxy, events };
}

function direct(index: number): MemcachedConnection {
  const [host, port] = engine.nodes[index]!.split(':');
  return new MemcachedConnection({ host: host!, port: Number(port), timeout: 1000 });
}

/** Keys owned by each server, found through the proxy's own placement (a direct read after a set). */
async function keysByOwner(client: MemcachedConnection, count: number): Promise<string[][]> {
  const owners: string[][] = [[], [], []];
  const servers = [0, 1, 2].map(direct);
  try {
    for (let index = 0; index < count; index++) {
      const key = `fault:${index}:${(index * 7919) % 1000}`;
      await client.request({ command: 'set', key, flags: 0, exptime: 0, value: Buffer.from(`v${index}`) });
      const holders: number[] = [];
      for (const [owner, server] of servers.entries()) {
        const reply = await server.request({ command: 'get', keys: [key] });
        if (reply?.type === 'values' && reply.items.length > 0) holders.push(owner);
      }
      expect(holders).toHaveLength(1);
      owners[holders[0]!]!.push(key);
    }
  } finally {
    for (const server of servers) server.close();
  }
  return owners;
}

interface Outcome {
  key: string;
  at: number;
  reply: Reply | undefined;
  error: unknown;
}

/** A closed loop of gets and sets through the proxy until `stop()`; every outcome recorded. */
function load(client: MemcachedConnection, keys: string[], concurrency = 20) {
  const outcomes: Outcome[] = [];
  let stopped = false;
  const done = Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let step = 0; !stopped; step++) {
        const key = keys[(worker * 31 + step * 7) % keys.length]!;
        const request =
          step % 2 === 0
            ? ({ command: 'get', keys: [key] } as const)
            : ({
                command: 'set',
                key,
                flags: 0,
                exptime: 0,
                value: Buffer.from(`${worker}:${step}`),
              } as const);
        const outcome: Outcome = { key, at: performance.now(), reply: undefined, error: undefined };
        try {
          outcome.reply = await client.request(request);
        } catch (error) {
          outcome.error = error;
        }
        outcomes.push(outcome);
        if (outcome.error !== undefined) await sleep(5);
      }
    }),
  );
  return {
    outcomes,
    stop: async () => {
      stopped = true;
      await done;
      return outcomes;
    },
  };
}

const failed = (outcome: Outcome) => outcome.error !== undefined || outcome.reply?.type === 'error';

async function waitFor(condition: () => boolean, ms: number, what: string): Promise<number> {
  const started = performance.now();
  while (!condition()) {
    if (performance.now() - started > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
  return performance.now() - started;
}

describe('fault: a server dies behind the proxy', () => {
  it('auto_eject_hosts: ejects it after server_failure_limit failures, the others never fail, its keys fail over, it is re-admitted after server_retry_timeout', async () => {
    const { proxy, events } = await start({
      autoEjectHosts: true,
      serverFailureLimit: 2,
      serverRetryTimeout: RETRY_TIMEOUT,
    });
    const client = new MemcachedConnection({ host: '127.0.0.1', port: proxy.address.port, timeout: 5000 });
    try {
      const owners = await keysByOwner(client, 240);
      expect(owners.every((keys) => keys.length >= 10)).toBe(true);
      const victimKeys = new Set(owners[VICTIM]);
      const running = load(client, owners.flat());
      await sleep(300);

      let ejectedAt = 0;
      proxy.subscribe((event) => {
        if (event.type === 'node:eject') ejectedAt ||= performance.now();
      });
      const killedAt = performance.now();
      await engine.kill(VICTIM, 'SIGKILL');
      await waitFor(() => ejectedAt > 0, 5000, 'ejection');
      const ejectedAfter = ejectedAt - killedAt;
      await sleep(500);
      await engine.restart(VICTIM);
      const readmitted = await waitFor(
        () => events.some((event) => event.type === 'node:readmit'),
        10_000,
        're-admission',
      );
      const readmittedAt = performance.now();
      await sleep(300);
      const outcomes = await running.stop();

      const eject = events.find((event) => event.type === 'node:eject');
      expect(eject).toMatchObject({ node: engine.nodes[VICTIM] });
      // Dead servers are found at once (connection refused); two failures are two connection attempts.
      expect(ejectedAfter).toBeLessThan(1000);
      // The others never failed: not one error on their keys, before, during or after.
      const othersFailed = outcomes.filter((outcome) => !victimKeys.has(outcome.key) && failed(outcome));
      expect(othersFailed).toEqual([]);
      // The victim's keys failed only until the ejection (plus calls already in flight), then failed over.
      const lateFailures = outcomes.filter((outcome) => failed(outcome) && outcome.at > ejectedAt + 50);
      expect(lateFailures).toEqual([]);
      const victimCalls = outcomes.filter(
        (outcome) => victimKeys.has(outcome.key) && outcome.at > ejectedAt + 50,
      );
      expect(victimCalls.length).toBeGreaterThan(20);
      // Re-admitted after the retry timeout (probe + flush), not before.
      expect(readmittedAt - ejectedAt).toBeGreaterThanOrEqual(RETRY_TIMEOUT);
      const stats = proxy.stats().servers[VICTIM]!;
      expect(stats).toMatchObject({ status: 'up', ejected: 1 });
      expect(stats.errors).toBeGreaterThan(0);
      console.log(
        `ejected ${ejectedAfter.toFixed(0)} ms after SIGKILL; ${outcomes.filter(failed).length} of ${outcomes.length} ` +
          `calls failed (all on the dead server's keys, before ejection); re-admitted ${(readmitted / 1000).toFixed(2)} s after restart`,
      );

      // Back in place: its keys are written to it again.
      const key = owners[VICTIM]![0]!;
      await client.request({ command: 'set', key, flags: 0, exptime: 0, value: Buffer.from('home') });
      const victim = direct(VICTIM);
      expect(await victim.request({ command: 'get', keys: [key] })).toMatchObject({ items: [{ key }] });
      victim.close();
    } finally {
      client.close();
    }
  });

  it('without auto_eject_hosts (nutcracker default): its keys get SERVER_ERROR fast, nothing moves, it serves again once back', async () => {
    const { proxy, events } = await start({});
    const raw = await RawClient.connect(proxy.address.port);
    const client = new MemcachedConnection({ host: '127.0.0.1', port: proxy.address.port, timeout: 5000 });
    try {
      const owners = await keysByOwner(client, 120);
      await engine.kill(VICTIM, 'SIGKILL');
      const victimKey = owners[VICTIM]![0]!;
      const otherKey = owners[0]![0]!;
      for (let attempt = 0; attempt < 5; attempt++) {
        const started = performance.now();
        const reply = await raw.exchange(`get ${victimKey}\r\nget ${otherKey}\r\n`, 2);
        expect(reply).toMatch(
          new RegExp(`^SERVER_ERROR server ${engine.nodes[VICTIM]} unavailable\r\nVALUE ${otherKey} `),
        );
        expect(performance.now() - started).toBeLessThan(TIMEOUT);
      }
      expect(events.filter((event) => event.type === 'node:eject')).toEqual([]);
      await engine.restart(VICTIM);
      let reply = '';
      for (let attempt = 0; attempt < 50 && !reply.startsWith('END'); attempt++) {
        reply = await raw.exchange(`get ${victimKey}\r\n`);
        await sleep(50);
      }
      expect(reply).toBe('END\r\n'); // back, empty after its restart
    } finally {
      raw.close();
      client.close();
    }
  });
});

describe('fault: a server hangs (SIGSTOP) behind the proxy', () => {
  it('times out, is ejected, and is flushed before re-admission so it cannot serve values overwritten meanwhile', async () => {
    const { proxy, events } = await start({
      autoEjectHosts: true,
      serverFailureLimit: 2,
      serverRetryTimeout: RETRY_TIMEOUT,
    });
    const raw = await RawClient.connect(proxy.address.port);
    const client = new MemcachedConnection({ host: '127.0.0.1', port: proxy.address.port, timeout: 5000 });
    try {
      const owners = await keysByOwner(client, 120);
      const key = owners[VICTIM]![0]!;
      expect(await raw.exchange(`set ${key} 0 0 3\r\nold\r\n`)).toBe('STORED\r\n');
      await engine.kill(VICTIM, 'SIGSTOP');
      const started = performance.now();
      const timedOut = await raw.exchange(
        `get ${key}\r\nget ${owners[VICTIM]![1]}\r\nget ${owners[0]![0]}\r\n`,
        3,
      );
      expect(timedOut).toMatch(
        new RegExp(
          `^SERVER_ERROR server ${engine.nodes[VICTIM]} timed out\r\nSERVER_ERROR server ${engine.nodes[VICTIM]} timed out\r\nVALUE `,
        ),
      );
      expect(performance.now() - started).toBeGreaterThanOrEqual(TIMEOUT - 20);
      await waitFor(() => events.some((event) => event.type === 'node:eject'), 2000, 'ejection');
      // While it is out, the key is overwritten elsewhere (its failover server).
      expect(await raw.exchange(`set ${key} 0 0 3\r\nnew\r\nget ${key}\r\n`, 2)).toBe(
        `STORED\r\nVALUE ${key} 0 3\r\nnew\r\nEND\r\n`,
      );
      await engine.kill(VICTIM, 'SIGCONT');
      await waitFor(() => events.some((event) => event.type === 'node:readmit'), 10_000, 're-admission');
      // Back on its own server, which was flushed: a miss, never the stale 'old'.
      expect(await raw.exchange(`get ${key}\r\n`)).toBe('END\r\n');
    } finally {
      raw.close();
      client.close();
    }
  });
});

describe('flush_all with allow_flush', () => {
  it('flushes every server that is not ejected', async () => {
    const { proxy } = await start({ allowFlush: true });
    const raw = await RawClient.connect(proxy.address.port);
    try {
      const keys = Array.from({ length: 30 }, (_, index) => `flush:${index}`);
      await raw.exchange(keys.map((key) => `set ${key} 0 0 1\r\nx\r\n`).join(''), keys.length);
      expect(await raw.exchange('flush_all\r\n')).toBe('OK\r\n');
      expect(await raw.exchange(`get ${keys.join(' ')}\r\n`)).toBe('END\r\n');
      expect(proxy.stats().commands.cmdFlush).toBe(1);
    } finally {
      raw.close();
    }
  });
});
