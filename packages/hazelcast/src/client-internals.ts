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
  getConnections?(): { writer?: unknown }[];
}

interface ClientInternals {
  getConnectionManager?():
    | {
        getConnectionRegistry?(): ConnectionRegistry | undefined;
        connectToAllClusterMembers?(): Promise<void>;
      }
    | undefined;
}

/** hazelcast-client 5.6's PipelinedWriter: what holding it touches. */
interface PipelinedWriter {
  scheduled: boolean;
  canWrite: boolean;
  schedule(): void;
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

/**
 * A `hold()` that keeps the client's connection writers from flushing until the event loop's
 * turn ends (`setImmediate`), so the calls made while handling every socket read of that turn
 * leave in one write per member instead of one per read. hazelcast-client's PipelinedWriter
 * flushes on `process.nextTick` after each call; holding it sets its internal `scheduled` flag
 * (so it does not schedule that flush) and releases it through its own `schedule()`. Writers
 * already flushing or under backpressure are left alone. `undefined` when the client has no
 * such writers (another release, pipelining off).
 */
export function writeHolder(client: Client): (() => void) | undefined {
  const registry = (client as unknown as ClientInternals).getConnectionManager?.()?.getConnectionRegistry?.();
  if (typeof registry?.getConnections !== 'function') return undefined;
  const connections = () => registry.getConnections?.() ?? [];
  let held: PipelinedWriter[] | undefined;
  const release = () => {
    const writers = held ?? [];
    held = undefined;
    for (const writer of writers) {
      writer.scheduled = false;
      writer.schedule();
    }
  };
  return () => {
    if (held !== undefined) return;
    held = [];
    for (const connection of connections()) {
      const writer = connection.writer as Partial<PipelinedWriter> | undefined;
      if (
        writer === undefined ||
        typeof writer.schedule !== 'function' ||
        writer.scheduled !== false ||
        writer.canWrite !== true
      ) {
        continue;
      }
      writer.scheduled = true;
      held.push(writer as PipelinedWriter);
    }
    setImmediate(release);
  };
}
