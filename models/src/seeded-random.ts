import type { Random } from '../../lambda/core/domain';
import { createRandom } from '../../lambda/data/random';

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

/**
 * The simulator's mulberry32 generator (one implementation for the whole project). The split keeps its own
 * hash above: the committed model's training/test series were chosen with it.
 */
export const seededRandom = (seed: number): Random => createRandom(seed);

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
