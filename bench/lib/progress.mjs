const LOG_INTERVAL_MS = 5000;

/**
 * The harness's status line on stderr (never stdout). On a terminal it is redrawn in place; in a
 * log file each change is its own line, so a run in the background can be followed with `tail`.
 */
export function createProgressLine(stream = process.stderr) {
  const started = Date.now();
  let last = '';
  let drawn = false;
  let lastLine = 0;
  const elapsed = () => {
    const seconds = Math.round((Date.now() - started) / 1000);
    return seconds < 60
      ? `${seconds}s`
      : `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
  };
  const draw = () => {
    const line = `[bench ${elapsed()}] ${last}`;
    if (stream.isTTY) {
      stream.write(`\r\x1b[K${line.slice(0, (stream.columns ?? 100) - 1)}`);
      drawn = true;
    } else {
      stream.write(`${line}\n`);
    }
  };
  const clear = () => {
    if (drawn) stream.write('\r\x1b[K');
    drawn = false;
  };
  return {
    /**
     * Shows `text` as the current status. `transient` updates (a worker's own progress) are
     * drawn at most every few seconds in a log file, where each draw is a line.
     */
    set(text, { transient = false } = {}) {
      if (text === last) return;
      last = text;
      const now = Date.now();
      if (transient && !stream.isTTY && now - lastLine < LOG_INTERVAL_MS) return;
      lastLine = now;
      draw();
    },
    /** Prints a line that stays (a warning, a failure), then redraws the status on a terminal. */
    log(text) {
      clear();
      stream.write(`${text}\n`);
      if (stream.isTTY && last) draw();
    },
    done() {
      clear();
      last = '';
    },
  };
}
