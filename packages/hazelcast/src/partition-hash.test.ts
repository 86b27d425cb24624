import { describe, expect, it } from 'vitest';
import { stringPartitionId } from './partition-hash.js';

describe('stringPartitionId', () => {
  // Partition ids hazelcast-client 5.6's getPartitionId returned for these keys (271 partitions).
  // test/partitioning.test.ts compares the two on 20,000 more keys against a live cluster.
  const golden: [string, number][] = [
    ['', 11],
    ['a', 73],
    ['ab', 132],
    ['abc', 13],
    ['abcd', 189],
    ['user:42', 14],
    ['héllo wörld', 32],
    ['日本語', 88],
    ['🎉', 101],
    ['\ud800x', 155],
    ['line\nbreak', 220],
    ['k'.repeat(300), 209],
  ];

  it.each(golden)('places %j on partition %i, as hazelcast-client does', (key, partition) => {
    expect(stringPartitionId(key, 271)).toBe(partition);
  });

  it('handles long keys and stays in range for any count', () => {
    const long = 'é'.repeat(100_000);
    for (const count of [1, 7, 271, 1009]) {
      const partition = stringPartitionId(long, count);
      expect(partition).toBeGreaterThanOrEqual(0);
      expect(partition).toBeLessThan(count);
    }
    expect(stringPartitionId('user:42', 271)).toBe(14);
  });
});
