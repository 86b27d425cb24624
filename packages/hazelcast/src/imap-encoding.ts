/**
 * How entries are written to the IMap: keys as strings, values as `byte[]`, TTLs adjusted to
 * Hazelcast's clock. Kept apart from the adapter so each rule is tested on its own.
 */

/**
 * A view of `value` that hazelcast-client serializes as `byte[]` (type -12). The client picks
 * serializers by constructor: a Buffer is a byte array, while a plain Uint8Array would fall
 * through to its JSON serializer. Members store the bytes as they are and never deserialize them.
 */
export function toBuffer(value: Uint8Array): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/** Hazelcast counts expiration in whole seconds of its clock. */
const CLOCK_RESOLUTION_MS = 1000;
/** Beyond this, a TTL no longer fits Hazelcast's int-seconds expiry (about 68 years): no expiry. */
const LONGEST_TTL_MS = (2 ** 31 - 2) * CLOCK_RESOLUTION_MS;

/**
 * The TTL to send for a contract TTL (ms, `0` = no expiry).
 *
 * - `0` stays `0`, which Hazelcast reads as "never expires". (A negative TTL would mean "the
 *   map's configured default", which may well expire.)
 * - Hazelcast expires an entry set at `t` with TTL `ttl` at `t + ttl` truncated to the whole
 *   second (measured on 5.5: a 1,000 ms TTL lived 55–979 ms, a 200 ms one a few ms). One second
 *   more makes the lifetime fall in `(ttl, ttl + 1000]`: never shorter than asked, and within
 *   the adapter's declared 1,000 ms granularity.
 */
export function hazelcastTtl(ttl: number): number {
  if (!(ttl > 0) || ttl >= LONGEST_TTL_MS) return 0;
  return Math.ceil(ttl) + CLOCK_RESOLUTION_MS;
}

/**
 * A Java regular expression matching every string that starts with `prefix`, for
 * `Predicates.regex('__key', ...)`. `\Q...\E` quotes the prefix (an `\E` inside it is split out,
 * as `Pattern.quote` does) and `(?s)` lets `.*` cross line breaks.
 *
 * Not `Predicates.like`: Hazelcast's LikePredicate treats a `%` or `_` right after a backslash
 * as escaped, so a prefix ending in `\` could never be followed by the `%` wildcard.
 */
export function prefixPattern(prefix: string): string {
  return `(?s)\\Q${prefix.replaceAll('\\E', '\\E\\\\E\\Q')}\\E.*`;
}

/** String.prototype.isWellFormed / toWellFormed (Node 20; typed from ES2024 on). */
interface WellFormedString {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

/**
 * A key as the map hands it back: keys travel as UTF-8, where a lone surrogate becomes U+FFFD,
 * so `getAll` answers `'\ud800x'` under `'\ufffdx'` (the same entry, as for every client).
 */
export function storedKey(key: string): string {
  const text = key as unknown as WellFormedString;
  return text.isWellFormed() ? key : text.toWellFormed();
}
