import type { AdapterEvent, AdapterNode } from '../adapter.js';
import { type KeyOutcome, PartialError } from '../errors.js';
import { type FailureKind, type HealthOptions, NodeHealth } from '../health/node-health.js';
import type { Partitioner } from '../ring/partitioner.js';
import { FailoverView } from './failover-view.js';
import { groupItems } from './group-by-node.js';

/** The group of a many-key call's items whose key the router cannot route now. */
const UNROUTABLE = Symbol('unroutable');

export type FailoverPolicy = 'miss' | 'next-node';

export interface RouterOptions {
  partitioner: Partitioner;
  health?: HealthOptions;
  /**
   * Where an ejected node's keys go. `'next-node'`: to the next healthy node the partitioner
   * prefers (twemproxy's auto_eject_hosts); `'miss'`: nowhere, calls fail fast with
   * `E_NODE_UNAVAILABLE` (reads become misses in the facade).
   * @default 'next-node'
   */
  failover?: FailoverPolicy;
  /**
   * Which errors count against a node's health. Errors that are not the node's fault (a bad
   * request) return undefined.
   * @default every error is a hard failure
   */
  classify?: (error: unknown) => FailureKind | undefined;
}

/**
 * The client-side router: a partitioner, node health and a failover policy. Client-routed
 * adapters (memory, memcached) and the proxy route every key through here, so ejection,
 * failover and many-key grouping behave the same everywhere.
 */
export class Router {
  readonly partitioner: Partitioner;
  readonly health: NodeHealth;
  readonly failover: FailoverPolicy;
  private view: Partitioner;
  private readonly classify: (error: unknown) => FailureKind | undefined;
  private readonly listeners = new Set<(event: AdapterEvent) => void>();
  private readonly unsubscribeHealth: () => void;

  constructor(options: RouterOptions) {
    this.partitioner = options.partitioner;
    this.failover = options.failover ?? 'next-node';
    this.classify = options.classify ?? (() => 'hard');
    this.health = new NodeHealth(
      this.partitioner.nodes.map((node) => node.id),
      options.health,
    );
    this.view = this.partitioner;
    this.unsubscribeHealth = this.health.subscribe((event) => {
      this.view = this.makeView();
      this.emit(
        event.type === 'node:eject'
          ? { type: 'node:eject', node: event.node, reason: event.reason, kind: event.kind }
          : event,
      );
      this.emit({ type: 'topology:change', topology: this.view });
    });
  }

  /** Where keys go now: the partitioner, with ejected nodes routed around per the policy. */
  topology(): Partitioner {
    return this.view;
  }

  /**
   * The node a key's call goes to now.
   * @throws NodeUnavailableError when its owner is ejected and the policy is `'miss'`, or every node is out
   */
  route(key: string): string {
    return this.view.locate(key);
  }

  /** True when `node` is not the key's owner in the full topology (a failover write). */
  isFailover(key: string, node: string): boolean {
    return this.view !== this.partitioner && this.partitioner.locate(key) !== node;
  }

  /**
   * Runs one node's operation, recording its outcome in the node's health. Not an async
   * function: one promise chain per call instead of two, since every client-routed call passes here.
   */
  run<T>(node: string, operation: () => Promise<T>): Promise<T> {
    let pending: Promise<T>;
    try {
      pending = operation();
    } catch (error) {
      pending = Promise.reject(error);
    }
    return pending.then(
      (result) => {
        this.health.recordSuccess(node);
        return result;
      },
      (error: unknown) => {
        const kind = this.classify(error);
        if (kind !== undefined) this.health.recordFailure(node, error, kind);
        throw error;
      },
    );
  }

  /**
   * Runs a many-key operation as one call per node, in parallel, and returns the results in
   * input order. When some nodes fail (or cannot be routed to), rejects with a PartialError
   * carrying every key's outcome.
   */
  async runGrouped<I, T>(
    items: readonly I[],
    keyOf: (item: I) => string,
    perNode: (node: string, items: I[]) => Promise<T[]>,
  ): Promise<T[]> {
    const outcomes = new Array<KeyOutcome<T>>(items.length);
    const groups = groupItems(items, (item, position) => {
      try {
        return this.route(keyOf(item));
      } catch (error) {
        outcomes[position] = { key: keyOf(item), ok: false, error };
        return UNROUTABLE;
      }
    });
    await Promise.all(
      groups.map(async (group) => {
        const node = group.group;
        // Its items' failures are already in `outcomes`.
        if (node === UNROUTABLE) return;
        try {
          const results = await this.run(node, () => perNode(node, group.items));
          group.positions.forEach((position, index) => {
            outcomes[position] = { key: keyOf(items[position]!), ok: true, value: results[index]! };
          });
        } catch (error) {
          for (const position of group.positions)
            outcomes[position] = { key: keyOf(items[position]!), ok: false, error };
        }
      }),
    );
    const failed = outcomes.filter((outcome) => !outcome.ok).length;
    if (failed > 0) {
      throw new PartialError(`${failed} of ${items.length} keys failed`, outcomes, {
        cause: outcomes.find((outcome) => !outcome.ok && 'error' in outcome),
      });
    }
    return outcomes.map((outcome) => (outcome as { value: T }).value);
  }

  nodes(): AdapterNode[] {
    return this.partitioner.nodes.map((node) => ({
      id: node.id,
      address: `${node.host}:${node.port}`,
      status: this.health.isEjected(node.id) ? 'ejected' : 'up',
    }));
  }

  subscribe(listener: (event: AdapterEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Lets an adapter report events of its own (client errors) through the same listeners. */
  emit(event: AdapterEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A throwing listener must not break routing.
      }
    }
  }

  close(): void {
    this.unsubscribeHealth();
    this.health.close();
    this.listeners.clear();
  }

  private makeView(): Partitioner {
    const ejected = this.health.ejected();
    if (ejected.length === 0) return this.partitioner;
    return new FailoverView(this.partitioner, new Set(ejected), this.failover);
  }
}
