// A contender's process: `node worker.mjs <scenario module URL> <contender name>`, forked by the
// runner. It imports the scenario, then obeys the parent's messages one at a time, so only one
// contender of a scenario runs at any moment and each keeps its own JIT state.

const [scenarioUrl, contenderName] = process.argv.slice(2);
const scenario = (await import(scenarioUrl)).default;
const contender = scenario.contenders[contenderName];
if (contender === undefined) throw new Error(`scenario ${scenario.name} has no contender '${contenderName}'`);

let state;
let shared;

function context(extra = {}) {
  return {
    contender: contenderName,
    shared,
    progress: (text) => process.send({ type: 'progress', text: String(text) }),
    ...extra,
  };
}

const handlers = {
  async setup(message) {
    shared = message.shared;
    state = contender.setup ? await contender.setup(context()) : undefined;
    return {};
  },
  async round(message) {
    const metrics = await contender.round(state, context({ round: message.round, warmup: message.warmup }));
    for (const [metric, value] of Object.entries(metrics ?? {})) {
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw new Error(`round metric '${metric}' must be a finite number, got ${String(value)}`);
      }
    }
    return { metrics };
  },
  async analyze() {
    return { analysis: contender.analyze ? await contender.analyze(state, context()) : undefined };
  },
  async teardown() {
    if (contender.teardown) await contender.teardown(state, context());
    return {};
  },
};

process.on('message', async (message) => {
  try {
    const reply = await handlers[message.type](message);
    process.send({ type: 'done', ...reply });
    if (message.type === 'teardown') process.disconnect();
  } catch (error) {
    process.send({ type: 'failed', message: error?.message ?? String(error), stack: error?.stack });
  }
});

process.send({ type: 'loaded' });
