import { locate, locateHelp } from './commands/locate.js';
import { simulate, simulateHelp } from './commands/simulate.js';
import { slot, slotHelp } from './commands/slot.js';
import { type CliIo, type Command, EXIT_OK, EXIT_USAGE } from './io.js';

export type { CliIo, Command, OutputStream } from './io.js';
export { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './io.js';

const commands: Record<string, { run: Command; summary: string; help: string }> = {
  locate: { run: locate, summary: 'print the node that owns each key', help: locateHelp },
  slot: { run: slot, summary: 'print the Redis Cluster hash slot of each key', help: slotHelp },
  simulate: {
    run: simulate,
    summary: 'measure balance and key movement when nodes are added or removed',
    help: simulateHelp,
  },
};

export const help = `Usage: ringcache <command> [options]

Commands:
${Object.entries(commands)
  .map(([name, command]) => `  ${name.padEnd(10)} ${command.summary}`)
  .join('\n')}

Run 'ringcache <command> --help' for a command's options.
Exit codes: 0 success, 1 failure, 2 bad arguments.
`;

/**
 * Runs `ringcache` with `argv` (without the node and script paths) and returns the exit code.
 * Writes only to `io`, so tests and other tools can call it in-process.
 */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.stderr.write(help);
    return EXIT_USAGE;
  }
  if (name === '--help' || name === '-h') {
    io.stdout.write(help);
    return EXIT_OK;
  }
  if (name === 'help') {
    const topic = rest[0];
    if (topic === undefined) {
      io.stdout.write(help);
      return EXIT_OK;
    }
    const command = Object.hasOwn(commands, topic) ? commands[topic] : undefined;
    if (command === undefined) return unknownCommand(topic, io);
    io.stdout.write(command.help);
    return EXIT_OK;
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (command === undefined) return unknownCommand(name, io);
  return command.run(rest, io);
}

function unknownCommand(name: string, io: CliIo): number {
  io.stderr.write(
    `ringcache: unknown command '${name}' (expected ${Object.keys(commands).join(', ')}; see 'ringcache --help')\n`,
  );
  return EXIT_USAGE;
}

/**
 * The binary's entry (bin/ringcache.js): runs with the process's arguments and streams and sets
 * `process.exitCode`.
 */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  // `ringcache locate ... | head` closes the pipe early: that is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(EXIT_OK);
    throw error;
  });
  process.exitCode = await run(argv, { stdout: process.stdout, stderr: process.stderr });
}
