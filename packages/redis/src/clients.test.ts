import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import {
  createCluster,
  createRedis,
  idOfNodeKey,
  orUndefined,
  toBuffer,
  toIoredisNode,
  withoutConnectionPrefix,
} from './clients.js';
import { resolveFailover } from './options.js';

// Lazy clients: constructing them opens no connection, so their options can be inspected here.
describe('createCluster', () => {
  it('maps the adapter options onto ioredis, failover numbers included', () => {
    const natMap = { '10.0.0.1:6379': { host: 'public.example', port: 16379 } };
    const dnsLookup = (address: string, callback: (error: null, address: string) => void) =>
      callback(null, address);
    const cluster = createCluster(
      {
        nodes: ['127.0.0.1:7000', '[::1]:7001'],
        username: 'app',
        password: 'secret',
        tls: true,
        natMap,
        dnsLookup,
        scaleReads: 'slave',
      },
      resolveFailover({ clusterNodeTimeout: 3000 }),
    );
    expect(cluster.status).toBe('wait');
    expect(cluster.options).toMatchObject({
      lazyConnect: true,
      enableAutoPipelining: false,
      scaleReads: 'slave',
      retryDelayOnFailover: 100,
      retryDelayOnClusterDown: 100,
      retryDelayOnTryAgain: 100,
      maxRedirections: 8,
      natMap,
      dnsLookup,
      redisOptions: { username: 'app', password: 'secret', tls: {} },
    });
    expect(cluster.nodes('all')).toEqual([]); // nothing connected yet
  });

  it('lets clusterOptions win, and needs startup nodes', () => {
    const cluster = createCluster(
      {
        nodes: ['127.0.0.1:7000'],
        password: 'a',
        clusterOptions: { maxRedirections: 3, redisOptions: { password: 'b' } },
      },
      resolveFailover(),
    );
    expect(cluster.options).toMatchObject({ maxRedirections: 3, redisOptions: { password: 'b' } });
    expect(() => createCluster({ nodes: [] }, resolveFailover())).toThrow(
      expect.objectContaining({ code: 'E_CONFIG' }),
    );
    expect(() => createCluster({}, resolveFailover())).toThrow(/nodes/);
  });
});

describe('createRedis', () => {
  it('fails fast by default and passes Sentinel options through', () => {
    const redis = createRedis({
      redis: { sentinels: [{ host: '10.0.0.9', port: 26379 }], name: 'mymaster' },
    });
    expect(redis.options).toMatchObject({
      lazyConnect: true,
      enableAutoPipelining: false,
      maxRetriesPerRequest: 1,
      sentinels: [{ host: '10.0.0.9', port: 26379 }],
      name: 'mymaster',
    });
    expect(createRedis({ redis: { maxRetriesPerRequest: 5 } }).options.maxRetriesPerRequest).toBe(5);
  });
});

describe('helpers', () => {
  it('converts node specs and ioredis node keys, IPv6 included', () => {
    expect(toIoredisNode('[::1]:7000')).toEqual({ host: '::1', port: 7000 });
    expect(toIoredisNode({ host: '10.0.0.1', port: 6379 })).toEqual({ host: '10.0.0.1', port: 6379 });
    expect(idOfNodeKey('::1:7000')).toBe('[::1]:7000');
    expect(idOfNodeKey('127.0.0.1:7000')).toBe('127.0.0.1:7000');
  });

  it('strips only the connection’s own ioredis keyPrefix', () => {
    const prefixed = new Redis({ lazyConnect: true, keyPrefix: 'app:' });
    const keys = [Buffer.from('app:a'), Buffer.from('other:b')];
    expect(withoutConnectionPrefix(prefixed, keys).map(String)).toEqual(['a', 'other:b']);
    expect(withoutConnectionPrefix(new Redis({ lazyConnect: true }), keys)).toBe(keys);
  });

  it('wraps bytes without copying, both ways', () => {
    const bytes = Uint8Array.of(1, 2, 3, 4).subarray(1, 3);
    const buffer = toBuffer(bytes);
    expect(Buffer.isBuffer(buffer)).toBe(true);
    expect(buffer.buffer).toBe(bytes.buffer);
    expect([...buffer]).toEqual([2, 3]);
    const view = orUndefined(buffer)!;
    expect(view.constructor).toBe(Uint8Array);
    expect(view.buffer).toBe(bytes.buffer);
    expect(orUndefined(null)).toBeUndefined();
  });
});
