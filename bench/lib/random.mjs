/**
 * A seeded pseudo-random generator (mulberry32): the same seed gives the same sequence in every
 * process, so workers build identical key sets and runs are reproducible. Returns floats in [0, 1).
 */
export function seededRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A whole number in [min, max] from a `seededRandom` generator. */
export function randomInteger(random, min, max) {
  return min + Math.floor(random() * (max - min + 1));
}
