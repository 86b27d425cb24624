import { HotKeyDetector as CoreDetector, type HotKeyReport } from '@ringcache/core';
import type { ResolvedHotKeyOptions } from './options.js';

/** A hot key as `stats` and events report it. */
export type { HotKeyReport };

export type HotKeyEvent =
  | { readonly type: 'hotkey:promote'; readonly hotKey: HotKeyReport }
  | { readonly type: 'hotkey:demote'; readonly hotKey: HotKeyReport };

/**
 * The library's hot-key detection (`HotKeyDetector` from core, the one the cache facade uses) with
 * the proxy's events: a sliding window of Space-Saving summaries; a key with at least `threshold`
 * of the window's reads and at least `minCount` of them is promoted, and one that stays below half
 * of that for `coolWindows` windows is demoted.
 */
export class HotKeyDetector {
  private readonly detector: CoreDetector;

  constructor(
    options: ResolvedHotKeyOptions,
    nodeOf: (key: string) => string | undefined,
    emit: (event: HotKeyEvent) => void,
    /** Tests step the window themselves. */
    timer = true,
  ) {
    this.detector = new CoreDetector(
      { ...options, timer },
      {
        nodeOf,
        promote: (hotKey) => emit({ type: 'hotkey:promote', hotKey }),
        demote: (hotKey) => emit({ type: 'hotkey:demote', hotKey }),
      },
    );
  }

  /** Counts one read. O(1), no allocation once the summary is full. */
  record(key: string): void {
    this.detector.record(key);
  }

  /** The most read keys of the window (at most 20, at least half the hot threshold). */
  top(): readonly HotKeyReport[] {
    return this.detector.top();
  }

  /** Keys promoted and not yet demoted. */
  current(): HotKeyReport[] {
    return this.detector.current();
  }

  /** Evaluates the window and slides it by one slice (the timer does it every `windowMs / slices`). */
  step(): void {
    this.detector.step();
  }

  close(): void {
    this.detector.close();
  }
}
