// The conformance suite again, on disposable members of our own, so its node-failure test can
// SIGKILL a member through the adapter's `faults` hooks (the shared members must not be killed).
import { describeAdapterConformance } from '@ringcache/adapter-test-suite';
import { type DisposableHazelcast, disposableHazelcast } from '@ringcache/test-engines';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hazelcastAdapter } from '../../src/index.js';

let cluster: DisposableHazelcast | undefined;

beforeAll(async () => {
  cluster = await disposableHazelcast(2);
});

afterAll(async () => {
  await cluster?.stop();
});

describeAdapterConformance({
  name: 'hazelcast (disposable, with faults)',
  create: () => {
    if (cluster === undefined) throw new Error('the disposable members did not start');
    const members = cluster;
    const index = (id: string) => members.members.indexOf(id);
    return hazelcastAdapter({
      clusterName: members.clusterName,
      members: members.members,
      mapName: 'ringcache-conformance-faults',
      maxValueBytes: 1024 * 1024,
      connectTimeout: 30_000,
      faults: {
        stopNode: (id) => members.kill(index(id)),
        startNode: (id) => members.restart(index(id)),
      },
    });
  },
  describe,
  it,
  expect,
  beforeAll,
  afterAll,
  // Two JVMs share two cores with the other tests; a killed member's partitions move to the other.
  timeout: 5000,
  recoveryTimeout: 60_000,
});
