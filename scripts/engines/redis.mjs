// Redis Cluster nodes: start one node, form a cluster with redis-cli, wait until it is healthy.
import { execFile } from 'node:child_process';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { instanceDir, spawnInstance, tail, waitUntil } from './process.mjs';

const HOST = '127.0.0.1';

/** Each node also listens on its cluster bus port: port + 10000. */
export const CLUSTER_BUS_OFFSET = 10_000;

/**
 * Starts one cluster-enabled redis-server in `root/redis-PORT` (its nodes.conf lives there, so a
 * restart in the same folder rejoins the cluster) and resolves once it answers PING.
 * @returns {Promise<number>} the PID
 */
export async function startRedisNode(root, port, { nodeTimeoutMs = 3000, detached = true } = {}) {
  const dir = instanceDir(root, 'redis', port);
  const logFile = join(dir, 'redis.log');
  // biome-ignore format: one flag and its value per line
  const args = [
    '--port', String(port),
    '--bind', HOST,
    '--protected-mode', 'no',
    '--cluster-enabled', 'yes',
    '--cluster-config-file', 'nodes.conf',
    '--cluster-node-timeout', String(nodeTimeoutMs),
    '--save', '',
    '--appendonly', 'no',
    '--repl-diskless-sync-delay', '0',
    '--dir', dir,
    '--daemonize', 'no',
  ];
  const pid = await spawnInstance('redis-server', args, { dir, logFile, detached });
  const ready = await waitUntil(
    async () => (await redisCommand(port, ['PING']).catch(() => '')) === 'PONG',
    10_000,
    50,
  );
  if (!ready) throw new Error(`redis-server on ${port} did not answer PING:\n${tail(logFile)}`);
  return pid;
}

/** Forms a cluster from empty nodes: `redis-cli --cluster create ... --cluster-replicas N`. */
export function createRedisCluster(ports, { replicas = 1 } = {}) {
  const args = ['--cluster', 'create', ...ports.map((port) => `${HOST}:${port}`)];
  args.push('--cluster-replicas', String(replicas), '--cluster-yes');
  return new Promise((resolve, reject) => {
    execFile('redis-cli', args, { timeout: 60_000 }, (error, stdout, stderr) => {
      if (error || !stdout.includes('[OK] All 16384 slots covered')) {
        reject(new Error(`redis-cli --cluster create failed: ${error?.message ?? ''}\n${stdout}${stderr}`));
      } else resolve();
    });
  });
}

/** `CLUSTER INFO` of one node as an object (`{ cluster_state: 'ok', ... }`), undefined if down. */
export async function redisClusterInfo(port) {
  try {
    const text = await redisCommand(port, ['CLUSTER', 'INFO']);
    return Object.fromEntries(
      text
        .split('\r\n')
        .filter(Boolean)
        .map((line) => line.split(':')),
    );
  } catch {
    return undefined;
  }
}

/** True when a node is a master, or a replica whose link to its master is up (synced). */
async function isReplicationReady(port) {
  const replication = await redisCommand(port, ['INFO', 'replication']).catch(() => '');
  return replication.includes('role:master') || replication.includes('master_link_status:up');
}

/**
 * One node's view of the roles: `id role master-id` per node, sorted; undefined while any node
 * is still in handshake or suspected of failure. Replica roles spread by gossip, so right after
 * `--cluster create` one node's CLUSTER SLOTS may still list a master without its replica.
 */
async function clusterRoles(port) {
  const text = await redisCommand(port, ['CLUSTER', 'NODES']).catch(() => '');
  const lines = text.split('\n').filter(Boolean);
  const roles = [];
  for (const line of lines) {
    const [id, , flags = '', master = '-'] = line.split(' ');
    if (/fail|handshake|noaddr/.test(flags)) return undefined;
    roles.push(`${id} ${flags.includes('slave') ? 'replica' : 'master'} ${master}`);
  }
  return roles.sort().join('\n');
}

/**
 * True when every node reports `cluster_state:ok`, knows all the others, agrees with the others
 * on who replicates whom, and every replica has finished its first sync: a replica that has not
 * synced yet cannot take over from its master, which is exactly what fault tests try first.
 */
export async function isRedisClusterHealthy(ports) {
  const infos = await Promise.all(ports.map(redisClusterInfo));
  const clusterOk = infos.every(
    (info) => info?.cluster_state === 'ok' && Number(info.cluster_known_nodes) === ports.length,
  );
  if (!clusterOk) return false;
  const views = await Promise.all(ports.map(clusterRoles));
  if (views[0] === undefined || views.some((view) => view !== views[0])) return false;
  return (await Promise.all(ports.map(isReplicationReady))).every(Boolean);
}

export async function waitForRedisCluster(ports, timeoutMs = 30_000) {
  if (!(await waitUntil(() => isRedisClusterHealthy(ports), timeoutMs, 100))) {
    const infos = await Promise.all(ports.map(redisClusterInfo));
    const states = ports.map((port, index) => `${port}: ${infos[index]?.cluster_state ?? 'down'}`);
    throw new Error(`Redis Cluster not healthy after ${timeoutMs} ms (${states.join(', ')})`);
  }
}

/**
 * Sends one command over RESP and returns the reply (simple/bulk string or integer as a string).
 * A tiny client, so that health checks need neither redis-cli processes nor a dependency.
 */
export function redisCommand(port, args, timeoutMs = 1000) {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    let buffer = Buffer.alloc(0);
    const fail = (error) => {
      socket.destroy();
      reject(error);
    };
    socket.setTimeout(timeoutMs, () => fail(new Error(`redis ${port}: timeout`)));
    socket.once('error', fail);
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      const reply = parseReply(buffer);
      if (reply === undefined) return;
      socket.destroy();
      if (reply instanceof Error) reject(reply);
      else resolve(reply);
    });
    socket.connect(port, HOST, () => {
      const parts = args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`);
      socket.write(`*${args.length}\r\n${parts.join('')}`);
    });
  });
}

/** Parses one non-aggregate RESP reply; undefined while incomplete. */
function parseReply(buffer) {
  const lineEnd = buffer.indexOf('\r\n');
  if (lineEnd < 0) return undefined;
  const type = String.fromCharCode(buffer[0]);
  const line = buffer.subarray(1, lineEnd).toString();
  if (type === '+' || type === ':') return line;
  if (type === '-') return new Error(line);
  if (type === '$') {
    const length = Number(line);
    if (length < 0) return '';
    if (buffer.length < lineEnd + 2 + length + 2) return undefined;
    return buffer.subarray(lineEnd + 2, lineEnd + 2 + length).toString();
  }
  return new Error(`unsupported RESP reply type '${type}'`);
}
