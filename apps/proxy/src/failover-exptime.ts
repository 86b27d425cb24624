import { MAX_RELATIVE_EXPTIME } from '@ringcache/memcached/protocol';

/**
 * The exptime (seconds, memcached's encoding) of a write that goes to another server because
 * its owner is ejected: the write's own, capped at `capSeconds`, so a failover copy cannot
 * outlive the outage by much and be served stale when that server is ejected again later.
 * `0` (never) counts as longest; a negative exptime (already expired) is kept; above 30 days
 * memcached reads a unix time, whose remaining lifetime is what gets capped.
 */
export function failoverExptime(exptime: number, capSeconds: number, now = Date.now()): number {
  if (exptime < 0) return exptime;
  if (exptime === 0) return capSeconds;
  if (exptime <= MAX_RELATIVE_EXPTIME) return Math.min(exptime, capSeconds);
  const remaining = exptime - Math.floor(now / 1000);
  // Already in the past: memcached treats it as expired, keep it so.
  return remaining <= 0 ? exptime : Math.min(remaining, capSeconds);
}
