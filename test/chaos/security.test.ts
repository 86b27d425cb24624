// Security checks of issue 12: a Redis ACL user limited to the cache's key pattern works end to
// end and a wrong password fails closed; Redis over TLS (Debian's redis-server links OpenSSL);
// memcached is started on loopback with UDP off everywhere; the memcached adapter warns when a
// server is not on loopback and TLS is off. Engines here are the test's own (disposable or
// spawned by PID); no traffic is sent to a non-loopback address.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { createCache } from '@ringcache/core';
import { memcachedAdapter } from '@ringcache/memcached';
import { redisAdapter, redisClusterAdapter } from '@ringcache/redis';
import {
  type DisposableRedisCluster,
  disposableRedisCluster,
  freePort,
  type TestCertificate,
  testCertificate,
} from '@ringcache/test-engines';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeOf, report, sleep } from './support.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');

async function redisCli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args]);
  return stdout.trim();
}

describe('Redis ACL user limited to the cache key pattern', () => {
  const NAMESPACE = 'chaos-acl';
  const USER = 'ringcache-chaos';
  const PASSWORD = 'chaos-acl-password-1';
  // What the cluster adapter sends (packages/redis/src): data commands, SCAN + UNLINK for clear,
  // the scripts of increment/touch, and what ioredis needs to connect (INFO ready check, CLUSTER SLOTS).
  const COMMANDS = [
    '+get',
    '+set',
    '+mget',
    '+unlink',
    '+del',
    '+exists',
    '+pexpire',
    '+pttl',
    '+persist',
    '+incrby',
    '+eval',
    '+evalsha',
    '+scan',
    '+ping',
    '+info',
    '+cluster|slots',
    '+cluster|nodes',
    '+cluster|shards',
    '+cluster|info',
  ];
  let cluster: DisposableRedisCluster;

  beforeAll(async () => {
    cluster = await disposableRedisCluster({ masters: 3, replicas: 0 });
    for (const port of cluster.ports) {
      // ACLs are per node: every node gets the same user.
      expect(
        await redisCli(
          port,
          'ACL',
          'SETUSER',
          USER,
          'reset',
          'on',
          `>${PASSWORD}`,
          `~${NAMESPACE}:*`,
          '-@all',
          ...COMMANDS,
        ),
      ).toBe('OK');
    }
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('works end to end through a namespace: set, get, getMany, delete, clear', async () => {
    const adapter = redisClusterAdapter({ nodes: cluster.nodes, username: USER, password: PASSWORD });
    const root = createCache({ adapter, onBackendError: 'throw' });
    const cache = root.namespace(NAMESPACE);
    try {
      const keys = Array.from({ length: 50 }, (_, index) => `key-${index}`);
      for (const key of keys) await cache.set(key, { key });
      expect(await cache.get('key-7')).toEqual({ key: 'key-7' });
      // Keys over every master: a cross-slot multi-get, grouped by the adapter.
      expect(await cache.getMany(keys)).toEqual(keys.map((key) => ({ key })));
      expect(await cache.delete('key-7')).toBe(true);
      expect(await cache.get('key-7')).toBeUndefined();
      await cache.clear();
      expect((await cache.getMany(keys)).every((value) => value === undefined)).toBe(true);
      // Outside the pattern: refused by Redis, surfaced as a typed error, nothing written.
      const outside = await root.set('outside-the-pattern', 1).then(
        () => 'written',
        (error: unknown) => codeOf(error),
      );
      expect(outside).not.toBe('written');
      expect(outside.startsWith('UNTYPED')).toBe(false);
      // -c follows MOVED to the key's master.
      expect(await redisCli(cluster.ports[0]!, '-c', 'EXISTS', 'outside-the-pattern')).toBe('0');
      report('security redis ACL', {
        keys: keys.length,
        outsidePatternSet: outside,
        commandsGranted: COMMANDS.length,
      });
    } finally {
      await root.close();
    }
  });

  it('a wrong password fails closed: typed errors, no data, nothing written', async () => {
    const adapter = redisClusterAdapter({ nodes: cluster.nodes, username: USER, password: 'wrong-password' });
    const cache = createCache({ adapter, onBackendError: 'throw', timeout: 1000 }).namespace(NAMESPACE);
    try {
      const started = performance.now();
      const outcomes = await Promise.all([
        cache.set('denied', 1).then(
          () => 'ok',
          (error: unknown) => codeOf(error),
        ),
        cache.get('denied').then(
          (value) => `value:${String(value)}`,
          (error: unknown) => codeOf(error),
        ),
        cache.getMany(['denied', 'denied-2']).then(
          (values) => `values:${String(values)}`,
          (error: unknown) => codeOf(error),
        ),
      ]);
      const settledMs = Math.round(performance.now() - started);
      report('security redis wrong password', { outcomes, settledMs });
      for (const outcome of outcomes) {
        expect(outcome === 'ok' || outcome.startsWith('value') || outcome.startsWith('UNTYPED')).toBe(false);
      }
      // -c follows MOVED to the key's master.
      expect(await redisCli(cluster.ports[0]!, '-c', 'EXISTS', `${NAMESPACE}:denied`)).toBe('0');
    } finally {
      await cache.close();
    }
  });
});

describe('Redis over TLS (standalone redis-server with --tls-port)', () => {
  let certificate: TestCertificate | undefined;
  let server: ChildProcess | undefined;
  let port: number;
  let ca: string;

  beforeAll(async () => {
    // Debian's redis-server is linked with OpenSSL (ldd shows libssl.so.3): TLS is built in.
    certificate = testCertificate('chaos-tls');
    const { cert, key, directory } = certificate;
    ca = certificate.ca;
    port = await freePort();
    server = spawn(
      'redis-server',
      [
        '--port',
        '0',
        '--tls-port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--tls-cert-file',
        cert,
        '--tls-key-file',
        key,
        '--tls-ca-cert-file',
        cert,
        '--tls-auth-clients',
        'no',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        directory,
      ],
      { stdio: 'ignore' },
    );
    const deadline = Date.now() + 15_000;
    for (;;) {
      const answered = await run('redis-cli', [
        '--tls',
        '--cacert',
        cert,
        '-h',
        '127.0.0.1',
        '-p',
        String(port),
        'PING',
      ]).then(
        ({ stdout }) => stdout.trim() === 'PONG',
        () => false,
      );
      if (answered) break;
      if (Date.now() > deadline || server.exitCode !== null)
        throw new Error('redis-server with TLS did not start');
      await sleep(100);
    }
  });

  afterAll(async () => {
    if (server?.pid !== undefined && server.exitCode === null) {
      const exited = new Promise((resolve) => server?.once('exit', resolve));
      process.kill(server.pid, 'SIGKILL');
      await exited;
    }
    certificate?.remove();
  });

  it('round-trips through redisAdapter({ redis: { tls } })', async () => {
    const cache = createCache({
      adapter: redisAdapter({ redis: { host: '127.0.0.1', port, tls: { ca } } }),
      onBackendError: 'throw',
    });
    try {
      await cache.set('tls:a', { over: 'tls' });
      await cache.set('tls:b', 2);
      expect(await cache.get('tls:a')).toEqual({ over: 'tls' });
      expect(await cache.getMany(['tls:a', 'tls:b', 'tls:none'])).toEqual([{ over: 'tls' }, 2, undefined]);
      expect(await cache.delete('tls:a')).toBe(true);
      report('security redis TLS', { redisServerTls: 'supported', roundTrip: 'ok' });
    } finally {
      await cache.close();
    }
  });

  it('fails closed with a typed error when the server certificate is not trusted', async () => {
    const cache = createCache({
      adapter: redisAdapter({ redis: { host: '127.0.0.1', port, tls: {}, maxRetriesPerRequest: 0 } }),
      onBackendError: 'throw',
      timeout: 1000,
    });
    try {
      const outcome = await cache.set('tls:untrusted', 1).then(
        () => 'ok',
        (error: unknown) => codeOf(error),
      );
      report('security redis TLS untrusted certificate', { outcome });
      expect(outcome).not.toBe('ok');
      expect(outcome.startsWith('UNTYPED')).toBe(false);
    } finally {
      await cache.close();
    }
  });
});

/** Files of the repository (no dependencies, build output, generated API docs or engine state). */
function repositoryFiles(
  directory: string,
  accept: (path: string) => boolean,
  found: string[] = [],
): string[] {
  for (const name of readdirSync(directory)) {
    if (['node_modules', '.git', 'dist', '.turbo', '.servers', 'api', 'coverage'].includes(name)) continue;
    const path = join(directory, name);
    if (statSync(path).isDirectory()) repositoryFiles(path, accept, found);
    else if (accept(path)) found.push(path);
  }
  return found;
}

describe('memcached transport safety', () => {
  it('every script, test and doc starts memcached on loopback with UDP off', () => {
    const files = repositoryFiles(ROOT, (path) => /\.(mjs|js|ts|md|sh|ya?ml)$/.test(path));
    const invocations: { file: string; loopback: boolean; udpOff: boolean }[] = [];
    for (const file of files) {
      if (file.includes(join('test', 'chaos'))) continue;
      const text = readFileSync(file, 'utf8');
      const code = /spawn[A-Za-z]*\(\s*'memcached'/.test(text);
      // A command line in a doc, shell script or compose file: `memcached -p ...` (not prose).
      const shellLines = /\.(md|sh|ya?ml)$/.test(file)
        ? text.split('\n').filter((line) => /^\s*(\$\s*)?(sudo\s+)?(exec\s+)?memcached\s+-/.test(line))
        : [];
      if (code) {
        invocations.push({
          file: relative(ROOT, file),
          // The args array passes '-l' with a loopback literal, or with a variable in a file
          // whose only addresses are loopback ones (a HOST constant, random 127.a.b.c hosts).
          loopback:
            /'-l',\s*'127\.\d{1,3}\.\d{1,3}\.\d{1,3}'/.test(text) ||
            (/'-l',\s*[A-Za-z_]\w*\b/.test(text) &&
              /['`]127\./.test(text) &&
              !/['`](0\.0\.0\.0|(?!127\.)\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})['`]/.test(text)),
          udpOff: /'-U',\s*'0'/.test(text),
        });
      }
      for (const line of shellLines) {
        invocations.push({
          file: `${relative(ROOT, file)}: ${line.trim()}`,
          loopback: /(-l|--listen)[\s=]+(127\.0\.0\.1|localhost|::1)\b/.test(line),
          udpOff: /(-U|--udp-port)[\s=]+0\b/.test(line),
        });
      }
    }
    report('security memcached invocations', { invocations });
    expect(invocations.some((invocation) => invocation.file.startsWith(join('scripts', 'engines')))).toBe(
      true,
    );
    expect(invocations.filter((invocation) => !invocation.loopback || !invocation.udpOff)).toEqual([]);
  });

  it('the adapter warns when a server is not on loopback and TLS is off (logger and process warning)', async () => {
    // 192.0.2.1 is TEST-NET-1: the adapter is constructed and closed, no call is made (connections are lazy).
    const logged: string[] = [];
    const remote = memcachedAdapter({
      servers: ['192.0.2.1:11211'],
      logger: { warn: (message) => logged.push(message) },
    });
    await remote.close();
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain('192.0.2.1');

    const quiet: string[] = [];
    const loopback = memcachedAdapter({
      servers: ['127.0.0.1:1', 'localhost:2', '[::1]:3'],
      logger: { warn: (message) => quiet.push(message) },
    });
    await loopback.close();
    const withTls = memcachedAdapter({
      servers: ['192.0.2.1:11211'],
      tls: true,
      logger: { warn: (message) => quiet.push(message) },
    });
    await withTls.close();
    expect(quiet).toEqual([]);

    // Without a logger: a process warning with a stable code.
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const plain = memcachedAdapter({ servers: ['192.0.2.1:11211'] });
      await plain.close();
      await sleep(20);
    } finally {
      process.off('warning', onWarning);
    }
    const codes = warnings.map((warning) => (warning as Error & { code?: string }).code);
    report('security memcached plaintext warning', { logged: logged.length, processWarnings: codes });
    expect(codes).toContain('RINGCACHE_MEMCACHED_PLAINTEXT');
  });
});
