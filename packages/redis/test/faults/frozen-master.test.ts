// A master that stops answering but keeps its sockets open (SIGSTOP): once it owes replies and has
// been silent for `failover.silenceLimit`, the adapter refuses its keys at once with
// E_NODE_UNAVAILABLE (node:eject) instead of queueing calls it cannot answer; the other masters
// keep serving; when it runs again it answers what it owed and is re-admitted (node:readmit).
import type { AdapterEvent } from '@ringcache/core';
import { type DisposableRedisCluster, disposableRedisCluster } from '@ringcache/test-engines';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { redisClusterAdapter } from '../../src/index.js';

const SILENCE_LIMIT_MS = 400;
let engine: DisposableRedisCluster | undefined;

beforeAll(async () => {
  engine = await disposableRedisCluster({ masters: 3, replicas: 0 });
});

afterAll(async () => {
  await engine?.stop();
});

const bytes = (text: string) => new TextEncoder().encode(text);
const codeOf = (error: unknown) => (error as { code?: string }).code ?? String(error);

async function waitFor(condition: () => boolean, limitMs = 10_000): Promise<void> {
  const until = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

it('refuses a silent master at once, keeps the others serving, and re-admits it when it answers', async () => {
  if (engine === undefined) throw new Error('the disposable cluster did not start');
  const adapter = redisClusterAdapter({
    nodes: engine.nodes,
    failover: { silenceLimit: SILENCE_LIMIT_MS },
  });
  const events: AdapterEvent[] = [];
  adapter.subscribe((event) => events.push(event));
  const direct = (adapter as unknown as { direct: { connections: ReadonlyMap<string, { pending: number }> } })
    .direct;
  try {
    await adapter.ready();
    const keys = Array.from({ length: 300 }, (_, index) => `frozen:${index}`);
    for (const key of keys) await adapter.set(key, bytes(key), 0);
    const topology = adapter.topology();
    const frozen = topology.locate(keys[0]!);
    const frozenKeys = keys.filter((key) => topology.locate(key) === frozen);
    const otherKeys = keys.filter((key) => topology.locate(key) !== frozen);
    // The direct connections are open by now: the writes above went over them.
    expect(direct.connections.get(frozen)).toBeDefined();

    await engine.kill(Number(frozen.split(':')[1]), 'SIGSTOP');
    // Calls sent before the silence is noticed wait for the node (no timeout at this level).
    const owed = frozenKeys.slice(0, 20).map((key) => adapter.get(key));
    await waitFor(() => events.some((event) => event.type === 'node:eject' && event.node === frozen));
    const pendingAtEject = direct.connections.get(frozen)?.pending ?? 0;
    expect(pendingAtEject).toBeGreaterThan(0);

    // Now its keys fail at once, reads and writes, and nothing more is queued for it.
    const refused = await Promise.all(
      frozenKeys.map((key, index) =>
        (index % 2 === 0 ? adapter.get(key) : adapter.set(key, bytes('new'), 0)).then(() => 'ok', codeOf),
      ),
    );
    expect(new Set(refused)).toEqual(new Set(['E_NODE_UNAVAILABLE']));
    expect(direct.connections.get(frozen)?.pending ?? 0).toBe(pendingAtEject);
    // The other masters serve as before.
    const others = await Promise.all(otherKeys.map((key) => adapter.get(key)));
    expect(others.map((value) => new TextDecoder().decode(value))).toEqual(otherKeys);

    await engine.kill(Number(frozen.split(':')[1]), 'SIGCONT');
    const answered = await Promise.all(owed);
    expect(answered.map((value) => new TextDecoder().decode(value))).toEqual(frozenKeys.slice(0, 20));
    await waitFor(() => events.some((event) => event.type === 'node:readmit' && event.node === frozen));
    expect(new TextDecoder().decode(await adapter.get(frozenKeys[1]!))).toBe(frozenKeys[1]);
    console.log(
      `[frozen master] ${frozen}: ${pendingAtEject} calls owed when refused, ${frozenKeys.length} later calls refused at once`,
    );
  } finally {
    await adapter.close();
  }
});
