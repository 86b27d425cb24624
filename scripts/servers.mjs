#!/usr/bin/env node
// Test engines for the integration tests, on loopback and fixed ports (scripts/engines/endpoints.mjs):
//   node scripts/servers.mjs up     [redis|memcached|hazelcast ...]  start (idempotent), in parallel
//   node scripts/servers.mjs status [...]                            each engine and port; exit 1 if any is down
//   node scripts/servers.mjs down   [...]                            stop what we started, by PID
// State (pid files, logs, cluster configs) lives in .servers/<kind>-<port>/ at the repo root.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { hazelcast, memcached, redisCluster } from './engines/endpoints.mjs';
import {
  ensureHazelcastJar,
  hazelcastHealth,
  isHazelcastClusterHealthy,
  startHazelcastMember,
  waitForHazelcastCluster,
} from './engines/hazelcast.mjs';
import { ensureBinaries } from './engines/install.mjs';
import { isMemcachedReady, startMemcachedNode } from './engines/memcached.mjs';
import {
  assertPortsFree,
  instanceDir,
  isAlive,
  isOurs,
  isPortFree,
  listInstances,
  readPid,
  removeDir,
  stopInstance,
  waitUntil,
} from './engines/process.mjs';
import {
  CLUSTER_BUS_OFFSET,
  createRedisCluster,
  isRedisClusterHealthy,
  redisClusterInfo,
  redisCommand,
  startRedisNode,
  waitForRedisCluster,
} from './engines/redis.mjs';

const STATE = join(dirname(dirname(fileURLToPath(import.meta.url))), '.servers');
const HOST = '127.0.0.1';

/** True when the process recorded for `kind-port` is alive and is the one we started. */
function isRunning(kind, port) {
  return isOurs(readPid(instanceDir(STATE, kind, port)), kind, port);
}

/** Stops and removes every instance folder of `kind` (all ports, current or stale). */
async function stopKind(kind, { keepFiles = false } = {}) {
  const instances = listInstances(STATE, [kind]);
  await Promise.all(
    instances.map(async ({ dir }) => {
      await stopInstance(dir);
      if (!keepFiles) removeDir(dir);
    }),
  );
  return instances.length;
}

/** Runs `start`; on failure stops the engine's processes but keeps its logs for reading. */
async function startOrClean(kind, start) {
  try {
    await start();
  } catch (error) {
    await stopKind(kind, { keepFiles: true });
    throw error;
  }
}

const ENGINES = {
  redis: {
    label: 'redis-cluster',
    ports: redisCluster.ports,
    async up() {
      const { ports } = redisCluster;
      const allRunning = ports.every((port) => isRunning('redis', port));
      if (allRunning && (await waitUntil(() => isRedisClusterHealthy(ports), 2000, 100))) return 'already up';
      await stopKind('redis');
      await assertPortsFree([...ports, ...ports.map((port) => port + CLUSTER_BUS_OFFSET)]);
      await startOrClean('redis', async () => {
        await Promise.all(ports.map((port) => startRedisNode(STATE, port)));
        await createRedisCluster(ports, { replicas: 1 });
        await waitForRedisCluster(ports);
      });
      return 'started';
    },
    async describe(port) {
      const info = await redisClusterInfo(port);
      if (!info) return { healthy: false, detail: '' };
      const replication = await redisCommand(port, ['INFO', 'replication']).catch(() => '');
      const role = (/role:(\w+)/.exec(replication)?.[1] ?? '?').replace('slave', 'replica');
      const detail = `${role.padEnd(7)} cluster_state:${info.cluster_state} known_nodes:${info.cluster_known_nodes}`;
      return { healthy: info.cluster_state === 'ok', detail };
    },
  },
  memcached: {
    label: 'memcached',
    ports: memcached.ports,
    async up() {
      // Nodes are independent: keep the healthy ones, (re)start the others.
      const outcomes = await Promise.all(
        memcached.ports.map(async (port) => {
          if (isRunning('memcached', port) && (await isMemcachedReady(port))) return false;
          const dir = instanceDir(STATE, 'memcached', port);
          await stopInstance(dir);
          removeDir(dir);
          await assertPortsFree([port]);
          try {
            await startMemcachedNode(STATE, port);
          } catch (error) {
            await stopInstance(dir); // keep its log for reading
            throw error;
          }
          return true;
        }),
      );
      const started = outcomes.filter(Boolean).length;
      return started === 0 ? 'already up' : `started ${started} of ${outcomes.length} nodes`;
    },
    async describe(port) {
      return { healthy: await isMemcachedReady(port), detail: '' };
    },
  },
  hazelcast: {
    label: 'hazelcast',
    ports: hazelcast.ports,
    async up() {
      const { ports, clusterName } = hazelcast;
      const allRunning = ports.every((port) => isRunning('hazelcast', port));
      if (allRunning && (await isHazelcastClusterHealthy(ports))) return 'already up';
      const jar = await ensureHazelcastJar();
      await stopKind('hazelcast');
      await assertPortsFree(ports);
      await startOrClean('hazelcast', async () => {
        const options = { jar, clusterName, memberPorts: ports };
        await Promise.all(ports.map((port) => startHazelcastMember(STATE, port, options)));
        await waitForHazelcastCluster(STATE, ports);
      });
      return 'started';
    },
    async describe(port) {
      const health = await hazelcastHealth(port);
      if (!health) return { healthy: false, detail: '' };
      const detail = `${health.nodeState} cluster ${hazelcast.clusterName} members:${health.clusterSize}`;
      return {
        healthy: health.nodeState === 'ACTIVE' && health.clusterSize === hazelcast.ports.length,
        detail,
      };
    },
  },
};

