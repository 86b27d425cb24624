// A standalone redis-server of the chaos suite's own, on a free loopback port, stopped by PID:
// the shared engines run only a cluster, and the standalone adapter needs a single server.
import { spawn } from 'node:child_process';
import { freePort, isListening } from '@ringcache/test-engines';
import { sleep } from './support.js';

export interface OwnRedisServer {
  readonly port: number;
  /** SIGKILLs the server and waits for it to exit. Idempotent. */
  stop(): Promise<void>;
}

/** Starts redis-server without persistence; resolves once it accepts connections. */
export async function ownRedisServer(extraArgs: readonly string[] = []): Promise<OwnRedisServer> {
  const port = await freePort();
  const server = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extraArgs],
    { stdio: 'ignore' },
  );
  // A missing binary is an 'error' event: without a listener it would crash the worker.
  let failure: Error | undefined;
  server.once('error', (error) => {
    failure = error;
  });
  const stop = async () => {
    if (server.exitCode !== null || server.signalCode !== null || failure !== undefined) return;
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGKILL');
    await exited;
  };
  const deadline = Date.now() + 15_000;
  while (!(await isListening('127.0.0.1', port, 200))) {
    if (failure !== undefined || server.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`redis-server did not start on port ${port}: ${failure?.message ?? 'no answer'}`);
    }
    await sleep(100);
  }
  return { port, stop };
}
