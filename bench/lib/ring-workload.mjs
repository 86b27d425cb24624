// The key set, node-name sets and balance measure shared by the ring scenarios (ring,
// ring-defaults), so the default ring is chosen and checked on exactly the same workload.
import { randomInteger, seededRandom } from './random.mjs';

export const NODE_COUNT = 10;
export const KEY_COUNT = 1_000_000;
export const BALANCE_SETS = 20;
const BALANCE_SEED = 20_240_601;

/** `user:0` … `user:999999`: sequential ids, as real key spaces often are. */
export function makeKeys() {
  return Array.from({ length: KEY_COUNT }, (_, index) => `user:${index}`);
}

/** Node set `set` for the balance figure: 10 random `ip:port`, the same in every run. */
export function randomNodeSet(set) {
  const random = seededRandom(BALANCE_SEED + set);
  const names = new Set();
  while (names.size < NODE_COUNT) {
    const octets = [
      randomInteger(random, 1, 223),
      randomInteger(random, 0, 255),
      randomInteger(random, 0, 255),
    ];
    names.add(`${octets.join('.')}.${randomInteger(random, 1, 254)}:${randomInteger(random, 1024, 65535)}`);
  }
  return [...names];
}

/** The fullest node's share of `keys` over the mean share (1 is perfectly even). */
export function balance(locate, keys) {
  const counts = new Map();
  for (const key of keys) {
    const owner = locate(key);
    counts.set(owner, (counts.get(owner) ?? 0) + 1);
  }
  return Math.max(...counts.values()) / (keys.length / NODE_COUNT);
}
