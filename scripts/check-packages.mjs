#!/usr/bin/env node
// Checks what each published package would ship: publint (package.json fields, exports, files)
// and Are The Types Wrong (types resolve for Node 16+ ESM and CJS consumers) on the packed tarball.
// Private workspace packages are skipped. Builds first (turbo caches, so an unchanged build is free);
// `--skip-build` checks the dist/ folders as they are.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const PACKAGES = join(ROOT, 'packages');

/** Runs a command, collecting its output; resolves to `{ code, output }`. */
function run(command, args, cwd) {
  return new Promise((resolve) => {
    const { FORCE_COLOR, ...env } = process.env; // picocolors turns colours on for any FORCE_COLOR
    const child = spawn(command, args, { cwd, env: { ...env, NO_COLOR: '1' } });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.once('error', (error) => resolve({ code: 127, output: `${output}${error.message}\n` }));
    child.once('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

function publishedPackages() {
  if (!existsSync(PACKAGES)) return [];
  return readdirSync(PACKAGES)
    .map((name) => join(PACKAGES, name))
    .filter((dir) => existsSync(join(dir, 'package.json')))
    .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
    .filter(({ manifest }) => manifest.private !== true);
}

async function checkPackage({ dir, manifest }) {
  // A package may choose its own attw profile (e.g. an ESM-only CLI: `{ "profile": "esm-only" }`)
  // in packages/<name>/.attw.json; otherwise Node 16+ resolution, ESM and CJS, must work.
  const attwProfile = existsSync(join(dir, '.attw.json')) ? [] : ['--profile', 'node16'];
  // --no: use the root devDependencies, never download a tool on the fly.
  const [publint, attw] = await Promise.all([
    run('npx', ['--no', '--', 'publint'], dir),
    run('npx', ['--no', '--', 'attw', '--pack', '--no-color', ...attwProfile], dir),
  ]);
  const ok = publint.code === 0 && attw.code === 0;
  const lines = [`${ok ? '✓' : '✗'} ${manifest.name} (${relative(ROOT, dir)})`];
  for (const [tool, result] of [
    ['publint', publint],
    ['attw', attw],
  ]) {
    lines.push(`  ${result.code === 0 ? '✓' : '✗'} ${tool}`);
    if (result.code !== 0 || process.env.RINGCACHE_VERBOSE === '1') {
      lines.push(
        ...result.output
          .trimEnd()
          .split('\n')
          .map((line) => `    ${line}`),
      );
    }
  }
  console.log(lines.join('\n'));
  return ok;
}

async function main() {
  const packages = publishedPackages();
  if (packages.length === 0) {
    console.log('No published packages under packages/.');
    return 0;
  }
  const build = process.argv.includes('--skip-build')
    ? { code: 0, output: '' }
    : await run('npx', ['--no', '--', 'turbo', 'run', 'build', '--output-logs=errors-only'], ROOT);
  if (build.code !== 0) {
    console.error(`✗ build failed:\n${build.output}`);
    return 1;
  }
  // Packages are independent here (each packs its own folder), so check them side by side.
  const results = await Promise.all(packages.map(checkPackage));
  const failed = results.filter((ok) => !ok).length;
  console.log(failed === 0 ? `All ${results.length} package(s) pass.` : `${failed} package(s) failed.`);
  return failed === 0 ? 0 : 1;
}

process.exitCode = await main();
