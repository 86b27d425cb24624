import type { HotKeyEnvironment } from '../hot-keys/hot-keys.js';
import type { CacheCore } from './cache-core.js';

/**
 * The engine calls hot-key splitting makes (markers, shards, base-key checks), under the cache's
 * timeout like any call. Each key counts as an op on its node: a split costs the nodes real work,
 * and the per-node stats are how that cost shows.
 */
export function shardEngine(
  core: CacheCore,
): Pick<HotKeyEnvironment, 'read' | 'write' | 'add' | 'remove' | 'shardError'> {
  const count = (keys: readonly string[], field?: 'sets' | 'deletes') => {
    for (const key of keys) {
      const node = core.nodeOf(key);
      if (node === undefined) continue;
      const counters = core.counters.for(node);
      counters.ops++;
      if (field !== undefined) counters[field]++;
    }
  };
  const atomic = core.adapter.atomic;
  return {
    read: (keys, signal) => {
      count(keys);
      if (keys.length === 1) {
        const key = keys[0]!;
        return core
          .call('get', core.nodeOf(key), key, signal, () => core.adapter.get(key, { signal }))
          .then((value) => [value]);
      }
      return core.call('getMany', undefined, undefined, signal, () => core.adapter.getMany(keys, { signal }));
    },
    write: (entries, signal) => {
      count(
        entries.map((entry) => entry.key),
        'sets',
      );
      return core.call('setMany', undefined, undefined, signal, () =>
        core.adapter.setMany(entries, { signal }),
      );
    },
    add:
      atomic === undefined
        ? undefined
        : (key, value, ttl) => {
            count([key], 'sets');
            return core.call('add', core.nodeOf(key), key, undefined, () => atomic.add(key, value, ttl));
          },
    remove: async (keys, signal) => {
      count(keys, 'deletes');
      await core.call('deleteMany', undefined, undefined, signal, () =>
        core.adapter.deleteMany(keys, { signal }),
      );
    },
    shardError: (error) => core.events.emit('hotkey:shard-error', error),
  };
}
