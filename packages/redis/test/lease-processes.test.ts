// Issue 13: cross-process stampede protection with real processes on Redis Cluster.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { redisCluster, requireEngine } from '@ringcache/test-engines';
import { describe, expect, it } from 'vitest';

const available = await requireEngine('redis-cluster', redisCluster.nodes);

interface Worker {
  child: ChildProcess;
  loads: number;
  ready: Promise<void>;
  done: Promise<{ values: unknown[]; count: number } | undefined>;
}

function worker(namespace: string, callers: number, loaderMs: number, leaseTtl: number): Worker {
  const child = spawn(
    process.execPath,
    [
      new URL('./processes/lease-worker.mjs', import.meta.url).pathname,
      redisCluster.nodes.join(','),
      namespace,
      String(callers),
      String(loaderMs),
      String(leaseTtl),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const state = { child, loads: 0 } as Worker;
  const lines = createInterface({ input: child.stdout! });
  state.ready = new Promise((resolve) => lines.on('line', (line) => line === 'ready' && resolve()));
  state.done = new Promise((resolve) => {
    lines.on('line', (line) => {
      if (line === 'load') state.loads++;
      if (line.startsWith('results ')) {
        const [, values, count] = line.split(' ');
        resolve({ values: JSON.parse(values!), count: Number(count) });
      }
    });
    child.once('exit', () => resolve(undefined));
  });
  return state;
}

describe.skipIf(!available)('leases across 4 processes (Redis Cluster)', () => {
  it('1,000 concurrent misses over 4 processes run the loader once; every caller gets its value', async () => {
    const namespace = `lease-${randomUUID().slice(0, 8)}`;
    const workers = Array.from({ length: 4 }, () => worker(namespace, 250, 300, 5000));
    await Promise.all(workers.map((each) => each.ready));
    for (const each of workers) each.child.stdin!.write('go\n');
    const results = await Promise.all(workers.map((each) => each.done));
    const loads = workers.reduce((sum, each) => sum + each.loads, 0);
    const values = new Set(results.flatMap((result) => result?.values ?? []));
    console.log(
      `leases: ${loads} loader call(s) for 1,000 callers in 4 processes; values seen: ${[...values].join(', ')}`,
    );
    expect(loads).toBe(1);
    expect(results.every((result) => result?.count === 250)).toBe(true);
    expect(values.size).toBe(1);
    expect([...values][0]).toEqual(expect.any(Number));
  });

  it('a holder killed mid-load: its lease expires and exactly one other process loads', async () => {
    const namespace = `lease-${randomUUID().slice(0, 8)}`;
    const leaseTtl = 1000;
    // The first process takes the lease and dies while loading (a 10 s loader).
    const holder = worker(namespace, 1, 10_000, leaseTtl);
    await holder.ready;
    holder.child.stdin!.write('go\n');
    while (holder.loads === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    const others = Array.from({ length: 3 }, () => worker(namespace, 200, 200, leaseTtl));
    await Promise.all(others.map((each) => each.ready));
    for (const each of others) each.child.stdin!.write('go\n');
    holder.child.kill('SIGKILL');
    const started = Date.now();
    const results = await Promise.all(others.map((each) => each.done));
    const loads = others.reduce((sum, each) => sum + each.loads, 0);
    console.log(
      `lease holder killed: ${loads} more loader call(s); others served after ${Date.now() - started} ms`,
    );
    expect(loads).toBe(1);
    expect(results.every((result) => result?.count === 200 && result.values.length === 1)).toBe(true);
  });
});
