import { parseArgs } from 'node:util';
import { parseCount } from '../arguments.js';
import { type CliIo, EXIT_OK, guard, UsageError } from '../io.js';
import {
  describePartitioner,
  type PartitionerChoice,
  parsePartitionerFlags,
  partitionerArgumentOptions,
  partitionerHelp,
} from '../partitioner-options.js';
import { progressBar } from '../progress.js';
import {
  type Balance,
  simulate as runSimulation,
  type SimulationResult,
  type TopologyChange,
} from '../simulation.js';

export const simulateHelp = `Usage: ringcache simulate --nodes N [--add K | --remove K] [options]

Places M synthetic keys (user:0, user:1, ...) on N synthetic nodes (10.0.0.1:11211, ...) and
reports how evenly they spread; with --add or --remove, also how many keys a topology change
moves compared with the ideal (K/(N+K) when adding, K/N when removing), and whether every moved
key went to a new node (add) or came from a removed node (remove). --remove takes the last K
nodes, the only ones jump hash can remove.

Options:
  --nodes N        number of nodes before the change (required)
  --add K          add K nodes
  --remove K       remove the last K nodes
  --keys M         number of keys (default: 1,000,000; 1e6 and 1_000_000 work)
${partitionerHelp}
  --json           print the result as JSON
  -h, --help       show this help

Example:
  ringcache simulate --nodes 10 --add 1 --ring ketama
`;

const MAX_NODES = 65535;
const MAX_KEYS = 100_000_000;

/** `ringcache simulate`: balance and key movement of a partitioner on synthetic data. */
export function simulate(argv: readonly string[], io: CliIo): Promise<number> {
  return guard('simulate', io, async () => {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: {
        nodes: { type: 'string' },
        add: { type: 'string' },
        remove: { type: 'string' },
        keys: { type: 'string' },
        ...partitionerArgumentOptions,
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    });
    if (values.help) {
      io.stdout.write(simulateHelp);
      return EXIT_OK;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    if (values.nodes === undefined) throw new UsageError('--nodes N is required');
    const nodeCount = parseCount(values.nodes, '--nodes', { min: 1, max: MAX_NODES });
    const change = parseChange(values.add, values.remove, nodeCount);
    const keyCount =
      values.keys === undefined ? 1_000_000 : parseCount(values.keys, '--keys', { min: 1, max: MAX_KEYS });
    const choice = parsePartitionerFlags(values);

    const progress = progressBar(io.stderr, 'simulating');
    let result: SimulationResult;
    try {
      result = runSimulation({ choice, nodeCount, change, keyCount, onProgress: progress.update });
    } finally {
      progress.finish();
    }
    io.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : formatReport(result, choice));
    return EXIT_OK;
  });
}

function parseChange(add: string | undefined, remove: string | undefined, nodeCount: number) {
  if (add !== undefined && remove !== undefined) throw new UsageError('give --add or --remove, not both');
  if (add !== undefined) {
    const count = parseCount(add, '--add', { min: 1, max: MAX_NODES - nodeCount });
    return { kind: 'add', count } satisfies TopologyChange;
  }
  if (remove !== undefined) {
    if (nodeCount === 1) throw new UsageError('cannot remove nodes from a single node');
    const count = parseCount(remove, '--remove', { min: 1, max: nodeCount - 1 });
    return { kind: 'remove', count } satisfies TopologyChange;
  }
  return undefined;
}

/** The human-readable report: a balance table, then the movement lines. */
export function formatReport(result: SimulationResult, choice: PartitionerChoice): string {
  const before = result.before.nodes;
  const topology =
    result.after === undefined
      ? `${before} nodes`
      : `${before} → ${result.after.nodes} nodes (${result.movement?.kind === 'add' ? '+' : '-'}${Math.abs(result.after.nodes - before)})`;
  const lines = [
    `ring: ${describePartitioner(choice)}   keys: ${count(result.keys)}   ${topology}`,
    '',
    table([
      ['', 'nodes', 'max/mean', 'min/mean', 'stddev/mean'],
      balanceRow('before', result.before),
      ...(result.after === undefined ? [] : [balanceRow('after', result.after)]),
    ]),
  ];
  const movement = result.movement;
  if (movement !== undefined) {
    const direction = movement.kind === 'add' ? 'went to a new node' : 'came from a removed node';
    lines.push(
      '',
      `moved:   ${percent(movement.fraction)} of keys (${count(movement.keys)}); ideal ${percent(movement.ideal)}; ${movement.ratioToIdeal.toFixed(3)}× ideal`,
      movement.minimal
        ? `minimal: yes, every moved key ${direction}`
        : `minimal: no, ${count(movement.strayKeys)} moved keys did not (${percent(movement.strayKeys / result.keys)} of keys)`,
    );
  }
  lines.push('', `time:    ${result.seconds.toFixed(1)} s`);
  return `${lines.join('\n')}\n`;
}

function balanceRow(label: string, balance: Balance): string[] {
  return [
    label,
    String(balance.nodes),
    balance.maxOverMean.toFixed(3),
    balance.minOverMean.toFixed(3),
    percent(balance.stddevOverMean),
  ];
}

/** Left-aligned first column, right-aligned numbers. */
function table(rows: readonly string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
        .join('   ')
        .trimEnd(),
    )
    .join('\n');
}

function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(2)}%`;
}

function count(value: number): string {
  return value.toLocaleString('en-US');
}
