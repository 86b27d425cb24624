import { NodeUnavailableError, RingcacheError } from '@ringcache/core';
import { describe, expect, it } from 'vitest';
import { isUnavailable, toRingcacheError } from './errors.js';

/** An ioredis ReplyError carries the reply text as its message. */
const reply = (text: string) => Object.assign(new Error(text), { name: 'ReplyError' });

describe('toRingcacheError', () => {
  it.each([
    ['a closed connection', new Error('Connection is closed.')],
    [
      'exhausted cluster retries',
      new Error('Too many Cluster redirections. Last error: Error: Connection is closed.'),
    ],
    ['a cluster that is not ready', new Error("Cluster isn't ready and enableOfflineQueue options is false")],
    ['an ended cluster', new Error('Cluster is ended.')],
    ['an aborted command', new Error('Command aborted due to connection close')],
    ['a socket timeout', new Error("Socket timeout. Expecting data, but didn't receive any in 100ms.")],
    [
      'a slot map changing under auto-pipelining',
      new Error('All keys in the pipeline should belong to the same slots allocation group'),
    ],
    ['no startup node', new Error('None of startup nodes is available')],
    [
      'the retry limit',
      new Error('Reached the max retries per request limit (which is 1). Refer to "maxRetriesPerRequest"'),
    ],
    [
      'a refused socket',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:7000'), { code: 'ECONNREFUSED' }),
    ],
    ['a reset socket', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
    ['CLUSTERDOWN', reply('CLUSTERDOWN The cluster is down')],
    ['TRYAGAIN', reply('TRYAGAIN Multiple keys request during rehashing of slot')],
    ['LOADING', reply('LOADING Redis is loading the dataset in memory')],
    ['READONLY', reply("READONLY You can't write against a read only replica.")],
    ['a MOVED left unfollowed by an auto-pipeline', reply('MOVED 4477 127.0.0.1:7100')],
    ['MASTERDOWN', reply('MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to no')],
  ])('maps %s to E_NODE_UNAVAILABLE, keeping node, key and cause', (_, error) => {
    const mapped = toRingcacheError(error, '127.0.0.1:7000', 'k');
    expect(mapped).toBeInstanceOf(NodeUnavailableError);
    expect(mapped).toMatchObject({
      code: 'E_NODE_UNAVAILABLE',
      node: '127.0.0.1:7000',
      key: 'k',
      cause: error,
    });
    expect(isUnavailable(error)).toBe(true);
  });

  it.each([
    ['WRONGTYPE', reply('WRONGTYPE Operation against a key holding the wrong kind of value')],
    ['OOM', reply("OOM command not allowed when used memory > 'maxmemory'.")],
    ['NOPERM', reply('NOPERM this user has no permissions to run the command')],
    ['a word merely starting like a transient one', reply('LOADINGX what')],
    ['a non-error value', 'boom'],
  ])('maps %s to E_BACKEND', (_, error) => {
    const mapped = toRingcacheError(error, undefined, undefined);
    expect(mapped.code).toBe('E_BACKEND');
    expect(mapped.cause).toBe(error);
    expect(isUnavailable(error)).toBe(false);
  });

  it('maps ioredis commandTimeout to E_TIMEOUT and passes Ringcache errors through', () => {
    expect(toRingcacheError(new Error('Command timed out'), 'n', 'k').code).toBe('E_TIMEOUT');
    const own = new RingcacheError('E_CLOSED', 'closed');
    expect(toRingcacheError(own, 'n', 'k')).toBe(own);
  });
});
