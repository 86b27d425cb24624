// Process and state-folder helpers shared by servers.mjs and the disposable engines.
//
// Every engine process lives in an *instance folder* named `<kind>-<port>` (`redis-7000`,
// `memcached-21211`, `hazelcast-15701`) holding its `pid` file, its log and its data. A process
// is only ever signalled after checking that its command line is still the one we started
// (program and port), so a recycled PID never gets killed by mistake.
import { execFileSync, spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** What the command line of each engine kind must match for a given port. */
const COMMAND_LINES = Object.freeze({
  // redis-server retitles itself `redis-server 127.0.0.1:7000 [cluster]`.
  redis: (port) => new RegExp(`redis-server.*(:|--port )${port}(\\D|$)`),
  memcached: (port) => new RegExp(`memcached.* -p ${port}(\\D|$)`),
  hazelcast: (port) => new RegExp(`java.* -Dringcache\\.hazelcast\\.port=${port}(\\D|$)`),
});

export function instanceDir(root, kind, port) {
  return join(root, `${kind}-${port}`);
}

/** Parses `redis-7000` into `{ kind: 'redis', port: 7000 }`; undefined for anything else. */
export function parseInstanceDir(dir) {
  const match = /^([a-z]+)-(\d+)$/.exec(basename(dir));
  if (!match || !(match[1] in COMMAND_LINES)) return undefined;
  return { kind: match[1], port: Number(match[2]) };
}

/** Instance folders found under `root`, optionally limited to some kinds. */
export function listInstances(root, kinds = Object.keys(COMMAND_LINES)) {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .map((name) => ({ dir: join(root, name), ...parseInstanceDir(name) }))
    .filter((instance) => instance.kind && kinds.includes(instance.kind));
}

export function readPid(dir) {
  try {
    const pid = Number(readFileSync(join(dir, 'pid'), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function procInfo(pid) {
  try {
    const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The state letter follows the command name, which is in parentheses and may contain spaces.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return { commandLine, state };
  } catch {
    if (existsSync('/proc/self')) return undefined; // Linux: no /proc entry means no process.
  }
  try {
    const line = execFileSync('ps', ['-o', 'stat=,command=', '-p', String(pid)], { encoding: 'utf8' }).trim();
    const space = line.indexOf(' ');
    return { state: line.slice(0, 1), commandLine: line.slice(space + 1).trim() };
  } catch {
    return undefined;
  }
}

/**
 * True while `pid` is a live process. A zombie counts as dead (it only waits to be reaped, which
 * may take a while when the parent is an init that reaps lazily), but only once all its threads
 * are gone: a multithreaded engine's main thread turns Z first, while the others still hold its
 * sockets open.
 */
export function isAlive(pid) {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if (error.code !== 'EPERM') return false;
  }
  const info = procInfo(pid);
  if (info === undefined) return false;
  if (info.state !== 'Z') return true;
  try {
    return readdirSync(`/proc/${pid}/task`).length > 1;
  } catch {
    return false;
  }
}

/** True when `pid` is alive and its command line is the `kind` engine on `port`. */
export function isOurs(pid, kind, port) {
  if (!isAlive(pid)) return false;
  return COMMAND_LINES[kind](port).test(procInfo(pid)?.commandLine ?? '');
}

/**
 * Starts `command` with stdout/stderr appended to `logFile`, writes its PID to `dir/pid` and
 * resolves once the OS has created the process (rejects if the binary cannot be run).
 * `detached` puts it in its own process group so it outlives the caller's terminal.
 */
export function spawnInstance(command, args, { dir, logFile, detached = true, env = process.env }) {
  mkdirSync(dir, { recursive: true });
  const log = openSync(logFile, 'a');
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: dir, env, detached, stdio: ['ignore', log, log] });
    closeSync(log);
    child.once('error', (error) => reject(new Error(`cannot start ${command}: ${error.message}`)));
    child.once('spawn', () => {
      writeFileSync(join(dir, 'pid'), `${child.pid}\n`);
      child.unref();
      resolve(child.pid);
    });
  });
}

/**
 * Stops the process recorded in an instance folder: SIGTERM (or `signal`), then SIGKILL after
 * `timeoutMs`. Does nothing when the PID is gone or belongs to someone else. Removes the pid file.
 * @returns {Promise<boolean>} whether a process of ours was signalled
 */
export async function stopInstance(dir, { signal = 'SIGTERM', timeoutMs = 10_000 } = {}) {
  const parsed = parseInstanceDir(dir);
  const pid = readPid(dir);
  let signalled = false;
  if (parsed && pid && isOurs(pid, parsed.kind, parsed.port)) {
    signalled = true;
    await signalAndWait(pid, signal, timeoutMs);
  }
  rmSync(join(dir, 'pid'), { force: true });
  return signalled;
}

/** Sends `signal`, waits for the process to end, escalates to SIGKILL after `timeoutMs`. */
export async function signalAndWait(pid, signal, timeoutMs) {
  try {
    process.kill(pid, signal);
    // A paused process (SIGSTOP, as fault tests do) only acts on the signal once continued.
    if (signal !== 'SIGKILL') process.kill(pid, 'SIGCONT');
  } catch {
    return;
  }
  if (await waitUntil(() => !isAlive(pid), timeoutMs, 25)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  if (!(await waitUntil(() => !isAlive(pid), 5_000, 25))) throw new Error(`process ${pid} survived SIGKILL`);
}

/** Polls `check` (sync or async) until it returns truthy; resolves to false after `timeoutMs`. */
export async function waitUntil(check, timeoutMs, intervalMs = 100) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(intervalMs);
  }
}

/** True when nothing is bound to 127.0.0.1:port (we can bind it ourselves). */
export function isPortFree(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Throws a clear error when any port is taken by a process we did not start. */
export async function assertPortsFree(ports) {
  const taken = [];
  for (const port of ports) if (!(await isPortFree(port))) taken.push(port);
  if (taken.length > 0) {
    throw new Error(
      `port(s) ${taken.join(', ')} on 127.0.0.1 are in use by a process this script did not start; ` +
        `free them (e.g. 'ss -ltnp | grep <port>') and retry`,
    );
  }
}

/** The last `lines` lines of a log file, for error messages. */
export function tail(file, lines = 15) {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export function removeDir(dir) {
  rmSync(dir, { recursive: true, force: true });
}
