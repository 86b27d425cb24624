import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ketamaRing } from '@ringcache/core';
import { describe, expect, it } from 'vitest';
import { loadConfigFile, parseConfig } from './config-file.js';
import { resolveProxyOptions } from './options.js';

const NUTCRACKER_POOL = `
alpha:
  listen: 127.0.0.1:22121
  hash: fnv1a_64
  hash_tag: "{}"
  distribution: ketama
  auto_eject_hosts: true
  redis: false
  timeout: 400
  server_retry_timeout: 2000
  server_failure_limit: 1
  server_connections: 1
  preconnect: true
  servers:
   - 127.0.0.1:11211:1
   - 127.0.0.1:11212:2 cache-b
`;

describe('parseConfig (nutcracker pools)', () => {
  it('reads a nutcracker pool as is', () => {
    const { pools, warnings } = parseConfig(NUTCRACKER_POOL);
    expect(warnings).toEqual([]);
    expect(pools).toEqual([
      {
        name: 'alpha',
        listen: '127.0.0.1:22121',
        hash: 'fnv1a_64',
        hashTag: '{}',
        distribution: 'ketama',
        autoEjectHosts: true,
        timeout: 400,
        serverRetryTimeout: 2000,
        serverFailureLimit: 1,
        preconnect: true,
        servers: [
          { host: '127.0.0.1', port: 11211, weight: 1 },
          { host: '127.0.0.1', port: 11212, weight: 2, name: 'cache-b' },
        ],
      },
    ]);
    const resolved = resolveProxyOptions(pools[0]!);
    // Named servers hash their points by name, exactly as nutcracker does.
    const reference = ketamaRing(pools[0]!.servers, { hash: 'fnv1a_64' });
    for (let index = 0; index < 200; index++) {
      expect(resolved.partitioner.locate(`k${index}`)).toBe(reference.locate(`k${index}`));
    }
    expect(resolved).toMatchObject({ listen: { host: '127.0.0.1', port: 22121 }, autoEjectHosts: true });
  });

  it('reads our extra keys and several pools', () => {
    const { pools } = parseConfig(`
a:
  listen: 127.0.0.1:0
  servers: [127.0.0.1:11211]
  client_idle_timeout: 5000
  max_value_bytes: 1000
  read_errors: miss
  flush_on_readmit: false
  hot_keys: { window: 500, threshold: 0.1, min_count: 5 }
b:
  servers: [127.0.0.1:11212]
  hot_keys: false
  client_connections: 0
`);
    expect(pools.map((pool) => pool.name)).toEqual(['a', 'b']);
    expect(resolveProxyOptions(pools[0]!)).toMatchObject({
      clientIdleTimeout: 5000,
      maxValueBytes: 1000,
      readErrors: 'miss',
      flushOnReadmit: false,
      hotKeys: { windowMs: 500, threshold: 0.1, minCount: 5, capacity: 256, coolWindows: 3 },
    });
    expect(resolveProxyOptions(pools[1]!)).toMatchObject({
      hotKeys: undefined,
      clientConnections: 2 ** 31 - 1,
    });
  });

  it('warns about settings without effect', () => {
    const { warnings } = parseConfig(
      'a:\n  servers: [127.0.0.1:1]\n  server_connections: 4\n  tcpkeepalive: true\n',
    );
    expect(warnings).toEqual([
      "pool 'a': server_connections 4 ignored: each server gets one pipelined connection",
      "pool 'a': tcpkeepalive has no effect here",
    ]);
  });

  it.each([
    ['a: [\n', /config: .*line 2/s],
    ['', /expected pools/],
    ['- 1\n', /expected pools/],
    ['a: 3\n', /pool 'a': a pool must be a mapping/],
    ['a:\n  listen: 127.0.0.1:1\n', /pool 'a': servers: missing/],
    ['a:\n  servers: []\n', /non-empty list/],
    ['a:\n  servers: [1]\n', /servers\[0\]: expected 'host:port:weight \[name\]', got 1/],
    ['a:\n  servers: ["127.0.0.1:99999:1"]\n', /servers\[0\]: node 127.0.0.1:99999:1: port must be/],
    ['a:\n  servers: ["127.0.0.1:1:1 name extra"]\n', /servers\[0\]/],
    ['a:\n  servers: ["/tmp/mc.sock:1"]\n', /unix sockets/],
    ['a:\n  servers: [127.0.0.1:1]\n  redis: true\n', /redis pools are not supported/],
    ['a:\n  servers: [127.0.0.1:1]\n  lsiten: x\n', /unknown key 'lsiten'/],
    ['a:\n  servers: [127.0.0.1:1]\n  hot_keys: { windwo: 1 }\n', /hot_keys: unknown key 'windwo'/],
    ['a:\n  servers: [127.0.0.1:1]\na:\n  servers: [127.0.0.1:2]\n', /unique/],
  ])('refuses %j', (text, message) => {
    expect(() => parseConfig(text)).toThrow(message);
  });

  it('names the file it cannot read', () => {
    expect(() => loadConfigFile('/nonexistent/proxy.yml')).toThrow(
      /cannot read config file \/nonexistent\/proxy.yml/,
    );
  });

  it('loads a file', () => {
    const directory = mkdtempSync(join(tmpdir(), 'ringcache-proxy-config-'));
    try {
      const path = join(directory, 'pool.yml');
      writeFileSync(path, NUTCRACKER_POOL);
      expect(loadConfigFile(path).pools[0]?.name).toBe('alpha');
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe('resolveProxyOptions', () => {
  const servers = ['127.0.0.1:11211'];

  it('binds loopback by default and refuses other addresses without allowRemote', () => {
    expect(resolveProxyOptions({ servers }).listen).toEqual({ host: '127.0.0.1', port: 22121 });
    expect(() => resolveProxyOptions({ servers, listen: '0.0.0.0:22121' })).toThrow(
      /refusing to listen on 0.0.0.0:22121: not a loopback address.*--allow-remote/,
    );
    expect(resolveProxyOptions({ servers, listen: '0.0.0.0:22121', allowRemote: true }).listen.host).toBe(
      '0.0.0.0',
    );
  });

  it('defaults to the core hash ring; hash without ketama is an error pointing at nutcracker', () => {
    expect(resolveProxyOptions({ servers }).partitioner.kind).toBe('consistent');
    expect(() => resolveProxyOptions({ servers, hash: 'md5' })).toThrow(
      /nutcracker's default distribution is ketama/,
    );
    expect(resolveProxyOptions({ servers, distribution: 'ketama' }).hash).toBe('fnv1a_64');
  });

  it.each([
    [{ distribution: 'modula' }, /modula and random are not supported/],
    [{ distribution: 'ketama', hash: 'sha1' }, /unknown hash 'sha1'/],
    [{ hashTag: '{' }, /hash_tag must be two characters/],
    [{ timeout: 0 }, /timeout must be an integer ≥ 1, got 0/],
    [{ timeout: '100' }, /timeout must be an integer/],
    [{ serverFailureLimit: 1.5 }, /server_failure_limit/],
    [{ autoEjectHosts: 'yes' }, /auto_eject_hosts must be true or false/],
    [{ readErrors: 'ignore' }, /read_errors must be 'error' or 'miss'/],
    [{ hotKeys: { threshold: 2 } }, /hot_keys.threshold/],
    [{ servers: [] }, /node list is empty/],
    [{ servers: ['127.0.0.1:1', '127.0.0.1:1'] }, /appears twice/],
  ])('refuses %j', (extra, message) => {
    expect(() => resolveProxyOptions({ servers, ...extra } as never)).toThrow(message);
  });
});
