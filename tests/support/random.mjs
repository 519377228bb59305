// Seeded pseudo-random numbers for the Node tests and benchmarks, so every run (and every
// library in a benchmark) gets the same sequence.

/** A generator of floats in [0, 1) from `seed` (mulberry32). */
export function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
