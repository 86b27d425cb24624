export { type HazelcastAdapter, type HazelcastNode, hazelcastAdapter } from './hazelcast-adapter.js';
export { type HazelcastBusOptions, hazelcastBus } from './hazelcast-bus.js';
export type { HazelcastTopology } from './hazelcast-topology.js';
export type { HazelcastAdapterOptions } from './options.js';
