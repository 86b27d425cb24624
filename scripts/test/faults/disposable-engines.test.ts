// The disposable engines fault tests rely on: private ports, kill/pause/restart, and stop() that
// leaves no process and no folder behind.
import { existsSync, readdirSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import {
  disposableHazelcast,
  disposableMemcached,
  disposableRedisCluster,
  hazelcast,
  isListening,
  memcached,
  redisCluster,
} from '../../engines/index.mjs';

const BLOCKS = join(tmpdir(), 'ringcache-engines');

async function hazelcastClusterSize(port: number): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/hazelcast/health`);
  return ((await response.json()) as { clusterSize: number }).clusterSize;
}

/** Polls `check` every 100 ms until it returns true; after `timeoutMs`, fails with `explain()`. */
async function eventually(
  check: () => Promise<boolean>,
  timeoutMs: number,
  explain: () => Promise<string> = async () => '',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms\n${await explain()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function blockFolders(kind: string): string[] {
  return existsSync(BLOCKS) ? readdirSync(BLOCKS).filter((name) => name.startsWith(`${kind}-block-`)) : [];
}

/** One memcached text-protocol round trip. */
function memcachedVersion(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    socket.setTimeout(1000, () => socket.destroy(new Error('timeout')));
    socket.once('error', reject);
    socket.once('data', (chunk) => {
      socket.end();
      resolve(chunk.toString());
    });
    socket.connect(port, '127.0.0.1', () => socket.write('version\r\n'));
  });
}

describe('disposableMemcached', () => {
  it('runs its own nodes, kills, pauses and restarts them, and cleans up', async () => {
    const engine = await disposableMemcached(2);
    try {
      expect(engine.ports).toHaveLength(2);
      for (const port of engine.ports) expect(memcached.ports).not.toContain(port);
      expect(engine.nodes).toEqual(engine.ports.map((port) => `127.0.0.1:${port}`));
      expect(await memcachedVersion(engine.ports[0]!)).toMatch(/^VERSION /);

      await engine.kill(0);
      expect(await isListening('127.0.0.1', engine.ports[0]!)).toBe(false);
      await engine.restart(0);
      expect(await memcachedVersion(engine.ports[0]!)).toMatch(/^VERSION /);

      await engine.kill(1, 'SIGSTOP');
      await expect(memcachedVersion(engine.ports[1]!)).rejects.toThrow('timeout');
      await engine.kill(1, 'SIGCONT');
      expect(await memcachedVersion(engine.ports[1]!)).toMatch(/^VERSION /);
    } finally {
      await engine.stop();
    }
    for (const port of engine.ports) expect(await isListening('127.0.0.1', port)).toBe(false);
    expect(blockFolders('memcached').filter((name) => name.endsWith(`-${engine.ports[0]}`))).toEqual([]);
  });

  it('gives two engines of one process different ports', async () => {
    const [first, second] = await Promise.all([disposableMemcached(1), disposableMemcached(1)]);
    try {
      expect(first.ports[0]).not.toBe(second.ports[0]);
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
  });
});

describe('disposableRedisCluster', () => {
  it('fails a killed master over to its replica, and the restarted node rejoins as a replica', async () => {
    const engine = await disposableRedisCluster({ masters: 3, replicas: 1, nodeTimeoutMs: 1000 });
    const [masterPort, survivorPort] = engine.ports as [number, number];
    const survivor = new Redis(survivorPort, '127.0.0.1', { lazyConnect: true });
    const restarted = new Redis(masterPort, '127.0.0.1', { lazyConnect: true, retryStrategy: () => null });
    for (const client of [survivor, restarted]) client.on('error', () => {}); // refusals are expected here
    const roleOf = async (client: Redis, port: number) => {
      const nodes = (await client.call('CLUSTER', 'NODES')) as string;
      return nodes.split('\n').find((line) => line.includes(`127.0.0.1:${port}@`)) ?? '';
    };
    try {
      for (const port of engine.ports) expect(redisCluster.ports).not.toContain(port);
      // redis-cli --cluster create makes the first `masters` ports the masters.
      expect(await roleOf(survivor, masterPort)).toContain('master');

      await engine.kill(masterPort);
      expect(await isListening('127.0.0.1', masterPort)).toBe(false);
      // Failed over: the dead node is flagged `fail` (not just `fail?`), its slots have moved to
      // its former replica (its CLUSTER NODES line lists none), and the cluster serves every slot.
      const failedOver = async () => {
        const fields = (await roleOf(survivor, masterPort)).trim().split(' ');
        const flags = fields[2]?.split(',') ?? [];
        return flags.includes('fail') && fields.length === 8;
      };
      await eventually(
        async () => (await failedOver()) && (await survivor.cluster('INFO')).includes('cluster_state:ok'),
        15_000,
        async () => `${await survivor.cluster('INFO')}\n${await survivor.call('CLUSTER', 'NODES')}`,
      );

      await engine.restart(masterPort);
      // It comes back with its nodes.conf, learns it lost its slots and follows the new master.
      await eventually(
        async () => (await roleOf(restarted, masterPort)).includes('myself,slave'),
        15_000,
        async () => (await restarted.call('CLUSTER', 'NODES')) as string,
      );
    } finally {
      survivor.disconnect();
      restarted.disconnect();
      await engine.stop();
    }
    for (const port of engine.ports) expect(await isListening('127.0.0.1', port)).toBe(false);
  });
});

describe('disposableHazelcast', () => {
  it('forms its own cluster and takes a restarted member back', async () => {
    const engine = await disposableHazelcast(2);
    try {
      expect(engine.clusterName).not.toBe(hazelcast.clusterName);
      for (const port of engine.ports) expect(hazelcast.ports).not.toContain(port);
      expect(await hazelcastClusterSize(engine.ports[0]!)).toBe(2);

      await engine.kill(1);
      expect(await isListening('127.0.0.1', engine.ports[1]!)).toBe(false);
      await engine.restart(1);
      expect(await hazelcastClusterSize(engine.ports[1]!)).toBe(2);
    } finally {
      await engine.stop();
    }
    for (const port of engine.ports) expect(await isListening('127.0.0.1', port)).toBe(false);
  });
});
