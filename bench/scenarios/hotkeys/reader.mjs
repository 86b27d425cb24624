// The other process of the hotkeys benchmark's cross-process check: a cache with the same hot-key
// policy over the same Redis Cluster and redisBus. Commands on stdin, one answer line each:
//   warm                → reads like the workload (so its own detector promotes the hot key)
//   check <version>     → "checked <stale right away> <stale after the invalidation> <waited ms>"
// "Right away" reads as soon as the writer's set() returned; "after the invalidation" reads once
// this process has heard the bus message for the hot key (the issue's "after a write and its
// invalidation, every process reads the new value").
import { createInterface } from 'node:readline';
import { createCache } from '@ringcache/core';
import { redisBus, redisClusterAdapter } from '@ringcache/redis';

const [nodesArgument, namespace, channel, policy, hotKey] = process.argv.slice(2);
const nodes = nodesArgument.split(',');
const bus = policy === 'off' ? undefined : redisBus({ nodes });
const cache = createCache({
  adapter: redisClusterAdapter({ nodes }),
  namespace,
  ...(bus === undefined
    ? {}
    : { hotKeys: { policy, windowMs: 500, promotionDelay: 50, localTtl: 1000, bus, channel } }),
});
await cache.ready();

// A second handler on the cache's own bus tells when the writer's invalidation arrived: the bus
// calls a channel's handlers in the order they subscribed, so the cache's tier has dropped the key
// by the time this one runs (a second connection could hear the message first).
const finalHotKey = await cache.storedKey(hotKey);
// Set by any invalidation of the hot key; the writer writes only between checks, so one heard
// since the last check ended is this write's (a write may publish it more than once).
let invalidated = false;
const listener = bus;
await listener?.subscribe(channel, {
  onMessage(bytes) {
    const message = JSON.parse(new TextDecoder().decode(bytes));
    if (message.type === 'keys' && message.keys.includes(finalHotKey)) invalidated = true;
  },
  onStatus() {},
});

async function staleReads(version, count) {
  let stale = 0;
  for (let index = 0; index < count; index++) {
    if ((await cache.get(hotKey))?.version !== version) stale++;
  }
  return stale;
}

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  const [command, argument] = line.split(' ');
  if (command === 'warm') {
    for (let index = 0; index < 3000; index++) await cache.get(index % 10 < 3 ? hotKey : `item:${index}`);
    await new Promise((resolve) => setTimeout(resolve, 700));
    process.stdout.write('warmed\n');
  } else if (command === 'check') {
    const version = Number(argument);
    const rightAway = await staleReads(version, 100);
    const started = performance.now();
    // Without a bus ('off') there is no invalidation to wait for: reads go to the engine.
    while (listener !== undefined && !invalidated && performance.now() - started < 2000) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    const waited = performance.now() - started;
    const after = await staleReads(version, 100);
    invalidated = false;
    process.stdout.write(`checked ${rightAway} ${after} ${waited.toFixed(2)}\n`);
  } else if (command === 'quit') break;
}
await cache.close();
await bus?.close();
process.exit(0);
