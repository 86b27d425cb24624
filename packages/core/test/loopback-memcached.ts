import { type ChildProcess, spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { Socket } from 'node:net';

// twemproxy and libmemcached leave port 11211 out of a server's point names (`host-<i>` instead
// of `host:port-<i>`), so the ketama placement tests need servers on 11211. The shared engines
// cannot take that port (more than one server, and a developer's own memcached may hold
// 127.0.0.1:11211), but Linux routes all of 127.0.0.0/8 to the loopback interface: each server
// here listens on 11211 of its own random 127.a.b.c address. The disposable engines of
// scripts/engines always bind 127.0.0.1, hence this small helper.

/** The port twemproxy and libmemcached leave out of point names. */
export const DEFAULT_MEMCACHED_PORT = 11211;
const PORT = DEFAULT_MEMCACHED_PORT;

export interface LoopbackMemcached {
  /** Kills every server by its PID and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * `count` distinct random loopback addresses outside 127.0.0.0/16 (where the shared engines and
 * other local services live), so concurrent runs are unlikely to meet on one address.
 */
export function randomLoopbackHosts(count: number): string[] {
  const hosts = new Set<string>();
  while (hosts.size < count)
    hosts.add(`127.${randomInt(100, 255)}.${randomInt(0, 256)}.${randomInt(2, 255)}`);
  return [...hosts];
}

function answersVersion(host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('VERSION '));
    });
    socket.connect(PORT, host, () => socket.write('version\r\n'));
  });
}

async function startOne(host: string): Promise<ChildProcess> {
  const args = ['-l', host, '-p', String(PORT), '-U', '0', '-m', '16'];
  // memcached refuses to run as root unless told which user to become.
  if (process.getuid?.() === 0) args.push('-u', 'nobody');
  const child = spawn('memcached', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let errors = '';
  child.stderr?.on('data', (chunk) => (errors += chunk));
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  await spawned;
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null) throw new Error(`memcached on ${host}:${PORT} exited: ${errors.trim()}`);
    if (await answersVersion(host)) return child;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`memcached on ${host}:${PORT} did not answer: ${errors.trim()}`);
}

async function stopOne(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
}

/** Starts a throw-away memcached on port 11211 of each loopback address in `hosts`. */
export async function startLoopbackMemcached(hosts: readonly string[]): Promise<LoopbackMemcached> {
  const started = await Promise.allSettled(hosts.map(startOne));
  const children = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const stop = async () => {
    await Promise.all(children.map(stopOne));
  };
  const failure = started.find((result) => result.status === 'rejected');
  if (failure !== undefined) {
    await stop();
    throw failure.reason;
  }
  return { stop };
}
