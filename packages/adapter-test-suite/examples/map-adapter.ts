import {
  type AdapterEntry,
  type CacheAdapter,
  ClosedError,
  hashRing,
  type Partitioner,
  Router,
} from '@ringcache/core';

/** A complete adapter over N in-process Maps, routed by the core Router like a real client-routed engine. */
export function mapAdapter(options: { nodes?: number } = {}): CacheAdapter {
  const ids = Array.from({ length: options.nodes ?? 2 }, (_, index) => `map:${index + 1}`);
  const stores = new Map(ids.map((id) => [id, new Map<string, { value: Uint8Array; expiresAt: number }>()]));
  const router = new Router({ partitioner: hashRing(ids) });
  let closed = false;

  // Every operation on one node goes through the router, so failures count towards ejection.
  const onNode = <T>(
    id: string,
    operation: (store: Map<string, { value: Uint8Array; expiresAt: number }>) => T,
  ) => {
    if (closed) return Promise.reject(new ClosedError());
    return router.run(id, async () => operation(stores.get(id)!));
  };
  const read = (store: Map<string, { value: Uint8Array; expiresAt: number }>, key: string) => {
    const entry = store.get(key);
    if (entry === undefined || entry.expiresAt <= Date.now()) return undefined;
    return entry.value.slice();
  };
  const write = (store: Map<string, { value: Uint8Array; expiresAt: number }>, entry: AdapterEntry) => {
    store.set(entry.key, {
      value: entry.value.slice(),
      expiresAt: entry.ttl === 0 ? Infinity : Date.now() + entry.ttl,
    });
  };
  const route = (key: string) => router.route(key);

  return {
    specificationVersion: 1,
    name: 'map',
    capabilities: {
      routing: 'client',
      nativeMultiGet: true,
      prefixClear: true,
      maxKeyBytes: 1024,
      maxValueBytes: 1024 * 1024,
      ttlGranularityMs: 1,
      keyCharacters: 'any',
    },
    get: (key) => onNode(route(key), (store) => read(store, key)),
    getMany: (keys) =>
      router.runGrouped(
        keys,
        (key) => key,
        (id, group) => onNode(id, (store) => group.map((key) => read(store, key))),
      ),
    set: (key, value, ttl) => onNode(route(key), (store) => write(store, { key, value, ttl })),
    setMany: async (entries) => {
      await router.runGrouped(
        entries,
        (entry) => entry.key,
        (id, group) => onNode(id, (store) => group.map((entry) => write(store, entry))),
      );
    },
    delete: (key) => onNode(route(key), (store) => store.delete(key)),
    deleteMany: (keys) =>
      router.runGrouped(
        keys,
        (key) => key,
        (id, group) => onNode(id, (store) => group.map((key) => store.delete(key))),
      ),
    clear: async (prefix) => {
      await Promise.all(
        ids.map((id) =>
          onNode(id, (store) => {
            for (const key of [...store.keys()])
              if (prefix === undefined || key.startsWith(prefix)) store.delete(key);
          }),
        ),
      );
    },
    nodes: () => router.nodes(),
    topology: (): Partitioner => router.topology(),
    subscribe: (listener) => router.subscribe(listener),
    close: async () => {
      closed = true;
      router.close();
    },
  };
}
