// Small statistics over round measurements. Kept dependency-free so every scenario and the
// report code agree on what "median" and "spread" mean.

/** The median of a list of numbers (the mean of the middle two for an even count). */
export function median(values) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** `{ median, min, max, values }` of a list of numbers: the median and the spread. */
export function summarize(values) {
  return {
    median: median(values),
    min: values.length === 0 ? Number.NaN : Math.min(...values),
    max: values.length === 0 ? Number.NaN : Math.max(...values),
    values: [...values],
  };
}

/**
 * The nearest-rank percentile (`p` in 0–100): the smallest value with at least p% of the values
 * at or below it. For 20 values, p95 is the 19th smallest.
 */
export function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

/**
 * Per-round ratios `a / b` of one metric between two contenders of the same run, summarized.
 * Rounds alternate between contenders, so round i of each ran under about the same machine
 * load: the ratio of a pair is steadier than the ratio of two medians on a noisy machine.
 * Returns undefined when either contender has no rounds (it failed).
 */
export function pairedRatio(results, metric, a, b) {
  const first = results.contenders[a]?.rounds ?? [];
  const second = results.contenders[b]?.rounds ?? [];
  const count = Math.min(first.length, second.length);
  if (count === 0) return undefined;
  const ratios = [];
  for (let round = 0; round < count; round++) ratios.push(first[round][metric] / second[round][metric]);
  return summarize(ratios);
}
