import { describe, expect, it } from 'vitest';
import { exptimeOf, failoverTtlOf } from './expiry.js';

describe('exptimeOf', () => {
  it('sends 0 for no expiry and rounds milliseconds up to whole seconds', () => {
    expect(exptimeOf(0)).toBe(0);
    expect(exptimeOf(1)).toBe(1);
    expect(exptimeOf(1000)).toBe(1);
    expect(exptimeOf(1001)).toBe(2);
  });

  it('keeps 30 days relative and sends an absolute unix time past it', () => {
    const thirtyDays = 30 * 24 * 3600 * 1000;
    const now = Date.UTC(2026, 0, 1, 0, 0, 0, 500);
    expect(exptimeOf(thirtyDays, now)).toBe(2_592_000);
    expect(exptimeOf(thirtyDays + 1, now)).toBe(Math.ceil(now / 1000) + 2_592_001);
    // Never earlier than now + ttl.
    expect(exptimeOf(thirtyDays + 1, now) * 1000).toBeGreaterThanOrEqual(now + thirtyDays + 1);
  });

  it('rejects TTLs that are not finite numbers ≥ 0 with E_TTL_INVALID', () => {
    for (const ttl of [-1, Number.NaN, Number.POSITIVE_INFINITY, '5' as unknown as number]) {
      expect(() => exptimeOf(ttl)).toThrow(expect.objectContaining({ code: 'E_TTL_INVALID' }));
    }
  });

  it('caps failover writes at failoverTtl, no expiry included', () => {
    expect(failoverTtlOf(0, 10_000)).toBe(10_000);
    expect(failoverTtlOf(60_000, 10_000)).toBe(10_000);
    expect(failoverTtlOf(2_000, 10_000)).toBe(2_000);
  });
});
