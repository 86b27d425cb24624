import { isIP } from 'node:net';
import { ConfigError } from '@ringcache/core';

/** Where the proxy listens: a host (IPv6 without brackets) and a TCP port (0: any free port). */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** The address the proxy binds when none is given: loopback only, nutcracker's usual port. */
export const DEFAULT_LISTEN: ListenAddress = Object.freeze({ host: '127.0.0.1', port: 22121 });

/**
 * Parses `host:port` (`[::1]:22121` for IPv6), as nutcracker's `listen:` and `--listen` take it.
 * nutcracker also accepts a unix socket path; the proxy does not.
 * @throws ConfigError
 */
export function parseListen(text: string): ListenAddress {
  if (typeof text !== 'string') throw new ConfigError(`listen must be 'host:port', got ${typeof text}`);
  const trimmed = text.trim();
  if (trimmed.startsWith('/')) {
    throw new ConfigError(`listen '${trimmed}': unix sockets are not supported, use host:port`);
  }
  const match = /^(?:\[([^\]]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(trimmed);
  if (match === null) throw new ConfigError(`listen '${trimmed}' is not 'host:port' (IPv6: '[::1]:22121')`);
  const host = match[1] ?? match[2]!;
  if (match[1] !== undefined && isIP(host) !== 6) {
    throw new ConfigError(`listen '${trimmed}': '${host}' is not an IPv6 address`);
  }
  const port = Number(match[3]);
  if (port > 65535) throw new ConfigError(`listen '${trimmed}': port must be 0–65535`);
  return { host, port };
}

/**
 * True for addresses only this machine can reach: 127.0.0.0/8, ::1, IPv4-mapped loopback and
 * `localhost`. Wildcards (0.0.0.0, ::) and every other name are remote: a name could resolve to
 * a public address, so it needs the explicit flag too.
 */
export function isLoopback(host: string): boolean {
  const lower = host.toLowerCase();
  if (lower === 'localhost') return true;
  const version = isIP(lower);
  if (version === 4) return lower.startsWith('127.');
  if (version === 6) {
    if (lower === '::1' || /^(0{1,4}:){7}0{0,3}1$/.test(lower)) return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
    return mapped !== null && mapped[1]!.startsWith('127.');
  }
  return false;
}

/** `host:port` with IPv6 bracketed, for messages. */
export function formatAddress(address: ListenAddress): string {
  return isIP(address.host) === 6 ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}
