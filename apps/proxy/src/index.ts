/**
 * `@ringcache/proxy`: a memcached-protocol routing proxy on the Ringcache core router. Run it as
 * `ringcache-proxy` (see the README) or start it in-process with `startProxy(options)`.
 */
export type { BackendStats } from './backend-pool.js';
export { loadConfigFile, type ProxyConfig, parseConfig, poolFromConfig } from './config-file.js';
export type { HotKeyEvent, HotKeyReport } from './hot-key-detector.js';
export { isLoopback, type ListenAddress, parseListen } from './listen-address.js';
export {
  type HotKeyDetectionOptions,
  type ProxyOptions,
  type ResolvedProxyOptions,
  resolveProxyOptions,
} from './options.js';
export { type ProxyEvent, type RunningProxy, startProxy } from './proxy-server.js';
export { PROXY_VERSION, type ProxyStats } from './stats.js';
