// Protocol fuzzing: malformed lines, huge lengths, binary junk, half-written requests and valid
// pipelines cut at random points, all while canary clients (text and binary) check their own
// values through the same proxy. The proxy must never crash, answer every valid pipeline exactly
// as a model of memcached says, and never let one client's input reach another client's replies.
import { randomUUID } from 'node:crypto';
import { MemcachedConnection } from '@ringcache/memcached/protocol';
import { memcached, requireEngine } from '@ringcache/test-engines';
import fc from 'fast-check';
import memjs from 'memjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningProxy } from '../src/index.js';
import { command, cuts, junk, renderPipeline, split } from './support/fuzz-generators.js';
import { RawClient, sleep, startTestProxy } from './support/proxy.js';

const available = await requireEngine('memcached', memcached.nodes);
const run = randomUUID().slice(0, 8);
const JUNK_RUNS = 1000;
const PIPELINE_RUNS = 300;

/** Clients that check every value they read back, running for the whole suite. */
class Canaries {
  readonly failures: string[] = [];
  checks = 0;
  private stopped = false;
  private readonly done: Promise<unknown>;
  private readonly text: MemcachedConnection;
  private readonly binary: memjs.Client;

  constructor(port: number) {
    this.text = new MemcachedConnection({ host: '127.0.0.1', port, timeout: 5000 });
    this.binary = memjs.Client.create(`127.0.0.1:${port}`, {
      logger: { log: () => {} },
      retries: 0,
      timeout: 5,
    });
    this.done = Promise.all([
      ...Array.from({ length: 8 }, (_, worker) => this.textWorker(worker)),
      ...Array.from({ length: 2 }, (_, worker) => this.binaryWorker(worker)),
    ]);
  }

  private fail(message: string): void {
    if (this.failures.length < 20) this.failures.push(message);
  }

  private async textWorker(worker: number): Promise<void> {
    const recent: [string, string][] = [];
    for (let step = 0; !this.stopped; step++) {
      const key = `${run}:canary:${worker}:${step % 25}`;
      const value = `${worker}-${step}-${randomUUID()}`;
      try {
        const stored = await this.text.request({
          command: 'set',
          key,
          flags: step,
          exptime: 0,
          value: Buffer.from(value),
        });
        if (stored?.type !== 'status' || stored.status !== 'STORED')
          this.fail(`set ${key}: ${JSON.stringify(stored)}`);
        recent.push([key, value]);
        if (recent.length > 4) recent.shift();
        const keys = recent.map(([name]) => name);
        const reply = await this.text.request({ command: 'get', keys });
        const latest = new Map(recent);
        const expected = keys.map((name) => latest.get(name));
        const got =
          reply?.type === 'values' ? reply.items.map((item) => Buffer.from(item.value).toString()) : reply;
        if (JSON.stringify(got) !== JSON.stringify(expected)) {
          this.fail(
            `get ${keys.join(' ')}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(got)}`,
          );
        }
        this.checks++;
      } catch (error) {
        this.fail(`text canary ${worker}: ${(error as Error).message}`);
        await sleep(10);
      }
    }
  }

