// A second process for the cross-process L1 test: reads one key in a loop through an L1 with a
// redisBus and prints every run of one value it serves: `<version> <first> <last>`, the
// wall-clock times (ms) of the run's first and last read. Every read is in some run, so a
// return to an older version, or an old value served for long, shows.
// Runs on the built packages, as an application would.
import { createCache } from '@ringcache/core';
import { redisBus, redisClusterAdapter } from '@ringcache/redis';

const [nodesArgument, namespace, key, ttlArgument] = process.argv.slice(2);
const nodes = nodesArgument.split(',');
const bus = redisBus({ nodes });
const cache = createCache({
  adapter: redisClusterAdapter({ nodes }),
  namespace,
  local: { bus, ttl: Number(ttlArgument), channel: `ringcache:l1-test:${namespace}` },
});
await cache.ready();
const now = () => performance.timeOrigin + performance.now();
let version;
let first = 0;
let last = 0;
let stopping = false;
const report = () => process.stdout.write(`${version} ${first} ${last}\n`);
process.stdin.on('data', () => {
  stopping = true;
});
process.stdout.write('ready\n');
while (!stopping) {
  const value = await cache.get(key);
  const at = now();
  const read = value?.version ?? -1;
  if (read !== version) {
    if (version !== undefined) report();
    version = read;
    first = at;
  }
  last = at;
  // Yield to I/O so bus messages are delivered between reads.
  await new Promise((resolve) => setImmediate(resolve));
}
if (version !== undefined) report();
const local = cache.stats().local;
process.stdout.write(`stats ${JSON.stringify(local)}\n`);
await cache.close();
await bus.close();
process.exit(0);
