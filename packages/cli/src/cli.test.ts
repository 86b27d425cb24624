import { describe, expect, it } from 'vitest';
import { captureIo } from '../test/capture-io.js';
import { run } from './cli.js';

describe('ringcache (dispatch)', () => {
  it('dispatches to a command', async () => {
    const { io, stdout } = captureIo();
    expect(await run(['slot', 'foo'], io)).toBe(0);
    expect(stdout()).toBe('foo\t12182\n');
  });

  it('prints the overview for --help and help, and a command help for help COMMAND', async () => {
    for (const argv of [['--help'], ['-h'], ['help']]) {
      const { io, stdout } = captureIo();
      expect(await run(argv, io)).toBe(0);
      expect(stdout()).toMatch(/^Usage: ringcache <command>/);
      expect(stdout()).toMatch(/\n {2}locate {5}print the node that owns each key\n/);
    }
    const { io, stdout } = captureIo();
    expect(await run(['help', 'simulate'], io)).toBe(0);
    expect(stdout()).toMatch(/^Usage: ringcache simulate/);
  });

  it('exits 2 on no command and on an unknown command', async () => {
    const none = captureIo();
    expect(await run([], none.io)).toBe(2);
    expect(none.stderr()).toMatch(/^Usage: ringcache/);
    for (const name of ['frobnicate', 'toString', '__proto__']) {
      const unknown = captureIo();
      expect(await run([name], unknown.io)).toBe(2);
      expect(unknown.stderr()).toBe(
        `ringcache: unknown command '${name}' (expected locate, slot, simulate; see 'ringcache --help')\n`,
      );
    }
  });
});
