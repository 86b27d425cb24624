import { describe, expect, it } from 'vitest';
import { nodeList, readSettings } from './settings.js';

describe('readSettings', () => {
  it('defaults to the embedded memory backend on port 3000', () => {
    expect(readSettings({})).toMatchObject({ backend: 'memory', port: 3000, host: '127.0.0.1' });
  });

  it('reads CACHE_BACKEND and PORT, and rejects bad values by name', () => {
    expect(readSettings({ CACHE_BACKEND: 'Redis', PORT: '8080' })).toMatchObject({
      backend: 'redis',
      port: 8080,
    });
    expect(() => readSettings({ CACHE_BACKEND: 'mongo' })).toThrow(/CACHE_BACKEND/);
    expect(() => readSettings({ PORT: 'eighty' })).toThrow(/PORT/);
  });

  it('splits node lists', () => {
    expect(nodeList({ NODES: ' a:1, b:2 ,' }, 'NODES', [])).toEqual(['a:1', 'b:2']);
    expect(nodeList({}, 'NODES', ['x:1'])).toEqual(['x:1']);
  });
});
