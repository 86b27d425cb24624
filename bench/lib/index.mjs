// The harness API for scenario modules: import from '../lib/index.mjs'. See bench/README.md.

export { KEY_VALUE_WORKLOAD, keyValueContender } from './key-value.mjs';
export {
  formatBytes,
  formatCount,
  formatPercent,
  formatRatio,
  formatSpread,
  markdownTable,
  passFail,
} from './markdown.mjs';
export { cpuSeconds, operationsPerSecond, retainedMemory, throughput, time } from './measure.mjs';
export { randomInteger, seededRandom } from './random.mjs';
export { defineScenario } from './scenario.mjs';
export { median, pairedRatio, percentile, summarize } from './stats.mjs';
