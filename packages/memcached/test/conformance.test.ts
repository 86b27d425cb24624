import { describeAdapterConformance } from '@ringcache/adapter-test-suite';
import { memcached, requireEngine } from '@ringcache/test-engines';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memcachedAdapter } from '../src/index.js';
import { type FaultRelay, faultRelay } from './support/fault-relay.js';

const available = await requireEngine('memcached', memcached.nodes);

// The shared servers of `npm run servers:up`, each behind a local TCP relay: the suite's "node
// going away" drops and refuses the relay's connections, never the shared server itself.
// flushOnReadmit is off for the same reason: a re-admission flush would wipe the keys of
// other suites using these servers at the same time.
let relay: FaultRelay | undefined;

describe.skipIf(!available)('memcached adapter on the shared servers', () => {
  beforeAll(async () => {
    relay = await faultRelay(memcached.nodes);
  });
  afterAll(async () => {
    await relay?.close();
  });

  describeAdapterConformance({
    name: 'memcached',
    create: () => {
      if (relay === undefined) throw new Error('the relay starts in beforeAll');
      return memcachedAdapter({
        servers: relay.nodes,
        health: { retryTimeout: 300, flushOnReadmit: false },
        faults: relay.faults,
      });
    },
    describe,
    it,
    expect,
    beforeAll,
    afterAll,
  });
});
