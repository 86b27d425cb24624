import { ClosedError } from '../errors.js';
import type { BusHandlers, InvalidationBus } from './bus.js';

/**
 * An in-process bus: every cache built with the same `memoryBus()` instance hears the others.
 * Delivery is asynchronous (a microtask later), as on a network bus, so code written against it
 * does not come to rely on synchronous invalidation.
 */
export function memoryBus(): InvalidationBus {
  const channels = new Map<string, Set<BusHandlers>>();
  let closed = false;
  return {
    async publish(channel, message) {
      if (closed) throw new ClosedError('the memory bus is closed');
      const subscribers = channels.get(channel);
      if (subscribers === undefined) return;
      for (const handlers of subscribers) {
        queueMicrotask(() => {
          if (subscribers.has(handlers)) handlers.onMessage(message.slice());
        });
      }
    },
    async subscribe(channel, handlers) {
      if (closed) throw new ClosedError('the memory bus is closed');
      let subscribers = channels.get(channel);
      if (subscribers === undefined) {
        subscribers = new Set();
        channels.set(channel, subscribers);
      }
      subscribers.add(handlers);
      return async () => {
        subscribers.delete(handlers);
      };
    },
    async close() {
      closed = true;
      channels.clear();
    },
  };
}
