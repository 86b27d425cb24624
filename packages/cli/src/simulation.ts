import type { Partitioner } from '@ringcache/core';
import { buildPartitioner, type PartitionerChoice } from './partitioner-options.js';

export interface TopologyChange {
  kind: 'add' | 'remove';
  count: number;
}

export interface SimulationOptions {
  choice: PartitionerChoice;
  nodeCount: number;
  change?: TopologyChange | undefined;
  keyCount: number;
  /** Called every 65,536 keys. */
  onProgress?: ((done: number, total: number) => void) | undefined;
}

/** How evenly keys spread over a topology. Shares are per node, including nodes with no key. */
export interface Balance {
  nodes: number;
  /** The fullest node's share over the mean share: 1 is perfect, 1.1 means 10% above average. */
  maxOverMean: number;
  minOverMean: number;
  /** The standard deviation of the per-node shares, relative to the mean share. */
  stddevOverMean: number;
}

export interface Movement {
  kind: TopologyChange['kind'];
  /** The ids of the added or removed nodes. */
  changedNodes: string[];
  /** Keys whose owner changed. */
  keys: number;
  fraction: number;
  /** The least any algorithm can move: K/(N+K) when adding K nodes to N, K/N when removing. */
  ideal: number;
  ratioToIdeal: number;
  /** Every moved key went to an added node (add) or came from a removed node (remove). */
  minimal: boolean;
  /** Moved keys that broke that rule: keys reshuffled between surviving nodes. */
  strayKeys: number;
}

export interface SimulationResult {
  ring: PartitionerChoice['ring'];
  hash?: string;
  vnodes?: number;
  keys: number;
  before: Balance;
  after?: Balance;
  movement?: Movement;
  seconds: number;
}

/** The synthetic node `i` (1-based): `10.0.0.i:11211`, carrying into the third octet past 255. */
export function syntheticNodeId(index: number): string {
  return `10.0.${index >> 8}.${index & 255}:11211`;
}

/** The synthetic key `i`: `user:<i>`. */
export function syntheticKey(index: number): string {
  return `user:${index}`;
}

/**
 * Places `keyCount` synthetic keys on `nodeCount` synthetic nodes, applies the change (added
 * nodes come after the existing ones; removal takes the last nodes, the only ones jump hash can
 * remove) and measures balance and movement.
 */
export function simulate(options: SimulationOptions): SimulationResult {
  const started = performance.now();
  const { choice, nodeCount, change, keyCount, onProgress } = options;
  const totalNodes = nodeCount + (change?.kind === 'add' ? change.count : 0);
  const ids = Array.from({ length: totalNodes }, (_, index) => syntheticNodeId(index + 1));
  const slot = new Map(ids.map((id, index) => [id, index]));

  const before = buildPartitioner(ids.slice(0, nodeCount), choice);
  const changedNodes = change === undefined ? [] : changedIds(ids, nodeCount, change);
  const after = change === undefined ? undefined : applyChange(before, change, changedNodes);
  const changed = new Uint8Array(totalNodes);
  for (const id of changedNodes) changed[slot.get(id)!] = 1;

  const countsBefore = new Float64Array(totalNodes);
  const countsAfter = new Float64Array(totalNodes);
  let moved = 0;
  let stray = 0;
  for (let index = 0; index < keyCount; index++) {
    const key = syntheticKey(index);
    const owner = slot.get(before.locate(key))!;
    countsBefore[owner]!++;
    if (after !== undefined) {
      const newOwner = slot.get(after.locate(key))!;
      countsAfter[newOwner]!++;
      if (newOwner !== owner) {
        moved++;
        // Adding: a key may only move to a new node. Removing: only a removed node's keys move.
        if (changed[change?.kind === 'add' ? newOwner : owner] === 0) stray++;
      }
    }
    if ((index & 0xffff) === 0xffff) onProgress?.(index + 1, keyCount);
  }
  onProgress?.(keyCount, keyCount);

  let afterBalance: Balance | undefined;
  let movement: Movement | undefined;
  if (after !== undefined && change !== undefined) {
    afterBalance = balance(countsAfter, slot, after);
    const fraction = keyCount === 0 ? 0 : moved / keyCount;
    const ideal = change.kind === 'add' ? change.count / totalNodes : change.count / nodeCount;
    movement = {
      kind: change.kind,
      changedNodes,
      keys: moved,
      fraction,
      ideal,
      ratioToIdeal: fraction / ideal,
      minimal: stray === 0,
      strayKeys: stray,
    };
  }
  return {
    ring: choice.ring,
    ...('hash' in choice ? { hash: choice.hash } : {}),
    ...('vnodes' in choice ? { vnodes: choice.vnodes } : {}),
    keys: keyCount,
    before: balance(countsBefore, slot, before),
    ...(afterBalance === undefined ? {} : { after: afterBalance }),
    ...(movement === undefined ? {} : { movement }),
    seconds: (performance.now() - started) / 1000,
  };
}

function changedIds(ids: readonly string[], nodeCount: number, change: TopologyChange): string[] {
  return change.kind === 'add'
    ? ids.slice(nodeCount, nodeCount + change.count)
    : ids.slice(nodeCount - change.count, nodeCount).reverse();
}

function applyChange(start: Partitioner, change: TopologyChange, nodes: readonly string[]): Partitioner {
  let partitioner = start;
  // Removal goes from the last node backwards, which keeps jump hash's "last node only" rule.
  for (const id of nodes) {
    partitioner = change.kind === 'add' ? partitioner.withNode(id) : partitioner.withoutNode(id);
  }
  return partitioner;
}

/** Balance over the partitioner's own nodes: a removed node is not counted as an empty one. */
function balance(counts: Float64Array, slot: ReadonlyMap<string, number>, partitioner: Partitioner): Balance {
  return summarize(partitioner.nodes.map((node) => counts[slot.get(node.id)!]!));
}

/** Balance figures of per-node key counts. */
export function summarize(counts: readonly number[]): Balance {
  const nodes = counts.length;
  const total = counts.reduce((sum, count) => sum + count, 0);
  const mean = total / nodes;
  if (mean === 0) return { nodes, maxOverMean: 0, minOverMean: 0, stddevOverMean: 0 };
  const variance = counts.reduce((sum, count) => sum + (count - mean) ** 2, 0) / nodes;
  return {
    nodes,
    maxOverMean: counts.reduce((max, count) => Math.max(max, count), 0) / mean,
    minOverMean: counts.reduce((min, count) => Math.min(min, count), Number.POSITIVE_INFINITY) / mean,
    stddevOverMean: Math.sqrt(variance) / mean,
  };
}
