import { describe, expect, it } from 'vitest';
import { captureIo } from '../test/capture-io.js';
import { progressBar } from './progress.js';

describe('progressBar', () => {
  it('draws on a terminal only after the delay, throttled, and erases itself', () => {
    let time = 0;
    const { io, stderr } = captureIo({ stderrIsTTY: true });
    const bar = progressBar(io.stderr, 'working', { delayMs: 1000, now: () => time });
    bar.update(10, 100);
    expect(stderr()).toBe('');
    time = 1500;
    bar.update(50, 100);
    expect(stderr()).toContain('\rworking [###############...............]  50% 50/100');
    time = 1550;
    bar.update(60, 100);
    expect(stderr().match(/\r/g)).toHaveLength(1);
    bar.finish();
    expect(stderr().endsWith('\r\x1b[K')).toBe(true);
  });

  it('stays silent when the stream is not a terminal', () => {
    const { io, stderr } = captureIo({ stderrIsTTY: false });
    const bar = progressBar(io.stderr, 'working', { delayMs: 0, now: () => 5000 });
    bar.update(1, 2);
    bar.finish();
    expect(stderr()).toBe('');
  });
});
