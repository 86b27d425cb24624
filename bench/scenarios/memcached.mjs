// Ringcache over @ringcache/memcached, with its defaults (JSON serializer, facade timeouts and
// stats, the core ring, node health), against raw memjs and the raw `memcached` package: the same
// three servers of `npm run servers:up`, 100 calls in flight, 90% get / 10% set of 10,000 keys.
// The adapter's own protocol client, used raw (one pipelined MemcachedConnection per server,
// routed by the core ring), is a contender too: it is the measurement behind the choice of client
// recorded in packages/memcached/README.md. Each contender runs in its own process, so the
// process's CPU time over a round is the client's CPU.
import { Socket } from 'node:net';
import { createCache, hashRing } from '@ringcache/core';
import { memcachedAdapter } from '@ringcache/memcached';
import { MemcachedConnection } from '@ringcache/memcached/protocol';
import Memcached from 'memcached';
import memjs from 'memjs';
import {
  defineScenario,
  formatCount,
  formatRatio,
  formatSpread,
  markdownTable,
  pairedRatio,
  passFail,
  percentile,
} from '../lib/index.mjs';

const SERVERS = ['127.0.0.1:21211', '127.0.0.1:21212', '127.0.0.1:21213'];
const CONCURRENCY = 100;
const KEYS = 10_000;
const ROUND_SECONDS = 3;
// A typical small cached value: ~100 bytes of JSON text. Raw clients store the same text.
const VALUE = JSON.stringify({
  id: 12345,
  name: 'Ada Lovelace',
  roles: ['admin', 'editor'],
  active: true,
  n: 0.5,
});

const RINGCACHE = 'ringcache (defaults)';
const PIPELINED = 'pipelined client (raw)';
const MEMJS = 'memjs (raw)';
const MEMCACHED = 'memcached (raw)';

/** Runs the closed-loop load for ROUND_SECONDS: ops/s, p99 and errors. `client` = { get, set }. */
async function load(client, prefix) {
  const latencies = new Float64Array(4_000_000);
  let count = 0;
  let errors = 0;
  let hits = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const end = started + ROUND_SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, worker) => {
      let step = worker * 7919;
      while (performance.now() < end) {
        step += 104_729;
        const key = `${prefix}${step % KEYS}`;
        const start = performance.now();
        try {
          if (step % 10 === 0) await client.set(key, VALUE);
          else if ((await client.get(key)) !== undefined) hits++;
        } catch {
          errors++;
        }
        if (count < latencies.length) latencies[count] = performance.now() - start;
        count++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const sample = Array.from(latencies.subarray(0, Math.min(count, latencies.length)));
  return {
    opsPerSecond: count / seconds,
    cpuMicrosecondsPerOp: (cpu.user + cpu.system) / count,
    p99Ms: percentile(sample, 99),
    errors,
    hitRate: hits / Math.max(1, count),
  };
}

async function preload(client, prefix) {
  for (let start = 0; start < KEYS; start += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, KEYS - start) }, (_, index) =>
        client.set(`${prefix}${start + index}`, VALUE),
      ),
    );
  }
}

function isListening(address) {
  const [host, port] = address.split(':');
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(Number(port), host, () => done(true));
  });
}

/**
 * Each round first rewrites the contender's keys (untimed): the shared test servers are small
 * (`-m 64`) and hold other suites' data, so a keyspace written only at setup can be evicted by
 * the next contender's (measured: 0% hits for the first contender set up, 90% for the last),
 * and a read that misses is cheaper than one that hits.
 */
async function round(state) {
  await preload(state.client, state.prefix);
  return load(state.client, state.prefix);
}

