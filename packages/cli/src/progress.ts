import type { OutputStream } from './io.js';

export interface ProgressOptions {
  /** Nothing is drawn until the work has run this long: quick runs stay silent. @default 1000 */
  delayMs?: number;
  /** @default performance.now */
  now?: () => number;
}

export interface Progress {
  update(done: number, total: number): void;
  /** Erases the bar, if one was drawn. */
  finish(): void;
}

const WIDTH = 30;
const REDRAW_MS = 100;

/**
 * A one-line progress bar redrawn in place with `\r`. Drawn only on a terminal: a pipe or a
 * file would collect every redraw, and stdout is never used so piped results stay clean.
 */
export function progressBar(stream: OutputStream, label: string, options: ProgressOptions = {}): Progress {
  const { delayMs = 1000, now = () => performance.now() } = options;
  const started = now();
  let lastDrawn = Number.NEGATIVE_INFINITY;
  let drawn = false;
  return {
    update(done, total) {
      if (stream.isTTY !== true) return;
      const time = now();
      if (time - started < delayMs || time - lastDrawn < REDRAW_MS) return;
      lastDrawn = time;
      drawn = true;
      const fraction = total > 0 ? Math.min(1, done / total) : 0;
      const filled = Math.round(fraction * WIDTH);
      const bar = `${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}`;
      const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
      stream.write(
        `\r${label} [${bar}] ${percent} ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')}`,
      );
    },
    finish() {
      if (drawn) stream.write('\r\x1b[K');
      drawn = false;
    },
  };
}
