import {
  type CacheNode,
  DEFAULT_KETAMA_HASH,
  DEFAULT_VNODES,
  hashRing,
  jumpHash,
  ketamaRing,
  type NodeSpec,
  type Partitioner,
  rendezvousHash,
  type TwemproxyHashName,
  twemproxyHashes,
} from '@ringcache/core';
import { parseCount } from './arguments.js';
import { UsageError } from './io.js';

/** The one place that turns `--ring`, `--hash` and `--vnodes` into a partitioner. */

export const RING_NAMES = ['consistent', 'ketama', 'jump', 'rendezvous'] as const;
export type RingName = (typeof RING_NAMES)[number];

/** twemproxy's `hash:` names that ketama mode accepts, in the core's order. */
export const HASH_NAMES = Object.freeze(Object.keys(twemproxyHashes)) as readonly TwemproxyHashName[];

/** The `parseArgs` option declarations every ring-building command shares. */
export const partitionerArgumentOptions = {
  ring: { type: 'string' },
  hash: { type: 'string' },
  vnodes: { type: 'string' },
} as const;

/** The help text lines for those options. */
export const partitionerHelp = `  --ring NAME      ${RING_NAMES.join(' | ')} (default: consistent)
  --hash NAME      ketama only, twemproxy's hash names (default: ${DEFAULT_KETAMA_HASH}, as
                   ketamaRing and twemproxy; md5 for libketama/libmemcached clients):
                   ${HASH_NAMES.join(', ')}
  --vnodes N       consistent only: points per node at weight 1 (default: ${DEFAULT_VNODES})`;

export interface PartitionerFlags {
  ring?: string | undefined;
  hash?: string | undefined;
  vnodes?: string | undefined;
}

/** A validated choice of algorithm; `hash` is set for ketama only, `vnodes` for consistent only. */
export type PartitionerChoice =
  | { ring: 'consistent'; vnodes: number }
  | { ring: 'ketama'; hash: TwemproxyHashName }
  | { ring: 'jump' }
  | { ring: 'rendezvous' };

/**
 * Validates the flags, with their defaults filled in.
 * @throws UsageError on an unknown ring or hash name, or a flag that does not apply to the ring
 */
export function parsePartitionerFlags(flags: PartitionerFlags): PartitionerChoice {
  const ring = flags.ring ?? 'consistent';
  if (!isOneOf(RING_NAMES, ring)) {
    throw new UsageError(`unknown ring '${ring}' (expected ${RING_NAMES.join(', ')})`);
  }
  if (flags.hash !== undefined && ring !== 'ketama') {
    throw new UsageError(`--hash applies to --ring ketama only, not ${ring}`);
  }
  if (flags.vnodes !== undefined && ring !== 'consistent') {
    throw new UsageError(`--vnodes applies to --ring consistent only, not ${ring}`);
  }
  switch (ring) {
    case 'consistent':
      return {
        ring,
        vnodes:
          flags.vnodes === undefined
            ? DEFAULT_VNODES
            : parseCount(flags.vnodes, '--vnodes', { min: 1, max: 65536 }),
      };
    case 'ketama': {
      // The core's default, so `--ring ketama` without --hash answers like `ketamaRing(nodes)`
      // and like a nutcracker pool without `hash:`.
      const hash = flags.hash ?? DEFAULT_KETAMA_HASH;
      if (!isOneOf(HASH_NAMES, hash)) {
        throw new UsageError(`unknown hash '${hash}' (expected ${HASH_NAMES.join(', ')})`);
      }
      return { ring, hash };
    }
    default:
      return { ring };
  }
}

/**
 * Builds the chosen partitioner over `nodes`.
 * @throws ConfigError from the core (duplicate nodes, weights with jump hash, ...)
 */
export function buildPartitioner(
  nodes: readonly (NodeSpec | CacheNode)[],
  choice: PartitionerChoice,
): Partitioner {
  const specs = nodes.map(toSpec);
  switch (choice.ring) {
    case 'consistent':
      return hashRing(specs, { vnodes: choice.vnodes });
    case 'ketama':
      return ketamaRing(specs, { hash: choice.hash });
    case 'jump':
      return jumpHash(specs);
    case 'rendezvous':
      return rendezvousHash(specs);
  }
}

/** `consistent (4096 vnodes)`, `ketama (fnv1a_64)`, `jump`: for human-readable reports. */
export function describePartitioner(choice: PartitionerChoice): string {
  switch (choice.ring) {
    case 'consistent':
      return `consistent (${choice.vnodes} vnodes)`;
    case 'ketama':
      return `ketama (${choice.hash})`;
    default:
      return choice.ring;
  }
}

// A parsed CacheNode carries `id` and possibly `name: undefined`; hand the core the plain spec.
function toSpec(node: NodeSpec | CacheNode): NodeSpec {
  if (typeof node === 'string') return node;
  const { host, port, weight, name } = node;
  return name === undefined ? { host, port, weight: weight ?? 1 } : { host, port, weight: weight ?? 1, name };
}

function isOneOf<T extends string>(values: readonly T[], value: string): value is T {
  return (values as readonly string[]).includes(value);
}
