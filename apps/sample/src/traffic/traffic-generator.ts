import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { CatalogService } from '../catalog/catalog-service.js';
import { PRODUCT_COUNT } from '../catalog/fake-database.js';
import { ZipfSampler } from './zipf.js';

export interface TrafficOptions {
  /** Reads per second. @default 2000 */
  rate?: number;
  /** Share of reads that go to the hot key (`config`). @default 0.35 */
  hotShare?: number;
  /** Zipf exponent of product popularity. @default 1.1 */
  s?: number;
}

export interface TrafficState {
  running: boolean;
  rate: number;
  hotShare: number;
  s: number;
  sent: number;
  failed: number;
  inFlight: number;
  startedAt: number | undefined;
}

const TICK_MS = 50;
/** Beyond this many reads waiting (a slow backend), ticks skip rather than pile up. */
const MAX_IN_FLIGHT = 500;

/**
 * Server-side load: product reads whose popularity follows Zipf (s = 1.1 by default), plus a
 * fixed share on the hot `config` key. It calls the same service the HTTP endpoints use, so the
 * dashboard shows real cache traffic: the node owning `config` runs hot until hot-key detection
 * splits the key over every node.
 */
@Injectable()
export class TrafficGenerator implements OnModuleDestroy {
  private timer: ReturnType<typeof setInterval> | undefined;
  private sampler = new ZipfSampler(PRODUCT_COUNT, 1.1);
  private carry = 0;
  private readonly state: TrafficState = {
    running: false,
    rate: 2000,
    hotShare: 0.35,
    s: 1.1,
    sent: 0,
    failed: 0,
    inFlight: 0,
    startedAt: undefined,
  };

  constructor(@Inject(CatalogService) private readonly catalog: CatalogService) {}

  start(options: TrafficOptions = {}): TrafficState {
    const rate = options.rate ?? this.state.rate;
    const hotShare = options.hotShare ?? this.state.hotShare;
    const s = options.s ?? this.state.s;
    if (!(Number.isFinite(rate) && rate > 0 && rate <= 50_000))
      throw new RangeError('rate must be in (0, 50000]');
    if (!(hotShare >= 0 && hotShare <= 1)) throw new RangeError('hotShare must be in [0, 1]');
    if (!(s > 0 && s <= 5)) throw new RangeError('s must be in (0, 5]');
    if (s !== this.state.s) this.sampler = new ZipfSampler(PRODUCT_COUNT, s);
    Object.assign(this.state, { rate, hotShare, s });
    if (this.timer === undefined) {
      this.state.running = true;
      this.state.startedAt = Date.now();
      this.timer = setInterval(() => this.tick(), TICK_MS);
      this.timer.unref?.();
    }
    return this.snapshot();
  }

  stop(): TrafficState {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.state.running = false;
    this.state.startedAt = undefined;
    return this.snapshot();
  }

  snapshot(): TrafficState {
    return { ...this.state };
  }

  /** Before the cache closes (that happens at application shutdown, a later hook). */
  onModuleDestroy(): void {
    this.stop();
  }

  private tick(): void {
    this.carry += (this.state.rate * TICK_MS) / 1000;
    const count = Math.floor(this.carry);
    this.carry -= count;
    for (let index = 0; index < count && this.state.inFlight < MAX_IN_FLIGHT; index++) {
      const read =
        Math.random() < this.state.hotShare
          ? this.catalog.config()
          : this.catalog.product(this.sampler.next());
      this.state.inFlight++;
      this.state.sent++;
      read.then(
        () => {
          this.state.inFlight--;
        },
        () => {
          this.state.inFlight--;
          this.state.failed++;
        },
      );
    }
  }
}
