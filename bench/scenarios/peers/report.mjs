// The peers section of docs/benchmarks.md: per group (like against like) throughput, latency and
// stampede tables, Ringcache's per-round ratios against each peer, the targets, the versions
// measured, and a chart (docs/benchmarks/peers.svg).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatCount, formatRatio, markdownTable, pairedRatio, passFail } from '../../lib/index.mjs';
import { renderChart } from './chart.mjs';
import {
  CONCURRENCY,
  KEY_COUNT,
  L1_ENTRIES,
  LOADER_MS,
  MANY_KEYS,
  PHASE_SECONDS,
  READ_HEAVY_WRITES,
  STAMPEDE_CALLERS,
  STAMPEDES,
  VALUE_TEXT,
  WRITE_HEAVY_WRITES,
  ZIPF_EXPONENT,
} from './workloads.mjs';

export const GROUPS = [
  ['l1', 'L1 + L2 + invalidation bus, Redis Cluster'],
  ['l2', 'L2 only, Redis Cluster'],
  ['memcached', 'L2 only, memcached pool'],
];
export const WORKLOADS = [
  ['readHeavy', `read-heavy ${100 - READ_HEAVY_WRITES * 100}/${READ_HEAVY_WRITES * 100}`],
  ['writeHeavy', `write-heavy ${100 - WRITE_HEAVY_WRITES * 100}/${WRITE_HEAVY_WRITES * 100}`],
  ['getMany', `getMany of ${MANY_KEYS}`],
];
const READ_HEAVY_AIM = 1.5;
const chartPath = fileURLToPath(new URL('../../../docs/benchmarks/peers.svg', import.meta.url));

const ms = (value) =>
  Number.isFinite(value) ? `${value < 10 ? value.toFixed(2) : value.toFixed(1)} ms` : '—';
const spread = (summary, format = formatCount) =>
  summary ? `${format(summary.median)} (${format(summary.min)}–${format(summary.max)})` : '—';
const ratioText = (ratio) =>
  ratio ? `${formatRatio(ratio.median)} (${formatRatio(ratio.min)}–${formatRatio(ratio.max)})` : '—';
const sum = (values) => values.reduce((total, value) => total + value, 0);

function membersOf(contenders, group) {
  return Object.keys(contenders).filter((name) => contenders[name].group === group);
}

function groupTables(results, members, ours) {
  const metric = (name, key) => results.contenders[name]?.metrics?.[key];
  const failed = (name) => results.contenders[name]?.error;
  const throughput = members.map((name) =>
    failed(name)
      ? [name, `failed: ${failed(name)}`, '', '', '', '']
      : [
          name,
          ...WORKLOADS.map(([key]) => spread(metric(name, `${key}PerSecond`))),
          spread(metric(name, 'stampedeLoaderCalls'), (value) => String(value)),
          ms(metric(name, 'stampedeMs')?.median),
        ],
  );
  const latency = members
    .filter((name) => !failed(name))
    .map((name) => [
      name,
      ...WORKLOADS.map(
        ([key]) => `${ms(metric(name, `${key}P50Ms`)?.median)} / ${ms(metric(name, `${key}P99Ms`)?.median)}`,
      ),
      `${((metric(name, 'readHeavyHitRate')?.median ?? Number.NaN) * 100).toFixed(1)}%`,
      String(sum(WORKLOADS.map(([key]) => sum(metric(name, `${key}Errors`)?.values ?? [])))),
    ]);
  const ratios = members
    .filter((name) => name !== ours)
    .map((peer) => [
      peer,
      ...WORKLOADS.map(([key]) => {
        const wall = pairedRatio(results, `${key}PerSecond`, ours, peer);
        const cpu = pairedRatio(results, `${key}PerCpuSecond`, ours, peer);
        return wall ? `${ratioText(wall)} · CPU ${formatRatio(cpu?.median)}` : '—';
      }),
    ]);
  return [
    markdownTable(
      [
        'contender',
        ...WORKLOADS.map(([, label]) => `${label} calls/s`),
        'stampede loader calls',
        'stampede time',
      ],
      throughput,
    ),
    '',
    markdownTable(
      ['contender', ...WORKLOADS.map(([, label]) => `${label} p50 / p99`), 'read-heavy hits', 'errors'],
      latency,
    ),
    '',
    markdownTable([`${ours} ÷ peer`, ...WORKLOADS.map(([, label]) => label)], ratios, [
      'left',
      'right',
      'right',
      'right',
    ]),
  ].join('\n');
}

