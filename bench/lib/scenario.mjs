/**
 * Declares a benchmark scenario. The module that calls it (bench/scenarios/NAME.mjs) is imported
 * both by the parent (to read the plan and write the report) and by every worker (to run one
 * contender), so it must do nothing at import time beyond defining things.
 *
 * @param {object} definition
 * @param {string} definition.name - the file name without `.mjs`; the docs section key
 * @param {string} definition.title - the section heading in docs/benchmarks.md
 * @param {Record<string, Contender | RoundFunction>} definition.contenders - name → contender;
 *   each runs in its own child process
 * @param {(results: Results) => string} definition.report - markdown for the docs section
 * @param {number} [definition.rounds=5] - timed rounds per contender; the report shows the median
 * @param {number} [definition.warmupRounds=1] - untimed rounds per contender before the timed ones
 * @param {string[]} [definition.execArgv=[]] - node flags for the workers, e.g. ['--expose-gc']
 * @param {number} [definition.timeoutSeconds=600] - limit for one setup, round or analyze call
 * @param {() => Promise<unknown>} [definition.prepare] - runs once in the parent before any
 *   worker starts (start an engine, write fixtures); its JSON-serialisable result reaches every
 *   contender as `context.shared`
 * @param {(shared: unknown) => Promise<void>} [definition.cleanup] - runs in the parent at the end,
 *   also after a failure
 *
 * A contender is `{ setup?, round, analyze?, teardown? }`, all optionally async, all running in
 * the contender's worker process:
 * - `setup(context)` → state: untimed, once (build data sets, connect clients).
 * - `round(state, context)` → `{ metric: number, ... }`: one round; rounds alternate across
 *   contenders. Each numeric metric is summarized as median and spread over the timed rounds.
 * - `analyze(state, context)` → any JSON: untimed, once after the rounds (balance, memory, ...).
 * - `teardown(state, context)`: close clients.
 * A bare function is taken as `round` with no state.
 *
 * `context` = `{ contender, round, warmup, shared, progress(text) }`; `progress` shows a short
 * status on the harness's progress line during long setups and analyses.
 */
export function defineScenario(definition) {
  const { name, title, contenders, report } = definition;
  if (typeof name !== 'string' || !/^[a-z][a-z0-9-]*$/.test(name)) {
    throw new TypeError(`scenario name must be kebab-case, got ${String(name)}`);
  }
  if (typeof title !== 'string' || title.length === 0)
    throw new TypeError(`scenario ${name}: title is required`);
  if (typeof report !== 'function') throw new TypeError(`scenario ${name}: report(results) is required`);
  if (contenders === null || typeof contenders !== 'object' || Object.keys(contenders).length === 0) {
    throw new TypeError(`scenario ${name}: at least one contender is required`);
  }
  const normalized = {};
  for (const [contenderName, contender] of Object.entries(contenders)) {
    const value = typeof contender === 'function' ? { round: contender } : contender;
    if (typeof value?.round !== 'function') {
      throw new TypeError(`scenario ${name}: contender '${contenderName}' needs a round function`);
    }
    normalized[contenderName] = value;
  }
  const rounds = definition.rounds ?? 5;
  const warmupRounds = definition.warmupRounds ?? 1;
  if (!Number.isInteger(rounds) || rounds < 1) throw new TypeError(`scenario ${name}: rounds must be ≥ 1`);
  if (!Number.isInteger(warmupRounds) || warmupRounds < 0) {
    throw new TypeError(`scenario ${name}: warmupRounds must be ≥ 0`);
  }
  return Object.freeze({
    ...definition,
    contenders: Object.freeze(normalized),
    rounds,
    warmupRounds,
    execArgv: definition.execArgv ?? [],
    timeoutSeconds: definition.timeoutSeconds ?? 600,
  });
}
