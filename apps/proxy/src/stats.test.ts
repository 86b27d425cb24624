import { NodeUnavailableError, OverloadedError, TimeoutError } from '@ringcache/core';
import { describe, expect, it } from 'vitest';
import { CommandCounters, chunkKeys, failureMessage } from './dispatcher.js';
import { type ProxyStats, statsReply } from './stats.js';

const STATS: ProxyStats = {
  pool: 'alpha',
  version: '0.0.0',
  pid: 42,
  uptime: 12.7,
  rusage: { user: 1.5, system: 0.25 },
  distribution: 'ketama',
  hash: 'fnv1a_64',
  connections: { current: 2, total: 9, rejected: 1 },
  commands: { ...new CommandCounters(), cmdGet: 10, getHits: 7, getMisses: 3 },
  servers: [
    {
      id: '127.0.0.1:1',
      name: 'one',
      status: 'ejected',
      ops: 5,
      hits: 4,
      misses: 1,
      sets: 6,
      deletes: 3,
      errors: 2,
      timeouts: 1,
      bytesRead: 400,
      bytesWritten: 600,
      ejected: 1,
      ejectedAt: 1_800_000_000_500,
      pending: 0,
      latency: { p50: 101.4, p99: 999.6 },
    },
  ],
  hotKeys: [{ key: 'hot', node: '127.0.0.1:1', count: 99 }],
  hotKeysNow: [{ key: 'hot', node: '127.0.0.1:1', count: 99 }],
};

describe('statsReply', () => {
  it('answers memcached names, then servers, then hot keys', () => {
    const reply = statsReply(STATS, undefined);
    expect(reply?.type).toBe('stats');
    const stats = new Map(reply?.type === 'stats' ? reply.stats : []);
    expect(stats.get('pid')).toBe('42');
    expect(stats.get('uptime')).toBe('12');
    expect(stats.get('rusage_user')).toBe('1.500000');
    expect(stats.get('curr_connections')).toBe('2');
    expect(stats.get('get_hits')).toBe('7');
    expect(stats.get('servers_ejected')).toBe('1');
    expect(stats.get('server:127.0.0.1:1:name')).toBe('one');
    expect(stats.get('server:127.0.0.1:1:status')).toBe('ejected');
    expect(stats.get('server:127.0.0.1:1:ejected_at')).toBe('1800000000');
    expect(stats.get('server:127.0.0.1:1:sets')).toBe('6');
    expect(stats.get('server:127.0.0.1:1:deletes')).toBe('3');
    expect(stats.get('server:127.0.0.1:1:bytes_read')).toBe('400');
    expect(stats.get('server:127.0.0.1:1:bytes_written')).toBe('600');
    expect(stats.get('server:127.0.0.1:1:latency_p50_us')).toBe('101');
    expect(stats.get('server:127.0.0.1:1:latency_p99_us')).toBe('1000');
    expect(stats.get('hot_keys')).toBe('1');
    expect(stats.get('hot_key:1:key')).toBe('hot');
    expect(stats.get('hot_key:1:server')).toBe('127.0.0.1:1');
    // Every line is one name and one value without line breaks.
    for (const [name, value] of stats) expect(`${name} ${value}`).toMatch(/^\S+ [^\r\n]*$/);
  });

  it('answers one section alone, and nothing for an unknown one', () => {
    const servers = statsReply(STATS, 'servers');
    expect(servers?.type === 'stats' && servers.stats.every(([name]) => name.startsWith('server:'))).toBe(
      true,
    );
    const hot = statsReply({ ...STATS, hotKeys: undefined, hotKeysNow: undefined }, 'hotkeys');
    expect(hot).toEqual({ type: 'stats', stats: [['hot_keys', 'off']] });
    expect(statsReply(STATS, 'slabs')).toBeUndefined();
  });
});

describe('chunkKeys', () => {
  it('keeps a small get in one request and splits at 256 keys', () => {
    const keys = Array.from({ length: 600 }, (_, index) => `k${index}`);
    expect(chunkKeys(keys.slice(0, 256), false)).toHaveLength(1);
    expect(chunkKeys(keys, false).map((chunk) => chunk.length)).toEqual([256, 256, 88]);
  });

  it('keeps gat lines short', () => {
    const keys = Array.from({ length: 20 }, (_, index) => `${index}`.padStart(200, 'k'));
    const chunks = chunkKeys(keys, true);
    expect(chunks.flat()).toEqual(keys);
    for (const chunk of chunks) expect(chunk.join(' ').length).toBeLessThan(1900);
  });
});

describe('failureMessage', () => {
  it('says what failed in one line', () => {
    expect(failureMessage(new TimeoutError('x', { node: 'a:1' }))).toBe('server a:1 timed out');
    expect(failureMessage(new NodeUnavailableError('x', { node: 'a:1' }))).toBe('server a:1 unavailable');
    expect(failureMessage(new NodeUnavailableError('every node is ejected', { node: 'a:1' }))).toBe(
      'no server available',
    );
    expect(failureMessage(new OverloadedError('x', { node: 'a:1' }))).toBe('server a:1 overloaded');
    expect(failureMessage(undefined)).toBe('no server available');
  });
});
