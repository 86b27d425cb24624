// Disposable engines for fault tests: private processes on a free port block, which a test may
// kill, pause and restart without disturbing the shared engines of `npm run servers:up`.
//
// Each engine claims a *port block*: a folder `<tmp>/ringcache-engines/<kind>-block-<first port>`
// created atomically (mkdir), owned by this process, holding one instance folder per node (pid
// file, log, data) exactly like .servers/. A block whose owner died is reclaimed: its processes
// are stopped by PID (after checking their command line) and the folder removed.
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureHazelcastJar, startHazelcastMember, waitForHazelcastCluster } from './hazelcast.mjs';
import { startMemcachedNode } from './memcached.mjs';
import {
  instanceDir,
  isAlive,
  isOurs,
  isPortFree,
  listInstances,
  readPid,
  removeDir,
  signalAndWait,
  stopInstance,
  waitUntil,
} from './process.mjs';
import {
  CLUSTER_BUS_OFFSET,
  createRedisCluster,
  redisClusterInfo,
  startRedisNode,
  waitForRedisCluster,
} from './redis.mjs';

const HOST = '127.0.0.1';
const BLOCKS_ROOT = join(tmpdir(), 'ringcache-engines');
const MAX_BLOCKS = 40;
// Signals that do not end a process: sent as is, without waiting for an exit.
/** Waits (≤ 2 s) until /proc says the process is stopped (`T`) or not. */
async function waitForState(pid, stopped) {
  const deadline = Date.now() + 2000;
  while (Date.now() < deadline) {
    let state;
    try {
      // The state is the field after the parenthesised command name.
      state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    } catch {
      return;
    }
    if ((state === 'T' || state === 't') === stopped) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const NON_TERMINATING = new Set(['SIGSTOP', 'SIGCONT', 'SIGTSTP', 'SIGHUP', 'SIGUSR1', 'SIGUSR2']);

/** Blocks owned by this process, killed synchronously if it exits without calling stop(). */
const liveBlocks = new Set();
let exitHookInstalled = false;

function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const block of liveBlocks) {
      for (const { dir, kind, port } of listInstances(block)) {
        const pid = readPid(dir);
        if (isOurs(pid, kind, port)) process.kill(pid, 'SIGKILL');
      }
      rmSync(block, { recursive: true, force: true });
    }
  });
}

function ownerOf(blockDir) {
  try {
    return Number(readFileSync(join(blockDir, 'owner'), 'utf8').trim());
  } catch {
    return undefined;
  }
}

/** A block is stale when its owner is dead (or never wrote its name, a minute ago or more). */
function isStale(blockDir) {
  const owner = ownerOf(blockDir);
  if (owner) return !isAlive(owner);
  try {
    return Date.now() - statSync(blockDir).mtimeMs > 60_000;
  } catch {
    return false;
  }
}

function tryCreate(dir) {
  try {
    mkdirSync(dir);
    writeFileSync(join(dir, 'owner'), `${process.pid}\n`);
    return true;
  } catch (error) {
    if (error.code === 'EEXIST') return false;
    throw error;
  }
}

/** Throw-away engines hold nothing worth a graceful stop; SIGKILL is instant (memcached needs ~1 s for SIGTERM). */
async function stopAll(blockDir) {
  await Promise.all(listInstances(blockDir).map(({ dir }) => stopInstance(dir, { signal: 'SIGKILL' })));
}

/**
 * Claims `size` consecutive ports from `base`, `base + step`, ... whose block folder is free and
 * whose ports (plus `extraPorts(ports)`, e.g. Redis cluster bus ports) nobody listens on.
 */
async function claimBlock(kind, { base, size, extraPorts = () => [] }) {
  mkdirSync(BLOCKS_ROOT, { recursive: true });
  const step = Math.max(10, Math.ceil(size / 10) * 10);
  for (let attempt = 0; attempt < MAX_BLOCKS; attempt++) {
    const first = base + attempt * step;
    const dir = join(BLOCKS_ROOT, `${kind}-block-${first}`);
    if (!tryCreate(dir)) {
      if (!isStale(dir)) continue;
      await stopAll(dir);
      removeDir(dir);
      if (!tryCreate(dir)) continue;
    }
    const ports = Array.from({ length: size }, (_, index) => first + index);
    const free = await Promise.all([...ports, ...extraPorts(ports)].map((port) => isPortFree(port)));
    if (free.every(Boolean)) {
      installExitHook();
      liveBlocks.add(dir);
      return createBlock(kind, dir, ports);
    }
    removeDir(dir);
  }
  throw new Error(`no free block of ${size} ${kind} ports from ${base} (tried ${MAX_BLOCKS} blocks)`);
}

