export type * from './adapter.js';
export { Cache, createCache } from './cache/cache.js';
export type { CacheEventName, CacheEvents, CacheListener } from './cache/events.js';
export type { LongKeyPolicy } from './cache/key-pipeline.js';
export type {
  CacheOptions,
  CallOptions,
  Loader,
  LoaderContext,
  SetEntry,
  SetOptions,
} from './cache/options.js';
export {
  bytesSerializer,
  type CompressionOptions,
  jsonSerializer,
  msgpackSerializer,
  type Serializer,
  type SerializerName,
  stringSerializer,
  withCompression,
} from './cache/serializers.js';
export * from './errors.js';
export * from './hashing/index.js';
export { murmur3, murmur3AfterBlock, murmur3Bytes } from './hashing/murmur3.js';
export { type FailureKind, type HealthEvent, type HealthOptions, NodeHealth } from './health/node-health.js';
export {
  HotKeyDetector,
  type HotKeyDetectorListener,
  type HotKeyDetectorOptions,
  type HotKeyReport,
} from './hot-keys/hot-key-detector.js';
export type { HotKeyEntry, HotKeyOptions, HotKeyPolicy, ShardError } from './hot-keys/hot-keys.js';
export { SlidingTopK } from './hot-keys/sliding-top-k.js';
export { SpaceSaving } from './hot-keys/space-saving.js';
export { type MemoryAdapterOptions, memoryAdapter } from './memory/memory-adapter.js';
export { LatencyHistogram, WindowedHistogram } from './metrics/latency-histogram.js';
export type { CacheStats, NodeStats } from './metrics/node-stats.js';
export {
  type CallOutcome,
  type CallTracer,
  noopCallTracer,
  type OpenTelemetryOptions,
  openTelemetryInstrumentation,
  openTelemetryTracer,
} from './metrics/opentelemetry.js';
export { type PrometheusExporterOptions, prometheusExporter } from './metrics/prometheus.js';
export * from './node-spec.js';
export { DEFAULT_VNODES, type HashRingOptions, hashRing } from './ring/hash-ring.js';
export { jumpBucket, jumpHash } from './ring/jump-hash.js';
export { DEFAULT_KETAMA_HASH, type KetamaOptions, ketamaRing } from './ring/ketama-ring.js';
export { movedFraction } from './ring/moved-fraction.js';
export type { Partitioner } from './ring/partitioner.js';
export { rendezvousHash } from './ring/rendezvous-hash.js';
export { FailoverView } from './routing/failover-view.js';
export {
  groupBy,
  groupByNode,
  groupItems,
  type ItemGroup,
  type KeyGroup,
  scatter,
} from './routing/group-by-node.js';
export { type FailoverPolicy, Router, type RouterOptions } from './routing/router.js';
export * from './slots/index.js';
export type { BusHandlers, InvalidationBus } from './tiers/bus.js';
export type { LocalTierOptions, LocalTierStats } from './tiers/local-tier.js';
export { memoryBus } from './tiers/memory-bus.js';
