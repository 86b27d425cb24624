import { ketamaRing } from '@ringcache/core';
import { describe, expect, it } from 'vitest';
import { memcachedAdapter } from './memcached-adapter.js';
import { ITEM_OVERHEAD_BYTES, resolveOptions } from './options.js';
import { isLoopback } from './transport-warning.js';

const servers = ['127.0.0.1:11211', '127.0.0.1:11212'];
const config = expect.objectContaining({ code: 'E_CONFIG' });

describe('memcachedAdapter options', () => {
  it('declares memcached limits as capabilities', async () => {
    const adapter = memcachedAdapter({ servers });
    expect(adapter.capabilities).toEqual({
      routing: 'client',
      nativeMultiGet: true,
      prefixClear: false,
      maxKeyBytes: 250,
      maxValueBytes: 1024 * 1024 - ITEM_OVERHEAD_BYTES,
      ttlGranularityMs: 1000,
      keyCharacters: 'printable',
    });
    expect(memcachedAdapter({ servers, itemSizeMax: 2 * 1024 * 1024 }).capabilities.maxValueBytes).toBe(
      2 * 1024 * 1024 - ITEM_OVERHEAD_BYTES,
    );
    await adapter.close();
  });

  it('places keys like nutcracker with distribution ketama, or with a ketama ring', () => {
    const ring = ketamaRing(servers, { hash: 'murmur' });
    expect(resolveOptions({ servers, distribution: 'ketama' }).partitioner.kind).toBe('ketama');
    expect(resolveOptions({ servers, ring }).partitioner).toBe(ring);
    expect(resolveOptions({ servers, ring: (nodes) => ketamaRing(nodes) }).partitioner.kind).toBe('ketama');
    expect(resolveOptions({ servers }).partitioner.kind).toBe('consistent');
  });

  it('rejects bad options with E_CONFIG', () => {
    expect(() => resolveOptions({ servers: [] })).toThrow(config);
    expect(() => resolveOptions({ servers, ring: ketamaRing(['127.0.0.1:1']) })).toThrow(config);
    expect(() => resolveOptions({ servers, ring: ketamaRing(servers), distribution: 'ketama' })).toThrow(
      config,
    );
    expect(() => resolveOptions({ servers, hash: 'md5' })).toThrow(config);
    expect(() => resolveOptions({ servers, failover: 'retry' as 'miss' })).toThrow(config);
    expect(() => resolveOptions({ servers, timeout: 0 })).toThrow(config);
    expect(() => resolveOptions({ servers, maxValueBytes: 1024 * 1024 })).toThrow(config);
    expect(() => resolveOptions({ servers, flags: -1 })).toThrow(config);
  });

  it('warns through the logger about a plaintext non-loopback server, not about loopback or TLS', async () => {
    const warnings: string[] = [];
    const logger = { warn: (message: string) => warnings.push(message) };
    await memcachedAdapter({
      servers: ['127.0.0.1:11211', 'localhost:11212', '[::1]:11213'],
      logger,
    }).close();
    expect(warnings).toEqual([]);
    await memcachedAdapter({ servers: ['10.0.0.5:11211'], logger, tls: true }).close();
    expect(warnings).toEqual([]);
    await memcachedAdapter({ servers: ['10.0.0.5:11211', 'cache.internal:11211'], logger }).close();
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain('10.0.0.5');
    expect(isLoopback('127.1.2.3')).toBe(true);
    expect(isLoopback('128.0.0.1')).toBe(false);
  });
});
