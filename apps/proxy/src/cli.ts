import { ConfigError } from '@ringcache/core';
import {
  type CommandLine,
  EXIT_FAILURE,
  EXIT_OK,
  EXIT_USAGE,
  parseCommandLine,
  UsageError,
  usage,
} from './command-line.js';
import { formatAddress } from './listen-address.js';
import { type ResolvedProxyOptions, resolveProxyOptions } from './options.js';
import { type ProxyEvent, type RunningProxy, startProxy } from './proxy-server.js';
import { PROXY_VERSION } from './stats.js';

export { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './command-line.js';

/** Where the command writes. */
export interface ProxyIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

/**
 * Runs `ringcache-proxy` with `argv` up to listening. Resolves with an exit code when it is done
 * (help, --test-conf, an error), or with the running proxies.
 */
export async function start(argv: readonly string[], io: ProxyIo): Promise<number | RunningProxy[]> {
  let commandLine: CommandLine;
  let resolved: ResolvedProxyOptions[];
  try {
    commandLine = parseCommandLine(argv);
    if (commandLine.action === 'help') {
      io.stdout.write(usage);
      return EXIT_OK;
    }
    if (commandLine.action === 'version') {
      io.stdout.write(`ringcache-proxy ${PROXY_VERSION}\n`);
      return EXIT_OK;
    }
    for (const warning of commandLine.warnings) io.stderr.write(`ringcache-proxy: warning: ${warning}\n`);
    resolved = commandLine.pools.map((pool) => resolvePool(pool));
    checkDistinctAddresses(resolved);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`ringcache-proxy: ${error.message}\nRun 'ringcache-proxy --help' for usage.\n`);
      return EXIT_USAGE;
    }
    if (ConfigError.isInstance(error) && error.code === 'E_CONFIG') {
      io.stderr.write(`ringcache-proxy: invalid configuration: ${error.message}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
  if (commandLine.action === 'test') {
    io.stdout.write(
      `ringcache-proxy: configuration OK\n${resolved.map((pool) => `  ${describe(pool)}\n`).join('')}`,
    );
    return EXIT_OK;
  }
  const proxies: RunningProxy[] = [];
  for (const pool of commandLine.pools) {
    try {
      proxies.push(await startProxy(pool));
    } catch (error) {
      await Promise.all(proxies.map((proxy) => proxy.close()));
      const where = pool.listen === undefined ? '127.0.0.1:22121' : String(pool.listen);
      io.stderr.write(
        `ringcache-proxy: pool '${pool.name}': cannot listen on ${where}: ${(error as Error).message}\n`,
      );
      return EXIT_FAILURE;
    }
  }
  proxies.forEach((proxy, index) => {
    const pool = { ...resolved[index]!, listen: proxy.address };
    io.stderr.write(`ringcache-proxy: ${describe(pool)}: listening\n`);
    proxy.subscribe((event) => logEvent(io, proxy.name, event, commandLine.verbose));
  });
  return proxies;
}

/** The binary's entry (bin/ringcache-proxy.js): runs until SIGINT/SIGTERM, then closes cleanly. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  const io: ProxyIo = { stdout: process.stdout, stderr: process.stderr };
  const result = await start(argv, io);
  if (typeof result === 'number') {
    process.exitCode = result;
    return;
  }
  const stop = (signal: string) => {
    io.stderr.write(`ringcache-proxy: ${signal}: closing\n`);
    // A second signal while closing forces the exit.
    process.once(signal, () => process.exit(EXIT_FAILURE));
    void Promise.all(result.map((proxy) => proxy.close())).then(() => process.exit(EXIT_OK));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

function resolvePool(pool: CommandLine['pools'][number]): ResolvedProxyOptions {
  try {
    return resolveProxyOptions(pool);
  } catch (error) {
    if (ConfigError.isInstance(error) && error.code === 'E_CONFIG' && pool.name !== undefined) {
      throw new ConfigError(`pool '${pool.name}': ${error.message}`);
    }
    throw error;
  }
}

function checkDistinctAddresses(pools: readonly ResolvedProxyOptions[]): void {
  const seen = new Map<string, string>();
  for (const pool of pools) {
    const address = formatAddress(pool.listen);
    const other = seen.get(address);
    if (other !== undefined && pool.listen.port !== 0) {
      throw new ConfigError(`pools '${other}' and '${pool.name}' both listen on ${address}`);
    }
    seen.set(address, pool.name);
  }
}

function describe(pool: ResolvedProxyOptions): string {
  const placement = pool.distribution === 'ketama' ? `ketama ${pool.hash}` : 'consistent (core hash ring)';
  const eject = pool.autoEjectHosts
    ? `auto_eject_hosts after ${pool.serverFailureLimit} failures for ${pool.serverRetryTimeout} ms`
    : 'no ejection';
  return `pool '${pool.name}' on ${formatAddress(pool.listen)}: ${pool.nodes.length} servers (${pool.nodes
    .map((node) =>
      node.name === undefined ? `${node.id}:${node.weight}` : `${node.id}:${node.weight} ${node.name}`,
    )
    .join(', ')}), ${placement}, timeout ${pool.timeout} ms, ${eject}`;
}

function logEvent(io: ProxyIo, pool: string, event: ProxyEvent, verbose: boolean): void {
  const line = (text: string) => io.stderr.write(`${new Date().toISOString()} [${pool}] ${text}\n`);
  switch (event.type) {
    case 'node:eject':
      // soft: it timed out (may be overloaded or paused); hard: it refused or dropped connections.
      line(`server ${event.node} ejected (${event.kind ?? 'hard'} failure): ${reason(event.reason)}`);
      return;
    case 'node:readmit':
      line(`server ${event.node} re-admitted`);
      return;
    case 'hotkey:promote':
      line(
        `hot key '${event.hotKey.key}' on ${event.hotKey.node ?? 'no server'}: ${event.hotKey.count} reads in the last window`,
      );
      return;
    case 'hotkey:demote':
      line(`key '${event.hotKey.key}' is no longer hot`);
      return;
    case 'server:error':
      line(`listening socket error: ${reason(event.error)}`);
      return;
    case 'client:error':
      if (verbose) line(`server ${event.node ?? '?'}: ${reason(event.error)}`);
      return;
    default:
      return;
  }
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
