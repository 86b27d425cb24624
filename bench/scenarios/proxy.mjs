// ringcache-proxy vs nutcracker (twemproxy) vs direct connections, in front of the same three
// memcached servers of `npm run servers:up`, both proxies in ketama fnv1a_64 (same placement).
// Each round drives the same load twice: a Node client (pipelined connections, 90% get / 10% set
// plus many-key gets) for throughput and latency, then libmemcached's memcslap (blocking
// threads) for throughput. The proxies run as child processes; their CPU time per operation is
// read from /proc/PID/stat around each phase.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { ketamaRing } from '@ringcache/core';
import { MemcachedConnection } from '@ringcache/memcached/protocol';
import {
  defineScenario,
  formatRatio,
  formatSpread,
  markdownTable,
  pairedRatio,
  passFail,
  percentile,
} from '../lib/index.mjs';

const SERVERS = ['127.0.0.1:21211', '127.0.0.1:21212', '127.0.0.1:21213'];
const NUTCRACKER = '/usr/sbin/nutcracker';
const KEYS = 10_000;
const MULTI_KEYS = 10;
const CONNECTIONS = 4;
const IN_FLIGHT = 100;
const NODE_SECONDS = 3;
const MEMCSLAP_THREADS = 4;
const MEMCSLAP_OPERATIONS = 6000; // per thread and test
const VALUE = Buffer.from('x'.repeat(100));
/** Clock ticks per second of /proc/PID/stat (CONFIG_HZ user value, 100 on Linux). */
const TICKS = 100;

const OURS = 'ringcache-proxy';
const NUTCRACKER_NAME = 'nutcracker';
const DIRECT = 'direct (no proxy)';
const execFileAsync = promisify(execFile);
const require = createRequire(import.meta.url);

function isListening(port) {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, '127.0.0.1', () => done(true));
  });
}

