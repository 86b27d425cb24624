import { InvalidTtlError } from '@ringcache/core';
import { MAX_RELATIVE_EXPTIME } from './protocol/types.js';

/**
 * memcached's `exptime` for a TTL in milliseconds: `0` never expires; otherwise whole seconds,
 * rounded up (a TTL is never shortened); past 30 days memcached reads the number as a unix time,
 * so an absolute time is sent instead (from this machine's clock: keep clocks in sync).
 * @throws InvalidTtlError when `ttl` is not a finite number ≥ 0
 */
export function exptimeOf(ttl: number, now = Date.now()): number {
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 0) {
    throw new InvalidTtlError(`ttl must be a finite number of milliseconds ≥ 0, got ${String(ttl)}`);
  }
  if (ttl === 0) return 0;
  const seconds = Math.ceil(ttl / 1000);
  return seconds <= MAX_RELATIVE_EXPTIME ? seconds : Math.ceil(now / 1000) + seconds;
}

/** The TTL of a failover write: the write's own, capped at `failoverTtl` (no expiry counts as longest). */
export function failoverTtlOf(ttl: number, failoverTtl: number): number {
  return ttl === 0 ? failoverTtl : Math.min(ttl, failoverTtl);
}
