import { memoryAdapter, memoryBus } from '@ringcache/core';
import { describeInjectedCache } from './support/injected-cache-suite.js';

describeInjectedCache('the memory adapter', async () => ({
  adapter: memoryAdapter({ nodes: 3 }),
  bus: memoryBus(),
}));
