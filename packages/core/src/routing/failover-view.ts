import { ConfigError, NodeUnavailableError } from '../errors.js';
import type { CacheNode, NodeSpec } from '../node-spec.js';
import { assertReplicaCount } from '../ring/checks.js';
import type { Partitioner } from '../ring/partitioner.js';
import type { FailoverPolicy } from './router.js';

/**
 * A partitioner with some nodes ejected. Keys of healthy nodes stay where they are; an ejected
 * node's keys go to the next healthy node in the base partitioner's preference order
 * (`'next-node'`), or fail fast (`'miss'`). Read-only: topology changes go to the base.
 */
export class FailoverView implements Partitioner {
  readonly kind: string;
  readonly nodes: readonly CacheNode[];

  constructor(
    private readonly base: Partitioner,
    private readonly ejected: ReadonlySet<string>,
    private readonly policy: FailoverPolicy,
  ) {
    this.kind = base.kind;
    this.nodes = base.nodes;
  }

  locate(key: string): string {
    const owner = this.base.locate(key);
    if (!this.ejected.has(owner)) return owner;
    if (this.policy === 'miss') {
      throw new NodeUnavailableError(`node ${owner} is ejected`, { node: owner, key });
    }
    const next = this.base.locateN(key, this.nodes.length).find((id) => !this.ejected.has(id));
    if (next === undefined) throw new NodeUnavailableError('every node is ejected', { node: owner, key });
    return next;
  }

  locateN(key: string, n: number): string[] {
    const healthy = this.nodes.length - this.ejected.size;
    assertReplicaCount(n, Math.max(healthy, 1));
    const found = this.base.locateN(key, this.nodes.length).filter((id) => !this.ejected.has(id));
    if (found.length < n) throw new NodeUnavailableError(`only ${found.length} healthy nodes`, { key });
    return found.slice(0, n);
  }

  withNode(_node: NodeSpec): Partitioner {
    throw new ConfigError('a failover view is read-only; change the base partitioner');
  }

  withoutNode(_id: string): Partitioner {
    throw new ConfigError('a failover view is read-only; change the base partitioner');
  }

  withWeight(_id: string, _weight: number): Partitioner {
    throw new ConfigError('a failover view is read-only; change the base partitioner');
  }
}