function isFree(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Free ports in 22300–22399 (the range this repository's proxy work uses for nutcracker). */
async function freePorts(count) {
  const ports = [];
  const start = (process.pid * 13) % 100;
  for (let offset = 0; offset < 100 && ports.length < count; offset++) {
    const port = 22300 + ((start + offset) % 100);
    if (await isFree(port)) ports.push(port);
  }
  if (ports.length < count) throw new Error('no free ports in 22300-22399');
  return ports;
}

/** CPU seconds (user + system) a process has used, from /proc/PID/stat. */
function processCpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

/** Starts a proxy child process and resolves once it answers on `port`. */
async function spawnProxy(command, args, port) {
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const deadline = Date.now() + 10_000;
  while (!(await isListening(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${command} did not start on ${port}: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return child;
}

async function stopProcess(child) {
  if (child === undefined || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  // By PID: the process this contender started.
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => child.exitCode === null && process.kill(child.pid, 'SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/**
 * A client over pipelined connections: to the proxy (CONNECTIONS of them, round robin) or, for
 * direct, one per server with ketama routing and many-key gets split per server, client-side.
 */
function makeClient(target) {
  const connect = (address) => {
    const [host, port] = address.split(':');
    return new MemcachedConnection({ host, port: Number(port), timeout: 5000, maxPending: 100_000 });
  };
  if (target.direct) {
    const ring = ketamaRing(SERVERS, { hash: 'fnv1a_64' });
    const connections = new Map(SERVERS.map((server) => [server, connect(server)]));
    return {
      request(request) {
        if (request.command !== 'get' || request.keys.length === 1) {
          const key = request.command === 'get' ? request.keys[0] : request.key;
          return connections.get(ring.locate(key)).request(request);
        }
        const groups = new Map();
        for (const key of request.keys) {
          const node = ring.locate(key);
          if (!groups.has(node)) groups.set(node, []);
          groups.get(node).push(key);
        }
        return Promise.all(
          [...groups].map(([node, keys]) => connections.get(node).request({ command: 'get', keys })),
        ).then((replies) => ({ type: 'values', items: replies.flatMap((reply) => reply.items) }));
      },
      close: () => {
        for (const connection of connections.values()) connection.close();
      },
    };
  }
  const connections = Array.from({ length: CONNECTIONS }, () => connect(target.address));
  let next = 0;
  return {
    request: (request) => connections[next++ % CONNECTIONS].request(request),
    close: () => {
      for (const connection of connections) connection.close();
    },
  };
}

const key = (index) => `bench:proxy:${index}`;

async function preload(client) {
  for (let start = 0; start < KEYS; start += 1000) {
    await Promise.all(
      Array.from({ length: 1000 }, (_, index) =>
        client.request({ command: 'set', key: key(start + index), flags: 0, exptime: 0, value: VALUE }),
      ),
    );
  }
}

/** IN_FLIGHT closed loops for NODE_SECONDS: 80% get, 10% set, 10% get of MULTI_KEYS keys. */
async function nodeLoad(client) {
  const latencies = new Float64Array(4_000_000);
  let count = 0;
  let errors = 0;
  let keysRead = 0;
  let keysAsked = 0;
  const started = performance.now();
  const end = started + NODE_SECONDS * 1000;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async (_, worker) => {
      let step = worker * 7919;
      while (performance.now() < end) {
        step += 104_729;
        const kind = step % 10;
        let request;
        if (kind === 0)
          request = { command: 'set', key: key(step % KEYS), flags: 0, exptime: 0, value: VALUE };
        else if (kind === 1)
          request = {
            command: 'get',
            keys: Array.from({ length: MULTI_KEYS }, (_, index) => key((step + index * 997) % KEYS)),
          };
        else request = { command: 'get', keys: [key(step % KEYS)] };
        if (request.command === 'get') keysAsked += request.keys.length;
        const start = performance.now();
        try {
          const reply = await client.request(request);
          if (reply?.type === 'error') errors++;
          else if (reply?.type === 'values') keysRead += reply.items.length;
        } catch {
          errors++;
        }
        if (count < latencies.length) latencies[count] = performance.now() - start;
        count++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const sample = Array.from(latencies.subarray(0, Math.min(count, latencies.length)));
  return {
    count,
    errors,
    hitRate: keysRead / Math.max(1, keysAsked),
    seconds,
    p50: percentile(sample, 50),
    p99: percentile(sample, 99),
  };
}

/** memcslap `test` with MEMCSLAP_THREADS threads: operations per second it reports. */
async function memcslap(servers, test) {
  const { stdout, stderr } = await execFileAsync('memcslap', [
    `--servers=${servers}`,
    `--test=${test}`,
    `--concurrency=${MEMCSLAP_THREADS}`,
    `--execute-number=${MEMCSLAP_OPERATIONS}`,
  ]);
  const match = new RegExp(`Time to ${test}\\s+(\\d+) keys by\\s+\\d+ threads:\\s+([\\d.]+) seconds`).exec(
    `${stdout}${stderr}`,
  );
  if (match === null) throw new Error(`memcslap printed no ${test} time:\n${stdout}${stderr}`);
  return { operations: Number(match[1]), seconds: Number(match[2]) };
}

/** One round: the Node load, then memcslap get and set; CPU of the proxy process around each. */
async function round(state) {
  // Untimed: the shared test servers are small (`-m 64`) and full of other suites' data, so keys
  // written only at setup get evicted (hit rates of 99.4% were measured) and misses cost less.
  await preload(state.client);
  const cpu = () => (state.child === undefined ? 0 : processCpuSeconds(state.child.pid));
  const cpuBefore = cpu();
  const node = await nodeLoad(state.client);
  const cpuNode = cpu() - cpuBefore;
  const slapCpuBefore = cpu();
  const get = await memcslap(state.servers, 'get');
  const set = await memcslap(state.servers, 'set');
  const slapCpu = cpu() - slapCpuBefore;
  if (node.errors > 0) throw new Error(`${node.errors} errors in the Node load`);
  return {
    opsPerSecond: node.count / node.seconds,
    p50Ms: node.p50,
    p99Ms: node.p99,
    cpuMicrosecondsPerOp: (cpuNode * 1e6) / node.count,
    memcslapGetOpsPerSecond: get.operations / get.seconds,
    memcslapSetOpsPerSecond: set.operations / set.seconds,
    // memcslap's get test first stores its keys: those sets count too.
    memcslapCpuMicrosecondsPerOp: (slapCpu * 1e6) / (get.operations + set.operations + MEMCSLAP_OPERATIONS),
    // Every key was preloaded: anything below 100% would be a routing or protocol fault.
    hitRate: node.hitRate,
  };
}

async function setupClient(target, servers, child) {
  const client = makeClient(target);
  await preload(client);
  return { client, servers, child };
}

async function teardown(state) {
  state.client.close();
  await stopProcess(state.child);
}

export default defineScenario({
  name: 'proxy',
  title: 'proxy — ringcache-proxy vs nutcracker vs direct connections, same 3 memcached, ketama fnv1a_64',
  // A round's p99 on this shared 2-core machine swings with whatever else runs (a single round's
  // ratio ranged 0.2×–3.5× in one run): more rounds make the median of per-round ratios steadier,
  // and the report shows their spread and how many rounds met the target.
  rounds: 9,
  warmupRounds: 1,
  async prepare() {
    const up = await Promise.all(SERVERS.map((server) => isListening(Number(server.split(':')[1]))));
    if (!up.every(Boolean))
      throw new Error(`memcached is not running on ${SERVERS.join(', ')}: npm run servers:up`);
    const [ours, nutcracker, stats] = await freePorts(3);
    const directory = mkdtempSync(join(tmpdir(), 'ringcache-bench-proxy-'));
    // One pool file for both proxies: nutcracker's YAML, which ringcache-proxy reads as is.
    const pool = (port) =>
      [
        'bench:',
        `  listen: 127.0.0.1:${port}`,
        '  hash: fnv1a_64',
        '  distribution: ketama',
        '  timeout: 2000',
        '  auto_eject_hosts: false',
        '  servers:',
        ...SERVERS.map((server) => `    - ${server}:1`),
      ].join('\n');
    writeFileSync(join(directory, 'ours.yml'), `${pool(ours)}\n`);
    writeFileSync(join(directory, 'nutcracker.yml'), `${pool(nutcracker)}\n`);
    return { directory, ours, nutcracker, stats };
  },
  async cleanup(shared) {
    if (shared?.directory) rmSync(shared.directory, { recursive: true, force: true });
  },
  contenders: {
    [OURS]: {
      async setup({ shared }) {
        const bin = join(dirname(require.resolve('@ringcache/proxy/package.json')), 'bin/ringcache-proxy.js');
        const child = await spawnProxy(
          process.execPath,
          [bin, '--config', join(shared.directory, 'ours.yml')],
          shared.ours,
        );
        return setupClient({ address: `127.0.0.1:${shared.ours}` }, `127.0.0.1:${shared.ours}`, child);
      },
      round,
      teardown,
    },
    [NUTCRACKER_NAME]: {
      async setup({ shared }) {
        const child = await spawnProxy(
          NUTCRACKER,
          [
            '-c',
            join(shared.directory, 'nutcracker.yml'),
            '-s',
            String(shared.stats),
            '-a',
            '127.0.0.1',
            '-o',
            join(shared.directory, 'nutcracker.log'),
          ],
          shared.nutcracker,
        );
        return setupClient(
          { address: `127.0.0.1:${shared.nutcracker}` },
          `127.0.0.1:${shared.nutcracker}`,
          child,
        );
      },
      round,
      teardown,
    },
    [DIRECT]: {
      setup: () => setupClient({ direct: true }, SERVERS.join(','), undefined),
      round,
      teardown,
    },
  },
  report(results) {
    const metrics = (name) => results.contenders[name]?.metrics;
    const ms = (value) => `${value.toFixed(2)} ms`;
    const micro = (value) => `${value.toFixed(1)} µs`;
    const rows = results.order.map((name) => {
      const m = metrics(name);
      if (m?.opsPerSecond === undefined)
        return [
          name,
          `failed: ${results.contenders[name]?.error ?? 'no rounds'}`,
          '',
          '',
          '',
          '',
          '',
          '',
          '',
        ];
      const proxied = name !== DIRECT;
      return [
        name,
        formatSpread(m.opsPerSecond),
        formatSpread(m.p50Ms, ms),
        formatSpread(m.p99Ms, ms),
        proxied ? formatSpread(m.cpuMicrosecondsPerOp, micro) : '—',
        formatSpread(m.memcslapGetOpsPerSecond),
        formatSpread(m.memcslapSetOpsPerSecond),
        proxied ? formatSpread(m.memcslapCpuMicrosecondsPerOp, micro) : '—',
        formatSpread(m.hitRate, (rate) => `${(rate * 100).toFixed(1)}%`),
      ];
    });
    const ratio = (metric, a, b) => pairedRatio(results, metric, a, b);
    const target = (what, value, ok) => [
      what,
      value ? `${formatRatio(value.median)} (${formatRatio(value.min)}–${formatRatio(value.max)})` : '—',
      value ? passFail(ok(value.median)) : 'not measured',
    ];
    /** How many rounds' own ratio met the target (a median alone hides a bimodal run). */
    const within = (metric, ok) => {
      const ours = results.contenders[OURS]?.rounds ?? [];
      const theirs = results.contenders[NUTCRACKER_NAME]?.rounds ?? [];
      const count = Math.min(ours.length, theirs.length);
      let met = 0;
      for (let index = 0; index < count; index++) if (ok(ours[index][metric] / theirs[index][metric])) met++;
      return `${met} of ${count} rounds`;
    };
    const info = (what, value) => [
      what,
      value ? `${formatRatio(value.median)} (${formatRatio(value.min)}–${formatRatio(value.max)})` : '—',
      'info',
    ];
    return [
      `Both proxies read the same nutcracker pool file (ketama, fnv1a_64, servers ${SERVERS.join(', ')}, ` +
        '`npm run servers:up`) and run as child processes; ringcache-proxy with its defaults (hot-key detection, ' +
        'per-server latency histograms, 1024 requests in flight per client). **Node client**: ' +
        `${CONNECTIONS} pipelined connections to the proxy (direct: one per server, ketama routing and many-key ` +
        `splitting in the client), ${IN_FLIGHT} calls in flight, closed loop for ${NODE_SECONDS} s: 80% get, 10% set ` +
        `(${VALUE.length}-byte values), 10% get of ${MULTI_KEYS} keys, over ${KEYS.toLocaleString('en')} keys; a call ` +
        `is one request. **memcslap**: ${MEMCSLAP_THREADS} threads × ${MEMCSLAP_OPERATIONS} blocking gets, then ` +
        'sets (one request at a time per thread: latency-bound). CPU µs/op is the proxy process’s user + system time ' +
        'from /proc/PID/stat (10 ms ticks) over the phase, divided by its calls. Load generator, proxy and servers ' +
        'share the machine’s cores. Ratios are medians of per-round ratios (min–max). **Latency comes from the Node ' +
        'client only**: memcslap prints the total time of each test, not per-request latencies, so its columns have ' +
        'throughput and CPU but no p50/p99 (a p99 target can only be checked with the Node client).',
      '',
      markdownTable(
        [
          'contender',
          'Node ops/s',
          'p50',
          'p99',
          'proxy CPU/op',
          'memcslap get/s (no latency)',
          'memcslap set/s (no latency)',
          'proxy CPU/op (memcslap)',
          'hit rate',
        ],
        rows,
      ),
      '',
      markdownTable(
        ['target', 'measured', 'result'],
        [
          target(
            'Node client: ringcache-proxy ≥ 0.5× nutcracker ops/s',
            ratio('opsPerSecond', OURS, NUTCRACKER_NAME),
            (r) => r >= 0.5,
          ),
          target(
            `Node client: ringcache-proxy p99 ≤ 2× nutcracker (${within('p99Ms', (r) => r <= 2)} within)`,
            ratio('p99Ms', OURS, NUTCRACKER_NAME),
            (r) => r <= 2,
          ),
          info('Node client p50, ringcache-proxy / nutcracker', ratio('p50Ms', OURS, NUTCRACKER_NAME)),
          target(
            'memcslap get: ringcache-proxy ≥ 0.5× nutcracker',
            ratio('memcslapGetOpsPerSecond', OURS, NUTCRACKER_NAME),
            (r) => r >= 0.5,
          ),
          target(
            'memcslap set: ringcache-proxy ≥ 0.5× nutcracker',
            ratio('memcslapSetOpsPerSecond', OURS, NUTCRACKER_NAME),
            (r) => r >= 0.5,
          ),
          info(
            'proxy CPU per op, ringcache-proxy / nutcracker (Node load)',
            ratio('cpuMicrosecondsPerOp', OURS, NUTCRACKER_NAME),
          ),
          info('Node client ops/s, ringcache-proxy / direct', ratio('opsPerSecond', OURS, DIRECT)),
          info('Node client ops/s, nutcracker / direct', ratio('opsPerSecond', NUTCRACKER_NAME, DIRECT)),
        ],
        ['left', 'right', 'left'],
      ),
    ].join('\n');
  },
});
