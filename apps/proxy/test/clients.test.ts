// Real clients through the proxy, against the three shared memcached servers: the `memcached`
// npm package (text protocol), memjs (binary protocol only) and libmemcached's command line tools
// (memccat, memccp, memcslap; text and --binary). Each sees the pool as one memcached.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { hashRing } from '@ringcache/core';
import { memcached as engine, requireEngine } from '@ringcache/test-engines';
import Memcached from 'memcached';
import memjs from 'memjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningProxy } from '../src/index.js';
import { startTestProxy } from './support/proxy.js';

const available = await requireEngine('memcached', engine.nodes);
const run = randomUUID().slice(0, 8);
const execFileAsync = promisify(execFile);

describe.skipIf(!available)('real clients through the proxy', () => {
  let proxy: RunningProxy;
  let address: string;
  const ring = hashRing(engine.nodes);

  beforeAll(async () => {
    proxy = await startTestProxy();
    address = `127.0.0.1:${proxy.address.port}`;
  });
  afterAll(async () => {
    await proxy?.close();
  });

  /** The `memcached` package's callback API as promises. */
  function textClient() {
    const client = new Memcached(address, { retries: 0, timeout: 2000, poolSize: 4 });
    const call =
      <T>(method: (...args: never[]) => void) =>
      (...args: unknown[]) =>
        new Promise<T>((resolve, reject) =>
          (method as (...args: unknown[]) => void).call(client, ...args, (error: unknown, data: T) =>
            error ? reject(error) : resolve(data),
          ),
        );
    return {
      set: call<boolean>(client.set),
      add: call<boolean>(client.add),
      replace: call<boolean>(client.replace),
      append: call<boolean>(client.append),
      prepend: call<boolean>(client.prepend),
      get: call<unknown>(client.get),
      gets: call<Record<string, unknown> & { cas: string }>(client.gets),
      cas: call<boolean>(client.cas),
      getMulti: call<Record<string, unknown>>(client.getMulti),
      incr: call<number | boolean>(client.incr),
      decr: call<number | boolean>(client.decr),
      del: call<boolean>(client.del),
      touch: call<boolean>(client.touch),
      version: call<{ version: string }[]>(client.version),
      stats: call<Record<string, unknown>[]>(client.stats),
      end: () => client.end(),
    };
  }

  it('the `memcached` package: storage, cas, counters, many-key get, version and stats', async () => {
    const client = textClient();
    const key = (name: string) => `${run}:mc:${name}`;
    try {
      expect(await client.set(key('a'), 'alpha', 0)).toBe(true);
      expect(await client.get(key('a'))).toBe('alpha');
      expect(await client.add(key('a'), 'x', 0).catch(() => false)).toBe(false);
      expect(await client.replace(key('a'), 'beta', 0)).toBe(true);
      expect(await client.append(key('a'), '!')).toBe(true);
      expect(await client.prepend(key('a'), '>')).toBe(true);
      expect(await client.get(key('a'))).toBe('>beta!');

      const gets = await client.gets(key('a'));
      expect(await client.cas(key('a'), 'gamma', gets.cas, 0)).toBe(true);
      expect(await client.cas(key('a'), 'delta', gets.cas, 0)).toBe(false);
      expect(await client.get(key('a'))).toBe('gamma');

      await client.set(key('n'), '10', 0);
      expect(await client.incr(key('n'), 5)).toBe(15);
      expect(await client.decr(key('n'), 20)).toBe(0);
      expect(await client.touch(key('n'), 100)).toBe(true);
      expect(await client.del(key('n'))).toBe(true);
      expect(await client.get(key('n'))).toBeUndefined();

      // Keys on every server, one getMulti: one `get` line to the proxy, split by server.
      const keys = Array.from({ length: 60 }, (_, index) => key(`multi${index}`));
      expect(new Set(keys.map((name) => ring.locate(name))).size).toBe(3);
      await Promise.all(
        keys.map((name, index) => (index % 4 === 0 ? undefined : client.set(name, `v-${name}`, 0))),
      );
      const found = await client.getMulti(keys);
      expect(found).toEqual(
        Object.fromEntries(keys.filter((_, index) => index % 4 !== 0).map((name) => [name, `v-${name}`])),
      );

      const [version] = await client.version();
      expect(version?.version).toMatch(/^\d+\.\d+\.\d+$/);
      const [stats] = await client.stats();
      expect(stats).toMatchObject({ server: address });
      expect(Number(stats?.curr_connections)).toBeGreaterThan(0);
      expect(stats?.[`server:${engine.nodes[0]}:status`]).toBe('up');
    } finally {
      client.end();
    }
  });

  it('memjs (binary protocol): storage, counters with an initial value, touch, stats', async () => {
    const client = memjs.Client.create(address, { logger: { log: () => {} }, retries: 0, timeout: 2 });
    const key = (name: string) => `${run}:memjs:${name}`;
    try {
      expect(await client.set(key('a'), 'alpha', { expires: 0 })).toBe(true);
      expect((await client.get(key('a'))).value?.toString()).toBe('alpha');
      expect((await client.get(key('missing'))).value).toBeNull();
      expect(await client.add(key('a'), 'x', {})).toBe(false);
      expect(await client.add(key('b'), 'bee', {})).toBe(true);
      expect(await client.replace(key('none'), 'x', {})).toBe(false);
      expect(await client.replace(key('b'), 'B', {})).toBe(true);
      expect(await client.append(key('b'), '!')).toBe(true);
      // memjs 1.3.2's prepend sends append's opcode (0x0E): prepend is tested with raw packets.
      expect((await client.get(key('b'))).value?.toString()).toBe('B!');
      expect(await client.touch(key('b'), 100)).toBe(true);
      expect(await client.delete(key('b'))).toBe(true);
      expect(await client.delete(key('b'))).toBe(false);
      // Binary incr creates the counter at `initial` when missing.
      expect(await client.increment(key('n'), 5, { initial: 10, expires: 100 })).toEqual({
        success: true,
        value: 10,
      });
      expect(await client.increment(key('n'), 5, {})).toEqual({ success: true, value: 15 });
      expect(await client.decrement(key('n'), 20, {})).toEqual({ success: true, value: 0 });

      // Values written in one protocol read back in the other, through the same proxy.
      const text = textClient();
      try {
        expect(await text.get(key('a'))).toBe('alpha');
        await text.set(key('fromText'), 'written as text', 0);
        expect((await client.get(key('fromText'))).value?.toString()).toBe('written as text');
      } finally {
        text.end();
      }

      const stats = await new Promise<Record<string, string>>((resolve, reject) =>
        client.stats((error, _server, values) =>
          error ? reject(error) : resolve(values as Record<string, string>),
        ),
      );
      expect(Number(stats.curr_connections)).toBeGreaterThan(0);
      expect(stats.pool).toBe('ringcache');
    } finally {
      client.close();
    }
  });

  it('libmemcached tools: memccp and memccat in text and binary mode', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'ringcache-proxy-tools-'));
    try {
      const file = join(directory, `${run}-file.txt`);
      const content = `copied by memccp through the proxy ${run}\n`.repeat(50);
      writeFileSync(file, content);
      await execFileAsync('memccp', [`--servers=${address}`, file]);
      const key = basename(file);
      const text = await execFileAsync('memccat', [`--servers=${address}`, key], { encoding: 'utf8' });
      // memccat ends what it prints with a newline of its own.
      expect(text.stdout).toBe(`${content}\n`);
      const binary = await execFileAsync('memccat', ['--binary', `--servers=${address}`, key], {
        encoding: 'utf8',
      });
      expect(binary.stdout).toBe(`${content}\n`);
      const missing = await execFileAsync('memccat', [`--servers=${address}`, `${run}-absent`]).catch(
        (error: { code: number }) => error,
      );
      expect((missing as { code: number }).code).not.toBe(0);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('libmemcached sees a too large value as ITEM TOO BIG (E2BIG), as from memcached itself', async () => {
    // Why the proxy answers SERVER_ERROR object too large for cache, not CLIENT_ERROR: libmemcached
    // maps that exact reply to MEMCACHED_E2BIG; a CLIENT_ERROR would be a generic CLIENT ERROR.
    const directory = mkdtempSync(join(tmpdir(), 'ringcache-proxy-big-'));
    try {
      const file = join(directory, `${run}-big.txt`);
      writeFileSync(file, 'x'.repeat(2_000_000));
      const outcome = (server: string) =>
        execFileAsync('memccp', [`--servers=${server}`, file], { encoding: 'utf8' }).then(
          () => 'stored',
          (error: { stderr: string }) => error.stderr.trim(),
        );
      const direct = await outcome(engine.nodes[0]!);
      expect(direct).toMatch(/ITEM TOO BIG/);
      expect(await outcome(address)).toBe(direct.replace(engine.nodes[0]!, address));
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('memcslap: sets, gets and many-key gets under concurrency, without errors', async () => {
    const before = proxy.stats();
    for (const test of ['set', 'get', 'mget']) {
      const { stderr } = await execFileAsync(
        'memcslap',
        [`--servers=${address}`, `--test=${test}`, '--concurrency=4', '--execute-number=300'],
        { encoding: 'utf8' },
      );
      expect(stderr).not.toMatch(/fail|error/i);
    }
    const after = proxy.stats();
    expect(after.commands.cmdSet - before.commands.cmdSet).toBeGreaterThanOrEqual(1200);
    expect(after.commands.cmdGet - before.commands.cmdGet).toBeGreaterThanOrEqual(1200);
    expect(after.commands.serverErrors).toBe(before.commands.serverErrors);
    // The load reached every server.
    for (const server of after.servers) {
      const earlier = before.servers.find((entry) => entry.id === server.id)!;
      expect(server.ops).toBeGreaterThan(earlier.ops);
    }
  });
});