export default defineScenario({
  name: 'memcached',
  title: 'memcached — Ringcache (defaults) vs raw memjs and raw `memcached`, 3 servers, 100 in flight',
  rounds: 5,
  warmupRounds: 1,
  async prepare() {
    const up = await Promise.all(SERVERS.map(isListening));
    if (!up.every(Boolean))
      throw new Error(`memcached is not running on ${SERVERS.join(', ')}: npm run servers:up`);
    return { run: `bench:${process.pid}:` };
  },
  contenders: {
    [RINGCACHE]: {
      async setup({ shared }) {
        const cache = createCache({ adapter: memcachedAdapter({ servers: SERVERS }) });
        // The JSON serializer stores the string as its JSON text; reads parse it back.
        const client = { get: (key) => cache.get(key), set: (key, value) => cache.set(key, value) };
        const prefix = `${shared.run}rc:`;
        await preload(client, prefix);
        return { client, prefix, close: () => cache.close() };
      },
      round,
      teardown: (state) => state.close(),
    },
    [PIPELINED]: {
      async setup({ shared }) {
        // What the adapter is built on, without the facade: text protocol, one pipelined socket per
        // server (requests of an event-loop turn in one write), keys placed by the core ring.
        const ring = hashRing(SERVERS);
        const connections = new Map(
          SERVERS.map((server) => {
            const [host, port] = server.split(':');
            return [server, new MemcachedConnection({ host, port: Number(port) })];
          }),
        );
        const value = Buffer.from(VALUE);
        const client = {
          get: async (key) => {
            const reply = await connections.get(ring.locate(key)).request({ command: 'get', keys: [key] });
            return reply?.type === 'values' && reply.items.length > 0 ? reply.items[0].value : undefined;
          },
          set: (key) =>
            connections.get(ring.locate(key)).request({ command: 'set', key, flags: 0, exptime: 0, value }),
        };
        const prefix = `${shared.run}pipelined:`;
        await preload(client, prefix);
        const close = () => {
          for (const connection of connections.values()) connection.close();
        };
        return { client, prefix, close };
      },
      round,
      teardown: (state) => state.close(),
    },
    [MEMJS]: {
      async setup({ shared }) {
        const raw = memjs.Client.create(SERVERS.join(','), { logger: { log() {} } });
        const client = {
          get: async (key) => (await raw.get(key)).value ?? undefined,
          set: (key, value) => raw.set(key, value, { expires: 0 }),
        };
        const prefix = `${shared.run}memjs:`;
        await preload(client, prefix);
        return { client, prefix, close: () => raw.close() };
      },
      round,
      teardown: (state) => state.close(),
    },
    [MEMCACHED]: {
      async setup({ shared }) {
        // poolSize 100: with the default 10, 100 calls in flight fail with "pool is full".
        const raw = new Memcached(SERVERS, { poolSize: 100 });
        const client = {
          get: (key) =>
            new Promise((resolve, reject) =>
              raw.get(key, (error, data) => (error ? reject(error) : resolve(data))),
            ),
          set: (key, value) =>
            new Promise((resolve, reject) =>
              raw.set(key, value, 0, (error) => (error ? reject(error) : resolve())),
            ),
        };
        const prefix = `${shared.run}mc:`;
        await preload(client, prefix);
        return { client, prefix, close: () => raw.end() };
      },
      round,
      teardown: (state) => state.close(),
    },
  },
  report(results) {
    const contender = (name) => results.contenders[name];
    const rows = results.order.map((name) => {
      const metrics = contender(name)?.metrics;
      if (metrics === undefined)
        return [name, `failed: ${contender(name)?.error ?? 'no rounds'}`, '', '', '', ''];
      return [
        name,
        formatSpread(metrics.opsPerSecond),
        formatSpread(metrics.p99Ms, (ms) => `${ms.toFixed(2)} ms`),
        formatSpread(metrics.cpuMicrosecondsPerOp, (micro) => `${micro.toFixed(1)} µs`),
        formatSpread(metrics.hitRate, (rate) => `${(rate * 100).toFixed(1)}%`),
        formatCount(metrics.errors.values.reduce((sum, value) => sum + value, 0)),
      ];
    });
    const versusMemjs = pairedRatio(results, 'opsPerSecond', RINGCACHE, MEMJS);
    const versusMemcached = pairedRatio(results, 'opsPerSecond', RINGCACHE, MEMCACHED);
    const info = (what, ratio) => [
      what,
      ratio ? `${formatRatio(ratio.median)} (${formatRatio(ratio.min)}–${formatRatio(ratio.max)})` : '—',
      'info',
    ];
    const target = (what, ratio, goal) => [
      what,
      ratio ? `${formatRatio(ratio.median)} (${formatRatio(ratio.min)}–${formatRatio(ratio.max)})` : '—',
      ratio ? passFail(ratio.median >= goal) : 'not measured',
    ];
    return [
      `Closed loop of ${CONCURRENCY} calls in flight for ${ROUND_SECONDS} s per round, ${KEYS.toLocaleString('en')} keys, ` +
        `90% get / 10% set of a ${VALUE.length}-byte JSON text, servers ${SERVERS.join(', ')} (\`npm run servers:up\`). ` +
        'Ringcache runs with its defaults: JSON serializer, 1 s call timeout, per-node stats, the core hash ring, ' +
        'node health; one pipelined connection per server. The pipelined client is that connection used raw ' +
        "(the adapter's protocol client, no facade; keys placed by the core ring): the measurement behind the choice " +
        'of client in packages/memcached/README.md. memjs and `memcached` (poolSize 100) use their own ' +
        "hashing. Client CPU/op is the contender process's user + system CPU time over the round divided by its " +
        'calls (each contender runs in its own process; the servers are not counted). Ratios are medians of ' +
        'per-round ratios.',
      '',
      markdownTable(['contender', 'ops/s', 'p99', 'client CPU/op', 'hit rate', 'errors'], rows),
      '',
      markdownTable(
        ['target', 'measured', 'result'],
        [
          target('Ringcache ≥ 1.0× memjs', versusMemjs, 1.0),
          target('Ringcache ≥ 1.5× `memcached`', versusMemcached, 1.5),
          info('pipelined client ops/s ÷ memjs', pairedRatio(results, 'opsPerSecond', PIPELINED, MEMJS)),
          info(
            'pipelined client ops/s ÷ `memcached`',
            pairedRatio(results, 'opsPerSecond', PIPELINED, MEMCACHED),
          ),
          info(
            'Ringcache (facade) ops/s ÷ pipelined client',
            pairedRatio(results, 'opsPerSecond', RINGCACHE, PIPELINED),
          ),
        ],
        ['left', 'right', 'left'],
      ),
    ].join('\n');
  },
});
