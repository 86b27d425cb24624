import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapAdapter } from '../examples/map-adapter.js';
import { describeAdapterConformance } from '../src/index.js';

// The adapter that docs/writing-an-adapter.md builds passes the whole suite.
describeAdapterConformance({
  name: 'map (docs example)',
  create: () => mapAdapter({ nodes: 3 }),
  sharedEngine: false,
  describe,
  it,
  expect,
  beforeAll,
  afterAll,
});

describe('docs/writing-an-adapter.md', () => {
  it('shows the tested example verbatim, in under 100 lines', () => {
    const example = readFileSync(new URL('../examples/map-adapter.ts', import.meta.url), 'utf8');
    const doc = readFileSync(new URL('../../../docs/writing-an-adapter.md', import.meta.url), 'utf8');
    expect(doc).toContain(example.trim());
    expect(example.trim().split('\n').length).toBeLessThan(100);
  });
});
