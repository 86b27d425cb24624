/**
 * What caches say to each other over an InvalidationBus. JSON, since messages are small and
 * must be readable by every version of the library on the channel.
 */
export type TierMessage =
  /** These final keys changed: drop them from L1. `ttls[i]`: keys[i]'s new TTL in ms (0 none, null unknown). */
  | {
      type: 'keys';
      origin: string;
      keys: string[];
      ttls?: (number | null)[];
      splitEpochs?: Record<string, number>;
    }
  /** Every key under `prefix` (everything when null) changed. */
  | { type: 'prefix'; origin: string; prefix: string | null }
  /** `key` is split into `shards` from `epoch` on (promotion), or no longer (demotion). */
  | { type: 'split'; origin: string; key: string; epoch: number; shards: string[] }
  | { type: 'unsplit'; origin: string; key: string; epoch: number };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeMessage(message: TierMessage): Uint8Array {
  return encoder.encode(JSON.stringify({ v: 1, ...message }));
}

/** @returns the message, or undefined for anything this version does not understand */
export function decodeMessage(bytes: Uint8Array): TierMessage | undefined {
  try {
    const parsed = JSON.parse(decoder.decode(bytes)) as { v?: number } & TierMessage;
    if (parsed.v !== 1 || typeof parsed.origin !== 'string') return undefined;
    return parsed;
  } catch {
    return undefined;
  }
}
