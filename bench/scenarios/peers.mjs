// Ringcache against the caching libraries people use today, on the same engines: the Redis
// Cluster (127.0.0.1:7000–7005) and the memcached pool (127.0.0.1:21211–21213) of
// `npm run servers:up`. Like for like: L1 + L2 + bus against other libraries' L1 + L2 + bus,
// L2-only against L2-only and the raw clients. Workloads: read-heavy (95/5) and write-heavy
// (50/50) over Zipf-distributed keys, getMany of 50 keys, and a stampede of 1,000 concurrent
// misses on one key (loader calls counted).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isListening, memcached, redisCluster } from '@ringcache/test-engines';
import { defineScenario } from '../lib/index.mjs';
import { CONTENDERS } from './peers/contenders.mjs';
import { writeReport } from './peers/report.mjs';
import { KEY_COUNT, makeBatches, makePlan, preload, runRound } from './peers/workloads.mjs';

const names = Object.keys(CONTENDERS);
const benchDirectory = fileURLToPath(new URL('..', import.meta.url));

/** The installed version of an npm package (workspaces hoist most to the root node_modules). */
function installedVersion(name) {
  for (const directory of [
    join(benchDirectory, 'node_modules'),
    join(benchDirectory, '..', 'node_modules'),
  ]) {
    const manifest = join(directory, name, 'package.json');
    if (existsSync(manifest)) return JSON.parse(readFileSync(manifest, 'utf8')).version;
  }
  return 'not installed';
}

function contender(name) {
  const definition = CONTENDERS[name];
  const tag = `c${names.indexOf(name)}`;
  return {
    async setup(context) {
      const { shared } = context;
      const client = await definition.connect(shared);
      const prefix = `${shared.run}${tag}:`;
      const keys = Array.from({ length: KEY_COUNT }, (_, rank) => `${prefix}k${rank}`);
      context.progress(`writing ${KEY_COUNT} keys`);
      await preload(client, keys);
      const plan = makePlan();
      return { client, keys, plan, batches: makeBatches(plan, keys), prefix };
    },
    round: runRound,
    analyze(state) {
      const versions = Object.fromEntries(definition.packages.map((name) => [name, installedVersion(name)]));
      const local = state.client.stats?.().local;
      return local ? { versions, l1: local } : { versions };
    },
    teardown: (state) => state.client.close(),
  };
}

export default defineScenario({
  name: 'peers',
  title: 'peers — Ringcache vs BentoCache, cacheable, cache-manager, Keyv and the raw clients',
  rounds: 5,
  warmupRounds: 2,
  timeoutSeconds: 180,

  async prepare() {
    const checks = await Promise.all(
      [...redisCluster.nodes.slice(0, 3), ...memcached.nodes].map((node) => {
        const [host, port] = node.split(':');
        return isListening(host, Number(port)).then((up) => (up ? undefined : node));
      }),
    );
    const down = checks.filter(Boolean);
    if (down.length > 0) throw new Error(`not listening: ${down.join(', ')} (npm run servers:up)`);
    // A prefix of this run: the engines are shared, so keys are never flushed, only left to expire.
    return {
      run: `bench:peers:${Date.now().toString(36)}:`,
      redis: redisCluster.nodes,
      memcached: memcached.nodes,
    };
  },

  contenders: Object.fromEntries(names.map((name) => [name, contender(name)])),

  report: (results) => writeReport(results, CONTENDERS),
});
