// What the sample's endpoints answer, typed from the code that builds the answers.
import type { Product } from '../src/catalog/fake-database.js';
import type { RingView } from '../src/dashboard/ring-view.js';
import type { StatsService } from '../src/dashboard/stats-service.js';
import type { TrafficState } from '../src/traffic/traffic-generator.js';

export type { RingView, TrafficState };
export type StatsResponse = ReturnType<StatsService['stats']>;

export interface ProductResponse {
  product: Product;
  cache: 'hit' | 'miss';
  ms: number;
}

export interface PageResponse {
  page: number;
  products: Product[];
}

/** Terminus's body, as far as the tests read it. */
export interface HealthResponse {
  status: string;
  info: Record<string, { status: string; nodesUp: number; nodesTotal: number }>;
}

export async function getJson<T>(url: string, init?: RequestInit) {
  const response = await fetch(url, init);
  return { status: response.status, headers: response.headers, body: (await response.json()) as T };
}
