import { Inject, Injectable } from '@nestjs/common';
import type { Settings } from '../settings.js';
import { SETTINGS } from '../tokens.js';

export interface Product {
  id: number;
  name: string;
  category: string;
  priceCents: number;
}

export interface StoreConfig {
  currency: string;
  featuredCategory: string;
  freeShippingOverCents: number;
  banner: string;
}

export const PRODUCT_COUNT = 1000;
const CATEGORIES = ['books', 'garden', 'kitchen', 'music', 'outdoor', 'toys'];
const ADJECTIVES = ['Sturdy', 'Tiny', 'Quiet', 'Bright', 'Rustic', 'Clever', 'Vintage', 'Spare'];
const NOUNS = ['Lamp', 'Kettle', 'Trowel', 'Notebook', 'Drum', 'Tent', 'Puzzle', 'Mug', 'Rake'];

/**
 * The origin the cache protects: deliberately slow (every read waits `databaseLatencyMs`), so a
 * hit and a miss are easy to tell apart in the responses and the dashboard.
 */
@Injectable()
export class FakeDatabase {
  reads = 0;

  constructor(@Inject(SETTINGS) private readonly settings: Settings) {}

  /** @returns the product, or `null` for an id outside 1…PRODUCT_COUNT */
  async findProduct(id: number): Promise<Product | null> {
    await this.query();
    if (!Number.isInteger(id) || id < 1 || id > PRODUCT_COUNT) return null;
    return {
      id,
      name: `${ADJECTIVES[id % ADJECTIVES.length]} ${NOUNS[(id * 7) % NOUNS.length]} #${id}`,
      category: CATEGORIES[id % CATEGORIES.length]!,
      priceCents: 199 + ((id * 7919) % 9800),
    };
  }

  async loadConfig(): Promise<StoreConfig> {
    await this.query();
    return {
      currency: 'EUR',
      featuredCategory: 'garden',
      freeShippingOverCents: 5000,
      banner: 'Every page reads this config: a hot key',
    };
  }

  private async query(): Promise<void> {
    this.reads++;
    const latency = this.settings.databaseLatencyMs;
    if (latency > 0)
      await new Promise((resolve) => setTimeout(resolve, latency * (0.8 + Math.random() * 0.4)));
  }
}
