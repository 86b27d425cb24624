import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { UsageError } from './io.js';
import { readKeys, splitKeyLines } from './keys.js';

const directory = mkdtempSync(join(tmpdir(), 'ringcache-keys-'));

function file(name: string, content: string | Uint8Array): string {
  const path = join(directory, name);
  writeFileSync(path, content);
  return path;
}

describe('splitKeyLines', () => {
  it('splits lines, strips a trailing \\r and skips only a final empty line', () => {
    expect(splitKeyLines('a\nb\n')).toEqual(['a', 'b']);
    expect(splitKeyLines('a\r\nb\r\n')).toEqual(['a', 'b']);
    expect(splitKeyLines('a\nb')).toEqual(['a', 'b']);
    expect(splitKeyLines('a\n\nb\n')).toEqual(['a', '', 'b']);
    expect(splitKeyLines('a\rb\n')).toEqual(['a\rb']);
    expect(splitKeyLines('')).toEqual([]);
    expect(splitKeyLines('\n')).toEqual(['']);
  });
});

describe('readKeys', () => {
  it('takes keys from the arguments', async () => {
    await expect(readKeys({ positionals: ['x', 'y'] })).resolves.toEqual(['x', 'y']);
  });

  it('reads a UTF-8 file, dropping a byte order mark', async () => {
    const path = file('keys.txt', '\uFEFFuser:1\r\nclé:2\r\n😀\r\n');
    await expect(readKeys({ keysFile: path, positionals: [] })).resolves.toEqual(['user:1', 'clé:2', '😀']);
  });

  it('reads standard input for -', async () => {
    const stdin = Readable.from([Buffer.from('a\nb\n')]);
    await expect(readKeys({ keysFile: '-', positionals: [], stdin })).resolves.toEqual(['a', 'b']);
  });

  it('rejects both sources, no source, a missing file and invalid UTF-8 with usage errors', async () => {
    const latin1 = file('latin1.txt', Uint8Array.from([0x63, 0x6c, 0xe9, 0x0a]));
    await expect(readKeys({ keysFile: latin1, positionals: [] })).rejects.toThrow(/not valid UTF-8/);
    await expect(readKeys({ keysFile: 'k', positionals: ['a'] })).rejects.toThrow(UsageError);
    await expect(readKeys({ positionals: [] })).rejects.toThrow(/no keys/);
    await expect(readKeys({ keysFile: join(directory, 'missing'), positionals: [] })).rejects.toThrow(
      /cannot read keys file .*missing': no such file/,
    );
    await expect(readKeys({ keysFile: directory, positionals: [] })).rejects.toThrow(/is a directory/);
  });
});
