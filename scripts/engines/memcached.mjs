// memcached nodes: independent servers (the client-side ring does the partitioning).
import { Socket } from 'node:net';
import { join } from 'node:path';
import { instanceDir, spawnInstance, tail, waitUntil } from './process.mjs';

const HOST = '127.0.0.1';

/**
 * Starts one memcached in the foreground (we own the process, no daemonizing) with its log in
 * `root/memcached-PORT`, and resolves once it answers `version`.
 * @returns {Promise<number>} the PID
 */
export async function startMemcachedNode(
  root,
  port,
  { memoryMb = 64, extraArgs = [], detached = true } = {},
) {
  const dir = instanceDir(root, 'memcached', port);
  const logFile = join(dir, 'memcached.log');
  const args = ['-l', HOST, '-U', '0', '-p', String(port), '-m', String(memoryMb), ...extraArgs];
  // memcached refuses to run as root unless told which user to become.
  if (process.getuid?.() === 0) args.push('-u', 'nobody');
  const pid = await spawnInstance('memcached', args, { dir, logFile, detached });
  if (!(await waitUntil(() => isMemcachedReady(port), 10_000, 50))) {
    throw new Error(`memcached on ${port} did not answer:\n${tail(logFile)}`);
  }
  return pid;
}

/** True when the node answers the text protocol's `version` command. */
export function isMemcachedReady(port, timeoutMs = 500) {
  return new Promise((resolve) => {
    const socket = new Socket();
    let reply = '';
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('VERSION '));
    });
    socket.connect(port, HOST, () => socket.write('version\r\n'));
  });
}
