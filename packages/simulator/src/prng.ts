/** A small seeded pseudo-random generator (mulberry32): every random choice of the simulator comes from one. */
export interface Prng {
  /** A float in [0, 1). */
  next(): number;
  /** An unsigned 32-bit integer. */
  uint32(): number;
  /** An integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
}

export function createPrng(seed: number): Prng {
  let state = seed >>> 0;
  const uint32 = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const next = (): number => uint32() / 4294967296;
  return {
    next,
    uint32,
    int: (maxExclusive) => Math.floor(next() * maxExclusive),
  };
}
