import { ConfigError } from '../errors.js';

export interface HealthOptions {
  /**
   * Consecutive failures after which a node is ejected (twemproxy's server_failure_limit).
   * @default 2
   */
  failureLimit?: number;
  /**
   * Milliseconds an ejected node stays out before a probe may re-admit it
   * (twemproxy's server_retry_timeout).
   * @default 30000
   */
  retryTimeout?: number;
  /** Must resolve before an ejected node is re-admitted (memcached: `version`). */
  probe?: (node: string) => Promise<void>;
  /**
   * Runs after a successful probe, before re-admission. Memcached flushes the node here so it
   * cannot serve values older than writes that went elsewhere while it was out.
   */
  beforeReadmit?: (node: string) => Promise<void>;
}

/** `hard`: the node refused or reset the connection. `soft`: it did not answer in time. */
export type FailureKind = 'hard' | 'soft';

export type HealthEvent =
  | { type: 'node:eject'; node: string; reason: unknown; kind: FailureKind }
  | { type: 'node:readmit'; node: string };

interface NodeState {
  failures: number;
  ejectedAt: number | undefined;
  probing: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * Per-node consecutive-failure counting, ejection and probed re-admission, shared by every
 * client-routed adapter and the proxy. It only keeps state and timers; the Router decides
 * where an ejected node's keys go.
 */
export class NodeHealth {
  readonly failureLimit: number;
  readonly retryTimeout: number;
  private readonly states = new Map<string, NodeState>();
  private readonly listeners = new Set<(event: HealthEvent) => void>();
  private closed = false;

  constructor(
    nodeIds: readonly string[],
    private readonly options: HealthOptions = {},
  ) {
    this.failureLimit = options.failureLimit ?? 2;
    this.retryTimeout = options.retryTimeout ?? 30_000;
    if (!Number.isInteger(this.failureLimit) || this.failureLimit < 1) {
      throw new ConfigError(`failureLimit must be a positive integer, got ${String(options.failureLimit)}`);
    }
    if (!Number.isFinite(this.retryTimeout) || this.retryTimeout < 0) {
      throw new ConfigError(
        `retryTimeout must be a non-negative number, got ${String(options.retryTimeout)}`,
      );
    }
    for (const id of nodeIds)
      this.states.set(id, { failures: 0, ejectedAt: undefined, probing: false, timer: undefined });
  }

  isEjected(node: string): boolean {
    return this.states.get(node)?.ejectedAt !== undefined;
  }

  /** Ids of the nodes ejected now. */
  ejected(): string[] {
    return [...this.states].filter(([, state]) => state.ejectedAt !== undefined).map(([id]) => id);
  }

  recordSuccess(node: string): void {
    const state = this.states.get(node);
    if (state !== undefined && state.ejectedAt === undefined) state.failures = 0;
  }

  recordFailure(node: string, reason: unknown, kind: FailureKind): void {
    const state = this.states.get(node);
    if (state === undefined || state.ejectedAt !== undefined || this.closed) return;
    state.failures++;
    if (state.failures < this.failureLimit) return;
    state.ejectedAt = Date.now();
    this.emit({ type: 'node:eject', node, reason, kind });
    this.scheduleProbe(node, state);
  }

  /** Re-admits a node now, skipping the probe (operators, tests). */
  readmit(node: string): void {
    const state = this.states.get(node);
    if (state === undefined || state.ejectedAt === undefined) return;
    clearTimeout(state.timer);
    Object.assign(state, { failures: 0, ejectedAt: undefined, probing: false, timer: undefined });
    this.emit({ type: 'node:readmit', node });
  }

  subscribe(listener: (event: HealthEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.closed = true;
    for (const state of this.states.values()) clearTimeout(state.timer);
    this.listeners.clear();
  }

  private scheduleProbe(node: string, state: NodeState): void {
    // unref: an ejected node must not keep the process alive.
    state.timer = setTimeout(() => void this.probe(node, state), this.retryTimeout);
    state.timer.unref?.();
  }

  private async probe(node: string, state: NodeState): Promise<void> {
    if (this.closed || state.probing || state.ejectedAt === undefined) return;
    state.probing = true;
    try {
      await this.options.probe?.(node);
      await this.options.beforeReadmit?.(node);
    } catch {
      state.probing = false;
      if (!this.closed) this.scheduleProbe(node, state);
      return;
    }
    if (!this.closed) this.readmit(node);
  }

  private emit(event: HealthEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A throwing listener must not break health tracking for the others.
      }
    }
  }
}
