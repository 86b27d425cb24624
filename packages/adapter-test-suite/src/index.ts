import { randomUUID } from 'node:crypto';
import type { CacheAdapter } from '@ringcache/core';
import type { ConformanceOptions, SuiteContext } from './context.js';
import { failureTests } from './failures.js';
import { leaseTests } from './leases.js';
import { manyKeyTests } from './many-keys.js';
import { resilienceTests } from './resilience.js';
import { roundTripTests } from './round-trips.js';
import { validationTests } from './validation.js';

export type { ConformanceOptions } from './context.js';

/**
 * Registers the conformance tests for one adapter under `conformance: <name>`. An adapter's
 * suite file is a few lines:
 *
 * ```ts
 * import { afterAll, beforeAll, describe, expect, it } from 'vitest';
 * describeAdapterConformance({ name: 'memory', create: () => memoryAdapter(), describe, it, expect, beforeAll, afterAll });
 * ```
 *
 * Keys live under a namespace unique to the run, so the suite can share engines with other tests.
 */
export function describeAdapterConformance(options: ConformanceOptions): void {
  const context: SuiteContext = {
    ...options,
    create: async () => options.create(),
    timeout: options.timeout ?? 2000,
    recoveryTimeout: options.recoveryTimeout ?? 20_000,
    sharedEngine: options.sharedEngine ?? true,
    runId: `rc-conformance-${randomUUID().slice(0, 8)}`,
  };
  options.describe(`conformance: ${options.name}`, () => {
    let shared: CacheAdapter | undefined;
    const adapter = () => {
      if (shared === undefined) throw new Error('the shared adapter is created in beforeAll');
      return shared;
    };
    options.beforeAll(async () => {
      shared = await context.create();
    });
    options.afterAll(async () => {
      await shared?.close();
    });
    roundTripTests(context, adapter);
    manyKeyTests(context, adapter);
    validationTests(context, adapter);
    resilienceTests(context, adapter);
    leaseTests(context, adapter);
    failureTests(context);
  });
}