const ALIASES = { redis: 'redis', 'redis-cluster': 'redis', memcached: 'memcached', hazelcast: 'hazelcast' };

function seconds(since) {
  return `${((performance.now() - since) / 1000).toFixed(1)} s`;
}

/** One `up`/`down` at a time: a second caller waits for the first (a dead holder is ignored). */
async function withLock(action) {
  mkdirSync(STATE, { recursive: true });
  const lock = join(STATE, 'lock');
  const deadline = Date.now() + 300_000;
  let announced = false;
  for (;;) {
    try {
      writeFileSync(lock, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
    const owner = Number(readFileSync(lock, 'utf8').trim() || Number.NaN);
    if (owner === 0 || (Number.isInteger(owner) && !isAlive(owner))) {
      rmSync(lock, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`another servers.mjs (pid ${owner}) holds ${lock}`);
    if (!announced) console.log(`Waiting for another servers.mjs (pid ${owner}) to finish...`);
    announced = true;
    await sleep(200);
  }
  try {
    return await action();
  } finally {
    rmSync(lock, { force: true });
  }
}

async function up(kinds, withTestTools) {
  const started = performance.now();
  // A full `up` (what npm test runs) also installs the tools tests drive: headless Chromium.
  ensureBinaries(withTestTools ? [...kinds, 'browser'] : kinds);
  const results = await Promise.allSettled(
    kinds.map(async (kind) => {
      const since = performance.now();
      const outcome = await ENGINES[kind].up();
      console.log(`✓ ${ENGINES[kind].label.padEnd(13)} ${outcome} (${seconds(since)})`);
    }),
  );
  const failures = results.filter((result) => result.status === 'rejected');
  for (const [index, result] of results.entries()) {
    if (result.status === 'rejected')
      console.error(`✗ ${ENGINES[kinds[index]].label}: ${result.reason.message}`);
  }
  if (failures.length > 0) {
    console.error(`Logs are in ${STATE}/<engine>-<port>/. Run 'npm run servers:down' to clean up.`);
    return 1;
  }
  console.log(`Engines up in ${seconds(started)}.`);
  return 0;
}

async function status(kinds) {
  let allUp = true;
  for (const kind of kinds) {
    const engine = ENGINES[kind];
    console.log(engine.label);
    const rows = await Promise.all(
      engine.ports.map(async (port) => {
        const pid = readPid(instanceDir(STATE, kind, port));
        const ours = isOurs(pid, kind, port);
        const listening = !(await isPortFree(port));
        const { healthy, detail } = listening ? await engine.describe(port) : { healthy: false, detail: '' };
        let state = 'down';
        if (listening && !ours) state = 'foreign';
        else if (listening) state = healthy ? 'up' : 'degraded';
        if (state !== 'up') allUp = false;
        const owner = ours ? `pid ${pid}` : listening ? 'not started by us' : '';
        return `  ${`${HOST}:${port}`.padEnd(16)} ${state.padEnd(9)} ${owner.padEnd(18)} ${detail}`.trimEnd();
      }),
    );
    for (const row of rows) console.log(row);
  }
  return allUp ? 0 : 1;
}

async function down(kinds) {
  const started = performance.now();
  const counts = await Promise.all(kinds.map((kind) => stopKind(kind)));
  const stopped = counts.reduce((sum, count) => sum + count, 0);
  console.log(`Stopped ${stopped} engine process(es) in ${seconds(started)}.`);
  return 0;
}

async function main() {
  const [command, ...names] = process.argv.slice(2);
  const kinds = names.length === 0 ? Object.keys(ENGINES) : [...new Set(names.map((name) => ALIASES[name]))];
  const actions = {
    up: () => withLock(() => up(kinds, names.length === 0)),
    status: () => status(kinds),
    down: () => withLock(() => down(kinds)),
  };
  if (!actions[command] || kinds.includes(undefined)) {
    console.error('usage: node scripts/servers.mjs <up|status|down> [redis|memcached|hazelcast ...]');
    return 2;
  }
  const code = await actions[command]();
  if (command === 'down' && readdirSync(STATE).length === 0) rmSync(STATE, { recursive: true, force: true });
  return code;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(`✗ ${error.message}`);
    process.exitCode = 1;
  },
);
