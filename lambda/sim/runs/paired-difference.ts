import { round6, type MetricsObject } from './aggregate-seeds';

/**
 * spotwise against its ablation (`spotwise-naive`: the same handlers with the naive forecast) seed by seed. Both
 * strategies meet the same world on a seed (the same traces, interruptions and requests), so the per-seed difference
 * cancels what the seed alone decides and its spread says how much of the mean difference the seeds could have made:
 * the standard error of the mean difference, sd / √n over the n seeds both ran (undefined with one seed). Issue 17's
 * goal "spotwise beats spotwise-naive" is read on these means; the standard error says whether a difference is more
 * than the seeds' noise.
 */
export interface PairedDifference {
  /** Mean over the seeds of (spotwise − spotwise-naive). */
  readonly mean: number;
  /** Sample standard deviation of the differences ÷ √seeds; null with a single seed. */
  readonly standardError: number | null;
  /** Seeds on which spotwise's figure is lower, higher, and equal within `tolerance`. */
  readonly lower: number;
  readonly higher: number;
  readonly equal: number;
}

export interface AblationComparison {
  readonly strategy: 'spotwise';
  readonly against: 'spotwise-naive';
  readonly seeds: number;
  readonly unservedVcpuMinutes: PairedDifference;
  readonly cost: PairedDifference;
}

/** Differences closer to zero than these count as equal (the table prints unserved to 0.1 and dollars to the cent). */
export const EQUAL_WITHIN = { unservedVcpuMinutes: 0.005, cost: 0.005 } as const;

/** The paired difference of `a − b` (same seeds, same order); throws on lists of different lengths or no pairs. */
export const pairedDifference = (a: readonly number[], b: readonly number[], tolerance: number): PairedDifference => {
  if (a.length !== b.length) throw new RangeError(`paired difference needs as many values on each side, got ${a.length} and ${b.length}`);
  if (a.length === 0) throw new RangeError('paired difference needs at least one pair');
  const d = a.map((x, i) => x - (b[i] as number));
  if (!d.every(Number.isFinite)) throw new RangeError(`paired difference of non-finite values: ${JSON.stringify(d)}`);
  const n = d.length;
  const mean = d.reduce((s, x) => s + x, 0) / n;
  const variance = n > 1 ? d.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1) : undefined;
  return {
    mean: round6(mean),
    standardError: variance === undefined ? null : round6(Math.sqrt(variance / n)),
    lower: d.filter((x) => x < -tolerance).length,
    higher: d.filter((x) => x > tolerance).length,
    equal: d.filter((x) => Math.abs(x) <= tolerance).length,
  };
};

const numberOf = (m: MetricsObject | undefined, key: string): number | undefined => {
  const v = m?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
};

/**
 * spotwise − spotwise-naive over the seeds on which both ran with a finite unserved demand and cost; undefined
 * unless both ran on at least two such seeds (one seed has no spread to speak of, and the table shows it already).
 */
export const compareWithAblation = (
  runs: readonly { readonly seed: number; readonly strategies: Readonly<Record<string, MetricsObject>> }[],
): AblationComparison | undefined => {
  const pairs = runs.flatMap((r) => {
    const s = r.strategies.spotwise;
    const n = r.strategies['spotwise-naive'];
    const su = numberOf(s, 'unservedVcpuMinutes');
    const nu = numberOf(n, 'unservedVcpuMinutes');
    const sc = numberOf(s, 'cost');
    const nc = numberOf(n, 'cost');
    return su === undefined || nu === undefined || sc === undefined || nc === undefined ? [] : [{ su, nu, sc, nc }];
  });
  if (pairs.length < 2) return undefined;
  return {
    strategy: 'spotwise',
    against: 'spotwise-naive',
    seeds: pairs.length,
    unservedVcpuMinutes: pairedDifference(
      pairs.map((p) => p.su),
      pairs.map((p) => p.nu),
      EQUAL_WITHIN.unservedVcpuMinutes,
    ),
    cost: pairedDifference(
      pairs.map((p) => p.sc),
      pairs.map((p) => p.nc),
      EQUAL_WITHIN.cost,
    ),
  };
};

const signed = (x: number, digits: number, unit = ''): string => `${x < 0 ? '−' : '+'}${unit}${Math.abs(x).toFixed(digits)}`;

/** One line for the end-of-run table. */
export const renderAblationComparison = (c: AblationComparison): string => {
  const part = (d: PairedDifference, digits: number, what: string, unit = '', suffix = ''): string =>
    `${what} ${signed(d.mean, digits, unit)}${suffix} (s.e. ${unit}${d.standardError === null ? '—' : d.standardError.toFixed(digits)}; lower on ${d.lower}, higher on ${d.higher}, equal on ${d.equal})`;
  return `spotwise − spotwise-naive, paired over ${c.seeds} seeds: ${part(c.unservedVcpuMinutes, 2, 'unserved', '', ' vCPU·min')}, ${part(c.cost, 2, 'cost', '$')}`;
};
