import { ConfigError } from '../errors.js';
import { assertSlot, SLOT_COUNT } from './key-slot.js';

/**
 * The owner-table value of a slot no master serves. Node indexes stay below it, which caps a
 * slot map at 65,535 masters; Redis Cluster itself recommends at most about 1,000.
 */
export const UNASSIGNED = 0xffff;

/** A contiguous, inclusive run of slots and the index of the node that owns it. */
export interface IndexedRange {
  readonly start: number;
  readonly end: number;
  /** Index into the map's node list, or {@link UNASSIGNED}. */
  readonly owner: number;
}

/** An inclusive slot range, `start <= end`. */
export interface SlotSpan {
  readonly start: number;
  readonly end: number;
}

/**
 * The most masters {@link evenSplit} accepts. redis-cli's single-precision cursor drifts: checked
 * against the C code for every count from 1 to 16384, its ranges are within one slot of each
 * other up to 2,687 masters, uneven from 2,688, and from 7,542 some run past slot 16383. Redis
 * Cluster's own guidance is about 1,000 nodes, so the cap costs nothing real.
 */
export const MAX_SPLIT_MASTERS = 2687;

/**
 * Splits the 16384 slots into `count` contiguous ranges exactly as `redis-cli --cluster create`
 * does (clusterManagerCommandCreate in redis-cli.c): in single-precision floats,
 * `slotsPerNode = 16384 / count`, then master i ends at `lround(cursor + slotsPerNode - 1)` with
 * `cursor += slotsPerNode`, and the last master ends at 16383. For 3 masters that is 0–5460,
 * 5461–10922, 10923–16383. `Math.fround` reproduces each float step; in doubles the split would
 * differ from redis-cli from 78 masters on (782 of the counts up to 1,000). Every range holds
 * `floor(16384 / count)` or one more slot.
 *
 * @throws ConfigError when `count` is not an integer from 1 to {@link MAX_SPLIT_MASTERS}
 */
export function evenSplit(count: number): SlotSpan[] {
  if (!Number.isInteger(count) || count < 1 || count > MAX_SPLIT_MASTERS) {
    throw new ConfigError(
      `an even slot split takes 1 to ${MAX_SPLIT_MASTERS} masters, got ${count}; pass explicit { ranges } instead`,
    );
  }
  const slotsPerNode = Math.fround(SLOT_COUNT / count);
  const spans: SlotSpan[] = [];
  let first = 0;
  let cursor = 0;
  for (let index = 0; index < count; index++) {
    // C's lround rounds halves away from zero; for these positive values Math.round agrees.
    let last = Math.round(Math.fround(Math.fround(cursor + slotsPerNode) - 1));
    if (last > SLOT_COUNT || index === count - 1) last = SLOT_COUNT - 1;
    if (last < first) last = first;
    spans.push({ start: first, end: last });
    first = last + 1;
    cursor = Math.fround(cursor + slotsPerNode);
  }
  return spans;
}

/**
 * Builds the slot → node-index table from ranges.
 * @param requireFull when true, every slot must be covered
 * @throws ConfigError on a bound that is not an integer slot, `start > end`, a slot in two
 *   ranges, or (with `requireFull`) a slot in none
 */
export function buildOwnerTable(ranges: readonly IndexedRange[], requireFull: boolean): Uint16Array {
  const owners = new Uint16Array(SLOT_COUNT).fill(UNASSIGNED);
  ranges.forEach((range, index) => {
    assertSlot(range.start, `ranges[${index}].start`);
    assertSlot(range.end, `ranges[${index}].end`);
    if (range.start > range.end) {
      throw new ConfigError(`ranges[${index}]: start ${range.start} is after end ${range.end}`);
    }
    for (let slot = range.start; slot <= range.end; slot++) {
      if (owners[slot] !== UNASSIGNED) {
        throw new ConfigError(
          `ranges[${index}] (${range.start}-${range.end}) overlaps another range at slot ${slot}`,
        );
      }
      owners[slot] = range.owner;
    }
  });
  if (requireFull) {
    const missing = runsOf(owners).filter((run) => run.owner === UNASSIGNED);
    if (missing.length > 0) {
      const shown = missing
        .slice(0, 5)
        .map((run) => (run.start === run.end ? `${run.start}` : `${run.start}-${run.end}`))
        .join(', ');
      const more = missing.length > 5 ? ` and ${missing.length - 5} more ranges` : '';
      throw new ConfigError(
        `slots ${shown}${more} are not covered: a slot map must cover all ${SLOT_COUNT} slots`,
      );
    }
  }
  return owners;
}

/** The maximal runs of equal owners in `owners`, in slot order, uncovered runs included. */
export function runsOf(owners: Uint16Array): IndexedRange[] {
  const runs: IndexedRange[] = [];
  let start = 0;
  for (let slot = 1; slot <= owners.length; slot++) {
    if (slot === owners.length || owners[slot] !== owners[start]) {
      runs.push({ start, end: slot - 1, owner: owners[start]! });
      start = slot;
    }
  }
  return runs;
}

/** Merges a sorted list of slots into maximal contiguous spans. */
export function spansOf(slots: readonly number[]): SlotSpan[] {
  const spans: SlotSpan[] = [];
  for (const slot of slots) {
    const last = spans[spans.length - 1];
    if (last !== undefined && last.end + 1 === slot)
      spans[spans.length - 1] = { start: last.start, end: slot };
    else spans.push({ start: slot, end: slot });
  }
  return spans;
}
