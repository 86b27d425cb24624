// The shared conformance suite against the 2-member cluster of `npm run servers:up hazelcast`.
// Members are shared with other tests, so there are no fault hooks here: the member-loss test
// runs on disposable members in test/faults/.
import { describeAdapterConformance } from '@ringcache/adapter-test-suite';
import { hazelcast, requireEngine } from '@ringcache/test-engines';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hazelcastAdapter } from '../src/index.js';

const available = await requireEngine('hazelcast', hazelcast.members);

describe.skipIf(!available)('shared 2-member cluster', () => {
  describeAdapterConformance({
    name: 'hazelcast',
    create: () =>
      hazelcastAdapter({
        clusterName: hazelcast.clusterName,
        members: hazelcast.members,
        mapName: 'ringcache-conformance',
        maxValueBytes: 1024 * 1024,
      }),
    describe,
    it,
    expect,
    beforeAll,
    afterAll,
    // Two JVMs share two cores with other engineers' tests.
    timeout: 5000,
  });
});
