import { parseArgs } from 'node:util';
import { ConfigError, type TwemproxyHashName } from '@ringcache/core';
import { loadConfigFile } from './config-file.js';
import type { ProxyOptions } from './options.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export const usage = `Usage: ringcache-proxy --config FILE [--pool NAME] [options]
       ringcache-proxy --servers HOST:PORT[:WEIGHT][,...] [--listen HOST:PORT] [options]

A memcached-protocol routing proxy (twemproxy-style). The config file is shaped like a
nutcracker pool; flags override its settings (of one pool).

Options:
  -c, --config FILE              nutcracker-style YAML: one or more pools
      --pool NAME                run only this pool of the file
  -l, --listen HOST:PORT         where to listen (default 127.0.0.1:22121; port 0: any free port)
  -s, --servers LIST             memcached servers: host:port[:weight], comma-separated
  -d, --distribution NAME        consistent (default: the core hash ring) or ketama (as nutcracker)
      --hash NAME                ketama key hash (default fnv1a_64): md5, crc32, murmur, ...
      --hash-tag XY              hash only the part of a key between X and Y, e.g. {}
      --timeout MS               server reply timeout (default 1000)
      --server-failure-limit N   failures before ejection (default 2)
      --server-retry-timeout MS  ejection length before a re-admission probe (default 30000)
      --auto-eject-hosts         eject failing servers and route around them
      --client-idle-timeout MS   close clients idle this long (default 0: never)
      --allow-remote             allow a non-loopback listen address (the proxy has no auth)
  -t, --test-conf                check the configuration and exit
  -v, --verbose                  also log every server connection failure
  -h, --help                     print this help
  -V, --version                  print the version

Exit codes: 0 success (and a clean shutdown on SIGINT/SIGTERM), 1 runtime failure (the
address cannot be bound), 2 bad arguments or configuration.
`;

/** Bad arguments: the message is printed with a pointer to --help, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface CommandLine {
  readonly action: 'run' | 'test' | 'help' | 'version';
  readonly pools: ProxyOptions[];
  readonly warnings: string[];
  readonly verbose: boolean;
}

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  pool: { type: 'string' },
  listen: { type: 'string', short: 'l' },
  servers: { type: 'string', short: 's' },
  distribution: { type: 'string', short: 'd' },
  hash: { type: 'string' },
  'hash-tag': { type: 'string' },
  timeout: { type: 'string' },
  'server-failure-limit': { type: 'string' },
  'server-retry-timeout': { type: 'string' },
  'auto-eject-hosts': { type: 'boolean' },
  'client-idle-timeout': { type: 'string' },
  'allow-remote': { type: 'boolean' },
  'test-conf': { type: 'boolean', short: 't' },
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const;

/**
 * Parses the arguments and reads the config file into pool options (validated later, by
 * `resolveProxyOptions`, so both sources get the same messages).
 * @throws UsageError on bad flags, ConfigError on a bad config file
 */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const verbose = values.verbose === true;
  if (values.help) return { action: 'help', pools: [], warnings: [], verbose };
  if (values.version) return { action: 'version', pools: [], warnings: [], verbose };
  const overrides = flagOverrides(values);
  let pools: ProxyOptions[];
  let warnings: string[] = [];
  if (values.config !== undefined) {
    const config = loadConfigFile(values.config);
    warnings = config.warnings;
    pools = config.pools;
    if (values.pool !== undefined) {
      pools = pools.filter((pool) => pool.name === values.pool);
      if (pools.length === 0) {
        const names = config.pools.map((pool) => pool.name).join(', ');
        throw new ConfigError(`${values.config}: no pool '${values.pool}' (pools: ${names})`);
      }
    }
    if (Object.keys(overrides).length > 0 && pools.length > 1) {
      throw new UsageError(
        `flags override one pool; ${values.config} has ${pools.length}: choose one with --pool`,
      );
    }
    pools = pools.map((pool) => ({ ...pool, ...overrides }));
    warnings = [...warnings, ...pools.flatMap(defaultPlacementWarning)];
  } else {
    if (values.pool !== undefined) throw new UsageError('--pool needs --config');
    if (overrides.servers === undefined) throw new UsageError('give --config FILE or --servers LIST');
    pools = [{ name: 'ringcache', ...overrides } as ProxyOptions];
  }
  if (values['allow-remote']) pools = pools.map((pool) => ({ ...pool, allowRemote: true }));
  return { action: values['test-conf'] ? 'test' : 'run', pools, warnings, verbose };
}

/**
 * A config file is shaped like nutcracker's, whose default placement is ketama (fnv1a_64); ours
 * is the core hash ring. A nutcracker file that relied on the default would start on another
 * placement, i.e. a cold cache, so the silent choice is named at startup.
 */
function defaultPlacementWarning(pool: ProxyOptions): string[] {
  if (pool.distribution !== undefined || pool.hash !== undefined) return [];
  return [
    `pool '${pool.name ?? 'ringcache'}': no distribution given: keys are placed on the core hash ring ` +
      "('consistent'), not as nutcracker's default (ketama, fnv1a_64). Swapping nutcracker for this proxy " +
      'with this file starts on a cold cache: add `distribution: ketama` to keep its placement, or ' +
      '`distribution: consistent` to silence this warning',
  ];
}

function parse(argv: readonly string[]) {
  return parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: false, strict: true });
}

function flagOverrides(values: ReturnType<typeof parse>['values']): Partial<ProxyOptions> {
  const overrides: Partial<Record<keyof ProxyOptions, unknown>> = {};
  if (values.listen !== undefined) overrides.listen = values.listen;
  if (values.servers !== undefined) {
    const servers = values.servers.split(',').map((server) => server.trim());
    if (servers.some((server) => server === ''))
      throw new UsageError(`--servers '${values.servers}' has an empty entry`);
    overrides.servers = servers;
  }
  if (values.distribution !== undefined) overrides.distribution = values.distribution;
  if (values.hash !== undefined) overrides.hash = values.hash as TwemproxyHashName;
  if (values['hash-tag'] !== undefined) overrides.hashTag = values['hash-tag'];
  if (values.timeout !== undefined) overrides.timeout = number(values.timeout, '--timeout');
  if (values['server-failure-limit'] !== undefined) {
    overrides.serverFailureLimit = number(values['server-failure-limit'], '--server-failure-limit');
  }
  if (values['server-retry-timeout'] !== undefined) {
    overrides.serverRetryTimeout = number(values['server-retry-timeout'], '--server-retry-timeout');
  }
  if (values['auto-eject-hosts']) overrides.autoEjectHosts = true;
  if (values['client-idle-timeout'] !== undefined) {
    overrides.clientIdleTimeout = number(values['client-idle-timeout'], '--client-idle-timeout');
  }
  return overrides as Partial<ProxyOptions>;
}

function number(text: string, flag: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`${flag} must be a whole number, got '${text}'`);
  return Number(text);
}
