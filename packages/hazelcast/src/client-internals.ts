// The few hazelcast-client internals the adapter reads, in one place, each feature-detected so a
// client release that moves them degrades a detail (a node's status, lifecycle events of a
// borrowed client, the direct IMap path) instead of breaking calls. Checked against
// hazelcast-client 5.6.
import { createRequire } from 'node:module';
import type { Client, LifecycleState, UUID } from 'hazelcast-client';

const requireFromHere = createRequire(import.meta.url);

/**
 * A module inside the hazelcast-client package (`lib/...`; the package has no exports map), or
 * `undefined` when this release does not have it. direct-imap.ts checks what it gets.
 */
export function loadClientModule<T>(path: string): Partial<T> | undefined {
  try {
    return requireFromHere(`hazelcast-client/${path}`) as Partial<T>;
  } catch {
    return undefined;
  }
}

interface ConnectionRegistry {
  getConnection(uuid: UUID): unknown;
}

interface ClientInternals {
  getConnectionManager?():
    | {
        getConnectionRegistry?(): ConnectionRegistry | undefined;
        connectToAllClusterMembers?(): Promise<void>;
      }
    | undefined;
}

interface LifecycleEmitter {
  on?(event: string, listener: (state: LifecycleState) => void): unknown;
  off?(event: string, listener: (state: LifecycleState) => void): unknown;
}

/** The event name LifecycleServiceImpl (an EventEmitter) emits states under. */
const LIFECYCLE_EVENT = 'lifecycleEvent';

/**
 * Whether the client holds an open connection to the member `uuid`, from
 * `HazelcastClient.getConnectionManager().getConnectionRegistry().getConnection(uuid)`
 * (internal); `undefined` when that API is not there.
 */
export function isConnectedTo(client: Client, uuid: UUID): boolean | undefined {
  try {
    const registry = (client as unknown as ClientInternals)
      .getConnectionManager?.()
      ?.getConnectionRegistry?.();
    if (registry === undefined || typeof registry.getConnection !== 'function') return undefined;
    return registry.getConnection(uuid) != null;
  } catch {
    return undefined;
  }
}

/**
 * Makes an `asyncStart` client open a connection to every member, as a synchronously started
 * one does. hazelcast-client 5.6 only calls `ConnectionManager.connectToAllClusterMembers()`
 * (which also schedules the once-a-second reconnection to members) on the synchronous start
 * path, so an async-started smart client stays connected to one member: every call then hops
 * through it, and losing that one member looks like losing the cluster. Calling it before the
 * cluster is reached is fine: the task picks members up as the member list arrives.
 * @returns false when the internal method is not there (a fixed or reshaped client)
 */
export function connectToAllMembers(client: Client): boolean {
  const manager = (client as unknown as ClientInternals).getConnectionManager?.();
  if (typeof manager?.connectToAllClusterMembers !== 'function') return false;
  manager.connectToAllClusterMembers().catch(() => {
    // Each member connection already swallows its own failure; nothing else can reject.
  });
  return true;
}

/**
 * Listens to the lifecycle of a client the adapter did not create (its own clients get a
 * `lifecycleListeners` entry in their config, the public way). LifecycleServiceImpl is an
 * EventEmitter emitting `'lifecycleEvent'` (internal). Returns the unsubscribe function, or
 * `undefined` when the emitter is not there.
 */
export function onLifecycle(
  client: Client,
  listener: (state: LifecycleState) => void,
): (() => void) | undefined {
  const emitter = client.getLifecycleService() as unknown as LifecycleEmitter;
  if (typeof emitter.on !== 'function' || typeof emitter.off !== 'function') return undefined;
  emitter.on(LIFECYCLE_EVENT, listener);
  return () => emitter.off?.(LIFECYCLE_EVENT, listener);
}
