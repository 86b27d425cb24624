// Formatting helpers for scenario reports, so every section of docs/benchmarks.md reads alike.

/**
 * A GitHub markdown table, padded so columns line up in the raw file (as biome formats
 * markdown). `align` has one of 'left' | 'right' per column (default: the first column left, the
 * others right, which suits a name followed by numbers).
 */
export function markdownTable(headers, rows, align) {
  const alignment = align ?? headers.map((_, index) => (index === 0 ? 'left' : 'right'));
  const cells = [headers, ...rows].map((row) => row.map((cell) => String(cell ?? '').replaceAll('|', '\\|')));
  const length = (text) => [...text].length;
  const widths = headers.map((_, column) => Math.max(3, ...cells.map((row) => length(row[column] ?? ''))));
  const pad = (text, column) => {
    const fill = ' '.repeat(widths[column] - length(text));
    return alignment[column] === 'right' ? fill + text : text + fill;
  };
  const line = (row) => `| ${row.map(pad).join(' | ')} |`;
  const rule = `| ${widths
    .map((width, column) =>
      alignment[column] === 'right' ? `${'-'.repeat(width - 1)}:` : `:${'-'.repeat(width - 1)}`,
    )
    .join(' | ')} |`;
  return [line(cells[0]), rule, ...cells.slice(1).map(line)].join('\n');
}

/** 12345678 → '12.3 M', 4567 → '4.57 k': three significant digits with an SI prefix. */
export function formatCount(value) {
  if (!Number.isFinite(value)) return '—';
  const units = [
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [scale, unit] of units) {
    if (Math.abs(value) >= scale) return `${(value / scale).toPrecision(3)} ${unit}`;
  }
  return value.toPrecision(3);
}

/** Bytes as KiB/MiB with three significant digits. */
export function formatBytes(bytes) {
  if (!Number.isFinite(bytes)) return '—';
  const units = [
    [1024 ** 3, 'GiB'],
    [1024 ** 2, 'MiB'],
    [1024, 'KiB'],
  ];
  for (const [scale, unit] of units) {
    if (Math.abs(bytes) >= scale) return `${(bytes / scale).toPrecision(3)} ${unit}`;
  }
  return `${Math.round(bytes)} B`;
}

/** 0.0909 → '9.09%'. */
export function formatPercent(fraction, digits = 2) {
  return Number.isFinite(fraction) ? `${(fraction * 100).toFixed(digits)}%` : '—';
}

/** A summarized metric as 'median (min–max)' with `format` applied to each. */
export function formatSpread(summary, format = formatCount) {
  if (!summary) return '—';
  return `${format(summary.median)} (${format(summary.min)}–${format(summary.max)})`;
}

/** A ratio like '23.4×'. */
export function formatRatio(value, digits = 2) {
  return Number.isFinite(value) ? `${value.toFixed(digits)}×` : '—';
}

/** 'pass' / 'FAIL' for a target. */
export function passFail(ok) {
  return ok ? 'pass' : '**FAIL**';
}
