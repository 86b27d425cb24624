// Placement: the same nutcracker YAML run by a real nutcracker (twemproxy) and by our proxy, in
// front of the same three servers. Keys set through either land on the same server, so a team
// can swap nutcracker for ringcache-proxy (and back) without a cold cache.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemcachedConnection } from '@ringcache/memcached/protocol';
import { memcached, requireEngine } from '@ringcache/test-engines';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, type RunningProxy, startProxy } from '../src/index.js';
import { sleep } from './support/proxy.js';

const available = await requireEngine('memcached', memcached.nodes);
const NUTCRACKER = ['/usr/sbin/nutcracker', '/usr/bin/nutcracker'].find((path) => existsSync(path));
const run = randomUUID().slice(0, 8);
const KEYS = 400;

/** Pools covering the hashes, weights, server names and hash tags placement depends on. */
const POOLS = [
  { name: 'fnv1a_64', hash: 'fnv1a_64', weights: [1, 1, 1], names: false, tag: false },
  { name: 'md5_weighted', hash: 'md5', weights: [1, 3, 2], names: false, tag: false },
  { name: 'murmur_named', hash: 'murmur', weights: [2, 1, 1], names: true, tag: false },
  { name: 'crc32a_tagged', hash: 'crc32a', weights: [1, 1, 2], names: false, tag: true },
  { name: 'hsieh', hash: 'hsieh', weights: [1, 1, 1], names: true, tag: false },
  { name: 'jenkins', hash: 'jenkins', weights: [1, 2, 3], names: false, tag: false },
];

function poolYaml(pool: (typeof POOLS)[number], port: number): string {
  return [
    `${pool.name}:`,
    `  listen: 127.0.0.1:${port}`,
    `  hash: ${pool.hash}`,
    '  distribution: ketama',
    ...(pool.tag ? ['  hash_tag: "{}"'] : []),
    '  timeout: 2000',
    '  auto_eject_hosts: false',
    '  servers:',
    ...memcached.nodes.map(
      (node, index) => `    - ${node}:${pool.weights[index]}${pool.names ? ` cache-${index}` : ''}`,
    ),
  ].join('\n');
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Free ports in 22300–22399, from a PID-dependent start so parallel runs differ. */
async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  const start = (process.pid * 7) % 100;
  for (let offset = 0; offset < 100 && ports.length < count; offset++) {
    const port = 22300 + ((start + offset) % 100);
    if (await isFree(port)) ports.push(port);
  }
  if (ports.length < count) throw new Error(`need ${count} free ports in 22300-22399`);
  return ports;
}