function createBlock(kind, dir, ports) {
  let released = false;
  const checkPort = (port) => {
    if (!ports.includes(port)) throw new RangeError(`${kind}: ${port} is not one of ${ports.join(', ')}`);
    if (released) throw new Error(`${kind}: engine already stopped`);
    return port;
  };
  return {
    dir,
    ports,
    checkPort,
    /** Ports whose process is alive (paused ones included). */
    runningPorts: () => ports.filter((port) => isOurs(readPid(instanceDir(dir, kind, port)), kind, port)),
    async kill(port, signal = 'SIGKILL') {
      const pid = readPid(instanceDir(dir, kind, checkPort(port)));
      if (!isOurs(pid, kind, port)) return;
      if (!NON_TERMINATING.has(signal)) return signalAndWait(pid, signal, 10_000);
      process.kill(pid, signal);
      // Signals arrive asynchronously: a test that sends requests right after SIGSTOP must find
      // the process paused (state T), and after SIGCONT running again.
      if (signal === 'SIGSTOP' || signal === 'SIGCONT') await waitForState(pid, signal === 'SIGSTOP');
    },
    async restart(port, start) {
      await stopInstance(instanceDir(dir, kind, checkPort(port)), { timeoutMs: 5000 });
      await start(port);
    },
    async release() {
      if (released) return;
      released = true;
      await stopAll(dir);
      removeDir(dir);
      liveBlocks.delete(dir);
    },
  };
}

/** Starts every port of a block; on failure releases the block before rethrowing. */
async function startAll(block, start, then = async () => {}) {
  try {
    await Promise.all(block.ports.map(start));
    await then();
  } catch (error) {
    await block.release();
    throw error;
  }
}

function indexToPort(block, index) {
  const port = block.ports[index];
  if (port === undefined) throw new RangeError(`no node at index ${index} (0..${block.ports.length - 1})`);
  return port;
}

/** `count` independent memcached nodes on a free port block from 21300. */
export async function disposableMemcached(count = 3, options = {}) {
  const { memoryMb = 64, extraArgs = [], basePort = 21300 } = options;
  const block = await claimBlock('memcached', { base: basePort, size: count });
  const start = (port) => startMemcachedNode(block.dir, port, { memoryMb, extraArgs, detached: false });
  await startAll(block, start);
  return {
    nodes: block.ports.map((port) => `${HOST}:${port}`),
    ports: [...block.ports],
    kill: (index, signal = 'SIGKILL') => block.kill(indexToPort(block, index), signal),
    restart: (index) => block.restart(indexToPort(block, index), start),
    stop: () => block.release(),
  };
}

/** A Redis Cluster of `masters` masters with `replicas` replicas each, on a free block from 7100. */
export async function disposableRedisCluster(options = {}) {
  const { masters = 3, replicas = 1, nodeTimeoutMs = 3000, basePort = 7100 } = options;
  if (masters < 3) throw new RangeError('Redis Cluster needs at least 3 masters');
  const block = await claimBlock('redis', {
    base: basePort,
    size: masters * (1 + replicas),
    extraPorts: (ports) => ports.map((port) => port + CLUSTER_BUS_OFFSET),
  });
  const start = (port) => startRedisNode(block.dir, port, { nodeTimeoutMs, detached: false });
  await startAll(block, start, async () => {
    await createRedisCluster(block.ports, { replicas });
    await waitForRedisCluster(block.ports);
  });
  return {
    nodes: block.ports.map((port) => `${HOST}:${port}`),
    ports: [...block.ports],
    kill: (port, signal = 'SIGKILL') => block.kill(port, signal),
    async restart(port) {
      // Same folder, same nodes.conf: the node comes back with its identity and rejoins.
      await block.restart(port, start);
      const rejoined = await waitUntil(
        async () => (await redisClusterInfo(port))?.cluster_state === 'ok',
        nodeTimeoutMs * 10,
        100,
      );
      if (!rejoined) throw new Error(`redis ${port} restarted but did not report cluster_state:ok`);
    },
    stop: () => block.release(),
  };
}

/** `count` Hazelcast members with their own cluster name, on a free port block from 15800. */
export async function disposableHazelcast(count = 2, options = {}) {
  const { basePort = 15800, heapMb = 256, properties } = options;
  const jar = await ensureHazelcastJar();
  const block = await claimBlock('hazelcast', { base: basePort, size: count });
  const clusterName = options.clusterName ?? `ringcache-disposable-${block.ports[0]}-${process.pid}`;
  const memberOptions = { jar, clusterName, memberPorts: block.ports, heapMb, properties, detached: false };
  const start = (port) => startHazelcastMember(block.dir, port, memberOptions);
  const waitForRunningMembers = () => waitForHazelcastCluster(block.dir, block.runningPorts());
  await startAll(block, start, waitForRunningMembers);
  return {
    members: block.ports.map((port) => `${HOST}:${port}`),
    ports: [...block.ports],
    clusterName,
    kill: (index, signal = 'SIGKILL') => block.kill(indexToPort(block, index), signal),
    async restart(index) {
      await block.restart(indexToPort(block, index), start);
      await waitForRunningMembers();
    },
    stop: () => block.release(),
  };
}
