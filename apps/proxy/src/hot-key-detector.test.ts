import { afterEach, describe, expect, it } from 'vitest';
import { HotKeyDetector, type HotKeyEvent } from './hot-key-detector.js';

const OPTIONS = { windowMs: 60_000, threshold: 0.1, minCount: 10, capacity: 16, coolWindows: 2 };

describe('HotKeyDetector', () => {
  let detector: HotKeyDetector | undefined;
  afterEach(() => detector?.close());

  function setup() {
    const events: HotKeyEvent[] = [];
    detector = new HotKeyDetector(
      OPTIONS,
      (key) => `node-of-${key}`,
      (event) => events.push(event),
    );
    return { detector, events };
  }

  it('promotes a key above the share and count thresholds, reports it, demotes it after cool windows', () => {
    const { detector, events } = setup();
    for (let index = 0; index < 100; index++) detector.record('hot');
    for (let index = 0; index < 400; index++) detector.record(`cold:${index}`);
    detector.endWindow();
    expect(events).toEqual([
      { type: 'hotkey:promote', hotKey: { key: 'hot', node: 'node-of-hot', count: 100 } },
    ]);
    expect(detector.top()[0]).toEqual({ key: 'hot', node: 'node-of-hot', count: 100 });
    expect(detector.current().map((entry) => entry.key)).toEqual(['hot']);

    // Still warm (above half the floor) in the next window: no event.
    for (let index = 0; index < 30; index++) detector.record('hot');
    detector.endWindow();
    expect(events).toHaveLength(1);

    detector.endWindow();
    expect(events).toHaveLength(1);
    detector.endWindow();
    expect(events[1]).toEqual({
      type: 'hotkey:demote',
      hotKey: { key: 'hot', node: 'node-of-hot', count: 30 },
    });
    expect(detector.current()).toEqual([]);
  });

  it('needs minCount reads even when a key takes the whole window', () => {
    const { detector, events } = setup();
    for (let index = 0; index < 9; index++) detector.record('rare');
    detector.endWindow();
    expect(events).toEqual([]);
  });

  it('ignores a key below the share threshold', () => {
    const { detector, events } = setup();
    for (let index = 0; index < 50; index++) detector.record('warm');
    for (let index = 0; index < 1000; index++) detector.record(`other:${index % 500}`);
    detector.endWindow();
    expect(events).toEqual([]);
  });
});
