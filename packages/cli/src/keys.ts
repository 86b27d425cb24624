import { readFile } from 'node:fs/promises';
import { UsageError } from './io.js';

export interface KeySource {
  /** `--keys-file`: a path, or `-` for standard input. */
  keysFile?: string | undefined;
  /** Keys given as arguments. */
  positionals: readonly string[];
  /** Read for `--keys-file -`. @default process.stdin */
  stdin?: AsyncIterable<Uint8Array | string> | undefined;
}

/**
 * The keys of a command: from the arguments or from a file, never both, never none.
 * @throws UsageError when both or neither are given, or the file cannot be read or is not UTF-8
 */
export async function readKeys(source: KeySource): Promise<string[]> {
  const { keysFile, positionals } = source;
  if (keysFile !== undefined && positionals.length > 0) {
    throw new UsageError('give keys either as arguments or with --keys-file, not both');
  }
  if (keysFile === undefined) {
    if (positionals.length === 0) throw new UsageError('no keys: give KEY... or --keys-file FILE');
    return [...positionals];
  }
  const bytes =
    keysFile === '-' ? await readAll(source.stdin ?? process.stdin) : await readKeysFile(keysFile);
  return splitKeyLines(decodeUtf8(bytes, keysFile === '-' ? 'standard input' : `'${keysFile}'`));
}

/**
 * One key per line. A trailing `\r` is stripped (files written on Windows) and a final empty
 * line is not a key (a file that ends with a newline). Other empty lines are kept: the empty
 * string is a key like any other, and dropping it would shift a caller's line numbers.
 */
export function splitKeyLines(text: string): string[] {
  if (text.length === 0) return [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
}

async function readKeysFile(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : String(code);
    throw new UsageError(`cannot read keys file '${path}': ${reason}`);
  }
}

async function readAll(stream: AsyncIterable<Uint8Array | string>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) {
    chunks.push(typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk);
  }
  return Buffer.concat(chunks);
}

// Fatal decoding: a Latin-1 file would otherwise turn into keys with U+FFFD in them, which
// hash differently from what the application stores, and nobody would notice. The decoder
// drops a leading byte order mark.
function decodeUtf8(bytes: Uint8Array, where: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new UsageError(`keys in ${where} are not valid UTF-8`);
  }
}
