import { describe, expect, it } from 'vitest';
import { routingKey } from './routing-key.js';

describe('routingKey (nutcracker hash_tag)', () => {
  it('hashes the whole key without a tag', () => {
    expect(routingKey('user:{42}:name', undefined)).toBe('user:{42}:name');
  });

  it.each([
    ['user:{42}:name', '42'],
    ['{a}{b}', 'a'],
    ['x{}y', 'x{}y'], // nothing between the tags: the whole key
    ['x{y', 'x{y'], // no closing tag
    ['x}y{z', 'x}y{z'], // the closing tag must follow the opening one
    ['{abc', '{abc'],
  ])('%s with {} hashes %s', (key, expected) => {
    expect(routingKey(key, '{}')).toBe(expected);
  });

  it('takes the same character as both tags', () => {
    expect(routingKey('a:b:c', '::')).toBe('b');
  });
});
