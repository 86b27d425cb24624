import { describe, expect, it } from 'vitest';
import { ELECTION_MARGIN_MS, resolveFailover, resolveLimits } from './options.js';

const config = expect.objectContaining({ code: 'E_CONFIG' });

describe('resolveFailover', () => {
  it('keeps the default retry window under the cache’s default 1 s timeout', () => {
    expect(resolveFailover()).toEqual({
      retryDelayOnFailover: 100,
      retryDelayOnClusterDown: 100,
      retryDelayOnTryAgain: 100,
      maxRedirections: 8,
      retryWindow: 800,
      pollInterval: 250,
      silenceLimit: 2000,
    });
    expect(resolveFailover({ silenceLimit: 500 }).silenceLimit).toBe(500);
    expect(() => resolveFailover({ silenceLimit: 0 })).toThrow(expect.objectContaining({ code: 'E_CONFIG' }));
  });

  it('rides through a failover when asked: the window outlasts cluster-node-timeout plus the election', () => {
    expect(resolveFailover({ retryWindow: 'ride-through', clusterNodeTimeout: 3000 })).toMatchObject({
      maxRedirections: 50,
      retryWindow: 5000,
    });
    expect(resolveFailover({ retryWindow: 'ride-through' })).toMatchObject({ retryWindow: 17_000 });
    for (const clusterNodeTimeout of [500, 1000, 3000, 5000, 15_000, 60_000]) {
      for (const retryDelay of [50, 100, 200, 333]) {
        const resolved = resolveFailover({ retryWindow: 'ride-through', clusterNodeTimeout, retryDelay });
        expect(resolved.retryWindow).toBeGreaterThanOrEqual(clusterNodeTimeout + ELECTION_MARGIN_MS);
      }
    }
  });

  it('never allows fewer than 4 redirections (MOVED/ASK hops share the counter)', () => {
    expect(resolveFailover({ retryWindow: 50 }).maxRedirections).toBe(4);
  });

  it('rejects non-positive numbers', () => {
    expect(() => resolveFailover({ clusterNodeTimeout: 0 })).toThrow(config);
    expect(() => resolveFailover({ retryDelay: -1 })).toThrow(config);
    expect(() => resolveFailover({ pollInterval: Number.NaN })).toThrow(config);
    expect(() => resolveFailover({ retryWindow: 0 })).toThrow(config);
  });
});

describe('resolveLimits', () => {
  it('has sane defaults', () => {
    expect(resolveLimits({})).toEqual({
      keyPrefix: '',
      maxValueBytes: 64 * 1024 * 1024,
      maxKeyBytes: 65_536,
      flushAllOnClear: false,
      scanCount: 1000,
    });
  });

  it('rejects limits Redis cannot honour', () => {
    expect(() => resolveLimits({ maxValueBytes: 512 * 1024 * 1024 + 1 })).toThrow(config);
    expect(() => resolveLimits({ maxValueBytes: 0 })).toThrow(config);
    expect(() => resolveLimits({ keyPrefix: 'abcd', maxKeyBytes: 4 })).toThrow(config);
    expect(() => resolveLimits({ scanCount: 0 })).toThrow(config);
    expect(() => resolveLimits({ keyPrefix: 7 as unknown as string })).toThrow(config);
  });
});
