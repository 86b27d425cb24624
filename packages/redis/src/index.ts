export { RedisClusterAdapter, redisClusterAdapter } from './cluster-adapter.js';
export { isUnavailable, toRingcacheError } from './errors.js';
export { escapeGlob, prefixPattern } from './glob.js';
export {
  type ClusterFailoverOptions,
  ELECTION_MARGIN_MS,
  type RedisAdapterBaseOptions,
  type RedisAdapterOptions,
  type RedisClusterAdapterOptions,
  type ResolvedFailover,
  resolveFailover,
} from './options.js';
export { type RedisBus, type RedisBusOptions, redisBus } from './redis-bus.js';
export { RedisStandaloneAdapter, redisAdapter } from './standalone-adapter.js';
