// The real `ringcache-proxy` binary, as npm links it: bin/ringcache-proxy.js importing the built
// dist/cli.js. Flags, config files, exit codes and messages, serving, logging, clean shutdown.
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { memcached, requireEngine } from '@ringcache/test-engines';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient, sleep } from './support/proxy.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const binary = fileURLToPath(new URL('../bin/ringcache-proxy.js', import.meta.url));
const execFileAsync = promisify(execFile);
const available = await requireEngine('memcached', memcached.nodes);

async function proxy(...argv: string[]) {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [binary, ...argv], { encoding: 'utf8' });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** A port nobody listens on now (the OS picks it). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts the binary and resolves once it printed its "listening" line(s). */
async function serve(argv: string[], lines = 1): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, [binary, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    output += chunk;
  });
  const deadline = Date.now() + 10_000;
  while ((output.match(/: listening\n/g)?.length ?? 0) < lines) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`did not start:\n${output}`);
    await sleep(20);
  }
  return { child, output: () => output };
}

async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // By PID: only the process this test started.
  process.kill(child.pid!, 'SIGTERM');
  return exited;
}

describe('the ringcache-proxy binary', () => {
  let directory: string;
  const children: ChildProcess[] = [];

  beforeAll(() => {
    // Turbo builds the proxy and what it imports, or restores them from its cache.
    const build = spawnSync(
      'npx',
      ['turbo', 'run', 'build', '--filter=@ringcache/proxy', '--output-logs=errors-only'],
      {
        cwd: root,
        encoding: 'utf8',
      },
    );
    if (build.status !== 0) throw new Error(`build failed:\n${build.stdout}\n${build.stderr}`);
    directory = mkdtempSync(join(tmpdir(), 'ringcache-proxy-cli-'));
  }, 180_000);
  afterAll(async () => {
    for (const child of children) await stop(child);
    if (directory) rmSync(directory, { recursive: true, force: true });
  });

  function config(name: string, text: string): string {
    const path = join(directory, name);
    writeFileSync(path, text);
    return path;
  }

  it('prints help and version on stdout, exit 0', async () => {
    const help = await proxy('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: ringcache-proxy --config FILE');
    expect(help.stdout).toContain('--allow-remote');
    expect(await proxy('--version')).toEqual({ code: 0, stdout: 'ringcache-proxy 0.0.0\n', stderr: '' });
  });

  it('checks a nutcracker config with --test-conf', async () => {
    const file = config(
      'ok.yml',
      'alpha:\n  listen: 127.0.0.1:22121\n  hash: fnv1a_64\n  distribution: ketama\n  auto_eject_hosts: true\n' +
        '  server_retry_timeout: 2000\n  server_failure_limit: 3\n  servers:\n   - 127.0.0.1:21211:1\n   - 127.0.0.1:21212:2 b\n',
    );
    const result = await proxy('-t', '--config', file);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      'ringcache-proxy: configuration OK\n' +
        "  pool 'alpha' on 127.0.0.1:22121: 2 servers (127.0.0.1:21211:1, 127.0.0.1:21212:2 b), ketama fnv1a_64, " +
        'timeout 1000 ms, auto_eject_hosts after 3 failures for 2000 ms\n',
    );
  });

  it('accepts the example config of the README', async () => {
    const example = fileURLToPath(new URL('../examples/pool.yml', import.meta.url));
    const result = await proxy('--test-conf', '--config', example);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain("pool 'alpha' on 127.0.0.1:22121: 3 servers");
  });

  it.each([
    [
      ['--config', '/nonexistent.yml'],
      /^ringcache-proxy: invalid configuration: cannot read config file \/nonexistent.yml: ENOENT/,
    ],
    [
      ['--servers', '127.0.0.1:21211', '--listen', '0.0.0.0:22121'],
      /refusing to listen on 0.0.0.0:22121: not a loopback address.*--allow-remote/,
    ],
    [['--servers', '127.0.0.1:21211', '--listen', '10.1.2.3:22121'], /not a loopback address/],
    [['--servers', '127.0.0.1:21211', '--hash', 'md5'], /nutcracker's default distribution is ketama/],
    [['--servers', 'nohost'], /node spec 'nohost' is not 'host:port\[:weight\]'/],
    [
      ['--bogus'],
      /^ringcache-proxy: Unknown option '--bogus'.*\nRun 'ringcache-proxy --help' for usage\.\n$/s,
    ],
    [[], /give --config FILE or --servers LIST/],
  ])('exits 2 with one clear message for %j', async (argv, message) => {
    const result = await proxy(...argv);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('exits 2 naming the pool and key of a bad config file', async () => {
    const bad = config(
      'bad.yml',
      'alpha:\n  distribution: consistent\n  servers: [127.0.0.1:21211]\n  timeout: soon\n',
    );
    const result = await proxy('--config', bad);
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toBe(
      'ringcache-proxy: invalid configuration: pool \'alpha\': timeout must be an integer ≥ 1, got "soon"\n',
    );
    const typo = await proxy(
      '--config',
      config('typo.yml', 'alpha:\n  servers: [127.0.0.1:21211]\n  timout: 1\n'),
    );
    expect(typo.stderr).toMatch(/pool 'alpha': unknown key 'timout'/);
  });

  it('exits 1 when the address is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const result = await proxy('--servers', '127.0.0.1:21211', '--listen', `127.0.0.1:${port}`);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(new RegExp(`cannot listen on 127.0.0.1:${port}: .*EADDRINUSE`));
    } finally {
      blocker.close();
    }
  });

  it.skipIf(!available)('serves every pool of a file, logs hot keys, and exits 0 on SIGTERM', async () => {
    const [first, second] = [await freePort(), await freePort()];
    const file = config(
      'serve.yml',
      [
        'one:',
        `  listen: 127.0.0.1:${first}`,
        '  distribution: ketama',
        '  hot_keys: { window: 200, min_count: 20 }',
        `  servers: [${memcached.nodes.map((node) => `"${node}:1"`).join(', ')}]`,
        'two:',
        `  listen: 127.0.0.1:${second}`,
        `  servers: [${memcached.nodes[0]}]`,
      ].join('\n'),
    );
    const { child, output } = await serve(['--config', file], 2);
    children.push(child);
    expect(output()).toContain(`pool 'one' on 127.0.0.1:${first}: 3 servers`);
    expect(output()).toContain(`pool 'two' on 127.0.0.1:${second}: 1 servers`);
    const client = await RawClient.connect(first);
    const key = `${randomUUID().slice(0, 8)}:hot`;
    expect(await client.exchange(`set ${key} 0 0 1\r\nh\r\n`)).toBe('STORED\r\n');
    expect(await client.exchange(`get ${key}\r\n`.repeat(100), 100, /END\r\n/g)).toContain('VALUE');
    await sleep(500);
    expect(output()).toMatch(
      new RegExp(`\\[one\\] hot key '${key}' on 127\\.0\\.0\\.1:\\d+: \\d+ reads in the last window`),
    );
    const other = await RawClient.connect(second);
    expect(await other.exchange('stats\r\n', 1, /END\r\n/g)).toContain('STAT pool two');
    client.close();
    other.close();
    expect(await stop(child)).toBe(0);
    expect(output()).toContain('SIGTERM: closing');
  });
});
