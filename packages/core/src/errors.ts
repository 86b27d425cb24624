/**
 * One error class for the whole project. Callers branch on `code`, which is stable across
 * releases; messages may change.
 */
export type RingcacheErrorCode =
  | 'E_KEY_INVALID'
  | 'E_KEY_TOO_LONG'
  | 'E_VALUE_TOO_LARGE'
  | 'E_TTL_INVALID'
  | 'E_SERIALIZE'
  | 'E_TIMEOUT'
  | 'E_NODE_UNAVAILABLE'
  | 'E_OVERLOADED'
  | 'E_PARTIAL'
  | 'E_CLOSED'
  | 'E_CONFIG'
  | 'E_ABORTED'
  | 'E_UNSUPPORTED'
  | 'E_BACKEND';

// A Symbol.for marker survives duplicated package copies (two versions of core in one
// node_modules), where `instanceof` would fail.
const marker = Symbol.for('ringcache.error');

export interface RingcacheErrorOptions {
  cause?: unknown;
  /** The node the failure belongs to, when there is one. */
  node?: string;
  /** The (final, namespaced) key the failure belongs to, when there is one. */
  key?: string;
}

export class RingcacheError extends Error {
  readonly [marker] = true;
  readonly code: RingcacheErrorCode;
  readonly node: string | undefined;
  readonly key: string | undefined;

  constructor(code: RingcacheErrorCode, message: string, options: RingcacheErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.node = options.node;
    this.key = options.key;
  }

  static isInstance(error: unknown): error is RingcacheError {
    return typeof error === 'object' && error !== null && marker in error;
  }

  /** True when `error` is a RingcacheError with the given code. */
  static hasCode(error: unknown, code: RingcacheErrorCode): boolean {
    return RingcacheError.isInstance(error) && error.code === code;
  }
}

/** Bad options or node lists: raised at construction, never on the request path. */
export class ConfigError extends RingcacheError {
  constructor(message: string, options?: RingcacheErrorOptions) {
    super('E_CONFIG', message, options);
  }
}

/** A key that is empty, not a string, or holds characters the adapter forbids. */
export class InvalidKeyError extends RingcacheError {
  constructor(message: string, options?: RingcacheErrorOptions) {
    super('E_KEY_INVALID', message, options);
  }
}

export class KeyTooLongError extends RingcacheError {
  constructor(message: string, options?: RingcacheErrorOptions) {
    super('E_KEY_TOO_LONG', message, options);
  }
}

export class ValueTooLargeError extends RingcacheError {
  constructor(message: string, options?: RingcacheErrorOptions) {
    super('E_VALUE_TOO_LARGE', message, options);
  }
}

export class InvalidTtlError extends RingcacheError {
  constructor(message: string, options?: RingcacheErrorOptions) {
    super('E_TTL_INVALID', message, options);
  }
}

export class SerializeError extends RingcacheError {
  constructor(message: string, options?: RingcacheErrorOptions) {
    super('E_SERIALIZE', message, options);
  }
}

/** The call did not settle in time. On a write the outcome is unknown. */
export class TimeoutError extends RingcacheError {
  constructor(message: string, options?: RingcacheErrorOptions) {
    super('E_TIMEOUT', message, options);
  }
}

export class NodeUnavailableError extends RingcacheError {
  constructor(message: string, options?: RingcacheErrorOptions) {
    super('E_NODE_UNAVAILABLE', message, options);
  }
}

/** More than `maxPending` calls were queued for one node. */
export class OverloadedError extends RingcacheError {
  constructor(message: string, options?: RingcacheErrorOptions) {
    super('E_OVERLOADED', message, options);
  }
}

export class ClosedError extends RingcacheError {
  constructor(message = 'the cache is closed', options?: RingcacheErrorOptions) {
    super('E_CLOSED', message, options);
  }
}

export class AbortedError extends RingcacheError {
  constructor(message = 'the call was aborted', options?: RingcacheErrorOptions) {
    super('E_ABORTED', message, options);
  }
}

export class UnsupportedError extends RingcacheError {
  constructor(message: string, options?: RingcacheErrorOptions) {
    super('E_UNSUPPORTED', message, options);
  }
}

/** One key's outcome inside a many-key call. */
export type KeyOutcome<T> = { key: string; ok: true; value: T } | { key: string; ok: false; error: unknown };

/** A many-key call where some keys failed; `results` is in input order. */
export class PartialError<T = unknown> extends RingcacheError {
  readonly results: KeyOutcome<T>[];

  constructor(message: string, results: KeyOutcome<T>[], options?: RingcacheErrorOptions) {
    super('E_PARTIAL', message, options);
    this.results = results;
  }
}
