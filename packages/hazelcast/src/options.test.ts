import { LogLevel, ReconnectMode } from 'hazelcast-client';
import { describe, expect, it } from 'vitest';
import { eventLogger } from './event-logger.js';
import { buildClientConfig, type HazelcastAdapterOptions, resolveOptions } from './options.js';

const hooks = { onLifecycle: () => {}, logger: eventLogger(() => {}) };
const config = (options: HazelcastAdapterOptions) =>
  buildClientConfig(options, resolveOptions(options), hooks);

describe('resolveOptions', () => {
  it('fills in defaults', () => {
    expect(resolveOptions({})).toEqual({
      mapName: 'ringcache',
      invocationTimeout: 5000,
      connectTimeout: 10_000,
      topologyRefreshInterval: 1000,
      maxValueBytes: 8 * 1024 * 1024,
      maxKeyBytes: 65_536,
    });
  });

  it.each<[string, HazelcastAdapterOptions]>([
    ['an empty map name', { mapName: '' }],
    ['a zero invocation timeout', { invocationTimeout: 0 }],
    ['a negative connect timeout', { connectTimeout: -1 }],
    ['a reconnect timeout below -1', { clusterConnectTimeout: -2 }],
    ['a non-finite refresh interval', { topologyRefreshInterval: Number.POSITIVE_INFINITY }],
    ['something that is not a client', { client: {} as HazelcastAdapterOptions['client'] }],
  ])('rejects %s with E_CONFIG', (_, options) => {
    expect(() => resolveOptions(options)).toThrow(expect.objectContaining({ code: 'E_CONFIG' }));
  });

  it('rejects a bad member spec with E_CONFIG', () => {
    expect(() => config({ members: ['nowhere'] })).toThrow(expect.objectContaining({ code: 'E_CONFIG' }));
  });
});

describe('buildClientConfig', () => {
  it('fails fast while disconnected, bounds invocations, reconnects forever, and keeps quiet', () => {
    const built = config({ clusterName: 'c', members: ['10.0.0.1:5701', { host: '10.0.0.2', port: 5702 }] });
    expect(built.clusterName).toBe('c');
    expect(built.network?.clusterMembers).toEqual(['10.0.0.1:5701', '10.0.0.2:5702']);
    expect(built.connectionStrategy).toMatchObject({
      asyncStart: true,
      reconnectMode: ReconnectMode.ASYNC,
      connectionRetry: { clusterConnectTimeoutMillis: -1 },
    });
    expect(built.properties).toMatchObject({
      'hazelcast.client.invocation.timeout.millis': 5000,
      'hazelcast.client.statistics.enabled': false,
    });
    expect(built.customLogger).toBe(hooks.logger);
    expect(built.lifecycleListeners).toEqual([hooks.onLifecycle]);
  });

  it('merges clientConfig over the defaults key by key', () => {
    const listener = () => {};
    const built = config({
      clusterConnectTimeout: 30_000,
      invocationTimeout: 2000,
      clientConfig: {
        instanceName: 'mine',
        network: { smartRouting: false },
        connectionStrategy: { connectionRetry: { maxBackoffMillis: 1000 } },
        properties: { 'hazelcast.client.heartbeat.timeout': 10_000, 'hazelcast.logging.level': 'INFO' },
        lifecycleListeners: [listener],
      },
    });
    expect(built.instanceName).toBe('mine');
    expect(built.network).toMatchObject({ smartRouting: false, clusterMembers: ['127.0.0.1:5701'] });
    expect(built.connectionStrategy).toMatchObject({
      reconnectMode: ReconnectMode.ASYNC,
      connectionRetry: { maxBackoffMillis: 1000, clusterConnectTimeoutMillis: 30_000 },
    });
    expect(built.properties).toMatchObject({
      'hazelcast.client.heartbeat.timeout': 10_000,
      'hazelcast.client.invocation.timeout.millis': 2000,
    });
    expect(built.lifecycleListeners).toEqual([hooks.onLifecycle, listener]);
    // A logging level asks for the client's own logger.
    expect(built.customLogger).toBeUndefined();
  });
});

describe('eventLogger', () => {
  it('turns error logs into client:error events and drops the rest', () => {
    const events: unknown[] = [];
    const logger = eventLogger((event) => events.push(event));
    const cause = new Error('socket');
    logger.warn('ConnectionManager', 'retrying');
    logger.info('LifecycleService', 'STARTED');
    logger.log(LogLevel.DEBUG, 'x', 'y', undefined);
    logger.error('ConnectionManager', 'failed', cause);
    expect(events).toEqual([
      {
        type: 'client:error',
        node: undefined,
        error: expect.objectContaining({ code: 'E_BACKEND', cause }),
      },
    ]);
  });
});
