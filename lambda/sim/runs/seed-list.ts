/** At most this many seeds in one command: each seed is a full run of every strategy. */
export const MAX_SEEDS = 100;
const MAX_SEED = 0xffffffff;

/** A `--seeds` value that is not a list or range of seeds; `reason` says what is wrong. */
export class SeedListError extends Error {
  override readonly name = 'SeedListError';
  constructor(readonly reason: string) {
    super(reason);
  }
}

const seedOf = (text: string): number => {
  const t = text.trim();
  if (!/^\d+$/.test(t)) throw new SeedListError(`${JSON.stringify(t)} is not a seed (an integer between 0 and ${MAX_SEED})`);
  const n = Number(t);
  if (n > MAX_SEED) throw new SeedListError(`${t} is above the largest seed ${MAX_SEED}`);
  return n;
};

/**
 * Reads `--seeds`: a range `a..b` (both ends included, a ≤ b), a comma-separated list `1,4,7`, or a mix
 * (`1..3,9`). Seeds keep the order given; a seed named twice is an error (it would weigh twice in the mean).
 */
export const parseSeedList = (text: string): number[] => {
  if (text.trim() === '') throw new SeedListError('expected a range like 1..10 or a list like 1,4,7');
  const seeds: number[] = [];
  for (const part of text.split(',')) {
    const range = /^\s*([^.]*)\.\.(.*)$/.exec(part);
    if (range) {
      const from = seedOf(range[1] ?? '');
      const to = seedOf(range[2] ?? '');
      if (to < from) throw new SeedListError(`range ${part.trim()} ends before it starts`);
      if (to - from + 1 > MAX_SEEDS) throw new SeedListError(`range ${part.trim()} has more than ${MAX_SEEDS} seeds`);
      for (let s = from; s <= to; s++) seeds.push(s);
    } else {
      seeds.push(seedOf(part));
    }
    if (seeds.length > MAX_SEEDS) throw new SeedListError(`more than ${MAX_SEEDS} seeds`);
  }
  const seen = new Set<number>();
  for (const s of seeds) {
    if (seen.has(s)) throw new SeedListError(`seed ${s} is named twice`);
    seen.add(s);
  }
  return seeds;
};
