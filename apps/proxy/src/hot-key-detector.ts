import { SpaceSaving } from '@ringcache/core';
import type { ResolvedHotKeyOptions } from './options.js';

/** A hot key as `stats` and events report it. */
export interface HotKeyReport {
  readonly key: string;
  /** The server that owns it now (undefined when no server can take it). */
  readonly node: string | undefined;
  /** Reads in the last window (Space-Saving estimate: may overcount by the summary's error). */
  readonly count: number;
}

export type HotKeyEvent =
  | { readonly type: 'hotkey:promote'; readonly hotKey: HotKeyReport }
  | { readonly type: 'hotkey:demote'; readonly hotKey: HotKeyReport };

/**
 * The library's hot-key detection (policy `'detect'`), for the proxy: reads are counted in a
 * Space-Saving summary over tumbling windows; at the end of a window a key with at least
 * `threshold` of the reads and at least `minCount` of them is promoted, and one that stays below
 * half of that for `coolWindows` windows is demoted. The same thresholds and defaults as
 * `HotKeys` in core, which is not exported and is tied to the cache's local tier.
 */
export class HotKeyDetector {
  private readonly summary: SpaceSaving;
  private readonly hot = new Map<string, { report: HotKeyReport; cool: number }>();
  private lastTop: HotKeyReport[] = [];
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(
    private readonly options: ResolvedHotKeyOptions,
    private readonly nodeOf: (key: string) => string | undefined,
    private readonly emit: (event: HotKeyEvent) => void,
  ) {
    this.summary = new SpaceSaving(options.capacity);
    this.timer = setInterval(() => this.endWindow(), options.windowMs);
    this.timer.unref?.();
  }

  /** Counts one read. O(1), no allocation once the summary is full. */
  record(key: string): void {
    this.summary.record(key);
  }

  /** The most read keys of the last window (at most 20, at least half the hot threshold). */
  top(): readonly HotKeyReport[] {
    return this.lastTop;
  }

  /** Keys promoted and not yet demoted. */
  current(): HotKeyReport[] {
    return [...this.hot.values()].map((state) => state.report);
  }

  /** Ends the current window now (the timer calls it every `windowMs`). */
  endWindow(): void {
    const total = this.summary.accesses;
    const floor = Math.max(this.options.minCount, this.options.threshold * total);
    const top = this.summary.top(this.summary.capacity).filter((entry) => entry.count >= floor / 2);
    this.lastTop = top.slice(0, 20).map((entry) => this.report(entry.key, entry.count));
    const warm = new Set<string>();
    for (const { key, count } of top) {
      const state = this.hot.get(key);
      if (count < floor && state === undefined) continue;
      warm.add(key);
      if (state !== undefined) {
        state.cool = 0;
        state.report = this.report(key, count);
      } else {
        const report = this.report(key, count);
        this.hot.set(key, { report, cool: 0 });
        this.emit({ type: 'hotkey:promote', hotKey: report });
      }
    }
    for (const [key, state] of this.hot) {
      if (warm.has(key) || ++state.cool < this.options.coolWindows) continue;
      this.hot.delete(key);
      this.emit({ type: 'hotkey:demote', hotKey: state.report });
    }
    this.summary.reset();
  }

  close(): void {
    clearInterval(this.timer);
  }

  private report(key: string, count: number): HotKeyReport {
    return { key, node: this.nodeOf(key), count };
  }
}
