import { hazelcastAdapter, hazelcastBus } from '@ringcache/hazelcast';
import { hazelcast, requireEngine } from '@ringcache/test-engines';
import { describe } from 'vitest';
import { describeInjectedCache } from './support/injected-cache-suite.js';

const available = await requireEngine('hazelcast', hazelcast.members);

describe.skipIf(!available)('Hazelcast', () => {
  describeInjectedCache('Hazelcast', async () => {
    const adapter = await hazelcastAdapter({
      clusterName: hazelcast.clusterName,
      members: hazelcast.members,
      mapName: 'ringcache-nestjs-test',
    });
    // The members' JVMs share the machine's cores with other suites' engines: a longer timeout.
    return { adapter, bus: hazelcastBus({ adapter }), timeout: 5000 };
  });
});
