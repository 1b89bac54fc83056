import type { Random } from '../../lambda/core/domain';

/**
 * Seeded randomness for case sampling, splits and weight initialisation: the same seed gives the same
 * training run on every machine (pure 32-bit integer arithmetic, no Math.random()).
 */

/** FNV-1a of a string mixed with a seed: a stable 32-bit value (used to order series for the split). */
export const hashString = (seed: number, text: string): number => {
  let h = (0x811c9dc5 ^ (seed >>> 0)) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
};

/** mulberry32: small, full-period 2^32 generator; plenty for a few hundred thousand draws. */
export const seededRandom = (seed: number): Random => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

/** An independent stream per label, so adding draws in one place never shifts another. */
export const randomFor = (seed: number, label: string): Random => seededRandom(hashString(seed, label));

/** Fisher-Yates shuffle into a new array. */
export const shuffled = <T>(items: readonly T[], rng: Random): T[] => {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
};
