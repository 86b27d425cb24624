import { type CacheNode, parseNodeList } from '@ringcache/core';
import { UsageError } from './io.js';

/**
 * Parses `--nodes host:port[:weight],...` with the core's node-spec rules, so the CLI accepts
 * exactly what adapters and the proxy accept.
 * @throws UsageError when the flag is missing; ConfigError on a bad spec or a duplicate
 */
export function parseNodesFlag(value: string | undefined): CacheNode[] {
  if (value === undefined) throw new UsageError('--nodes is required (host:port[:weight],...)');
  const specs = value
    .split(',')
    .map((spec) => spec.trim())
    .filter((spec) => spec.length > 0);
  if (specs.length === 0) throw new UsageError('--nodes is empty');
  return parseNodeList(specs);
}

export interface CountBounds {
  min: number;
  max: number;
}

/**
 * Parses a whole number flag. `_` and `,` group digits (`1_000_000`), and exponent notation
 * (`1e6`) is accepted because it is how people write a million keys.
 * @throws UsageError
 */
export function parseCount(value: string, flag: string, bounds: CountBounds): number {
  const text = value.replace(/[_,]/g, '');
  const count = /^\d+(\.\d+)?(e\d+)?$/i.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(count) || count < bounds.min || count > bounds.max) {
    throw new UsageError(
      `${flag} must be a whole number from ${bounds.min} to ${bounds.max.toLocaleString('en-US')}, got '${value}'`,
    );
  }
  return count;
}
