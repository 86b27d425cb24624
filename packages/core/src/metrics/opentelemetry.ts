import type {
  Attributes,
  BatchObservableCallback,
  Meter,
  Observable,
  Span,
  Tracer,
} from '@opentelemetry/api';
import { countHotKeys, importOptionalPeer, type StatsSource } from './prometheus.js';

type OpenTelemetryApi = typeof import('@opentelemetry/api');

/**
 * How an adapter call ended: `hit`/`miss` for a single-key read, `ok` for any other call that
 * succeeded, `error`, `timeout` (the cache's timeout passed), `aborted` (the caller's signal).
 */
export type CallOutcome = 'hit' | 'miss' | 'ok' | 'error' | 'timeout' | 'aborted';

/**
 * Spans around adapter calls, driven by the facade (`createCache({ tracer })`): `startCall`
 * when a call leaves, the returned function once when it settles, with its outcome and, unless
 * it succeeded, its error. An interface rather than OpenTelemetry types so the call path never
 * imports `@opentelemetry/api`.
 */
export interface CallTracer {
  startCall(operation: string, node: string | undefined): (error?: unknown, outcome?: CallOutcome) => void;
}

// One shared function: the no-op path allocates nothing per call.
const settleNothing = (): void => {};

/** A tracer that does nothing, for when OpenTelemetry is absent or tracing is off. */
export const noopCallTracer: CallTracer = { startCall: () => settleNothing };

/** Options of {@link openTelemetryInstrumentation}. */
export interface OpenTelemetryOptions {
  /** Where the observable instruments are created. @default the global meter `@ringcache/core` */
  meter?: Meter;
  /** What `callTracer` starts spans on. @default the global tracer `@ringcache/core` */
  tracer?: Tracer;
  /** Prepended to every instrument name. @default 'ringcache.' */
  prefix?: string;
}

/**
 * A {@link CallTracer} for `createCache({ tracer })` on the global tracer `@ringcache/core`
 * (or `tracer`), or `undefined` when `@opentelemetry/api` is not installed: the cache then
 * traces nothing and pays nothing.
 */
export async function openTelemetryTracer(tracer?: Tracer): Promise<CallTracer | undefined> {
  const api = await importOptionalPeer('@opentelemetry/api', () => import('@opentelemetry/api'));
  if (api === undefined) return undefined;
  return new OpenTelemetryCallTracer(api, tracer ?? api.trace.getTracer(SCOPE));
}

/** What {@link openTelemetryInstrumentation} returns. */
export interface OpenTelemetryInstrumentation {
  /** False when `@opentelemetry/api` is not installed: then everything here is a no-op. */
  readonly enabled: boolean;
  /** Spans per call; {@link noopCallTracer} when disabled. */
  readonly callTracer: CallTracer;
  /** Stops observing the cache. Idempotent. */
  unregister(): void;
}

const SCOPE = '@ringcache/core';

/**
 * Reports `cache.stats()` through `@opentelemetry/api` (an optional peer dependency, loaded here
 * on first use; without it this returns a disabled no-op instrumentation). Every instrument is
 * observable and one batch callback reads stats once per collection, so the call path pays
 * nothing. Instruments, with a `node` attribute where it applies:
 *
 * - `ringcache.operations` counter {node, result: hit|miss|set|delete|error|timeout}
 * - `ringcache.calls` counter {node}; `ringcache.pending` up-down counter {node}
 * - `ringcache.bytes` counter {node, direction: read|write}, in bytes of values
 * - `ringcache.node.up` gauge {node}: 1 when up
 * - `ringcache.latency` gauge {node, quantile: 0.5|0.99} in seconds, over the recent window
 * - `ringcache.hit_ratio` gauge; `ringcache.hot_keys` gauge {node, policy}
 * - with an L1 tier: `ringcache.l1.hits`, `ringcache.l1.misses` counters, `ringcache.l1.entries`
 *   up-down counter, `ringcache.l1.hit_ratio` gauge
 */
export async function openTelemetryInstrumentation(
  cache: StatsSource,
  options: OpenTelemetryOptions = {},
): Promise<OpenTelemetryInstrumentation> {
  const api = await importOptionalPeer('@opentelemetry/api', () => import('@opentelemetry/api'));
  return instrumentWith(api, cache, options);
}

/**
 * {@link openTelemetryInstrumentation} with the API module already in hand (or `undefined`
 * when it is absent): synchronous, for callers that import `@opentelemetry/api` themselves.
 */
