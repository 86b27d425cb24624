import { describe, expect, it } from 'vitest';
import { formatAddress, isLoopback, parseListen } from './listen-address.js';

describe('parseListen', () => {
  it('parses host:port and bracketed IPv6', () => {
    expect(parseListen('127.0.0.1:22121')).toEqual({ host: '127.0.0.1', port: 22121 });
    expect(parseListen(' localhost:0 ')).toEqual({ host: 'localhost', port: 0 });
    expect(parseListen('[::1]:22121')).toEqual({ host: '::1', port: 22121 });
  });

  it.each([
    ['22121', /not 'host:port'/],
    ['127.0.0.1', /not 'host:port'/],
    ['127.0.0.1:70000', /port must be 0–65535/],
    ['::1:22121', /not 'host:port'/],
    ['[nothost]:1', /not an IPv6 address/],
    ['/tmp/proxy.sock 0666', /unix sockets are not supported/],
  ])('refuses %s', (text, message) => {
    expect(() => parseListen(text)).toThrow(message);
  });
});

describe('isLoopback', () => {
  it.each(['127.0.0.1', '127.1.2.3', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', 'localhost', 'LOCALHOST'])(
    '%s is loopback',
    (host) => expect(isLoopback(host)).toBe(true),
  );
  it.each([
    '0.0.0.0',
    '::',
    '10.0.0.1',
    '192.168.1.1',
    '128.0.0.1',
    '::ffff:10.0.0.1',
    'example.com',
    'localhost.evil',
  ])('%s is not', (host) => expect(isLoopback(host)).toBe(false));
});

describe('formatAddress', () => {
  it('brackets IPv6', () => {
    expect(formatAddress({ host: '::1', port: 1 })).toBe('[::1]:1');
    expect(formatAddress({ host: '127.0.0.1', port: 1 })).toBe('127.0.0.1:1');
  });
});
