import { afterEach, describe, expect, it } from 'vitest';
import { HotKeyDetector, type HotKeyEvent } from './hot-key-detector.js';

// Four slices per window (core's default): every step() slides the window by a quarter.
const OPTIONS = { windowMs: 60_000, threshold: 0.1, minCount: 10, capacity: 16, coolWindows: 2 };

describe('HotKeyDetector (proxy)', () => {
  let detector: HotKeyDetector | undefined;
  afterEach(() => detector?.close());

  function setup() {
    const events: HotKeyEvent[] = [];
    detector = new HotKeyDetector(
      OPTIONS,
      (key) => `node-of-${key}`,
      (event) => events.push(event),
      false,
    );
    return { detector, events };
  }

  it('promotes a key above the share and count thresholds, reports it, demotes it once it cooled', () => {
    const { detector, events } = setup();
    for (let index = 0; index < 100; index++) detector.record('hot');
    for (let index = 0; index < 400; index++) detector.record(`cold:${index}`);
    detector.step();
    expect(events).toEqual([
      { type: 'hotkey:promote', hotKey: { key: 'hot', node: 'node-of-hot', count: 100 } },
    ]);
    expect(detector.top()[0]).toEqual({ key: 'hot', node: 'node-of-hot', count: 100 });
    expect(detector.current().map((entry) => entry.key)).toEqual(['hot']);

    // The window slides: the first slice's reads still count for three more steps.
    for (let step = 0; step < 3; step++) detector.step();
    expect(events).toHaveLength(1);
    // Out of the window now; demoted after coolWindows (2) windows of 4 slices below the floor.
    for (let step = 0; step < 7; step++) detector.step();
    expect(events).toHaveLength(1);
    detector.step();
    expect(events[1]).toEqual({
      type: 'hotkey:demote',
      hotKey: { key: 'hot', node: 'node-of-hot', count: 100 },
    });
    expect(detector.current()).toEqual([]);
  });

  it('needs minCount reads even when a key takes the whole window', () => {
    const { detector, events } = setup();
    for (let index = 0; index < 9; index++) detector.record('rare');
    detector.step();
    expect(events).toEqual([]);
  });

  it('ignores a key below the share threshold', () => {
    const { detector, events } = setup();
    for (let index = 0; index < 50; index++) detector.record('warm');
    for (let index = 0; index < 1000; index++) detector.record(`other:${index % 500}`);
    detector.step();
    expect(events).toEqual([]);
  });
});
