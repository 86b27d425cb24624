import {
  type BusHandlers,
  ClosedError,
  ConfigError,
  type InvalidationBus,
  type RingcacheError,
} from '@ringcache/core';
import { type Client, OverflowPolicy, type Ringbuffer, StaleSequenceError } from 'hazelcast-client';
import { createClient, waitForCluster } from './connect.js';
import { translateError } from './errors.js';
import { eventLogger } from './event-logger.js';
import type { HazelcastAdapter } from './hazelcast-adapter.js';
import { toBuffer } from './imap-encoding.js';
import { type HazelcastAdapterOptions, resolveOptions } from './options.js';

export interface HazelcastBusOptions
  extends Pick<
    HazelcastAdapterOptions,
    'clusterName' | 'members' | 'clientConfig' | 'invocationTimeout' | 'connectTimeout'
  > {
  /** Share this adapter's client (the usual setup: one connection pool per process). */
  adapter?: HazelcastAdapter;
  /** Share this client. Without `adapter` or `client`, the bus connects on its own and closes it. */
  client?: Client;
  /** Prefix of the ringbuffer behind each channel. @default 'ringcache-bus:' */
  prefix?: string;
  /** Most messages taken per read. @default 100 */
  batchSize?: number;
  /** First wait before reading again after a failure, ms; doubles up to 5 s. @default 200 */
  retryDelay?: number;
  /** Reports failures of a subscription (its status goes `'down'` at the same time). */
  onError?: (error: RingcacheError) => void;
}

const MAX_RETRY_DELAY = 5000;

/**
 * An InvalidationBus over Hazelcast ringbuffers, one per channel: the structure behind a
 * reliable topic, read directly so that the bus knows what the reliable topic of
 * hazelcast-client 5.6 hides. Its listener starts at a tail it fetches in the background (so
 * `subscribe` could not tell when it is live), skips lost messages with only a log line, and
 * stops for good, silently, on most read errors. Here:
 *
 * - `subscribe` resolves once the reader has its start sequence: later messages are seen;
 * - a failed read, or messages overwritten before this reader got them, reports `'down'`
 *   (a local tier then flushes and bypasses itself); reading again reports `'up'`;
 * - reads retry with backoff until unsubscribed, from the last sequence read, so a member
 *   loss (the ringbuffer's backup takes over) or a reconnect loses nothing.
 *
 * Publishing overwrites the oldest message of a full ringbuffer (capacity: the members'
 * ringbuffer config, 10,000 by default) instead of blocking writers; a reader that far behind
 * sees the loss and reports it.
 */
export function hazelcastBus(options: HazelcastBusOptions = {}): InvalidationBus {
  return new RingbufferBus(options);
}

class RingbufferBus implements InvalidationBus {
  private readonly prefix: string;
  private readonly batchSize: number;
  private readonly retryDelay: number;
  private client: Promise<Client> | undefined;
  private readonly subscriptions = new Set<ChannelReader>();
  private closed = false;

  constructor(private readonly options: HazelcastBusOptions) {
    this.prefix = options.prefix ?? 'ringcache-bus:';
    this.batchSize = options.batchSize ?? 100;
    this.retryDelay = options.retryDelay ?? 200;
    if (!(Number.isInteger(this.batchSize) && this.batchSize > 0 && this.batchSize <= 1000)) {
      throw new ConfigError('batchSize must be an integer from 1 to 1000');
    }
    if (!(Number.isFinite(this.retryDelay) && this.retryDelay > 0))
      throw new ConfigError('retryDelay must be > 0');
    if (options.adapter === undefined && options.client === undefined) resolveOptions(options);
  }

  async publish(channel: string, message: Uint8Array): Promise<void> {
    const ringbuffer = await this.ringbuffer(channel);
    try {
      await ringbuffer.add(toBuffer(message), OverflowPolicy.OVERWRITE);
    } catch (error) {
      throw translateError(error, 'bus publish', this.closed);
    }
  }

