import { RingcacheError } from '@ringcache/core';

/** Where a command writes. `process.stdout`/`process.stderr` fit; tests pass string buffers. */
export interface OutputStream {
  write(chunk: string): unknown;
  /** When true, interactive extras (the progress bar) are drawn. */
  isTTY?: boolean;
  columns?: number;
}

export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  /** Read by `--keys-file -`. @default process.stdin */
  stdin?: AsyncIterable<Uint8Array | string>;
}

/** Every command has this shape, so tests run them in-process and read the exit code. */
export type Command = (argv: readonly string[], io: CliIo) => Promise<number>;

/** A bad command line: reported as one line on stderr with exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Exit codes: 0 success, 1 a runtime failure, 2 a bad command line or configuration. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/**
 * Runs a command body and turns expected failures into one line on stderr plus an exit code,
 * so no user mistake ever prints a stack trace. Anything else is a bug and is rethrown.
 */
export async function guard(command: string, io: CliIo, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    const hint = `(see 'ringcache ${command} --help')`;
    if (error instanceof UsageError || isParseArgsError(error)) {
      io.stderr.write(`ringcache ${command}: ${oneLine((error as Error).message)} ${hint}\n`);
      return EXIT_USAGE;
    }
    if (RingcacheError.isInstance(error)) {
      // E_CONFIG comes from the arguments (a bad node spec, vnodes out of range): a usage error.
      const usage = error.code === 'E_CONFIG';
      io.stderr.write(`ringcache ${command}: ${oneLine(error.message)}${usage ? ` ${hint}` : ''}\n`);
      return usage ? EXIT_USAGE : EXIT_FAILURE;
    }
    throw error;
  }
}

function isParseArgsError(error: unknown): error is Error {
  const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim();
}

/**
 * Writes lines in batches: one `write` per line is the bottleneck when a million keys are
 * located, and a single joined string of them all would double the memory.
 */
export function writeLines(stream: OutputStream, lines: Iterable<string>): void {
  const batch: string[] = [];
  for (const line of lines) {
    batch.push(line);
    if (batch.length === 8192) {
      stream.write(`${batch.join('\n')}\n`);
      batch.length = 0;
    }
  }
  if (batch.length > 0) stream.write(`${batch.join('\n')}\n`);
}
