import type { Reply } from '@ringcache/memcached/protocol';
import type { BackendStats } from './backend-pool.js';
import type { CommandCounters } from './dispatcher.js';
import type { HotKeyReport } from './hot-key-detector.js';

export const PROXY_VERSION = '0.0.0';

/** A snapshot of one proxied pool: what `stats` answers and `proxy.stats()` returns. */
export interface ProxyStats {
  readonly pool: string;
  readonly version: string;
  readonly pid: number;
  /** Seconds since the proxy started. */
  readonly uptime: number;
  /** CPU seconds the process has used (user, system): the whole process, every pool. */
  readonly rusage: { readonly user: number; readonly system: number };
  readonly distribution: string;
  readonly hash: string | undefined;
  readonly connections: { readonly current: number; readonly total: number; readonly rejected: number };
  readonly commands: Readonly<CommandCounters>;
  readonly servers: readonly BackendStats[];
  /** The most read keys of the last detection window; undefined when detection is off. */
  readonly hotKeys: readonly HotKeyReport[] | undefined;
  /** Keys promoted hot and not yet demoted. */
  readonly hotKeysNow: readonly HotKeyReport[] | undefined;
}

/**
 * The `stats` reply: memcached's general names where they mean the same (pid, uptime, rusage,
 * connections, cmd_get, get_hits...), then one block per server (`server:<id>:<field>`) and the
 * hot keys (`hot_key:<rank>:<field>`). `stats servers` and `stats hotkeys` give one block alone.
 */
export function statsReply(stats: ProxyStats, section: string | undefined): Reply | undefined {
  const lines: [string, string][] = [];
  const add = (name: string, value: string | number | undefined) => {
    if (value !== undefined) lines.push([name, String(value)]);
  };
  if (section === undefined) {
    const commands = stats.commands;
    add('pid', stats.pid);
    add('uptime', Math.floor(stats.uptime));
    add('time', Math.floor(Date.now() / 1000));
    add('version', `ringcache-proxy-${stats.version}`);
    add('pointer_size', 64);
    add('rusage_user', stats.rusage.user.toFixed(6));
    add('rusage_system', stats.rusage.system.toFixed(6));
    add('curr_connections', stats.connections.current);
    add('total_connections', stats.connections.total);
    add('rejected_connections', stats.connections.rejected);
    add('cmd_get', commands.cmdGet);
    add('get_hits', commands.getHits);
    add('get_misses', commands.getMisses);
    add('cmd_set', commands.cmdSet);
    add('cmd_touch', commands.cmdTouch);
    add('cmd_delete', commands.cmdDelete);
    add('cmd_incr', commands.cmdIncr);
    add('cmd_decr', commands.cmdDecr);
    add('cmd_flush', commands.cmdFlush);
    add('client_errors', commands.clientErrors);
    add('server_errors', commands.serverErrors);
    add('pool', stats.pool);
    add('distribution', stats.distribution);
    add('hash', stats.hash);
    add('servers', stats.servers.length);
    add('servers_ejected', stats.servers.filter((server) => server.status === 'ejected').length);
  }
  if (section === undefined || section === 'servers') {
    for (const server of stats.servers) {
      const prefix = `server:${server.id}:`;
      add(`${prefix}name`, server.name);
      add(`${prefix}status`, server.status);
      add(`${prefix}ops`, server.ops);
      add(`${prefix}hits`, server.hits);
      add(`${prefix}misses`, server.misses);
      add(`${prefix}sets`, server.sets);
      add(`${prefix}deletes`, server.deletes);
      add(`${prefix}bytes_read`, server.bytesRead);
      add(`${prefix}bytes_written`, server.bytesWritten);
      add(`${prefix}errors`, server.errors);
      add(`${prefix}timeouts`, server.timeouts);
      add(`${prefix}ejected`, server.ejected);
      add(
        `${prefix}ejected_at`,
        server.ejectedAt === undefined ? undefined : Math.floor(server.ejectedAt / 1000),
      );
      add(`${prefix}pending`, server.pending);
      add(`${prefix}latency_p50_us`, Math.round(server.latency.p50));
      add(`${prefix}latency_p99_us`, Math.round(server.latency.p99));
    }
  }
  if (section === undefined || section === 'hotkeys') {
    add('hot_keys', stats.hotKeysNow?.length ?? 'off');
    stats.hotKeys?.forEach((hot, index) => {
      const prefix = `hot_key:${index + 1}:`;
      const current = stats.hotKeysNow?.some((entry) => entry.key === hot.key) ?? false;
      add(`${prefix}key`, hot.key);
      add(`${prefix}count`, hot.count);
      add(`${prefix}server`, hot.node ?? 'none');
      add(`${prefix}hot`, current ? 'yes' : 'no');
    });
  }
  if (section !== undefined && section !== 'servers' && section !== 'hotkeys') return undefined;
  return { type: 'stats', stats: lines };
}
