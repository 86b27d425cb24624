// The shared Hazelcast cluster of `npm run servers:up` has 2 members and serves an IMap.
import { Client } from 'hazelcast-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hazelcast, requireEngine } from '../engines/index.mjs';

const available = await requireEngine('hazelcast', hazelcast.members);

describe.skipIf(!available)('Hazelcast test engine', () => {
  let client: Client;

  beforeAll(async () => {
    client = await Client.newHazelcastClient({
      clusterName: hazelcast.clusterName,
      network: { clusterMembers: hazelcast.members },
      // Fail instead of retrying forever when the cluster is not there.
      connectionStrategy: { connectionRetry: { clusterConnectTimeoutMillis: 10_000 } },
      properties: { 'hazelcast.client.statistics.enabled': false, 'hazelcast.logging.level': 'WARN' },
    });
  });

  afterAll(async () => {
    await client?.shutdown();
  });

  it('sees both members', () => {
    expect(client.getCluster().getMembers()).toHaveLength(2);
  });

  it('puts and gets through an IMap', async () => {
    const map = await client.getMap<string, string>('ringcache-smoke');
    const key = `smoke:${process.pid}:${Date.now()}`;
    await map.put(key, 'hello', 60_000);
    expect(await map.get(key)).toBe('hello');
    expect(await map.remove(key)).toBe('hello');
    expect(await map.get(key)).toBeNull();
  });
});
