import { NodeUnavailableError, RingcacheError, TimeoutError } from '@ringcache/core';

// What ioredis rejects with when a node cannot be reached. ioredis has no error codes for these,
// only messages, so they are matched here, in one place, and covered by tests.
const UNAVAILABLE_MESSAGES = [
  'Connection is closed.',
  'Too many Cluster redirections.',
  "Cluster isn't ready",
  'Cluster is ended.',
  'Cluster is disconnected.',
  'Cluster is disconnecting.',
  'Command aborted due to connection close',
  'Socket timeout.',
  'connect ETIMEDOUT',
  'Ready check failed',
  // Auto-pipelining met a slot map that changed under it (a failover, a resharding): transient.
  'All keys in the pipeline should belong to the same slots allocation group',
  'None of startup nodes is available',
  'Failed to refresh slots cache.',
  "Stream isn't writeable",
  'Reached the max retries per request limit',
  'Node is disconnected',
];

// Socket errors from Node's net/tls/dns layers.
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

// Redis error replies that mean "this node cannot serve the key right now", not "bad request":
// the cluster is failing over (CLUSTERDOWN, TRYAGAIN), the node is starting (LOADING), a replica
// lost its master (MASTERDOWN), or a write reached a master that was just demoted (READONLY).
// MOVED/ASK normally never reach us (ioredis follows them), except from an auto-pipeline whose
// commands were redirected differently while the slot map changed (seen during failovers).
const UNAVAILABLE_REPLIES = new Set([
  'CLUSTERDOWN',
  'TRYAGAIN',
  'LOADING',
  'MASTERDOWN',
  'READONLY',
  'MOVED',
  'ASK',
]);

/**
 * Gives an ioredis failure its stable Ringcache code: E_NODE_UNAVAILABLE for anything that says
 * the node cannot be reached or cannot serve now, E_TIMEOUT for ioredis' own `commandTimeout`,
 * E_BACKEND (with the original as `cause`) for every other error reply (WRONGTYPE, OOM, NOPERM…).
 */
export function toRingcacheError(
  error: unknown,
  node: string | undefined,
  key: string | undefined,
): RingcacheError {
  if (RingcacheError.isInstance(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  const options = { cause: error, node, key };
  if (isUnavailable(error, message)) {
    return new NodeUnavailableError(`${node ?? 'redis'} is unavailable: ${message}`, options);
  }
  if (message === 'Command timed out') return new TimeoutError(`redis command timed out`, options);
  return new RingcacheError('E_BACKEND', `redis error: ${message}`, options);
}

/** True when `error` means the node is unreachable or cannot serve right now. */
export function isUnavailable(
  error: unknown,
  message = error instanceof Error ? error.message : '',
): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
  if (UNAVAILABLE_MESSAGES.some((known) => message.startsWith(known))) return true;
  const space = message.indexOf(' ');
  return UNAVAILABLE_REPLIES.has(space === -1 ? message : message.slice(0, space));
}
