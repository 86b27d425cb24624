import { RingcacheError, ValueTooLargeError } from '@ringcache/core';
import type { Reply } from './protocol/types.js';

/** A reply the adapter did not expect for its command, as a stable `E_BACKEND` error. */
export function unexpectedReply(
  operation: string,
  reply: Reply | undefined,
  node: string,
  key?: string,
): RingcacheError {
  return new RingcacheError('E_BACKEND', `${operation} on ${node}: ${describe(reply)}`, { node, key });
}

/** memcached's answer to an item larger than its `-I` limit. */
export function isTooLarge(reply: Reply | undefined): boolean {
  return reply?.type === 'error' && reply.kind === 'SERVER_ERROR' && reply.message.includes('too large');
}

export function tooLargeError(node: string, key: string, size: number): ValueTooLargeError {
  return new ValueTooLargeError(
    `${node} refused a ${size}-byte value as too large (its item size limit, memcached -I, is lower than itemSizeMax)`,
    { node, key },
  );
}

function describe(reply: Reply | undefined): string {
  if (reply === undefined) return 'no reply';
  switch (reply.type) {
    case 'error':
      return `${reply.kind}${reply.message === '' ? '' : ` ${reply.message}`}`;
    case 'status':
      return `unexpected ${reply.status}`;
    default:
      return `unexpected ${reply.type} reply`;
  }
}
