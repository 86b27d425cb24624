import { CONNECTION_CLOSED, DirectConnection, type DirectConnectionOptions } from './direct-connection.js';

/** After a connection to a node fails, ioredis carries its calls for this long before another try. */
const RETRY_DELAY_MS = 1000;
/** A connection to a node that stopped being a master gets this long to answer what it was sent. */
const RETIRE_GRACE_MS = 5000;
/**
 * Unanswered calls beyond which a connection takes no more (they go through ioredis): a node that
 * stopped answering without closing its socket must not collect calls without bound.
 */
const MAX_PENDING = 10_000;

/**
 * The adapter's direct connections, one per master, opened on first use. A node whose connection
 * is not ready (opening, failed less than a second ago, or too far behind) gets `undefined`, and
 * the adapter sends through ioredis instead: correctness never depends on a direct connection.
 */
export class DirectConnections {
  private readonly byNode = new Map<string, DirectConnection>();
  private readonly retryAt = new Map<string, number>();
  /** Nodes with calls outstanding that have sent nothing for `silence.limit` ms. */
  private readonly silent = new Set<string>();
  private silenceTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    /** How to reach a node, or undefined when a direct connection cannot reproduce ioredis' own. */
    private readonly optionsOf: (node: string) => DirectConnectionOptions | undefined,
    /** A connection to `node` failed (it was replaced by ioredis for a second). */
    private readonly onError: (node: string, error: Error) => void,
    /**
     * A node that keeps its socket open but stops answering (a frozen process) is reported
     * through `onSilent` once it owes replies and was silent for `limit` ms, and through
     * `onHeard` when it answers again or its connection closes.
     */
    private readonly silence: {
      readonly limit: number;
      onSilent(node: string, silentMs: number): void;
      onHeard(node: string): void;
    },
  ) {}

  /** Whether `node` owes replies and has been silent too long (see the constructor). */
  isSilent(node: string): boolean {
    return this.silent.has(node);
  }

  /** The ready connection to `node`, or undefined (then use ioredis); opens one when there is none. */
  to(node: string): DirectConnection | undefined {
    const connection = this.byNode.get(node);
    if (connection !== undefined) {
      return connection.state === 'ready' && connection.pending < MAX_PENDING ? connection : undefined;
    }
    this.open(node);
    return undefined;
  }

  /** The open connections, by node (for diagnostics and tests). */
  get connections(): ReadonlyMap<string, DirectConnection> {
    return this.byNode;
  }

  /** Closes connections to nodes not in `masters`, once they answered (or after a grace period). */
  retain(masters: ReadonlySet<string>): void {
    for (const [node, connection] of this.byNode) {
      if (masters.has(node)) continue;
      this.byNode.delete(node);
      this.heard(node);
      retire(connection);
    }
  }

  /** Closes every connection; pending calls reject with `error`. */
  close(error: Error): void {
    this.closed = true;
    clearInterval(this.silenceTimer);
    for (const connection of this.byNode.values()) connection.destroy(error);
    this.byNode.clear();
  }

  /**
   * Looks for silent nodes a few times per `limit`. A timer, not a check per call: the calls of a
   * healthy node pay nothing for it.
   */
  private watchSilence(): void {
    if (this.silenceTimer !== undefined) return;
    const { limit } = this.silence;
    this.silenceTimer = setInterval(
      () => {
        const now = Date.now();
        for (const [node, connection] of this.byNode) {
          const silentMs = connection.pending > 0 ? now - connection.lastHeardAt : 0;
          if (silentMs >= limit) {
            if (!this.silent.has(node)) {
              this.silent.add(node);
              this.silence.onSilent(node, silentMs);
            }
          } else {
            this.heard(node);
          }
        }
      },
      Math.max(10, Math.min(250, limit / 4)),
    );
    this.silenceTimer.unref();
  }

  private heard(node: string): void {
    if (this.silent.delete(node)) this.silence.onHeard(node);
  }

  private open(node: string): void {
    if (this.closed || (this.retryAt.get(node) ?? 0) > Date.now()) return;
    const options = this.optionsOf(node);
    if (options === undefined) {
      // Not reachable directly (yet): ask again in a while, not on every call.
      this.retryAt.set(node, Date.now() + RETRY_DELAY_MS);
      return;
    }
    const connection = new DirectConnection(options, {
      onReady: () => this.retryAt.delete(node),
      onClose: (error) => {
        if (this.byNode.get(node) !== connection) return;
        this.byNode.delete(node);
        // A closed connection owes nothing: whether the node is down is for ioredis' events to say.
        this.heard(node);
        if (this.closed) return;
        this.retryAt.set(node, Date.now() + RETRY_DELAY_MS);
        this.onError(node, error);
      },
    });
    this.byNode.set(node, connection);
    this.watchSilence();
  }
}

function retire(connection: DirectConnection): void {
  const closeWhenAnswered = setInterval(() => {
    if (connection.pending === 0 || connection.state === 'closed') {
      clearInterval(closeWhenAnswered);
      clearTimeout(deadline);
      connection.destroy(new Error(CONNECTION_CLOSED));
    }
  }, 50);
  const deadline = setTimeout(() => {
    clearInterval(closeWhenAnswered);
    connection.destroy(new Error(CONNECTION_CLOSED));
  }, RETIRE_GRACE_MS);
  closeWhenAnswered.unref();
  deadline.unref();
}