/** Every target with its measured figures: ratios per peer and workload, then the stampede. */
function targets(results, contenders) {
  const rows = [];
  for (const [group] of GROUPS) {
    const members = membersOf(contenders, group);
    const ours = members.find((name) => name.startsWith('ringcache'));
    for (const peer of members.filter((name) => name !== ours)) {
      for (const [key, label] of WORKLOADS) {
        const wall = pairedRatio(results, `${key}PerSecond`, ours, peer);
        const cpu = pairedRatio(results, `${key}PerCpuSecond`, ours, peer);
        const goal = group === 'l1' && key === 'readHeavy' ? READ_HEAVY_AIM : 1;
        const verdict = wall ? passFail(wall.median >= goal) : 'not measured';
        const disagrees = wall && cpu && wall.median >= goal !== cpu.median >= goal;
        rows.push([
          `${ours} ≥ ${goal}× ${peer}, ${label}`,
          wall ? formatRatio(wall.median) : '—',
          cpu ? formatRatio(cpu.median) : '—',
          disagrees ? `${verdict} (CPU: ${cpu.median >= goal ? 'pass' : 'fail'})` : verdict,
        ]);
      }
    }
    const calls = results.contenders[ours]?.metrics?.stampedeLoaderCalls;
    rows.push([
      `${ours}: exactly 1 loader call per stampede (worst of all)`,
      calls ? `${calls.max} call${calls.max === 1 ? '' : 's'}` : '—',
      '',
      calls ? passFail(calls.max === 1) : 'not measured',
    ]);
  }
  return markdownTable(['target', 'wall-clock ratio', 'CPU ratio', 'result'], rows, [
    'left',
    'right',
    'right',
    'left',
  ]);
}

function versions(results, contenders) {
  const rows = Object.keys(contenders).map((name) => {
    const found = results.contenders[name]?.analysis?.versions ?? {};
    return [
      name,
      contenders[name].packages.map((pkg) => `${pkg} ${found[pkg] ?? '?'}`).join(', '),
      contenders[name].setup,
    ];
  });
  return markdownTable(['contender', 'packages', 'configuration'], rows, ['left', 'left', 'left']);
}

function localTierLine(results, contenders) {
  const ours = membersOf(contenders, 'l1').find((name) => name.startsWith('ringcache'));
  const l1 = results.contenders[ours]?.analysis?.l1;
  if (!l1) return '';
  const rate = l1.hits / Math.max(1, l1.hits + l1.misses);
  return (
    `${ours}: L1 answered ${(rate * 100).toFixed(1)}% of its reads over the whole run ` +
    `(${formatCount(l1.hits)} hits, ${formatCount(l1.misses)} misses; a write drops the key from L1 ` +
    'and the next read refills it from L2).'
  );
}

export function writeReport(results, contenders) {
  mkdirSync(dirname(chartPath), { recursive: true });
  writeFileSync(chartPath, renderChart(results, contenders, GROUPS, WORKLOADS));
  const sections = GROUPS.map(([group, title]) => {
    const members = membersOf(contenders, group);
    const ours = members.find((name) => name.startsWith('ringcache'));
    return [`### ${title}`, '', groupTables(results, members, ours)].join('\n');
  });
  return [
    `${CONCURRENCY} calls in flight per contender (closed loop), ${PHASE_SECONDS} s per workload per round; ` +
      `${formatCount(KEY_COUNT)} keys written before the rounds, chosen by a Zipf law (s = ${ZIPF_EXPONENT}) from ` +
      `one seeded plan that every contender replays; values are one ${VALUE_TEXT.length}-byte JSON object ` +
      `(raw clients JSON-encode it in the benchmark, as an application must). getMany reads ${MANY_KEYS} keys of ` +
      `the same law, spread over every node. Stampede: ${STAMPEDE_CALLERS} concurrent read-throughs of one ` +
      `fresh key, a loader of ${LOADER_MS} ms, ${STAMPEDES} per round; libraries without a read-through ` +
      '(Keyv, raw clients) run the get → load → set a user writes. L1 contenders hold at most ' +
      `${formatCount(L1_ENTRIES)} entries (a tenth of the keys). Ratios are medians (min–max) of per-round ` +
      'ratios on the wall clock; "CPU" is the same ratio per CPU-second of the client process, the steadier ' +
      'figure when other jobs share the machine. Client and servers share the machine, so wall-clock ratios ' +
      'of L2 contenders are compressed by server time. "read-heavy hits" counts hits in any tier.',
    '',
    '![calls/s per contender, per group and workload](benchmarks/peers.svg)',
    '',
    ...sections.flatMap((section) => [section, '']),
    localTierLine(results, contenders),
    '',
    '### Targets',
    '',
    targets(results, contenders),
    '',
    '### Versions and configuration',
    '',
    versions(results, contenders),
  ].join('\n');
}
