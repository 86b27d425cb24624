import { parseArgs } from 'node:util';
import { keySlot } from '@ringcache/core';
import { type CliIo, EXIT_OK, guard, writeLines } from '../io.js';
import { readKeys } from '../keys.js';

export const slotHelp = `Usage: ringcache slot (KEY... | --keys-file FILE)

Prints the Redis Cluster hash slot of each key (CRC16 mod 16384, honouring {hash tags}), one
'KEY<TAB>SLOT' line per key, in input order: the same number as CLUSTER KEYSLOT.

Options:
  --keys-file FILE one key per line, UTF-8; '-' reads standard input
  -h, --help       show this help

Example:
  ringcache slot user:1 '{user:1}.cart'
`;

/** `ringcache slot`: the Redis Cluster slot of each key. */
export function slot(argv: readonly string[], io: CliIo): Promise<number> {
  return guard('slot', io, async () => {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: {
        'keys-file': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    });
    if (values.help) {
      io.stdout.write(slotHelp);
      return EXIT_OK;
    }
    const keys = await readKeys({ keysFile: values['keys-file'], positionals, stdin: io.stdin });
    writeLines(
      io.stdout,
      keys.map((key) => `${key}\t${keySlot(key)}`),
    );
    return EXIT_OK;
  });
}
