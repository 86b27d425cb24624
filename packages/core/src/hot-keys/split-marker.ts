/**
 * The split marker: a small entry beside a split key, `<key>#split`, that tells every writer
 * (including a process that has not heard the promotion on the bus, or has no bus at all) which
 * shards it must update before it acknowledges. It is written before the shards are filled, set
 * to `'demoting'` before they are deleted, and carries `until`, the wall-clock time it expires:
 * shards are never written with a TTL past it, so no shard outlives the marker that makes writers
 * reach it.
 */
export interface SplitMarker {
  epoch: number;
  shards: string[];
  /** `'split'`: writers update the shards; `'demoting'`: writers delete them. */
  state: 'split' | 'demoting';
  /** Epoch milliseconds after which the marker (and so every shard) is gone. */
  until: number;
}

/** The reserved suffix of marker keys; `#hot<i>` is the suffix of shard keys. */
export const MARKER_SUFFIX = '#split';

export function markerKey(key: string): string {
  return key + MARKER_SUFFIX;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeMarker(marker: SplitMarker): Uint8Array {
  return encoder.encode(JSON.stringify({ ringcacheSplit: 1, ...marker }));
}

/** @returns the marker, or undefined for a missing, expired or foreign entry */
export function decodeMarker(bytes: Uint8Array | undefined, now = Date.now()): SplitMarker | undefined {
  if (bytes === undefined) return undefined;
  try {
    const parsed = JSON.parse(decoder.decode(bytes)) as Partial<SplitMarker> & { ringcacheSplit?: number };
    if (
      parsed.ringcacheSplit !== 1 ||
      typeof parsed.epoch !== 'number' ||
      !Array.isArray(parsed.shards) ||
      (parsed.state !== 'split' && parsed.state !== 'demoting') ||
      typeof parsed.until !== 'number' ||
      parsed.until <= now
    ) {
      return undefined;
    }
    return { epoch: parsed.epoch, shards: parsed.shards, state: parsed.state, until: parsed.until };
  } catch {
    return undefined;
  }
}

export function sameBytes(left: Uint8Array | undefined, right: Uint8Array | undefined): boolean {
  if (left === undefined || right === undefined) return left === right;
  if (left.byteLength !== right.byteLength) return false;
  for (let index = 0; index < left.byteLength; index++) if (left[index] !== right[index]) return false;
  return true;
}
