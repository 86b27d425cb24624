// `npm run bench [-- NAME... ] [--rounds N] [--no-build] [--no-docs] [--report-only] [--list]`
// Builds the packages the benchmarks import, then runs the named scenarios (all by default) one
// after another. See bench/README.md.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createProgressLine } from './lib/progress.mjs';
import { rewriteReport, runScenario } from './lib/runner.mjs';

const benchDirectory = fileURLToPath(new URL('.', import.meta.url));
const scenariosDirectory = join(benchDirectory, 'scenarios');
const root = join(benchDirectory, '..');

function usage(message) {
  process.stderr.write(
    `bench: ${message}\nUsage: npm run bench -- [NAME...] [--rounds N] [--no-build] [--no-docs] [--report-only] [--list]\n`,
  );
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({
    options: {
      rounds: { type: 'string' },
      'no-build': { type: 'boolean' },
      'no-docs': { type: 'boolean' },
      'report-only': { type: 'boolean' },
      list: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
  });
} catch (error) {
  usage(error.message);
}
const { values, positionals } = parsed;
const available = readdirSync(scenariosDirectory)
  .filter((file) => file.endsWith('.mjs'))
  .map((file) => file.slice(0, -'.mjs'.length))
  .sort();

if (values.help) {
  process.stdout.write(
    `Usage: npm run bench -- [NAME...] [options]\n\nScenarios: ${available.join(', ')}\n\n` +
      "  --rounds N     timed rounds per contender (default: the scenario's, usually 5)\n" +
      '  --no-build     skip building the packages first\n' +
      '  --no-docs      do not rewrite docs/benchmarks.md (results JSON is still written)\n' +
      '  --report-only  rewrite the docs sections from the last results, run nothing\n' +
      '  --list         print the scenario names\n',
  );
  process.exit(0);
}
if (values.list) {
  process.stdout.write(`${available.join('\n')}\n`);
  process.exit(0);
}
const selected = positionals.length > 0 ? positionals : available;
const unknown = selected.filter((name) => !available.includes(name));
if (unknown.length > 0) usage(`unknown scenario ${unknown.join(', ')} (available: ${available.join(', ')})`);
let rounds;
if (values.rounds !== undefined) {
  rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1)
    usage(`--rounds must be a whole number ≥ 1, got '${values.rounds}'`);
}

if (values['report-only']) {
  for (const name of selected) {
    await rewriteReport(join(scenariosDirectory, `${name}.mjs`));
    process.stderr.write(`bench ${name}: docs/benchmarks.md rewritten from bench/results/${name}.json\n`);
  }
  process.exit(0);
}

const progress = createProgressLine();
if (!values['no-build']) {
  // Scenarios import the built packages (dist/), as users do. Build only what bench depends on,
  // quietly: turbo's cache makes this a no-op when nothing changed.
  progress.set('building packages');
  const build = spawnSync(
    'npx',
    ['turbo', 'run', 'build', '--filter=@ringcache/bench...', '--output-logs=errors-only'],
    {
      cwd: root,
      encoding: 'utf8',
    },
  );
  progress.done();
  if (build.status !== 0) {
    process.stderr.write(`bench: the build failed:\n${build.stdout}${build.stderr}`);
    process.exit(1);
  }
}

let failures = 0;
for (const name of selected) {
  const results = await runScenario(join(scenariosDirectory, `${name}.mjs`), {
    rounds,
    docs: !values['no-docs'],
    progress,
  });
  const failed = Object.entries(results.contenders).filter(([, contender]) => contender.error);
  failures += failed.length;
  process.stderr.write(
    `bench ${name}: done in ${results.seconds} s; bench/results/${name}.json` +
      `${values['no-docs'] ? '' : ', docs/benchmarks.md'}${failed.length > 0 ? `; ${failed.length} contender(s) failed` : ''}\n`,
  );
}
process.exit(failures > 0 ? 1 : 0);
