// A standalone redis-server (and a Sentinel) of a test's own, on free ports: the shared engines
// only run a cluster. Processes are stopped by PID, and killed on exit if a test forgot.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

export interface RedisProcess {
  readonly port: number;
  /** SIGKILLs the process and waits for it to exit. Idempotent. */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty: no persistence). */
  restart(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** A standalone redis-server without persistence. */
export function startRedisServer(): Promise<RedisProcess> {
  return startProcess((port) => [
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    undefined,
  ]);
}

/** A Sentinel monitoring the master on `masterPort` as `name`, quorum 1. */
export function startSentinel(masterPort: number, name = 'mymaster'): Promise<RedisProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'ringcache-sentinel-'));
  return startProcess((port) => {
    const config = join(dir, 'sentinel.conf');
    writeFileSync(
      config,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${name} 127.0.0.1 ${masterPort} 1`,
        `sentinel down-after-milliseconds ${name} 1000`,
      ].join('\n'),
    );
    return [[config, '--sentinel'], dir];
  });
}

async function startProcess(
  argumentsFor: (port: number) => [string[], string | undefined],
): Promise<RedisProcess> {
  const port = await freePort();
  const [args, dir] = argumentsFor(port);
  let child: ChildProcess | undefined;
  const start = async () => {
    const started = spawn('redis-server', args, { stdio: 'ignore' });
    child = started;
    running.add(started);
    started.once('exit', () => running.delete(started));
    // A missing binary is an 'error' event: without a listener it would crash the worker.
    const failed = new Promise<never>((_, reject) => started.once('error', reject));
    failed.catch(() => {}); // observed by the race below; never unhandled if it comes late
    await Promise.race([waitForPing(port), failed]);
  };
  const kill = async () => {
    const current = child;
    child = undefined;
    if (current === undefined || current.exitCode !== null) return;
    const exited = new Promise((resolve) => current.once('exit', resolve));
    current.kill('SIGKILL');
    await exited;
  };
  await start();
  return {
    port,
    kill: async () => {
      await kill();
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    },
    async restart() {
      await kill();
      await start();
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function waitForPing(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const redis = new Redis({ host: '127.0.0.1', port, lazyConnect: true, retryStrategy: () => null });
    redis.on('error', () => {});
    try {
      await redis.connect();
      if ((await redis.ping()) === 'PONG') return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      redis.disconnect();
    }
  }
  throw new Error(
    `redis-server on ${port} did not answer PING within ${timeoutMs} ms (is redis-server installed?)`,
  );
}
