import { TimeoutError } from '@ringcache/core';
import {
  ClientNotActiveError,
  ClientOfflineError,
  HazelcastError,
  IndeterminateOperationStateError,
  OperationTimeoutError,
  TargetDisconnectedError,
} from 'hazelcast-client';
import { describe, expect, it } from 'vitest';
import { translateError } from './errors.js';

describe('translateError', () => {
  const code = (error: unknown, closed = false) => translateError(error, 'get', closed).code;

  it('maps an offline client and lost members to E_NODE_UNAVAILABLE, keeping the cause and where', () => {
    const offline = new ClientOfflineError();
    const translated = translateError(offline, 'get', false, { key: 'k', node: '127.0.0.1:5701' });
    expect(translated).toMatchObject({ code: 'E_NODE_UNAVAILABLE', key: 'k', node: '127.0.0.1:5701' });
    expect(translated.cause).toBe(offline);
    expect(code(new TargetDisconnectedError('gone'))).toBe('E_NODE_UNAVAILABLE');
  });

  it('maps the invocation deadline and missing backup acks to E_TIMEOUT', () => {
    expect(code(new OperationTimeoutError('late'))).toBe('E_TIMEOUT');
    expect(code(new IndeterminateOperationStateError('no acks'))).toBe('E_TIMEOUT');
  });

  it('maps a shut-down client to E_CLOSED after close(), to E_NODE_UNAVAILABLE otherwise', () => {
    expect(code(new ClientNotActiveError('down'), true)).toBe('E_CLOSED');
    expect(code(new ClientNotActiveError('down'), false)).toBe('E_NODE_UNAVAILABLE');
  });

  it('maps other failures to E_BACKEND and passes RingcacheErrors through', () => {
    expect(code(new HazelcastError('member-side exception'))).toBe('E_BACKEND');
    expect(code('a string')).toBe('E_BACKEND');
    const own = new TimeoutError('mine');
    expect(translateError(own, 'get', false)).toBe(own);
  });
});
