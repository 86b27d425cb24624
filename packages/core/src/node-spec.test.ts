import { describe, expect, it } from 'vitest';
import { RingcacheError } from './errors.js';
import { parseNodeList, parseNodeSpec } from './node-spec.js';

describe('parseNodeSpec', () => {
  it('parses host:port and host:port:weight', () => {
    expect(parseNodeSpec('127.0.0.1:11211')).toMatchObject({ id: '127.0.0.1:11211', port: 11211, weight: 1 });
    expect(parseNodeSpec('cache-a:7000:3')).toMatchObject({ id: 'cache-a:7000', host: 'cache-a', weight: 3 });
    expect(parseNodeSpec('[::1]:11211')).toMatchObject({ id: '[::1]:11211', host: '[::1]' });
  });

  it('accepts objects with a name', () => {
    expect(parseNodeSpec({ host: 'h', port: 1, weight: 2, name: 'server1' })).toEqual({
      id: 'h:1',
      host: 'h',
      port: 1,
      weight: 2,
      name: 'server1',
    });
  });

  it.each([
    'localhost',
    'localhost:0',
    'localhost:70000',
    'a:1:0',
    'a:1:-2',
    'a:1:NaN',
    'a:1:Infinity',
    ' :1',
  ])('rejects %j with E_CONFIG', (spec) => {
    expect(() => parseNodeSpec(spec)).toThrowError(expect.objectContaining({ code: 'E_CONFIG' }));
  });

  it('rejects an empty list and duplicate ids', () => {
    expect(() => parseNodeList([])).toThrow(RingcacheError);
    expect(() => parseNodeList(['a:1', { host: 'a', port: 1 }])).toThrow(/appears twice/);
  });
});