describe.skipIf(!available)('ketama placement: ringcache-proxy vs a real nutcracker, same YAML', () => {
  let directory: string;
  let nutcracker: ChildProcess | undefined;
  let log: string;
  const nutcrackerPorts = new Map<string, number>();
  const proxies = new Map<string, RunningProxy>();
  const direct = new Map<string, MemcachedConnection>();

  beforeAll(async () => {
    if (NUTCRACKER === undefined) throw new Error('nutcracker is not installed (Debian package nutcracker)');
    directory = mkdtempSync(join(tmpdir(), 'ringcache-proxy-nutcracker-'));
    const ports = await freePorts(POOLS.length + 1);
    const yaml = POOLS.map((pool, index) => {
      nutcrackerPorts.set(pool.name, ports[index]!);
      return poolYaml(pool, ports[index]!);
    }).join('\n');
    const conf = join(directory, 'nutcracker.yml');
    log = join(directory, 'nutcracker.log');
    writeFileSync(conf, `${yaml}\n`);
    nutcracker = spawn(
      NUTCRACKER,
      ['-c', conf, '-o', log, '-s', String(ports[POOLS.length]), '-a', '127.0.0.1'],
      { stdio: 'ignore' },
    );
    // Ours reads the very same file; only the listen port differs.
    for (const pool of parseConfig(yaml, conf).pools) {
      proxies.set(pool.name!, await startProxy({ ...pool, listen: '127.0.0.1:0' }));
    }
    for (const node of memcached.nodes) {
      const [host, port] = node.split(':');
      direct.set(node, new MemcachedConnection({ host: host!, port: Number(port), timeout: 2000 }));
    }
    for (const port of nutcrackerPorts.values()) await waitForNutcracker(port);
  });

  afterAll(async () => {
    // By PID: this test's own nutcracker only.
    if (nutcracker?.pid !== undefined && nutcracker.exitCode === null) {
      const exited = new Promise((resolve) => nutcracker!.once('exit', resolve));
      process.kill(nutcracker.pid, 'SIGTERM');
      await exited;
    }
    for (const proxy of proxies.values()) await proxy.close();
    for (const connection of direct.values()) connection.close();
    if (directory) rmSync(directory, { recursive: true, force: true });
  });

  async function waitForNutcracker(port: number): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && nutcracker?.exitCode === null) {
      const probe = new MemcachedConnection({ host: '127.0.0.1', port, timeout: 500 });
      const reply = await probe.request({ command: 'get', keys: ['probe'] }).catch(() => undefined);
      probe.close();
      if (reply?.type === 'values') return;
      await sleep(50);
    }
    throw new Error(
      `nutcracker did not serve on ${port}:\n${existsSync(log) ? readFileSync(log, 'utf8') : ''}`,
    );
  }

  /** The one server holding `key`, asked directly. */
  async function holder(key: string): Promise<string | undefined> {
    const found: string[] = [];
    for (const [node, connection] of direct) {
      const reply = await connection.request({ command: 'get', keys: [key] });
      if (reply?.type === 'values' && reply.items.length > 0) found.push(node);
    }
    expect(found.length).toBeLessThanOrEqual(1);
    return found[0];
  }

  async function set(connection: MemcachedConnection, key: string, value: string): Promise<void> {
    const reply = await connection.request({
      command: 'set',
      key,
      flags: 0,
      exptime: 300,
      value: Buffer.from(value),
    });
    expect(reply).toEqual({ type: 'status', status: 'STORED' });
  }

  it.each(POOLS.map((pool) => [pool.name, pool] as const))(
    '%s: every key lands on the server nutcracker picks, and each reads the other’s writes',
    async (name, pool) => {
      const viaNutcracker = new MemcachedConnection({
        host: '127.0.0.1',
        port: nutcrackerPorts.get(name)!,
        timeout: 2000,
      });
      const viaOurs = new MemcachedConnection({
        host: '127.0.0.1',
        port: proxies.get(name)!.address.port,
        timeout: 2000,
      });
      try {
        const keys = Array.from({ length: KEYS }, (_, index) =>
          pool.tag && index % 2 === 0
            ? `${run}:${name}:user:{${index % 37}}:${index}`
            : `${run}:${name}:${index}:${'x'.repeat(index % 30)}`,
        );
        const perServer = new Map<string, number>();
        for (const [index, key] of keys.entries()) {
          // Alternate writers: half the keys through nutcracker, half through ours.
          const writer = index % 2 === 0 ? viaNutcracker : viaOurs;
          await set(writer, key, `value of ${key}`);
        }
        for (const key of keys.slice(0, 120)) {
          // Write the same key through the other proxy: it must replace, not duplicate.
          await set(viaOurs, key, `again ${key}`);
          await set(viaNutcracker, key, `value of ${key}`);
          const node = await holder(key);
          expect(node).toBeDefined();
          perServer.set(node!, (perServer.get(node!) ?? 0) + 1);
        }
        expect(perServer.size).toBe(3);
        const readOurs = await viaOurs.request({ command: 'get', keys });
        const readTheirs = await viaNutcracker.request({ command: 'get', keys });
        const values = (reply: typeof readOurs) =>
          reply?.type === 'values' ? reply.items.map((item) => Buffer.from(item.value).toString()) : [];
        const expected = keys.map((key) => `value of ${key}`);
        expect(values(readOurs)).toEqual(expected);
        expect(values(readTheirs)).toEqual(expected);
        console.log(`${name}: ${JSON.stringify(Object.fromEntries(perServer))} of 120 checked directly`);
      } finally {
        viaNutcracker.close();
        viaOurs.close();
      }
    },
  );
});
