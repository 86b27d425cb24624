// A dependency-free SVG bar chart of the peers results: one block per group and workload, one
// bar per contender (median calls/s), scaled to the fastest of the block; Ringcache in colour.
import { formatCount } from '../../lib/index.mjs';

const WIDTH = 880;
const LABEL = 250;
const BAR_AREA = 500;
const BAR = 14;
const GAP = 4;

const escapeXml = (text) =>
  String(text).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

export function renderChart(results, contenders, groups, workloads) {
  const parts = [];
  let y = 28;
  parts.push(
    `<text x="10" y="18" font-size="14" font-weight="bold">Calls/s (median of ${results.rounds} rounds), per group and workload</text>`,
  );
  for (const [group, title] of groups) {
    const members = Object.keys(contenders).filter((name) => contenders[name].group === group);
    y += 14;
    parts.push(`<text x="10" y="${y}" font-size="13" font-weight="bold">${escapeXml(title)}</text>`);
    y += 6;
    for (const [key, label] of workloads) {
      const values = members.map((name) => results.contenders[name]?.metrics?.[`${key}PerSecond`]?.median);
      const top = Math.max(...values.filter(Number.isFinite), 1);
      y += 16;
      parts.push(`<text x="20" y="${y}" font-size="12" fill="#444">${escapeXml(label)}</text>`);
      y += 4;
      members.forEach((name, index) => {
        const value = values[index];
        const ours = name.startsWith('ringcache');
        const width = Number.isFinite(value) ? Math.max(1, (value / top) * BAR_AREA) : 0;
        const text = Number.isFinite(value) ? `${formatCount(value)}/s` : 'failed';
        parts.push(
          `<text x="${LABEL - 6}" y="${y + BAR - 3}" font-size="11" text-anchor="end">${escapeXml(name)}</text>`,
          `<rect x="${LABEL}" y="${y}" width="${width.toFixed(1)}" height="${BAR}" fill="${ours ? '#d9480f' : '#868e96'}"/>`,
          `<text x="${LABEL + width + 6}" y="${y + BAR - 3}" font-size="11">${text}</text>`,
        );
        y += BAR + GAP;
      });
    }
    y += 6;
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${y + 10}" viewBox="0 0 ${WIDTH} ${y + 10}" font-family="sans-serif" role="img">`,
    '<title>Ringcache and its peers: calls per second per group and workload</title>',
    `<rect width="100%" height="100%" fill="#fff"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
