import { ConfigError } from '../errors.js';
import { SlidingTopK } from './sliding-top-k.js';

export interface HotKeyDetectorOptions {
  /** Length of the sliding window, ms. @default 1000 */
  windowMs?: number;
  /**
   * Slices of the window: it slides (and keys are evaluated) every `windowMs / slices` ms.
   * Memory is `slices × capacity` counters. @default 4
   */
  slices?: number;
  /** Counters of each slice's Space-Saving summary. @default 256 */
  capacity?: number;
  /** A key is hot when it takes at least this share of the window's reads… @default 0.02 */
  threshold?: number;
  /** …and at least this many reads. @default 50 */
  minCount?: number;
  /** Windows a hot key must stay below half the threshold before it is demoted. @default 3 */
  coolWindows?: number;
  /** Slide on a timer. Off for callers (tests, simulations) that call `step()` themselves. @default true */
  timer?: boolean;
}

/** A hot key as detection reports it. */
export interface HotKeyReport {
  readonly key: string;
  /** The node that owns it now (undefined when none can, or no `nodeOf` was given). */
  readonly node: string | undefined;
  /** Reads in the window (a Space-Saving estimate per slice, summed). */
  readonly count: number;
}

export interface HotKeyDetectorListener {
  nodeOf?(key: string): string | undefined;
  promote?(report: HotKeyReport): void;
  demote?(report: HotKeyReport): void;
}

/**
 * Detection only: counts reads over a sliding window, promotes a key that takes at least
 * `threshold` of the window's reads (and `minCount` of them) and demotes it once it stays below
 * half of that for `coolWindows` windows (the gap keeps a key near the threshold from flapping).
 * What a promotion means (a local tier, split shards, a line in `stats`) is the caller's: the
 * cache facade and the routing proxy both use this class.
 */
export class HotKeyDetector {
  private readonly window: SlidingTopK;
  private readonly hot = new Map<string, { report: HotKeyReport; cool: number }>();
  private readonly timer: ReturnType<typeof setInterval> | undefined;
  private lastTop: HotKeyReport[] = [];
  readonly windowMs: number;
  private readonly threshold: number;
  private readonly minCount: number;
  /** Steps (slides) below half the threshold before a demotion. */
  private readonly coolSteps: number;

  constructor(
    options: HotKeyDetectorOptions,
    private readonly listener: HotKeyDetectorListener = {},
  ) {
    this.windowMs = positive(options.windowMs ?? 1000, 'windowMs');
    const slices = integer(options.slices ?? 4, 'slices');
    this.window = new SlidingTopK(integer(options.capacity ?? 256, 'capacity'), slices);
    this.threshold = options.threshold ?? 0.02;
    if (!(this.threshold > 0 && this.threshold <= 1))
      throw new ConfigError('hotKeys.threshold must be in (0, 1]');
    this.minCount = options.minCount ?? 50;
    this.coolSteps = integer(options.coolWindows ?? 3, 'coolWindows') * slices;
    if (options.timer !== false) {
      this.timer = setInterval(() => this.step(), this.windowMs / slices);
      this.timer.unref?.();
    }
  }

  /** Counts one read. O(1), no allocation once the newest slice's summary is full. */
  record(key: string): void {
    this.window.record(key);
  }

  isHot(key: string): boolean {
    return this.hot.has(key);
  }

  /** The most read keys of the window at the last step (at most 20, at least half the hot floor). */
  top(): readonly HotKeyReport[] {
    return this.lastTop;
  }

  /** Keys promoted and not yet demoted. */
  current(): HotKeyReport[] {
    return [...this.hot.values()].map((state) => state.report);
  }

  /** Evaluates the window (promotions, demotions) and slides it by one slice. */
  step(): void {
    const floor = Math.max(this.minCount, this.threshold * this.window.accesses);
    const top = this.window.top(Number.POSITIVE_INFINITY).filter((entry) => entry.count >= floor / 2);
    this.lastTop = top.slice(0, 20).map((entry) => this.report(entry.key, entry.count));
    const warm = new Set<string>();
    const promoted: HotKeyReport[] = [];
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
        promoted.push(report);
      }
    }
    const demoted: HotKeyReport[] = [];
    for (const [key, state] of this.hot) {
      if (warm.has(key) || ++state.cool < this.coolSteps) continue;
      this.hot.delete(key);
      demoted.push(state.report);
    }
    this.window.slide();
    // Listeners run after the state is consistent: one may read `current()` or throw.
    for (const report of promoted) this.listener.promote?.(report);
    for (const report of demoted) this.listener.demote?.(report);
  }

  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
  }

  private report(key: string, count: number): HotKeyReport {
    return { key, node: this.listener.nodeOf?.(key), count };
  }
}

function positive(value: number, name: string): number {
  if (!(Number.isFinite(value) && value > 0))
    throw new ConfigError(`hotKeys.${name} must be a positive number`);
  return value;
}

function integer(value: number, name: string): number {
  if (!(Number.isSafeInteger(value) && value > 0))
    throw new ConfigError(`hotKeys.${name} must be a positive integer`);
  return value;
}
