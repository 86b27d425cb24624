import { fork } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeSection } from './docs.mjs';
import { describeMachine } from './machine.mjs';
import { createProgressLine } from './progress.mjs';
import { summarize } from './stats.mjs';

const benchDirectory = fileURLToPath(new URL('..', import.meta.url));
const workerPath = fileURLToPath(new URL('./worker.mjs', import.meta.url));

/**
 * Runs one scenario: a worker process per contender, set up one after another; then rounds in
 * alternation (warm-up rounds first, then round 1 of every contender, round 2 of every
 * contender, ...); then each contender's analysis. Writes bench/results/NAME.json and, unless
 * `docs` is false, the scenario's section of docs/benchmarks.md.
 *
 * A contender that fails is reported with its error and left out of the remaining phases; the
 * others go on.
 *
 * @param {string} scenarioPath - absolute path of bench/scenarios/NAME.mjs
 * @param {{ rounds?: number, docs?: boolean, docsPath?: string, resultsDirectory?: string,
 *   progress?: ReturnType<typeof createProgressLine> }} [options]
 * @returns {Promise<object>} the results, as passed to the scenario's `report`
 */
export async function runScenario(scenarioPath, options = {}) {
  const scenarioUrl = pathToFileURL(scenarioPath).href;
  const scenario = (await import(scenarioUrl)).default;
  const rounds = options.rounds ?? scenario.rounds;
  const progress = options.progress ?? createProgressLine();
  const names = Object.keys(scenario.contenders);
  const contenders = Object.fromEntries(names.map((name) => [name, { rounds: [], metrics: {} }]));
  const workers = new Map();
  const started = new Date();

  const fail = (name, error) => {
    contenders[name].error = error.message;
    progress.log(`bench ${scenario.name}: contender '${name}' failed: ${error.message}`);
    workers.get(name)?.kill();
    workers.delete(name);
  };

  let shared;
  try {
    progress.set(`${scenario.name}: preparing`);
    shared = scenario.prepare ? await scenario.prepare() : undefined;

    for (const name of names) {
      try {
        const worker = await startWorker(scenarioUrl, name, scenario, progress);
        workers.set(name, worker);
        progress.set(`${scenario.name}: setting up ${name}`);
        await worker.request({ type: 'setup', shared }, (text) =>
          progress.set(`${scenario.name}: setting up ${name} · ${text}`, { transient: true }),
        );
      } catch (error) {
        fail(name, error);
      }
    }

    const total = scenario.warmupRounds + rounds;
    for (let index = 0; index < total; index++) {
      const warmup = index < scenario.warmupRounds;
      const round = warmup ? index + 1 : index - scenario.warmupRounds + 1;
      for (const name of names) {
        const worker = workers.get(name);
        if (!worker) continue;
        const label = warmup ? `warm-up ${round}/${scenario.warmupRounds}` : `round ${round}/${rounds}`;
        progress.set(`${scenario.name}: ${label} · ${name}`);
        try {
          const reply = await worker.request({ type: 'round', round, warmup });
          if (!warmup) contenders[name].rounds.push(reply.metrics);
        } catch (error) {
          fail(name, error);
        }
      }
    }

    for (const name of names) {
      const worker = workers.get(name);
      if (!worker) continue;
      progress.set(`${scenario.name}: analyzing ${name}`);
      try {
        const reply = await worker.request({ type: 'analyze' }, (text) =>
          progress.set(`${scenario.name}: analyzing ${name} · ${text}`, { transient: true }),
        );
        contenders[name].analysis = reply.analysis;
        await worker.request({ type: 'teardown' });
      } catch (error) {
        fail(name, error);
      }
    }
  } finally {
    for (const worker of workers.values()) worker.kill();
    if (scenario.cleanup) await scenario.cleanup(shared);
    progress.done();
  }

  for (const contender of Object.values(contenders)) {
    const metricNames = new Set(contender.rounds.flatMap((round) => Object.keys(round)));
    for (const metric of metricNames) {
      contender.metrics[metric] = summarize(contender.rounds.map((round) => round[metric]));
    }
  }
  const results = {
    scenario: scenario.name,
    title: scenario.title,
    date: started.toISOString(),
    seconds: Math.round((Date.now() - started.getTime()) / 1000),
    machine: describeMachine(),
    rounds,
    warmupRounds: scenario.warmupRounds,
    order: names,
    contenders,
  };

  const resultsDirectory = options.resultsDirectory ?? join(benchDirectory, 'results');
  mkdirSync(resultsDirectory, { recursive: true });
  writeFileSync(join(resultsDirectory, `${scenario.name}.json`), `${JSON.stringify(results, null, 2)}\n`);
  if (options.docs !== false) writeDocs(scenario, results, options.docsPath);
  return results;
}

/**
 * Rewrites a scenario's docs section from its last results (bench/results/NAME.json) without
 * running anything: for working on a scenario's `report`.
 */
export async function rewriteReport(scenarioPath, options = {}) {
  const scenario = (await import(pathToFileURL(scenarioPath).href)).default;
  const resultsDirectory = options.resultsDirectory ?? join(benchDirectory, 'results');
  const results = JSON.parse(readFileSync(join(resultsDirectory, `${scenario.name}.json`), 'utf8'));
  writeDocs(scenario, results, options.docsPath);
  return results;
}

function writeDocs(scenario, results, docsPath = join(benchDirectory, '..', 'docs', 'benchmarks.md')) {
  mkdirSync(dirname(docsPath), { recursive: true });
  writeSection(docsPath, scenario.name, sectionBody(scenario, results));
}

function sectionBody(scenario, results) {
  const date = results.date.slice(0, 10);
  return [
    `## ${scenario.title}`,
    '',
    `Machine: ${results.machine.line} · ${date} · \`npm run bench -- ${scenario.name}\` · ` +
      `${results.rounds} timed rounds per contender after ${results.warmupRounds} warm-up, each contender ` +
      'in its own process, rounds alternating between contenders; figures are the median (min–max) of the rounds.',
    '',
    scenario.report(results).trim(),
  ].join('\n');
}

/** Forks the worker for one contender and waits until it has imported the scenario. */
function startWorker(scenarioUrl, name, scenario, progress) {
  const child = fork(workerPath, [scenarioUrl, name], {
    execArgv: [...scenario.execArgv],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const timeoutMs = scenario.timeoutSeconds * 1000;
  let pending;
  let exited = false;

  child.on('message', (message) => {
    if (message.type === 'progress') {
      pending?.onProgress?.(message.text);
    } else if (message.type === 'loaded' || message.type === 'done') {
      pending?.resolve(message);
    } else if (message.type === 'failed') {
      pending?.reject(new Error(message.message));
    }
  });
  child.on('exit', (code, signal) => {
    exited = true;
    pending?.reject(new Error(`worker exited (${signal ?? `code ${code}`})`));
  });
  child.on('error', (error) => pending?.reject(error));

  const wait = (onProgress) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no answer in ${scenario.timeoutSeconds} s`)),
        timeoutMs,
      );
      const settle = (callback) => (value) => {
        clearTimeout(timer);
        pending = undefined;
        callback(value);
      };
      pending = { resolve: settle(resolve), reject: settle(reject), onProgress };
    });

  const worker = {
    request(message, onProgress) {
      if (exited) return Promise.reject(new Error('worker is not running'));
      const reply = wait(onProgress);
      child.send(message);
      return reply;
    },
    kill() {
      if (!exited) child.kill();
    },
  };
  progress.set(`${scenario.name}: starting ${name}`);
  return wait().then(() => worker);
}
