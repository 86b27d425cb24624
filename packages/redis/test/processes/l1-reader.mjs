// A second process for the cross-process L1 test: reads one key in a loop through an L1 with a
// redisBus and prints every change of the value it sees, with a wall-clock timestamp (ms).
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
let last;
let stopping = false;
process.stdin.on('data', () => {
  stopping = true;
});
process.stdout.write('ready\n');
while (!stopping) {
  const value = await cache.get(key);
  const version = value?.version ?? -1;
  if (version !== last) {
    last = version;
    process.stdout.write(`${version} ${now()}\n`);
  }
  // Yield to I/O so bus messages are delivered between reads.
  await new Promise((resolve) => setImmediate(resolve));
}
const local = cache.stats().local;
process.stdout.write(`stats ${JSON.stringify(local)}\n`);
await cache.close();
await bus.close();
process.exit(0);
