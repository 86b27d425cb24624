#!/usr/bin/env node
// `npm run test:chaos`: the chaos project (test/chaos) in its long form, the figures issue 12 asks
// for (30 s with every backend down, a 2-minute soak, 1,000 slots resharded). `npm test` runs the
// same files in their short form. The variable is set here rather than in the npm script so it
// works in every shell (`CHAOS_LONG=1 vitest` is POSIX-only). `CHAOS_LONG=0 npm run test:chaos`
// runs the short form; extra arguments go to vitest (`npm run test:chaos -- test/chaos/soak.test.ts`).
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const vitest = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
const child = spawn(process.execPath, [vitest, 'run', '--project', 'chaos', ...process.argv.slice(2)], {
  cwd: ROOT,
  stdio: 'inherit',
  env: { ...process.env, CHAOS_LONG: process.env.CHAOS_LONG ?? '1' },
});
// Ctrl-C reaches vitest through the terminal; a SIGTERM sent to this wrapper is passed on.
process.on('SIGTERM', () => child.kill('SIGTERM'));
child.once('error', (error) => {
  console.error(`cannot run vitest: ${error.message}`);
  process.exitCode = 127;
});
child.once('exit', (code, signal) => {
  process.exitCode = code ?? (signal ? 128 : 1);
});
