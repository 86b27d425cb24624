import { ClosedError, type KeyOutcome, PartialError, RingcacheError } from '../errors.js';
import { groupBy, type KeyGroup } from '../routing/group-by-node.js';
import type { CacheCore } from './cache-core.js';

/** One node's share of a many-key call: the node (undefined when the topology cannot say). */
export type NodeGroup = KeyGroup<string | undefined>;

/**
 * Runs a many-key call as one `CacheCore.call` per node that owns some of its keys, so that
 * each node's counters, `pending`, `maxPending`, timeouts, latency and spans see their share:
 * a node with `maxPending` calls waiting rejects its keys with `E_OVERLOADED` while the other
 * nodes answer theirs. `run` makes the adapter call for one group (the adapter groups again
 * inside, by slot or partition, which costs it one group). `observe` sees every key that
 * succeeded, with its node, before the caller does.
 *
 * @returns results in input order (for a call that returns nothing, such as `setMany`, a value
 *   not to be used)
 * @throws the error itself when every node failed the same way (all `E_TIMEOUT`, a closed
 *   cache, an abort), as a single call would; otherwise `PartialError` with per-key outcomes
 */
export function callByNode<T>(
  core: CacheCore,
  operation: string,
  keys: readonly string[],
  signal: AbortSignal | undefined,
  run: (group: NodeGroup) => Promise<readonly T[] | undefined>,
  observe?: (node: string | undefined, value: T | undefined, key: string) => void,
): Promise<(T | undefined)[]> {
  if (core.closed) return Promise.reject(new ClosedError());
  const groups = groupBy(keys, (key) => core.nodeOf(key));
  if (groups.length === 1) {
    // One node (the common case for a few keys): one call, results already in input order.
    const group = groups[0]!;
    const single = group.keys.length === 1 ? group.keys[0] : undefined;
    return core.call(
      operation,
      group.group,
      single,
      signal,
      () => run(group),
      observe === undefined ? undefined : (values) => observeGroup(group, values, observe),
    ) as Promise<(T | undefined)[]>;
  }
  return Promise.allSettled(
    groups.map((group) =>
      core.call(
        operation,
        group.group,
        undefined,
        signal,
        () => run(group),
        observe === undefined ? undefined : (values) => observeGroup(group, values, observe),
      ),
    ),
  ).then((settled) => merge(groups, settled, keys.length, observe));
}

function observeGroup<T>(
  group: NodeGroup,
  values: readonly T[] | undefined,
  observe: (node: string | undefined, value: T | undefined, key: string) => void,
): void {
  for (let index = 0; index < group.keys.length; index++) {
    observe(group.group, values === undefined ? undefined : values[index], group.keys[index]!);
  }
}

/** Puts per-node results back in input order, or builds the error the whole call rejects with. */
function merge<T>(
  groups: readonly NodeGroup[],
  settled: PromiseSettledResult<readonly T[] | undefined>[],
  length: number,
  observe: ((node: string | undefined, value: T | undefined, key: string) => void) | undefined,
): (T | undefined)[] {
  const failures = settled.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failures.length === 0) {
    const ordered = new Array<T | undefined>(length);
    for (let index = 0; index < groups.length; index++) {
      const values = (settled[index] as PromiseFulfilledResult<readonly T[] | undefined>).value;
      const { positions } = groups[index]!;
      for (let at = 0; at < positions.length; at++) ordered[positions[at]!] = values?.[at];
    }
    return ordered;
  }
  const cause = failures[0]!.reason as unknown;
  if (failures.length === settled.length && sameFailure(failures)) throw cause;
  const outcomes = new Array<KeyOutcome<T | undefined>>(length);
  let failed = 0;
  settled.forEach((result, index) => {
    const group = groups[index]!;
    group.positions.forEach((position, at) => {
      const key = group.keys[at]!;
      if (result.status === 'fulfilled') {
        outcomes[position] = { key, ok: true, value: result.value?.[at] };
        return;
      }
      // A node's own partial answer keeps its per-key outcomes; its successes are observed here.
      const inner = result.reason instanceof PartialError ? result.reason.results[at] : undefined;
      if (inner?.ok) observe?.(group.group, inner.value as T | undefined, key);
      else failed++;
      outcomes[position] = inner ?? { key, ok: false, error: result.reason };
    });
  });
  throw new PartialError<T | undefined>(`${failed} of ${length} keys failed`, outcomes, { cause });
}

/** Every node failed with the same typed error, not a partial one: the call failed as a whole. */
function sameFailure(failures: readonly PromiseRejectedResult[]): boolean {
  const code = RingcacheError.isInstance(failures[0]!.reason) ? failures[0]!.reason.code : undefined;
  return (
    code !== undefined &&
    code !== 'E_PARTIAL' &&
    failures.every((failure) => RingcacheError.isInstance(failure.reason) && failure.reason.code === code)
  );
}
