/** The sample's settings, all from the environment so `npm start` needs none. */
export type BackendName = 'memory' | 'redis' | 'memcached' | 'hazelcast';

export interface Settings {
  backend: BackendName;
  port: number;
  host: string;
  /** Hot-key detection window, ms: long enough for a visitor to see the hot node before the split. */
  hotKeyWindowMs: number;
  /**
   * Reads a key needs within one window to be hot. High enough that only `config` qualifies
   * under the generator's default load, and only after about two seconds of it: a visitor sees
   * its node run hot before the split evens the nodes out.
   */
  hotKeyMinCount: number;
  /** Latency of the fake database, ms. */
  databaseLatencyMs: number;
  /** Lifetime of cached products, ms. */
  productTtlMs: number;
}

const BACKENDS: readonly BackendName[] = ['memory', 'redis', 'memcached', 'hazelcast'];

/** @throws Error naming the variable when one is invalid: better than starting on a wrong setting */
export function readSettings(environment: NodeJS.ProcessEnv = process.env): Settings {
  const backend = (environment.CACHE_BACKEND ?? 'memory').toLowerCase();
  if (!BACKENDS.includes(backend as BackendName)) {
    throw new Error(`CACHE_BACKEND must be one of ${BACKENDS.join(', ')}; got '${backend}'`);
  }
  return {
    backend: backend as BackendName,
    port: integer(environment, 'PORT', 3000, 0),
    host: environment.HOST ?? '127.0.0.1',
    hotKeyWindowMs: integer(environment, 'HOT_KEY_WINDOW_MS', 5000, 100),
    hotKeyMinCount: integer(environment, 'HOT_KEY_MIN_COUNT', 1000, 1),
    databaseLatencyMs: integer(environment, 'DATABASE_LATENCY_MS', 120, 0),
    productTtlMs: integer(environment, 'PRODUCT_TTL_MS', 30_000, 1),
  };
}

function integer(environment: NodeJS.ProcessEnv, name: string, fallback: number, minimum: number): number {
  const raw = environment[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < minimum) {
    throw new Error(`${name} must be an integer ≥ ${minimum}; got '${raw}'`);
  }
  return value;
}

/** `'a:1,b:2'` → `['a:1', 'b:2']`, or the default when unset. */
export function nodeList(environment: NodeJS.ProcessEnv, name: string, fallback: string[]): string[] {
  const raw = environment[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  return raw
    .split(',')
    .map((node) => node.trim())
    .filter((node) => node !== '');
}
