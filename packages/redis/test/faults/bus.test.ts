// The bus's subscriber connection loses its node (SIGKILL): subscribers hear 'down' at once, the
// bus resubscribes on another node of the cluster and says 'up', and messages flow again.
import { type DisposableRedisCluster, disposableRedisCluster } from '@ringcache/test-engines';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { redisBus } from '../../src/index.js';

let engine: DisposableRedisCluster | undefined;

beforeAll(async () => {
  engine = await disposableRedisCluster({ nodeTimeoutMs: 3000 });
});

afterAll(async () => {
  await engine?.stop();
});

/** The port of the node holding the bus's subscriber connection (named ringcache-bus). */
async function subscriberPort(ports: readonly number[]): Promise<number | undefined> {
  for (const port of ports) {
    const redis = new Redis({ host: '127.0.0.1', port, lazyConnect: true, retryStrategy: () => null });
    redis.on('error', () => {});
    try {
      await redis.connect();
      const clients = (await redis.call('CLIENT', 'LIST')) as string;
      if (clients.includes('name=ringcache-bus')) return port;
    } catch {
      // a killed node
    } finally {
      redis.disconnect();
    }
  }
  return undefined;
}

it('says down when its node dies, resubscribes elsewhere, says up, and hears messages again', async () => {
  if (engine === undefined) throw new Error('the disposable cluster did not start');
  const client = new Cluster(engine.ports.map((port) => ({ host: '127.0.0.1', port })));
  client.on('error', () => {});
  const bus = redisBus({ client });
  const statuses: { status: string; at: number }[] = [];
  const messages: string[] = [];
  try {
    await bus.subscribe('invalidate', {
      onMessage: (message) => messages.push(new TextDecoder().decode(message)),
      onStatus: (status) => statuses.push({ status, at: Date.now() }),
    });
    await bus.publish('invalidate', new TextEncoder().encode('before'));
    await waitFor(() => messages.includes('before'));

    const port = await subscriberPort(engine.ports);
    expect(port).toBeDefined();
    const killedAt = Date.now();
    await engine.kill(port!);
    await waitFor(() => statuses.some(({ status }) => status === 'up'), 15_000);
    expect(statuses.map(({ status }) => status)).toEqual(['down', 'up']);
    const [down, up] = statuses;
    console.log(
      `\n[bus] subscriber node ${port} killed: 'down' after ${down!.at - killedAt} ms, 'up' after ${up!.at - killedAt} ms`,
    );
    expect(down!.at - killedAt).toBeLessThan(1000);
    expect(await subscriberPort(engine.ports.filter((each) => each !== port))).toBeDefined();

    await waitFor(async () => {
      await bus.publish('invalidate', new TextEncoder().encode('after')).catch(() => {});
      return messages.includes('after');
    }, 15_000);
    await engine.restart(port!);
  } finally {
    await bus.close();
    await client.quit();
  }
});

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
