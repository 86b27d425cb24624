import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCommandLine, UsageError } from './command-line.js';

describe('parseCommandLine', () => {
  it('builds one pool from flags', () => {
    const line = parseCommandLine([
      '--listen',
      '127.0.0.1:0',
      '--servers',
      '127.0.0.1:1:2, 127.0.0.1:2',
      '-d',
      'ketama',
      '--hash',
      'md5',
      '--timeout',
      '250',
      '--auto-eject-hosts',
      '--server-failure-limit',
      '3',
      '--server-retry-timeout',
      '500',
      '--hash-tag',
      '{}',
      '--client-idle-timeout',
      '1000',
    ]);
    expect(line.action).toBe('run');
    expect(line.pools).toEqual([
      {
        name: 'ringcache',
        listen: '127.0.0.1:0',
        servers: ['127.0.0.1:1:2', '127.0.0.1:2'],
        distribution: 'ketama',
        hash: 'md5',
        timeout: 250,
        autoEjectHosts: true,
        serverFailureLimit: 3,
        serverRetryTimeout: 500,
        hashTag: '{}',
        clientIdleTimeout: 1000,
      },
    ]);
  });

  it('knows help, version, test-conf and allow-remote', () => {
    expect(parseCommandLine(['-h']).action).toBe('help');
    expect(parseCommandLine(['-V']).action).toBe('version');
    const line = parseCommandLine(['-t', '--servers', '127.0.0.1:1', '--allow-remote']);
    expect(line.action).toBe('test');
    expect(line.pools[0]?.allowRemote).toBe(true);
  });

  it("warns when a config file leaves the distribution to the default (nutcracker's is ketama)", () => {
    const directory = mkdtempSync(join(tmpdir(), 'ringcache-proxy-'));
    try {
      const write = (name: string, text: string) => {
        writeFileSync(join(directory, name), text);
        return join(directory, name);
      };
      const bare = write('bare.yml', 'alpha:\n  servers: [127.0.0.1:1:1]\n');
      const warned = parseCommandLine(['--config', bare]);
      expect(warned.pools[0]?.distribution).toBeUndefined();
      expect(warned.warnings).toEqual([
        expect.stringMatching(/^pool 'alpha': no distribution given.*cold cache/),
      ]);
      // Explicit in the file or on the command line: no warning.
      const chosen = write('chosen.yml', 'alpha:\n  distribution: consistent\n  servers: [127.0.0.1:1:1]\n');
      expect(parseCommandLine(['--config', chosen]).warnings).toEqual([]);
      expect(parseCommandLine(['--config', bare, '-d', 'ketama']).warnings).toEqual([]);
      // Flags alone are not a nutcracker file: the documented default applies quietly.
      expect(parseCommandLine(['--servers', '127.0.0.1:1']).warnings).toEqual([]);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it.each([
    [[], /give --config FILE or --servers LIST/],
    [['--servers'], /argument missing/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['--servers', '127.0.0.1:1', 'extra'], /positional/],
    [['--servers', '127.0.0.1:1,'], /empty entry/],
    [['--servers', '127.0.0.1:1', '--timeout', '1s'], /--timeout must be a whole number/],
    [['--servers', '127.0.0.1:1', '--pool', 'a'], /--pool needs --config/],
  ])('refuses %j with a usage error', (argv, message) => {
    expect(() => parseCommandLine(argv)).toThrow(UsageError);
    expect(() => parseCommandLine(argv)).toThrow(message);
  });
});
