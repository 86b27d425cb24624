import {
  ClosedError,
  NodeUnavailableError,
  RingcacheError,
  type RingcacheErrorOptions,
  TimeoutError,
} from '@ringcache/core';
import {
  ClientNotActiveError,
  ClientOfflineError,
  HazelcastInstanceNotActiveError,
  IndeterminateOperationStateError,
  IOError,
  MemberLeftError,
  NoDataMemberInClusterError,
  OperationTimeoutError,
  TargetDisconnectedError,
  TargetNotMemberError,
} from 'hazelcast-client';

/** Errors meaning "no member could take the call": the owner is gone or the client is offline. */
const UNAVAILABLE = [
  ClientOfflineError,
  IOError,
  TargetDisconnectedError,
  TargetNotMemberError,
  MemberLeftError,
  HazelcastInstanceNotActiveError,
  NoDataMemberInClusterError,
];

/**
 * Gives a hazelcast-client error its stable Ringcache code:
 * - offline client, lost connection, member gone → `E_NODE_UNAVAILABLE`;
 * - the invocation's own deadline, or missing backup acks → `E_TIMEOUT` (a write's outcome is unknown);
 * - a client shut down by `close()` → `E_CLOSED`; one that shut itself down → `E_NODE_UNAVAILABLE`;
 * - anything else (a member-side exception) → `E_BACKEND`.
 * RingcacheErrors pass through unchanged.
 */
export function translateError(
  error: unknown,
  operation: string,
  closed: boolean,
  where: RingcacheErrorOptions = {},
): RingcacheError {
  if (RingcacheError.isInstance(error)) return error;
  const options = { ...where, cause: error };
  const message = `hazelcast ${operation}: ${error instanceof Error ? error.message : String(error)}`;
  if (error instanceof ClientNotActiveError) {
    return closed
      ? new ClosedError('the hazelcast adapter is closed', options)
      : new NodeUnavailableError(`${message} (the client has shut down)`, options);
  }
  if (UNAVAILABLE.some((type) => error instanceof type)) return new NodeUnavailableError(message, options);
  if (error instanceof OperationTimeoutError || error instanceof IndeterminateOperationStateError) {
    return new TimeoutError(message, options);
  }
  return new RingcacheError('E_BACKEND', message, options);
}
