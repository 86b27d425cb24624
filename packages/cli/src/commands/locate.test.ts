import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashRing, jumpHash, ketamaRing } from '@ringcache/core';
import { describe, expect, it } from 'vitest';
import { captureIo, columns } from '../../test/capture-io.js';
import { locate } from './locate.js';

const nodes = '10.0.0.1:11211,10.0.0.2:11211:2,10.0.0.3:11211';
const keys = Array.from({ length: 200 }, (_, index) => `user:${index}`);

async function run(argv: string[], stdin?: string) {
  const captured = captureIo(stdin === undefined ? {} : { stdin });
  const code = await locate(argv, captured.io);
  return { code, stdout: captured.stdout(), stderr: captured.stderr() };
}

describe('ringcache locate', () => {
  it('prints KEY<TAB>host:port in input order, without the weight', async () => {
    const { code, stdout, stderr } = await run(['--nodes', nodes, ...keys]);
    const ring = hashRing(nodes.split(','));
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(columns(stdout)).toEqual(keys.map((key) => [key, ring.locate(key)]));
    expect(stdout).not.toContain(':2\n');
  });

  it('honours --ring, --hash and --vnodes', async () => {
    const specs = ['a:1', 'b:1', 'c:1'];
    // Without --hash: the core's default, so the same answers as ketamaRing(specs).
    const ketamaDefault = await run(['--nodes', specs.join(','), '--ring', 'ketama', ...keys]);
    expect(columns(ketamaDefault.stdout)).toEqual(keys.map((key) => [key, ketamaRing(specs).locate(key)]));
    const md5 = await run(['--nodes', specs.join(','), '--ring', 'ketama', '--hash', 'md5', ...keys]);
    const md5Ring = ketamaRing(specs, { hash: 'md5' });
    expect(columns(md5.stdout)).toEqual(keys.map((key) => [key, md5Ring.locate(key)]));
    const fnv = await run(['--nodes', specs.join(','), '--ring', 'ketama', '--hash', 'fnv1a_64', ...keys]);
    const fnvRing = ketamaRing(specs, { hash: 'fnv1a_64' });
    expect(columns(fnv.stdout)).toEqual(keys.map((key) => [key, fnvRing.locate(key)]));
    const jump = await run(['--nodes', specs.join(','), '--ring', 'jump', ...keys]);
    expect(columns(jump.stdout)).toEqual(keys.map((key) => [key, jumpHash(specs).locate(key)]));
    const few = await run(['--nodes', specs.join(','), '--vnodes', '8', ...keys]);
    const fewRing = hashRing(specs, { vnodes: 8 });
    expect(columns(few.stdout)).toEqual(keys.map((key) => [key, fewRing.locate(key)]));
  });

  it('reads keys from a file (CRLF, final newline) and from standard input', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'ringcache-locate-')), 'keys.txt');
    writeFileSync(path, 'user:1\r\nclé\r\n');
    const fromFile = await run(['--nodes', nodes, '--keys-file', path]);
    expect(columns(fromFile.stdout).map(([key]) => key)).toEqual(['user:1', 'clé']);
    const fromStdin = await run(['--nodes', nodes, '--keys-file', '-'], 'a\nb\n');
    expect(columns(fromStdin.stdout).map(([key]) => key)).toEqual(['a', 'b']);
  });

  it.each([
    [['user:1'], /--nodes is required/],
    [['--nodes', 'nohost', 'k'], /node spec 'nohost' is not 'host:port\[:weight\]'/],
    [['--nodes', 'a:1,a:1', 'k'], /appears twice/],
    [['--nodes', 'a:1', '--ring', 'maglev', 'k'], /unknown ring 'maglev'/],
    [['--nodes', 'a:1', '--ring', 'ketama', '--hash', 'sha1', 'k'], /unknown hash 'sha1'/],
    [['--nodes', 'a:1', '--hash', 'md5', 'k'], /--hash applies to --ring ketama only/],
    [['--nodes', 'a:1', '--vnodes', '70000', 'k'], /--vnodes must be a whole number from 1 to 65,536/],
    [['--nodes', 'a:1:2', '--ring', 'jump', 'k'], /jump hash has no weights/],
    [['--nodes', 'a:1', '--bogus', 'k'], /Unknown option '--bogus'/],
    [['--nodes', 'a:1'], /no keys/],
  ])('exits 2 with one line on stderr for %j', async (argv, message) => {
    const { code, stdout, stderr } = await run(argv);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
    expect(stderr).toMatch(/^ringcache locate: [^\n]+ \(see 'ringcache locate --help'\)\n$/);
  });

  it('prints its help on stdout', async () => {
    const { code, stdout } = await run(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: ringcache locate/);
  });
});