export function instrumentWith(
  api: OpenTelemetryApi | undefined,
  cache: StatsSource,
  options: OpenTelemetryOptions = {},
): OpenTelemetryInstrumentation {
  if (api === undefined) return { enabled: false, callTracer: noopCallTracer, unregister: () => {} };
  const prefix = options.prefix ?? 'ringcache.';
  const meter = options.meter ?? api.metrics.getMeter(SCOPE);
  const tracer = options.tracer ?? api.trace.getTracer(SCOPE);

  const operations = meter.createObservableCounter(`${prefix}operations`, {
    description: 'Operations per node by result',
    unit: '{operation}',
  });
  const calls = meter.createObservableCounter(`${prefix}calls`, {
    description: 'Calls that reached or were meant for the node',
    unit: '{call}',
  });
  const bytes = meter.createObservableCounter(`${prefix}bytes`, {
    description: 'Bytes of values read from and written to the node',
    unit: 'By',
  });
  const pending = meter.createObservableUpDownCounter(`${prefix}pending`, {
    description: 'Calls waiting on the node now',
    unit: '{call}',
  });
  const up = meter.createObservableGauge(`${prefix}node.up`, { description: '1 when the node is up' });
  const latency = meter.createObservableGauge(`${prefix}latency`, {
    description: 'Recent call latency per node',
    unit: 's',
  });
  const hitRatio = meter.createObservableGauge(`${prefix}hit_ratio`, {
    description: 'Hits / (hits + misses) over every node',
  });
  const hotKeys = meter.createObservableGauge(`${prefix}hot_keys`, {
    description: 'Keys detected as hot now, per node and mitigation policy',
    unit: '{key}',
  });
  const localHits = meter.createObservableCounter(`${prefix}l1.hits`, {
    description: 'Reads answered by the in-process tier',
  });
  const localMisses = meter.createObservableCounter(`${prefix}l1.misses`, {
    description: 'Reads the in-process tier could not answer',
  });
  const localEntries = meter.createObservableUpDownCounter(`${prefix}l1.entries`, {
    description: 'Entries in the in-process tier now',
    unit: '{entry}',
  });
  const localHitRatio = meter.createObservableGauge(`${prefix}l1.hit_ratio`, {
    description: 'L1 hits / (hits + misses)',
  });
  const observables: Observable[] = [
    operations,
    calls,
    bytes,
    pending,
    up,
    latency,
    hitRatio,
    hotKeys,
    localHits,
    localMisses,
    localEntries,
    localHitRatio,
  ];

  // A batch callback: one stats() per collection, and every instrument sees the same snapshot.
  const observe: BatchObservableCallback = (result) => {
    const stats = cache.stats();
    for (const node of stats.nodes) {
      const at = { node: node.id };
      result.observe(operations, node.hits, { node: node.id, result: 'hit' });
      result.observe(operations, node.misses, { node: node.id, result: 'miss' });
      result.observe(operations, node.sets, { node: node.id, result: 'set' });
      result.observe(operations, node.deletes, { node: node.id, result: 'delete' });
      result.observe(operations, node.errors, { node: node.id, result: 'error' });
      result.observe(operations, node.timeouts, { node: node.id, result: 'timeout' });
      result.observe(calls, node.ops, at);
      if (node.bytesRead !== undefined && node.bytesWritten !== undefined) {
        result.observe(bytes, node.bytesRead, { node: node.id, direction: 'read' });
        result.observe(bytes, node.bytesWritten, { node: node.id, direction: 'write' });
      }
      result.observe(pending, node.pending, at);
      result.observe(up, node.status === 'up' ? 1 : 0, at);
      if (node.latency !== undefined) {
        result.observe(latency, node.latency.p50 / 1e6, { node: node.id, quantile: '0.5' });
        result.observe(latency, node.latency.p99 / 1e6, { node: node.id, quantile: '0.99' });
      }
    }
    result.observe(hitRatio, stats.hitRate);
    for (const { node, policy, count } of countHotKeys(stats))
      result.observe(hotKeys, count, { node, policy });
    // Without an L1 tier nothing is observed, so no always-zero L1 series are exported.
    if (stats.local !== undefined) {
      const { hits, misses, size } = stats.local;
      result.observe(localHits, hits);
      result.observe(localMisses, misses);
      result.observe(localEntries, size);
      result.observe(localHitRatio, hits + misses === 0 ? 0 : hits / (hits + misses));
    }
  };
  meter.addBatchObservableCallback(observe, observables);

  let registered = true;
  return {
    enabled: true,
    callTracer: new OpenTelemetryCallTracer(api, tracer),
    unregister: () => {
      if (!registered) return;
      registered = false;
      meter.removeBatchObservableCallback(observe, observables);
    },
  };
}

/**
 * A client span per adapter call: `ringcache <operation>`, with the node, the outcome
 * (`ringcache.outcome`), and on failure the exception and `error.type` (the RingcacheError code,
 * e.g. E_TIMEOUT). The span's parent is the active context, so it nests under the caller's
 * request span. A many-key call makes one span per node it reaches.
 */
export class OpenTelemetryCallTracer implements CallTracer {
  constructor(
    private readonly api: OpenTelemetryApi,
    private readonly tracer: Tracer,
  ) {}

  startCall(operation: string, node: string | undefined): (error?: unknown) => void {
    const attributes: Attributes = { 'ringcache.operation': operation };
    if (node !== undefined) attributes['ringcache.node'] = node;
    const span = this.tracer.startSpan(`ringcache ${operation}`, {
      kind: this.api.SpanKind.CLIENT,
      attributes,
    });
    return (error?: unknown, outcome?: CallOutcome) => this.end(span, error, outcome);
  }

  private end(span: Span, error: unknown, outcome: CallOutcome | undefined): void {
    if (outcome !== undefined) span.setAttribute('ringcache.outcome', outcome);
    // An abort is the caller's choice, not a failure of the call.
    if (error !== undefined && outcome !== 'aborted') {
      const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
      span.setAttribute('error.type', typeof code === 'string' ? code : 'Error');
      if (error instanceof Error) span.recordException(error);
      span.setStatus({
        code: this.api.SpanStatusCode.ERROR,
        message: error instanceof Error ? error.message : String(error),
      });
    }
    span.end();
  }
}
