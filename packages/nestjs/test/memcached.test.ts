import { memcachedAdapter } from '@ringcache/memcached';
import { memcached, requireEngine } from '@ringcache/test-engines';
import { describe } from 'vitest';
import { describeInjectedCache } from './support/injected-cache-suite.js';

const available = await requireEngine('memcached', memcached.nodes);

describe.skipIf(!available)('memcached', () => {
  describeInjectedCache('a memcached pool', async () => ({
    adapter: memcachedAdapter({ servers: memcached.nodes }),
  }));
});
