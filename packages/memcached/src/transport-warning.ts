import type { MemcachedLogger } from './options.js';

let warnedProcess = false;

/** True for addresses that never leave the machine. */
export function isLoopback(host: string): boolean {
  const bare = host.startsWith('[') ? host.slice(1, -1) : host;
  return bare === 'localhost' || bare === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare);
}

/**
 * memcached's text protocol has no authentication and no encryption: a server reached over a
 * network without TLS exposes every key and value. Says so once per process (or to `logger`,
 * once per server), never on the request path.
 */
export function warnIfPlaintext(host: string, tls: unknown, logger: MemcachedLogger | undefined): void {
  if (tls || isLoopback(host)) return;
  const message =
    `memcached server ${host} is not on loopback and the connection is not TLS: ` +
    'keys and values cross the network in clear text (set tls, or keep memcached on a private network)';
  if (logger !== undefined) {
    logger.warn(message);
    return;
  }
  if (warnedProcess) return;
  warnedProcess = true;
  process.emitWarning(message, { code: 'RINGCACHE_MEMCACHED_PLAINTEXT' });
}
