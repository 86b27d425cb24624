export { exptimeOf } from './expiry.js';
export { type MemcachedAdapter, memcachedAdapter } from './memcached-adapter.js';
export {
  ITEM_OVERHEAD_BYTES,
  type MemcachedAdapterOptions,
  type MemcachedHealthOptions,
  type MemcachedLogger,
} from './options.js';
export {
  type ConnectionOptions,
  MemcachedConnection,
  type RequestOptions,
} from './protocol/connection.js';
