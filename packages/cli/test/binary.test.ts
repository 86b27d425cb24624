import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { hashRing, ketamaRing } from '@ringcache/core';
import { beforeAll, describe, expect, it } from 'vitest';

// The real binary, as npm links it: bin/ringcache.js importing the built dist/cli.js, which
// imports the built @ringcache/core. Everything else is tested in-process under src/.
const root = fileURLToPath(new URL('../../..', import.meta.url));
const binary = fileURLToPath(new URL('../bin/ringcache.js', import.meta.url));
const execFileAsync = promisify(execFile);

async function ringcache(...argv: string[]) {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [binary, ...argv], { encoding: 'utf8' });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('the ringcache binary', () => {
  beforeAll(() => {
    // Turbo builds the CLI and the core it imports, or restores both from its cache.
    const build = spawnSync(
      'npx',
      ['turbo', 'run', 'build', '--filter=@ringcache/cli', '--output-logs=errors-only'],
      {
        cwd: root,
        encoding: 'utf8',
      },
    );
    if (build.status !== 0) throw new Error(`build failed:\n${build.stdout}\n${build.stderr}`);
  });

  it('locates keys and exits 0', async () => {
    const nodes = ['10.0.0.1:11211', '10.0.0.2:11211', '10.0.0.3:11211'];
    const result = await ringcache('locate', '--nodes', nodes.join(','), 'user:1', 'user:2');
    const ring = hashRing(nodes);
    expect(result).toEqual({
      code: 0,
      stdout: `user:1\t${ring.locate('user:1')}\nuser:2\t${ring.locate('user:2')}\n`,
      stderr: '',
    });
  });

  it('prints the slot of a key', async () => {
    expect(await ringcache('slot', 'foo')).toEqual({ code: 0, stdout: 'foo\t12182\n', stderr: '' });
  });

  it('exits 2 with one clean line, no stack trace, on bad arguments', async () => {
    const result = await ringcache('locate', '--nodes', 'a:99999', 'k');
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      "ringcache locate: node a:99999: port must be an integer from 1 to 65535 (see 'ringcache locate --help')\n",
    );
    const unknown = await ringcache('nope');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^ringcache: unknown command 'nope'/);
  });

  it('answers --ring ketama without --hash like the core ketamaRing (fnv1a_64), and says so in --help', async () => {
    const nodes = ['10.0.0.1:11211', '10.0.0.2:11211', '10.0.0.3:11211'];
    const keys = Array.from({ length: 20 }, (_, index) => `user:${index}`);
    const result = await ringcache('locate', '--nodes', nodes.join(','), '--ring', 'ketama', ...keys);
    const ring = ketamaRing(nodes);
    expect(result.stdout).toBe(keys.map((key) => `${key}\t${ring.locate(key)}\n`).join(''));
    expect((await ringcache('locate', '--help')).stdout).toMatch(/--hash NAME .*\(default: fnv1a_64,/);
  });

  it('loads as CommonJS too: require() gives the same run()', async () => {
    // In a child process, as a CommonJS consumer would: this worker resolves packages to src/.
    const script = `require('@ringcache/cli')
      .run(['slot', 'foo', '{user1000}.following'], { stdout: process.stdout, stderr: process.stderr })
      .then((code) => { process.exitCode = code; });`;
    const { stdout } = await execFileAsync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8' });
    expect(stdout).toBe('foo\t12182\n{user1000}.following\t3443\n');
  });

  it('simulates with --json on stdout and nothing on a non-terminal stderr', async () => {
    const result = await ringcache('simulate', '--nodes', '4', '--add', '1', '--keys', '20000', '--json');
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toMatchObject({
      ring: 'consistent',
      movement: { kind: 'add', minimal: true },
    });
  });
});
