import type { ByteSink } from './request-encoder.js';

/** Values at least this large are written as their own chunk instead of being copied. */
const LARGE_VALUE_BYTES = 64 * 1024;

/**
 * Collects the requests of one event-loop turn into as few socket writes as possible: command
 * lines are merged into one string; small data blocks are copied once into a single buffer;
 * large ones are passed through. Pipelining lives or dies by this: one write (and one syscall)
 * for a hundred requests instead of a hundred.
 */
export class WriteBatch implements ByteSink {
  private parts: (string | Uint8Array)[] = [];
  private pendingText = '';
  private bytesQueued = 0;

  get empty(): boolean {
    return this.pendingText === '' && this.parts.length === 0;
  }

  text(text: string): void {
    this.pendingText += text;
  }

  bytes(data: Uint8Array): void {
    if (data.byteLength === 0) return;
    if (this.pendingText !== '') {
      this.parts.push(this.pendingText);
      this.pendingText = '';
    }
    this.parts.push(data);
    this.bytesQueued += data.byteLength;
  }

  /**
   * Hands the batch to `write` as few chunks as possible and empties it.
   * @returns false when `write` reported backpressure for any chunk
   */
  flush(write: (chunk: string | Uint8Array) => boolean): boolean {
    if (this.parts.length === 0) {
      const text = this.pendingText;
      this.pendingText = '';
      return text === '' ? true : write(text);
    }
    if (this.pendingText !== '') this.parts.push(this.pendingText);
    const parts = this.parts;
    const large = this.bytesQueued >= LARGE_VALUE_BYTES;
    this.parts = [];
    this.pendingText = '';
    this.bytesQueued = 0;
    if (!large) return write(concat(parts));
    let ok = true;
    let small: (string | Uint8Array)[] = [];
    for (const part of parts) {
      if (typeof part !== 'string' && part.byteLength >= LARGE_VALUE_BYTES) {
        if (small.length > 0) ok = write(concat(small)) && ok;
        small = [];
        ok = write(part) && ok;
      } else {
        small.push(part);
      }
    }
    if (small.length > 0) ok = write(concat(small)) && ok;
    return ok;
  }
}

function concat(parts: (string | Uint8Array)[]): Buffer {
  const buffers = parts.map((part) =>
    typeof part === 'string'
      ? Buffer.from(part, 'utf8')
      : Buffer.from(part.buffer, part.byteOffset, part.byteLength),
  );
  return buffers.length === 1 ? buffers[0]! : Buffer.concat(buffers);
}
