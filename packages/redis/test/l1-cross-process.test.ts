// Issue 8: an L1 in front of Redis Cluster, invalidated over redisBus, checked with two real
// processes: after a write of version v returns in this process, the reader process never
// serves a version older than v past the staleness bound (every read it makes is accounted
// for, so a return to an older version counts too), and the invalidation delay is measured.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { createCache } from '@ringcache/core';
import { redisCluster, requireEngine } from '@ringcache/test-engines';
import { describe, expect, it } from 'vitest';
import { redisBus, redisClusterAdapter } from '../src/index.js';

const available = await requireEngine('redis-cluster', redisCluster.nodes);
const L1_TTL = 2000;
const WRITES = 150;

describe.skipIf(!available)('L1 across two processes (Redis Cluster + redisBus)', () => {
  it('the reader sees every write within the bound; p99 invalidation delay is reported', async () => {
    const namespace = `l1-${randomUUID().slice(0, 8)}`;
    const bus = redisBus({ nodes: redisCluster.nodes });
    const writer = createCache({
      adapter: redisClusterAdapter({ nodes: redisCluster.nodes }),
      namespace,
      local: { bus, ttl: L1_TTL, channel: `ringcache:l1-test:${namespace}` },
    });
    await writer.ready();
    await writer.set('config', { version: 0 });

    const reader = spawn(
      process.execPath,
      [
        new URL('./processes/l1-reader.mjs', import.meta.url).pathname,
        redisCluster.nodes.join(','),
        namespace,
        'config',
        String(L1_TTL),
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    // Runs of reads that served one version: [version, first read, last read] (wall clock, ms).
    const runs: [number, number, number][] = [];
    let stats = '';
    const lines = createInterface({ input: reader.stdout });
    const ready = new Promise<void>((resolve) => {
      lines.on('line', (line) => {
        if (line === 'ready') return resolve();
        if (line.startsWith('stats ')) {
          stats = line.slice(6);
          return;
        }
        const [version, first, last] = line.split(' ').map(Number);
        if (version !== undefined && first !== undefined && last !== undefined)
          runs.push([version, first, last]);
      });
    });
    const exited = new Promise((resolve) => reader.once('exit', resolve));
    try {
      await ready;
      const acknowledged = new Map<number, number>();
      for (let version = 1; version <= WRITES; version++) {
        await writer.set('config', { version });
        acknowledged.set(version, performance.timeOrigin + performance.now());
        // Spaced so the reader's L1 is warm with the previous value before each write.
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
      reader.stdin.end('stop\n');
      await exited;

      // Per write: how long after it returned the reader still served an older version (its
      // last such read, wherever it falls: a late return to an old version counts).
      expect(runs.length).toBeGreaterThan(0);
      const delays: number[] = [];
      for (const [version, at] of acknowledged) {
        let lastOlder = Number.NEGATIVE_INFINITY;
        for (const [served, , last] of runs) if (served < version) lastOlder = Math.max(lastOlder, last);
        delays.push(Math.max(0, lastOlder - at));
      }
      delays.sort((a, b) => a - b);
      const p50 = delays[Math.floor(delays.length * 0.5)]!;
      const p99 = delays[Math.min(delays.length - 1, Math.floor(delays.length * 0.99))]!;
      const max = delays.at(-1)!;
      console.log(
        `L1 invalidation over redisBus, ${WRITES} writes: delay p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, max ${max.toFixed(2)} ms (bound ${L1_TTL} ms); reader L1 ${stats}`,
      );
      // Never stale past the bound. (The delay itself is reported, not asserted: it is a
      // figure of a loaded machine, not a property.)
      expect(max).toBeLessThan(L1_TTL);
      // The reader really served from its L1 (not straight from Redis).
      expect(JSON.parse(stats).hits).toBeGreaterThan(WRITES);
    } finally {
      reader.kill();
      await writer.clear().catch(() => {});
      await writer.close();
      await bus.close();
    }
  });
});
