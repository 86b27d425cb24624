#!/usr/bin/env node
// `npm test`: lint, typecheck, package checks, start the real engines, run every vitest project,
// stop the engines (also when something failed). Extra arguments go to vitest:
//   npm test -- --project unit
//   RINGCACHE_KEEP_SERVERS=1 npm test     reuse running engines and leave them running
import { spawn } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const keepServers = process.env.RINGCACHE_KEEP_SERVERS === '1';
const vitestArgs = process.argv.slice(2);
const summary = [];
let current;
let interrupted = false;

/** Runs one step with a header; resolves to its exit code (never rejects). */
function step(title, command, args) {
  console.log(`\n━━ ${title}: ${[command, ...args].join(' ')}`);
  const started = performance.now();
  return new Promise((resolve) => {
    current = spawn(command, args, { cwd: ROOT, stdio: 'inherit' });
    current.once('error', (error) => {
      console.error(`cannot run ${command}: ${error.message}`);
      resolve(127);
    });
    current.once('exit', (code, signal) => {
      current = undefined;
      const exitCode = code ?? (signal ? 128 : 1);
      summary.push({ title, exitCode, seconds: (performance.now() - started) / 1000 });
      resolve(exitCode);
    });
  });
}

// Ctrl-C reaches the children through the terminal; we only make sure the engines still go down.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    interrupted = true;
    current?.kill(signal);
  });
}

async function allEnginesListening() {
  const { hazelcast, isListening, memcached, redisCluster } = await import('./engines/index.mjs');
  const addresses = [...redisCluster.nodes, ...memcached.nodes, ...hazelcast.members];
  const answers = await Promise.all(
    addresses.map((address) => isListening(address.split(':')[0], Number(address.split(':')[1]))),
  );
  return answers.every(Boolean);
}

async function main() {
  const checks = [
    ['lint', 'npm', ['run', 'lint']],
    ['typecheck', 'npm', ['run', 'typecheck']],
    ['package checks', 'npm', ['run', 'check:packages']],
  ];
  let failed = false;
  // Every check runs even after a failure, so one CI run reports all of them.
  for (const [title, command, args] of checks) {
    if (interrupted) break;
    if ((await step(title, command, args)) !== 0) failed = true;
  }
  let testCode = 1;
  try {
    if (!interrupted) {
      if (keepServers && (await allEnginesListening())) {
        // Reuse engines that answer, even ones another checkout started (a second worktree).
        console.log('\n━━ engines: all listening, reused (RINGCACHE_KEEP_SERVERS=1)');
      } else {
        const title = keepServers ? 'engines (kept running: RINGCACHE_KEEP_SERVERS=1)' : 'engines';
        // A failed start is reported, but vitest still runs: unit tests do not need engines, and an
        // integration file fails with the missing engine's name under CI=true.
        if ((await step(title, 'node', ['scripts/servers.mjs', 'up'])) !== 0) failed = true;
      }
    }
    if (!interrupted) testCode = await step('tests', 'npx', ['vitest', 'run', ...vitestArgs]);
  } finally {
    if (!keepServers && (await step('engines down', 'node', ['scripts/servers.mjs', 'down'])) !== 0)
      failed = true;
  }
  console.log('\n━━ summary');
  for (const { title, exitCode, seconds } of summary) {
    console.log(`  ${exitCode === 0 ? '✓' : '✗'} ${title.padEnd(52)} ${seconds.toFixed(1).padStart(6)} s`);
  }
  if (testCode !== 0) return testCode;
  return failed || interrupted ? 1 : 0;
}

process.exitCode = await main();