  private async binaryWorker(worker: number): Promise<void> {
    for (let step = 0; !this.stopped; step++) {
      const key = `${run}:bcanary:${worker}:${step % 10}`;
      const value = `${worker}-${step}-${randomUUID()}`;
      try {
        await this.binary.set(key, value, { expires: 0 });
        const read = await this.binary.get(key);
        if (read.value?.toString() !== value)
          this.fail(`binary ${key}: expected ${value}, got ${read.value}`);
        this.checks++;
      } catch (error) {
        this.fail(`binary canary ${worker}: ${(error as Error).message}`);
        await sleep(10);
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
    this.text.close();
    this.binary.close();
  }
}

async function writeChunks(client: RawClient, chunks: Buffer[], pause: boolean): Promise<void> {
  for (const chunk of chunks) {
    if (client.closed) return;
    client.write(chunk);
    if (pause) await new Promise((resolve) => setImmediate(resolve));
  }
}

describe.skipIf(!available)('protocol fuzzing with canaries', () => {
  let proxy: RunningProxy;
  let canaries: Canaries;

  beforeAll(async () => {
    proxy = await startTestProxy({
      maxRequestLineBytes: 4096,
      maxValueBytes: 64 * 1024,
      clientIdleTimeout: 3000,
      hotKeys: false,
    });
    canaries = new Canaries(proxy.address.port);
    await sleep(200);
  });

  afterAll(async () => {
    await canaries?.stop();
    await proxy?.close();
  });

  it(`junk of every kind (${JUNK_RUNS} runs) never crashes the proxy nor touches the canaries`, async () => {
    let iteration = 0;
    await fc.assert(
      fc.asyncProperty(
        junk(run),
        cuts,
        fc.boolean(),
        fc.boolean(),
        async (bytes, points, pause, leaveOpen) => {
          iteration++;
          const client = await RawClient.connect(proxy.address.port);
          await writeChunks(client, split(bytes, points), pause);
          // Half-written requests stay open a little; everything else closes at once.
          if (leaveOpen) await sleep(5);
          client.close();
        },
      ),
      { numRuns: JUNK_RUNS },
    );
    expect(iteration).toBe(JUNK_RUNS);
    const probe = await RawClient.connect(proxy.address.port);
    expect(await probe.exchange('version\r\n')).toMatch(/^VERSION /);
    probe.close();
    expect(canaries.failures).toEqual([]);
  });

  it(`valid pipelines cut anywhere (${PIPELINE_RUNS} runs) get exactly the replies memcached would give`, async () => {
    let iteration = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(command, { minLength: 1, maxLength: 60 }),
        cuts,
        fc.boolean(),
        async (commands, points, pause) => {
          iteration++;
          const { request, expected } = renderPipeline(commands, `${run}:pipe:${iteration}`);
          const client = await RawClient.connect(proxy.address.port);
          try {
            await writeChunks(client, split(Buffer.from(request), points), pause);
            await client.until((received) => received.length >= expected.length, 10_000);
            await sleep(1); // anything extra would show up now
            expect(client.text).toBe(expected);
          } finally {
            client.close();
          }
        },
      ),
      { numRuns: PIPELINE_RUNS },
    );
    expect(iteration).toBe(PIPELINE_RUNS);
    expect(canaries.failures).toEqual([]);
  });

  it('junk and pipelines at once, on many connections, while the canaries run', async () => {
    const samples = fc.sample(fc.tuple(junk(run), cuts), 60);
    const pipelines = fc.sample(fc.array(command, { minLength: 5, maxLength: 40 }), 30);
    await Promise.all([
      ...samples.map(async ([bytes, points]) => {
        const client = await RawClient.connect(proxy.address.port);
        await writeChunks(client, split(bytes, points), true);
        client.close();
      }),
      ...pipelines.map(async (commands, index) => {
        const { request, expected } = renderPipeline(commands, `${run}:mixed:${index}`);
        const client = await RawClient.connect(proxy.address.port);
        await writeChunks(client, split(Buffer.from(request), [7, 100, 1000]), true);
        await client.until((received) => received.length >= expected.length, 10_000);
        expect(client.text).toBe(expected);
        client.close();
      }),
    ]);
    expect(canaries.failures).toEqual([]);
    expect(canaries.checks).toBeGreaterThan(100);
    console.log(`canaries: ${canaries.checks} checked reads, ${canaries.failures.length} failures`);
  });

  it('leaves no sessions or server requests behind', async () => {
    await canaries.stop();
    const deadline = Date.now() + 5000;
    while (proxy.stats().connections.current > 0 && Date.now() < deadline) await sleep(20);
    const stats = proxy.stats();
    expect(stats.connections.current).toBe(0);
    expect(stats.servers.every((server) => server.pending === 0)).toBe(true);
    // The junk was seen and answered, not just dropped.
    expect(stats.commands.clientErrors).toBeGreaterThan(JUNK_RUNS / 10);
  });
});
