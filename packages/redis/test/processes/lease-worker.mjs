// One of several processes racing on one key with `getOrSet(..., { lease: true })`. Prints one
// line per loader call ("load") and, at the end, every value its callers received.
import { createCache } from '@ringcache/core';
import { redisClusterAdapter } from '@ringcache/redis';

const [nodesArgument, namespace, callersArgument, loaderMsArgument, leaseTtlArgument] = process.argv.slice(2);
const cache = createCache({
  adapter: redisClusterAdapter({ nodes: nodesArgument.split(',') }),
  namespace,
  timeout: 5000,
});
const loader = async () => {
  process.stdout.write('load\n');
  await new Promise((resolve) => setTimeout(resolve, Number(loaderMsArgument)));
  return { loadedBy: process.pid };
};
process.stdout.write('ready\n');
// Start together: wait for the parent's go.
await new Promise((resolve) => process.stdin.once('data', resolve));
const results = await Promise.all(
  Array.from({ length: Number(callersArgument) }, () =>
    cache.getOrSet('hot', loader, { lease: { ttl: Number(leaseTtlArgument), wait: 20_000 } }).then(
      (value) => value.loadedBy,
      (error) => `error:${error.code}`,
    ),
  ),
);
process.stdout.write(`results ${JSON.stringify([...new Set(results)])} ${results.length}\n`);
await cache.close();
process.exit(0);
