/**
 * A fan-out channel between processes, used to keep local (L1) tiers and hot-key split sets in
 * agreement: a write in one process tells the others which keys to drop. Buses move bytes;
 * the tier encodes its messages. Implementations: `memoryBus()` (one process), `redisBus()`
 * (@ringcache/redis), `hazelcastBus()` (@ringcache/hazelcast).
 */
export interface InvalidationBus {
  /**
   * Sends `message` to every subscriber of `channel`, this process included (receivers skip
   * their own messages by origin).
   * @throws RingcacheError when the message could not be handed to the transport
   */
  publish(channel: string, message: Uint8Array): Promise<void>;
  /**
   * Starts receiving `channel`. Resolves once the subscription is active.
   * @returns a function that ends this subscription
   */
  subscribe(channel: string, handlers: BusHandlers): Promise<() => Promise<void>>;
  /** Ends every subscription and releases connections. Idempotent. */
  close(): Promise<void>;
}

export interface BusHandlers {
  onMessage(message: Uint8Array): void;
  /**
   * The subscription dropped (`'down'`: messages may be lost from now on) or is active again
   * (`'up'`). A local tier flushes and bypasses itself while down, since it can no longer hear
   * invalidations.
   */
  onStatus?(status: 'up' | 'down'): void;
}
