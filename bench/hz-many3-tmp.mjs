import { hazelcastAdapter } from '@ringcache/hazelcast';
const adapter = await hazelcastAdapter({ clusterName: 'ringcache-test', members: ['127.0.0.1:15701','127.0.0.1:15702'], mapName: 'many-scratch' });
const direct = adapter.direct;
const keys = Array.from({ length: 10000 }, (_, i) => `key:${i}`);
const v = new Uint8Array(100).fill(65);
for (let i = 0; i < keys.length; i += 500) await Promise.all(keys.slice(i, i + 500).map((k) => adapter.set(k, v, 0)));
let seed = 1; const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
const sets = Array.from({ length: 500 }, () => Array.from({ length: 100 }, () => keys[Math.floor(rnd() * 10000)]));
const run = async (n) => { let next = 0; await Promise.all(Array.from({ length: 100 }, async () => { while (next < n) { const s = sets[next++ % 500]; await adapter.getMany(s); } })); };
for (const round of [1,2,3]) for (const mode of [process.argv[2]]) {
  adapter.direct = mode === 'direct' ? direct : undefined;
  await run(300);
  const c0 = process.cpuUsage(); const t0 = performance.now();
  await run(3000);
  const c = process.cpuUsage(c0); const t = (performance.now() - t0) / 1000;
  console.log(round, mode, (3000 / t).toFixed(0), 'getMany/s', ((c.user + c.system) / 3000).toFixed(0), 'µs CPU/getMany');
}
await adapter.close(); process.exit(0);
