// Fault suite (c): ketama interop with a real nutcracker (twemproxy) in front of the same pool.
// Keys set through Ringcache in ketama mode are read through nutcracker, and keys set through
// nutcracker are read by Ringcache: a team can move between the two without a cold cache.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCache, type TwemproxyHashName } from '@ringcache/core';
import { type DisposableMemcached, disposableMemcached } from '@ringcache/test-engines';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemcachedConnection, memcachedAdapter } from '../../src/index.js';
import { sleep } from '../support/load.js';

const NUTCRACKER = ['/usr/sbin/nutcracker', '/usr/bin/nutcracker'].find((path) => existsSync(path));
const WEIGHTS = [1, 2, 1];
const HASHES: TwemproxyHashName[] = ['fnv1a_64', 'md5', 'murmur'];
const KEYS = 600;

let engine: DisposableMemcached;
let directory: string;
let nutcracker: ChildProcess | undefined;
const pools = new Map<TwemproxyHashName, number>();

beforeAll(async () => {
  if (NUTCRACKER === undefined) throw new Error('nutcracker is not installed (Debian package nutcracker)');
  engine = await disposableMemcached(3);
  directory = mkdtempSync(join(tmpdir(), 'ringcache-nutcracker-'));
  const ports = await freePorts(HASHES.length + 1);
  for (const [index, hash] of HASHES.entries()) pools.set(hash, ports[index]!);
  const config = HASHES.map((hash) =>
    [
      `pool_${hash}:`,
      `  listen: 127.0.0.1:${pools.get(hash)}`,
      `  hash: ${hash}`,
      '  distribution: ketama',
      '  timeout: 2000',
      '  auto_eject_hosts: false',
      '  servers:',
      ...engine.nodes.map((node, index) => `    - ${node}:${WEIGHTS[index]}`),
    ].join('\n'),
  ).join('\n');
  const conf = join(directory, 'nutcracker.yml');
  const log = join(directory, 'nutcracker.log');
  writeFileSync(conf, `${config}\n`);
  const statsPort = String(ports[HASHES.length]!);
  nutcracker = spawn(NUTCRACKER, ['-c', conf, '-o', log, '-s', statsPort, '-a', '127.0.0.1'], {
    stdio: 'ignore',
  });
  for (const port of pools.values()) await waitForVersion(port, log);
});

afterAll(async () => {
  // By PID: this test's own nutcracker only.
  if (nutcracker?.pid !== undefined && nutcracker.exitCode === null) {
    const exited = new Promise((resolve) => nutcracker!.once('exit', resolve));
    process.kill(nutcracker.pid, 'SIGTERM');
    await exited;
  }
  if (directory) rmSync(directory, { recursive: true, force: true });
  await engine?.stop();
});

describe('fault suite (c): ketama interop with a real nutcracker', () => {
  it.each(HASHES)(
    'hash %s: Ringcache → nutcracker and nutcracker → Ringcache, same servers',
    async (hash) => {
      const servers = engine.nodes.map((node, index) => `${node}:${WEIGHTS[index]}`);
      const adapter = memcachedAdapter({ servers, distribution: 'ketama', hash });
      const cache = createCache({ adapter, serializer: 'string' });
      const proxy = new MemcachedConnection({ host: '127.0.0.1', port: pools.get(hash)!, timeout: 2000 });
      try {
        // Ringcache writes, nutcracker reads.
        const ours = Array.from(
          { length: KEYS },
          (_, index) => `rc:${hash}:${index}:${'x'.repeat(index % 40)}`,
        );
        await cache.setMany(ours.map((key) => ({ key, value: `from ringcache ${key}` })));
        const viaNutcracker = await Promise.all(
          ours.map((key) => proxy.request({ command: 'get', keys: [key] })),
        );
        const readBack = viaNutcracker.map((reply) =>
          reply?.type === 'values' && reply.items[0]
            ? Buffer.from(reply.items[0].value).toString()
            : undefined,
        );
        expect(readBack).toEqual(ours.map((key) => `from ringcache ${key}`));
        expect(viaNutcracker.every((reply) => reply?.type === 'values' && reply.items[0]?.flags === 0)).toBe(
          true,
        );

        // nutcracker writes, Ringcache reads.
        const theirs = Array.from({ length: KEYS }, (_, index) => `nc:${hash}:${index}`);
        const stored = await Promise.all(
          theirs.map((key) =>
            proxy.request({
              command: 'set',
              key,
              flags: 0,
              exptime: 0,
              value: Buffer.from(`from nutcracker ${key}`),
            }),
          ),
        );
        expect(stored.every((reply) => reply?.type === 'status' && reply.status === 'STORED')).toBe(true);
        expect(await cache.getMany(theirs)).toEqual(theirs.map((key) => `from nutcracker ${key}`));

        // Not by luck: the keys are spread over every server, weighted, and each sits where the ring says.
        const spread = new Map<string, number>();
        for (const key of [...ours, ...theirs]) {
          const node = adapter.topology().locate(key);
          spread.set(node, (spread.get(node) ?? 0) + 1);
        }
        console.log(`ketama ${hash}: keys per server ${JSON.stringify(Object.fromEntries(spread))}`);
        expect(spread.size).toBe(3);
        expect(spread.get(engine.nodes[1]!)!).toBeGreaterThan(spread.get(engine.nodes[0]!)!);
        const direct = [...adapter.getClient().values()];
        for (const key of theirs.slice(0, 50)) {
          const owner = adapter.topology().locate(key);
          const found = await Promise.all(
            direct.map((connection) => connection.request({ command: 'get', keys: [key] })),
          );
          const holders = direct.filter(
            (_, index) => (found[index] as { items: unknown[] }).items.length > 0,
          );
          expect(holders.map((connection) => connection.name)).toEqual([owner]);
        }
      } finally {
        proxy.close();
        await cache.close();
      }
    },
  );
});

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Free ports in 22200–22299, starting at a spot that depends on the PID so parallel runs differ. */
async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  const start = process.pid % 100;
  for (let offset = 0; offset < 100 && ports.length < count; offset++) {
    const port = 22200 + ((start + offset) % 100);
    if (await isFree(port)) ports.push(port);
  }
  if (ports.length < count) throw new Error(`need ${count} free ports in 22200-22299`);
  return ports;
}

async function waitForVersion(port: number, log: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (nutcracker?.exitCode !== null) break;
    const probe = new MemcachedConnection({ host: '127.0.0.1', port, timeout: 500 });
    const reply = await probe.request({ command: 'get', keys: ['ringcache-probe'] }).catch(() => undefined);
    probe.close();
    if (reply?.type === 'values') return;
    await sleep(50);
  }
  throw new Error(
    `nutcracker did not serve on ${port}:\n${existsSync(log) ? readFileSync(log, 'utf8') : ''}`,
  );
}
