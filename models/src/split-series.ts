import { hashString } from './seeded-random';

export type SplitName = 'train' | 'validation' | 'test';

export interface SplitFractions {
  readonly train: number;
  readonly validation: number;
}

export const DEFAULT_SPLIT: SplitFractions = { train: 0.5, validation: 0.3 };

/**
 * Assigns every series to exactly one split, BY SERIES (a series' cases never appear in two splits),
 * stratified by dataset so each source is represented in each split. Within a dataset series are
 * ordered by a seeded hash of their id — stable when series are added or removed elsewhere — and the
 * first round(train·n) (at least one) go to train, the next round(validation·n) to validation, the rest
 * to test (11 NAB series → 6/3/2, 71 Bitbrains → 36/21/14 with the default 0.5/0.3). Validation is
 * large because it does three jobs: early stopping, the conformal calibration of p90 and the gating.
 */
export const splitSeries = (
  series: readonly { readonly id: string; readonly dataset: string }[],
  seed: number,
  fractions: SplitFractions = DEFAULT_SPLIT,
): Map<string, SplitName> => {
  if (!(fractions.train > 0 && fractions.validation >= 0 && fractions.train + fractions.validation < 1)) {
    throw new RangeError(
      `split fractions must satisfy 0 < train, 0 ≤ validation, train + validation < 1; got train=${fractions.train}, validation=${fractions.validation}`,
    );
  }
  const byDataset = new Map<string, string[]>();
  for (const s of series) byDataset.set(s.dataset, [...(byDataset.get(s.dataset) ?? []), s.id]);
  const out = new Map<string, SplitName>();
  for (const ids of byDataset.values()) {
    const ordered = [...new Set(ids)].sort((a, b) => hashString(seed, a) - hashString(seed, b) || a.localeCompare(b));
    const n = ordered.length;
    const nTrain = Math.min(n, Math.max(1, Math.round(fractions.train * n)));
    const nValidation = Math.min(n - nTrain, Math.round(fractions.validation * n));
    ordered.forEach((id, i) => out.set(id, i < nTrain ? 'train' : i < nTrain + nValidation ? 'validation' : 'test'));
  }
  return out;
};
