import { describe, expect, it } from 'vitest';
import { failoverExptime } from './failover-exptime.js';

describe('failoverExptime', () => {
  const now = 1_800_000_000_000;
  it('caps relative and never-expiring writes', () => {
    expect(failoverExptime(0, 10, now)).toBe(10);
    expect(failoverExptime(5, 10, now)).toBe(5);
    expect(failoverExptime(3600, 10, now)).toBe(10);
  });
  it('keeps already-expired writes expired', () => {
    expect(failoverExptime(-1, 10, now)).toBe(-1);
    expect(failoverExptime(1_000_000_000, 10, now)).toBe(1_000_000_000);
  });
  it('caps the remaining lifetime of an absolute time', () => {
    expect(failoverExptime(now / 1000 + 3600, 10, now)).toBe(10);
    expect(failoverExptime(now / 1000 + 4, 10, now)).toBe(4);
  });
});