  async subscribe(channel: string, handlers: BusHandlers): Promise<() => Promise<void>> {
    const ringbuffer = await this.ringbuffer(channel);
    const reader = new ChannelReader(ringbuffer, handlers, this.batchSize, this.retryDelay, (error) =>
      this.options.onError?.(translateError(error, `bus read of ${channel}`, this.closed)),
    );
    try {
      await reader.start();
    } catch (error) {
      throw translateError(error, 'bus subscribe', this.closed);
    }
    this.subscriptions.add(reader);
    return async () => {
      reader.stop();
      this.subscriptions.delete(reader);
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const reader of this.subscriptions) reader.stop();
    this.subscriptions.clear();
    const owned = this.options.adapter === undefined && this.options.client === undefined;
    if (owned && this.client !== undefined) {
      await this.client.then((client) => client.shutdown()).catch(() => {});
    }
  }

  private async ringbuffer(channel: string): Promise<Ringbuffer<Buffer>> {
    if (this.closed) throw new ClosedError('the hazelcast bus is closed');
    if (typeof channel !== 'string' || channel.length === 0) {
      throw new ConfigError('a bus channel must be a non-empty string');
    }
    try {
      const client = await this.connect();
      return await client.getRingbuffer<Buffer>(this.prefix + channel);
    } catch (error) {
      throw translateError(error, 'bus', this.closed);
    }
  }

  private connect(): Promise<Client> {
    const shared = this.options.adapter?.getClient() ?? this.options.client;
    if (shared !== undefined) return Promise.resolve(shared);
    if (this.client === undefined) {
      const resolved = resolveOptions(this.options);
      const hooks = { onLifecycle: () => {}, logger: eventLogger(() => {}) };
      this.client = createClient(this.options, resolved, hooks).then(async (client) => {
        await waitForCluster(client, resolved.connectTimeout).catch(async (error: unknown) => {
          this.client = undefined;
          await client.shutdown().catch(() => {});
          throw error;
        });
        return client;
      });
    }
    return this.client;
  }
}

/** One subscription: a loop of blocking reads from the ringbuffer, from a known sequence. */
class ChannelReader {
  private sequence = 0;
  private status: 'up' | 'down' = 'up';
  private stopped = false;

  constructor(
    private readonly ringbuffer: Ringbuffer<Buffer>,
    private readonly handlers: BusHandlers,
    private readonly batchSize: number,
    private readonly retryDelay: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  async start(): Promise<void> {
    this.sequence = (await this.ringbuffer.tailSequence()).toNumber() + 1;
    // Runs until stopped; every failure inside is caught and retried.
    void this.run();
  }

  stop(): void {
    // A read already parked on the member stays there until the next message on the channel
    // (blocking reads cannot be cancelled); its answer is then dropped.
    this.stopped = true;
  }

  private async run(): Promise<void> {
    let delay = this.retryDelay;
    while (!this.stopped) {
      try {
        const batch = await this.ringbuffer.readMany(this.sequence, 1, this.batchSize);
        if (this.stopped) return;
        const next = batch.getNextSequenceToReadFrom().toNumber();
        // The member skips to its oldest message when ours was overwritten.
        if (next - batch.getReadCount() > this.sequence) this.setStatus('down');
        this.sequence = next;
        this.setStatus('up');
        delay = this.retryDelay;
        for (let index = 0; index < batch.size(); index++) this.deliver(batch.get(index));
      } catch (error) {
        if (this.stopped) return;
        this.setStatus('down');
        this.onError(error);
        if (error instanceof StaleSequenceError) {
          this.sequence = await this.ringbuffer.headSequence().then(
            (head) => Math.max(head.toNumber(), this.sequence),
            () => this.sequence,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, delay).unref?.());
        delay = Math.min(delay * 2, MAX_RETRY_DELAY);
      }
    }
  }

  private deliver(item: unknown): void {
    if (!(item instanceof Uint8Array)) return;
    try {
      this.handlers.onMessage(new Uint8Array(item.buffer, item.byteOffset, item.byteLength));
    } catch {
      // A handler that throws must not stop the channel for the others.
    }
  }

  private setStatus(status: 'up' | 'down'): void {
    if (status === this.status) return;
    this.status = status;
    try {
      this.handlers.onStatus?.(status);
    } catch {
      // Same as deliver: the reader goes on.
    }
  }
}
