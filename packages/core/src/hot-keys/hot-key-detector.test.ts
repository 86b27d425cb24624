import { describe, expect, it } from 'vitest';
import { HotKeyDetector, type HotKeyReport } from './hot-key-detector.js';

function detector(options: ConstructorParameters<typeof HotKeyDetector>[0] = {}) {
  const promoted: HotKeyReport[] = [];
  const demoted: HotKeyReport[] = [];
  const instance = new HotKeyDetector(
    { threshold: 0.1, minCount: 10, capacity: 32, coolWindows: 1, slices: 4, timer: false, ...options },
    {
      nodeOf: (key) => `node-of-${key}`,
      promote: (report) => promoted.push(report),
      demote: (report) => demoted.push(report),
    },
  );
  return { instance, promoted, demoted };
}

function reads(instance: HotKeyDetector, hot: number, cold: number, hotKey = 'hot') {
  for (let index = 0; index < hot; index++) instance.record(hotKey);
  for (let index = 0; index < cold; index++) instance.record(`cold:${index % 200}`);
}

describe('HotKeyDetector', () => {
  it('keeps a key that stays hot across slice boundaries hot, with no demotion and no repeated promotion', () => {
    const { instance, promoted, demoted } = detector();
    for (let step = 0; step < 20; step++) {
      reads(instance, 30, 70);
      instance.step();
    }
    expect(promoted.map((report) => report.key)).toEqual(['hot']);
    expect(demoted).toEqual([]);
    // The window holds four slices of 30 reads each once it is full.
    expect(instance.top()[0]).toEqual({ key: 'hot', node: 'node-of-hot', count: 120 });
  });

  it('counts reads over the whole window, not since the last boundary', () => {
    // 15 of every 100 reads: no slice alone reaches minCount (50); the four slices together do.
    const { instance, promoted } = detector({ minCount: 50 });
    for (let step = 0; step < 3; step++) {
      reads(instance, 15, 85);
      instance.step();
    }
    expect(promoted).toEqual([]);
    reads(instance, 15, 85);
    instance.step();
    // A tumbling window of one slice would never see more than 15 reads.
    expect(promoted).toEqual([{ key: 'hot', node: 'node-of-hot', count: 60 }]);
  });

  it('demotes a key that cooled once it slid out and stayed cold for coolWindows', () => {
    const { instance, promoted, demoted } = detector({ coolWindows: 2 });
    reads(instance, 50, 50);
    instance.step();
    expect(promoted).toHaveLength(1);
    let steps = 0;
    while (demoted.length === 0 && steps < 100) {
      reads(instance, 0, 100);
      instance.step();
      steps++;
    }
    // Three more steps in the window (warm), then 2 windows × 4 slices below half the floor.
    expect(steps).toBe(3 + 8);
    expect(instance.current()).toEqual([]);
    expect(instance.isHot('hot')).toBe(false);
  });

  it('refuses options that cannot work', () => {
    expect(() => detector({ threshold: 0 })).toThrow(/threshold/);
    expect(() => detector({ slices: 0 })).toThrow(/slices/);
    expect(() => detector({ windowMs: -1 })).toThrow(/windowMs/);
  });
});
