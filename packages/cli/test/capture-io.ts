import { Readable } from 'node:stream';
import type { CliIo } from '../src/io.js';

export interface CapturedIo {
  io: CliIo;
  stdout(): string;
  stderr(): string;
}

/** An in-memory `CliIo`: what a command wrote, and optionally what it reads on stdin. */
export function captureIo(options: { stdin?: string; stderrIsTTY?: boolean } = {}): CapturedIo {
  let out = '';
  let err = '';
  const io: CliIo = {
    stdout: {
      write: (chunk: string) => {
        out += chunk;
      },
    },
    stderr: {
      isTTY: options.stderrIsTTY ?? false,
      write: (chunk: string) => {
        err += chunk;
      },
    },
    ...(options.stdin === undefined ? {} : { stdin: Readable.from([Buffer.from(options.stdin)]) }),
  };
  return { io, stdout: () => out, stderr: () => err };
}

/** The `KEY<TAB>VALUE` lines of an output, as pairs. */
export function columns(output: string): string[][] {
  return output
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => line.split('\t'));
}
