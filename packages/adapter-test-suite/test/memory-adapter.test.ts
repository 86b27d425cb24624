import { memoryAdapter } from '@ringcache/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeAdapterConformance } from '../src/index.js';

describeAdapterConformance({
  name: 'memory',
  create: () => memoryAdapter({ nodes: 3, maxValueBytes: 1024 * 1024, health: { retryTimeout: 200 } }),
  // Each memoryAdapter() is its own in-process engine.
  sharedEngine: false,
  describe,
  it,
  expect,
  beforeAll,
  afterAll,
});
