import { describe, expect, it } from 'vitest';
import { captureIo, columns } from '../../test/capture-io.js';
import { slot } from './slot.js';

describe('ringcache slot', () => {
  it('prints the CLUSTER KEYSLOT value of each key, honouring hash tags', async () => {
    const { io, stdout, stderr } = captureIo();
    const code = await slot(['foo', '123456789', '{user1000}.following', '{user1000}.followers', 'a{}b'], io);
    expect(code).toBe(0);
    expect(stderr()).toBe('');
    const rows = columns(stdout());
    expect(rows.slice(0, 2)).toEqual([
      ['foo', '12182'],
      ['123456789', '12739'],
    ]);
    expect(rows[2]![1]).toBe(rows[3]![1]);
    expect(rows).toHaveLength(5);
  });

  it('reads --keys-file - from standard input', async () => {
    const { io, stdout } = captureIo({ stdin: 'foo\r\n' });
    expect(await slot(['--keys-file', '-'], io)).toBe(0);
    expect(stdout()).toBe('foo\t12182\n');
  });

  it('exits 2 without keys', async () => {
    const { io, stderr } = captureIo();
    expect(await slot([], io)).toBe(2);
    expect(stderr()).toMatch(/^ringcache slot: no keys/);
  });
});
