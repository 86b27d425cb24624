// Hot-key detection through real memcached traffic: a client reads one key far more than others
// through the proxy, and the proxy (core's HotKeyDetector) reports it as an event and in
// `stats hotkeys`, with the server the ring places it on.
import { randomUUID } from 'node:crypto';
import { hashRing } from '@ringcache/core';
import { memcached, requireEngine } from '@ringcache/test-engines';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HotKeyEvent, RunningProxy } from '../src/index.js';
import { countReplies, RawClient, startTestProxy } from './support/proxy.js';

const available = await requireEngine('memcached', memcached.nodes);
const run = randomUUID().slice(0, 8);

describe.skipIf(!available)('hot keys through the proxy', () => {
  let proxy: RunningProxy;
  let client: RawClient;
  const events: HotKeyEvent[] = [];

  beforeAll(async () => {
    proxy = await startTestProxy({ hotKeys: { windowMs: 400, threshold: 0.1, minCount: 30 } });
    proxy.subscribe((event) => {
      if (event.type === 'hotkey:promote' || event.type === 'hotkey:demote') events.push(event);
    });
    client = await RawClient.connect(proxy.address.port);
  });
  afterAll(async () => {
    client?.close();
    await proxy?.close();
  });

  it('detects a key taking 30% of the gets, reports it with its server, and demotes it once cold', async () => {
    const hot = `${run}:hot`;
    expect(await client.exchange(`set ${hot} 0 0 2\r\nhi\r\n`)).toBe('STORED\r\n');
    // Pipelined batches of 100 gets: 30 of the hot key, 70 spread over other keys.
    for (let batch = 0; batch < 10; batch++) {
      let request = '';
      for (let index = 0; index < 100; index++) {
        request += `get ${index % 10 < 3 ? hot : `${run}:cold:${batch}:${index}`}\r\n`;
      }
      client.take();
      client.write(request);
      await client.until((received) => countReplies(received.toString('latin1')) >= 100);
    }
    const deadline = Date.now() + 5000;
    while (!events.some((event) => event.type === 'hotkey:promote') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const owner = hashRing(memcached.nodes).locate(hot);
    expect(events[0]).toMatchObject({ type: 'hotkey:promote', hotKey: { key: hot, node: owner } });
    expect(events[0]!.hotKey.count).toBeGreaterThanOrEqual(30);

    const stats = await client.exchange('stats hotkeys\r\n', 1, /END\r\n/g);
    expect(stats).toContain('STAT hot_keys 1\r\n');
    expect(stats).toContain(`STAT hot_key:1:key ${hot}\r\n`);
    expect(stats).toContain(`STAT hot_key:1:server ${owner}\r\n`);
    expect(stats).toContain('STAT hot_key:1:hot yes\r\n');

    // No more reads: the key slides out of the window and is demoted after coolWindows (3) windows.
    while (!events.some((event) => event.type === 'hotkey:demote') && Date.now() < deadline + 5000) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(events.at(-1)).toMatchObject({ type: 'hotkey:demote', hotKey: { key: hot } });
    expect(await client.exchange('stats hotkeys\r\n', 1, /END\r\n/g)).toContain('STAT hot_keys 0\r\n');
  });
});
