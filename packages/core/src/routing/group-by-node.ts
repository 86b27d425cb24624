import type { Partitioner } from '../ring/partitioner.js';

/** The keys of a many-key call that share one destination, with where each came from. */
export interface KeyGroup<G> {
  readonly group: G;
  readonly keys: string[];
  /** `positions[i]` is the index of `keys[i]` in the caller's input, to put results back in order. */
  readonly positions: number[];
}

/**
 * Splits keys by a destination function, keeping each key's input position. Every multi-key path
 * in the project (adapters, the proxy, the facade) groups through here, so results always come
 * back in input order and no adapter re-implements it.
 */
export function groupBy<G>(keys: readonly string[], destination: (key: string) => G): KeyGroup<G>[] {
  const groups = new Map<G, KeyGroup<G>>();
  for (let position = 0; position < keys.length; position++) {
    const key = keys[position]!;
    const group = destination(key);
    let entry = groups.get(group);
    if (entry === undefined) {
      entry = { group, keys: [], positions: [] };
      groups.set(group, entry);
    }
    entry.keys.push(key);
    entry.positions.push(position);
  }
  return [...groups.values()];
}

/** Groups keys by the node that owns them. */
export function groupByNode(partitioner: Partitioner, keys: readonly string[]): KeyGroup<string>[] {
  return groupBy(keys, (key) => partitioner.locate(key));
}

/**
 * Puts per-group results back in input order: `results[g][i]` belongs to
 * `groups[g].positions[i]`.
 */
export function scatter<G, T>(
  groups: readonly KeyGroup<G>[],
  results: readonly (readonly T[])[],
  length: number,
): T[] {
  const ordered = new Array<T>(length);
  groups.forEach((group, groupIndex) => {
    const values = results[groupIndex]!;
    group.positions.forEach((position, index) => {
      ordered[position] = values[index]!;
    });
  });
  return ordered;
}
