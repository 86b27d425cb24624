import type { Cache, CacheAdapter } from '@ringcache/core';
import type { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** What an adapter's suite file passes in: the runner's functions and how to build the adapter. */
export interface ConformanceOptions {
  /** Shown as `conformance: <name>`. */
  name: string;
  /** A new, connected adapter. Called several times; each is closed by the suite. */
  create: () => CacheAdapter | Promise<CacheAdapter>;
  describe: typeof describe;
  it: typeof it;
  expect: typeof expect;
  beforeAll: typeof beforeAll;
  afterAll: typeof afterAll;
  /** The per-call timeout of the suite's caches, ms. @default 2000 */
  timeout?: number;
  /** How long a restarted node may take to serve again, ms. @default 20000 */
  recoveryTimeout?: number;
  /**
   * Whether two adapters from `create()` see the same data (true for any real engine; false for
   * in-process engines). Cross-client tests (leases) need it. @default true
   */
  sharedEngine?: boolean;
}

export interface SuiteContext extends Required<Omit<ConformanceOptions, 'create'>> {
  create: () => Promise<CacheAdapter>;
  /** A namespace unique to this run, so suites can share engines with other tests. */
  runId: string;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Keys of `cache` that land on every node of the adapter's topology, `perNode` each at least.
 * Placement uses the key as stored (`cache.storedKey`: namespace and generation included).
 */
export async function keysOnEveryNode(cache: Cache, prefix: string, perNode: number): Promise<string[]> {
  const topology = cache.adapter.topology();
  const counts = new Map(topology.nodes.map((node) => [node.id, 0]));
  const keys: string[] = [];
  for (let index = 0; keys.length < perNode * counts.size && index < perNode * counts.size * 200; index++) {
    const key = `${prefix}${index}`;
    const node = topology.locate(await cache.storedKey(key));
    if ((counts.get(node) ?? perNode) < perNode) {
      counts.set(node, counts.get(node)! + 1);
      keys.push(key);
    }
  }
  return keys;
}

/** The node that stores a key of `cache` now. */
export async function ownerOf(cache: Cache, key: string): Promise<string> {
  return cache.adapter.topology().locate(await cache.storedKey(key));
}
