import { parseArgs } from 'node:util';
import { parseNodesFlag } from '../arguments.js';
import { type CliIo, EXIT_OK, guard, writeLines } from '../io.js';
import { readKeys } from '../keys.js';
import {
  buildPartitioner,
  parsePartitionerFlags,
  partitionerArgumentOptions,
  partitionerHelp,
} from '../partitioner-options.js';

export const locateHelp = `Usage: ringcache locate --nodes host:port[:weight],... [options] (KEY... | --keys-file FILE)

Prints the node that owns each key, one 'KEY<TAB>host:port' line per key, in input order.

Options:
  --nodes LIST     comma-separated node specs host:port[:weight] (required)
${partitionerHelp}
  --keys-file FILE one key per line, UTF-8; '-' reads standard input
  -h, --help       show this help

Examples:
  ringcache locate --nodes 10.0.0.1:11211,10.0.0.2:11211 user:1 user:2
  ringcache locate --nodes a:11211,b:11211 --ring ketama --hash fnv1a_64 --keys-file keys.txt
`;

/** `ringcache locate`: which node owns each key. */
export function locate(argv: readonly string[], io: CliIo): Promise<number> {
  return guard('locate', io, async () => {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: {
        nodes: { type: 'string' },
        ...partitionerArgumentOptions,
        'keys-file': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    });
    if (values.help) {
      io.stdout.write(locateHelp);
      return EXIT_OK;
    }
    // Arguments are checked before any file is read, so a typo fails fast on a big file.
    const choice = parsePartitionerFlags(values);
    const partitioner = buildPartitioner(parseNodesFlag(values.nodes), choice);
    const keys = await readKeys({ keysFile: values['keys-file'], positionals, stdin: io.stdin });
    writeLines(
      io.stdout,
      keys.map((key) => `${key}\t${partitioner.locate(key)}`),
    );
    return EXIT_OK;
  });
}
