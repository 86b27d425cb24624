import { ClosedError, type KeyOutcome, PartialError, RingcacheError } from '../errors.js';
import { groupItems, type ItemGroup } from '../routing/group-by-node.js';
import type { CacheCore } from './cache-core.js';

/** One node's share of a many-key call: the node (undefined when the topology cannot say). */
export type NodeGroup<I> = ItemGroup<I, string | undefined>;

/** What a many-key call is made of: its items, the key of each, and the adapter call per node. */
export interface ManyKeyCall<I, T> {
  readonly operation: string;
  /** Keys (getMany, deleteMany) or entries (setMany). */
  readonly items: readonly I[];
  readonly keyOf: (item: I) => string;
  readonly signal: AbortSignal | undefined;
  /** The adapter call for one node's items; its values in their order (none for a write). */
  readonly run: (group: NodeGroup<I>) => Promise<readonly T[] | undefined>;
  /**
   * Sees each node's values once they arrive, before the caller does (a node that answered in
   * part: the values of its keys that succeeded). Per node rather than per key, so counting
   * looks the node's counters up once.
   */
  readonly observe?: ((node: string | undefined, values: readonly (T | undefined)[]) => void) | undefined;
}

/** `keyOf` for calls whose items are the keys. */
export const itself = (key: string): string => key;

/**
 * Runs a many-key call as one `CacheCore.call` per node that owns some of its keys, so that
 * each node's counters, `pending`, `maxPending`, timeouts, latency and spans see their share:
 * a node with `maxPending` calls waiting rejects its keys with `E_OVERLOADED` while the other
 * nodes answer theirs. The adapter groups again inside (by slot or partition), which costs it
 * one group.
 *
 * @returns values in input order; for a call that returns none (`setMany`), nothing to use
 * @throws the error itself when every node failed the same way (all `E_TIMEOUT`, a closed
 *   cache, an abort), as a single call would; otherwise `PartialError` with per-key outcomes
 */
export function callByNode<I, T>(core: CacheCore, call: ManyKeyCall<I, T>): Promise<(T | undefined)[]> {
  if (core.closed) return Promise.reject(new ClosedError());
  const { keyOf, observe } = call;
  const groups = groupItems(call.items, (item) => core.nodeOf(keyOf(item)));
  const start = (group: NodeGroup<I>) =>
    core.call(
      call.operation,
      group.group,
      group.items.length === 1 ? keyOf(group.items[0]!) : undefined,
      call.signal,
      () => call.run(group),
      observe === undefined ? undefined : (values) => observe(group.group, values ?? []),
    );
  if (groups.length === 1) {
    // One node (the common case for a few keys): one call, results already in input order.
    return start(groups[0]!) as Promise<(T | undefined)[]>;
  }
  const calls = groups.map(start);
  // Every node answered (the usual case): no per-call outcome objects. Otherwise wait for all.
  return Promise.all(calls).then(
    (answers) => inOrder(groups, answers, call.items.length),
    () => Promise.allSettled(calls).then((settled) => failure(groups, settled, call)),
  );
}

function inOrder<I, T>(
  groups: readonly NodeGroup<I>[],
  answers: readonly (readonly T[] | undefined)[],
  length: number,
): (T | undefined)[] {
  if (answers[0] === undefined) return [];
  const ordered = new Array<T | undefined>(length);
  for (let index = 0; index < groups.length; index++) {
    const values = answers[index];
    const { positions } = groups[index]!;
    for (let at = 0; at < positions.length; at++) ordered[positions[at]!] = values?.[at];
  }
  return ordered;
}

/** The error the whole call rejects with, once every node settled. */
function failure<I, T>(
  groups: readonly NodeGroup<I>[],
  settled: PromiseSettledResult<readonly T[] | undefined>[],
  call: ManyKeyCall<I, T>,
): never {
  const failures = settled.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
  const cause = failures[0]!.reason as unknown;
  if (failures.length === settled.length && sameFailure(failures)) throw cause;
  const length = call.items.length;
  const outcomes = new Array<KeyOutcome<T | undefined>>(length);
  let failed = 0;
  settled.forEach((result, index) => {
    const group = groups[index]!;
    const succeeded: (T | undefined)[] = [];
    group.positions.forEach((position, at) => {
      const key = call.keyOf(group.items[at]!);
      if (result.status === 'fulfilled') {
        outcomes[position] = { key, ok: true, value: result.value?.[at] };
        return;
      }
      // A node's own partial answer keeps its per-key outcomes; its successes are observed here.
      const inner = result.reason instanceof PartialError ? result.reason.results[at] : undefined;
      if (inner?.ok) succeeded.push(inner.value as T | undefined);
      else failed++;
      outcomes[position] = inner ?? { key, ok: false, error: result.reason };
    });
    if (succeeded.length > 0) call.observe?.(group.group, succeeded);
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
