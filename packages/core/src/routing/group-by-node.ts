import type { Partitioner } from '../ring/partitioner.js';

/** The keys of a many-key call that share one destination, with where each came from. */
export interface KeyGroup<G> {
  readonly group: G;
  readonly keys: string[];
  /** `positions[i]` is the index of `keys[i]` in the caller's input, to put results back in order. */
  readonly positions: number[];
}

/** The items of a many-item call that share one destination, with where each came from. */
export interface ItemGroup<I, G> {
  readonly group: G;
  readonly items: I[];
  /** `positions[i]` is the index of `items[i]` in the caller's input, to put results back in order. */
  readonly positions: number[];
}

/**
 * Splits items (keys, entries of a many-key write, raw key bytes) by destination, keeping each
 * item's input position. Every multi-key path in the project (the router, adapters, the proxy,
 * the facade) groups through here or {@link groupBy}, so results always come back in input order
 * and no adapter re-implements it.
 *
 * `destinationOf` gets the item and its position (derive the item's key there). Any value is a
 * destination, `undefined` included; a caller that cannot route some items gives them a marker
 * destination of its own and settles that group itself.
 */
export function groupItems<I, G>(
  items: readonly I[],
  destinationOf: (item: I, position: number) => G,
): ItemGroup<I, G>[] {
  const groups = new Map<G, ItemGroup<I, G>>();
  for (let position = 0; position < items.length; position++) {
    const item = items[position]!;
    const group = destinationOf(item, position);
    let entry = groups.get(group);
    if (entry === undefined) {
      entry = { group, items: [], positions: [] };
      groups.set(group, entry);
    }
    entry.items.push(item);
    entry.positions.push(position);
  }
  return [...groups.values()];
}

/**
 * Splits keys by a destination function, keeping each key's input position: {@link groupItems}
 * for string keys, whose groups name their list `keys`. Its own loop rather than a call to
 * groupItems plus a renaming copy: that copy is one object per group, and a 100-key call spread
 * over ~85 slots or partitions measured ~17% more grouping time with it.
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
