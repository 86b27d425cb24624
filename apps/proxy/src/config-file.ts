import { readFileSync } from 'node:fs';
import { ConfigError, type NodeSpecObject, parseNodeSpec } from '@ringcache/core';
import { parseDocument } from 'yaml';
import type { HotKeyDetectionOptions, ProxyOptions } from './options.js';

/** The pools of a config file, plus what was accepted but has no effect here. */
export interface ProxyConfig {
  readonly pools: ProxyOptions[];
  readonly warnings: string[];
}

/** nutcracker's pool keys → ours. Values are checked by `resolveProxyOptions`. */
const NUTCRACKER_KEYS: Record<string, keyof ProxyOptions> = {
  listen: 'listen',
  hash: 'hash',
  hash_tag: 'hashTag',
  distribution: 'distribution',
  timeout: 'timeout',
  backlog: 'backlog',
  preconnect: 'preconnect',
  auto_eject_hosts: 'autoEjectHosts',
  server_retry_timeout: 'serverRetryTimeout',
  server_failure_limit: 'serverFailureLimit',
  client_connections: 'clientConnections',
};

/** Ringcache's own keys, in nutcracker's naming style. */
const EXTRA_KEYS: Record<string, keyof ProxyOptions> = {
  client_idle_timeout: 'clientIdleTimeout',
  max_request_line_bytes: 'maxRequestLineBytes',
  max_value_bytes: 'maxValueBytes',
  max_client_pending: 'maxClientPending',
  max_client_output_bytes: 'maxClientOutputBytes',
  server_max_pending: 'serverMaxPending',
  flush_on_readmit: 'flushOnReadmit',
  failover_ttl: 'failoverTtl',
  read_errors: 'readErrors',
  allow_flush: 'allowFlush',
};

const HOT_KEY_KEYS: Record<string, keyof HotKeyDetectionOptions> = {
  window: 'windowMs',
  threshold: 'threshold',
  min_count: 'minCount',
  capacity: 'capacity',
  cool_windows: 'coolWindows',
};

/** nutcracker keys accepted without effect: the proxy's own behaviour covers them. */
const IGNORED_KEYS = new Set(['tcpkeepalive', 'reuseport']);
const REDIS_KEYS = new Set(['redis_auth', 'redis_db']);

/**
 * Reads a nutcracker-style YAML file: one or more pools, each `name: { listen, hash,
 * distribution, servers, ... }`.
 * @throws ConfigError naming the file, the pool and the key
 */
export function loadConfigFile(path: string): ProxyConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${path}: ${(error as Error).message}`, { cause: error });
  }
  return parseConfig(text, path);
}

/**
 * Parses a nutcracker-style YAML document into pool options (not yet validated in depth:
 * `startProxy` / `resolveProxyOptions` check the values).
 * @throws ConfigError
 */
export function parseConfig(text: string, source = 'config'): ProxyConfig {
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const problem = document.errors[0];
  if (problem !== undefined) throw new ConfigError(`${source}: ${problem.message.trim()}`);
  const root: unknown = document.toJS();
  if (!isMapping(root) || Object.keys(root).length === 0) {
    throw new ConfigError(
      `${source}: expected pools, e.g.\n  alpha:\n    listen: 127.0.0.1:22121\n    servers:\n      - 127.0.0.1:11211:1`,
    );
  }
  const warnings: string[] = [];
  const pools = Object.entries(root).map(([name, body]) => {
    try {
      return poolFromConfig(name, body, warnings);
    } catch (error) {
      if (error instanceof ConfigError) throw new ConfigError(`${source}: pool '${name}': ${error.message}`);
      throw error;
    }
  });
  return { pools, warnings };
}

/** One pool's mapping → ProxyOptions. @throws ConfigError */
export function poolFromConfig(name: string, body: unknown, warnings: string[] = []): ProxyOptions {
  if (!isMapping(body)) throw new ConfigError('a pool must be a mapping of settings');
  const options: Record<string, unknown> = { name };
  for (const [key, value] of Object.entries(body)) {
    const mapped = NUTCRACKER_KEYS[key] ?? EXTRA_KEYS[key];
    if (mapped !== undefined) {
      options[mapped] = key === 'client_connections' && value === 0 ? 2 ** 31 - 1 : value;
    } else if (key === 'servers') {
      options.servers = parseServers(value);
    } else if (key === 'hot_keys') {
      options.hotKeys = parseHotKeys(value);
    } else if (key === 'redis') {
      if (value !== false)
        throw new ConfigError('redis pools are not supported: this proxy speaks memcached');
    } else if (REDIS_KEYS.has(key)) {
      throw new ConfigError(`${key}: redis pools are not supported`);
    } else if (key === 'server_connections') {
      if (value !== 1) {
        warnings.push(
          `pool '${name}': server_connections ${JSON.stringify(value)} ignored: each server gets one pipelined connection`,
        );
      }
    } else if (IGNORED_KEYS.has(key)) {
      warnings.push(`pool '${name}': ${key} has no effect here`);
    } else {
      const known = [...Object.keys(NUTCRACKER_KEYS), ...Object.keys(EXTRA_KEYS), 'servers', 'hot_keys'];
      throw new ConfigError(`unknown key '${key}' (known: ${known.join(', ')})`);
    }
  }
  if (options.servers === undefined)
    throw new ConfigError('servers: missing (a list of host:port:weight [name])');
  return options as unknown as ProxyOptions;
}

/** nutcracker's `host:port:weight [name]` lines (the weight optional here). */
function parseServers(value: unknown): NodeSpecObject[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new ConfigError('servers: expected a non-empty list of host:port:weight [name]');
  }
  return value.map((entry, index) => {
    if (typeof entry !== 'string') {
      throw new ConfigError(
        `servers[${index}]: expected 'host:port:weight [name]', got ${JSON.stringify(entry)}`,
      );
    }
    const [address, name, ...rest] = entry.trim().split(/\s+/);
    if (address === undefined || address === '' || rest.length > 0) {
      throw new ConfigError(`servers[${index}]: expected 'host:port:weight [name]', got '${entry}'`);
    }
    if (address.startsWith('/')) throw new ConfigError(`servers[${index}]: unix sockets are not supported`);
    try {
      const node = parseNodeSpec(address);
      return name === undefined
        ? { host: node.host, port: node.port, weight: node.weight }
        : { host: node.host, port: node.port, weight: node.weight, name };
    } catch (error) {
      throw new ConfigError(`servers[${index}]: ${(error as Error).message}`);
    }
  });
}

function parseHotKeys(value: unknown): HotKeyDetectionOptions | false {
  if (value === false) return false;
  if (value === true || value === null) return {};
  if (!isMapping(value)) throw new ConfigError('hot_keys: expected a mapping or false');
  const options: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(value)) {
    const mapped = HOT_KEY_KEYS[key];
    if (mapped === undefined) {
      throw new ConfigError(
        `hot_keys: unknown key '${key}' (known: ${Object.keys(HOT_KEY_KEYS).join(', ')})`,
      );
    }
    options[mapped] = setting;
  }
  return options as HotKeyDetectionOptions;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
