#!/usr/bin/env node
// `npm run lint`: every workspace lints itself (`turbo run lint`, `biome check .` in each package,
// cached by turbo), then biome checks what no workspace covers: the root's own files and folders
// (test/, docs/, the root configs). The root entries are listed from the folder itself, so a new
// root folder is linted without anyone remembering to add it here. Both parts always run; the
// exit code is 1 if either failed. Extra arguments go to the root biome run.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const { workspaces } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
// 'packages/*' and 'bench' both name a top-level folder whose content workspaces lint.
const workspaceFolders = new Set(workspaces.map((pattern) => pattern.split('/')[0]));
// Never linted (biome.json and .gitignore exclude the rest, such as .servers and .turbo).
const skipped = new Set(['node_modules', '.git']);
const rootEntries = readdirSync(ROOT)
  .filter((name) => !workspaceFolders.has(name) && !skipped.has(name))
  .sort();

/** Runs a binary of node_modules/.bin; returns its exit code. */
function run(binary, args) {
  const windows = process.platform === 'win32';
  const path = join(ROOT, 'node_modules', '.bin', windows ? `${binary}.cmd` : binary);
  const result = spawnSync(path, args, { cwd: ROOT, stdio: 'inherit', shell: windows });
  if (result.error) console.error(`cannot run ${binary}: ${result.error.message}`);
  return result.status ?? 1;
}

const workspacesCode = run('turbo', ['run', 'lint', '--continue', '--output-logs=errors-only']);
console.log(`\nbiome over the root (not in a workspace): ${rootEntries.join(' ')}`);
const rootCode = run('biome', ['check', ...process.argv.slice(2), ...rootEntries]);
process.exitCode = workspacesCode !== 0 || rootCode !== 0 ? 1 : 0;
