/**
 * Summary statistics for the benchmarks: percentiles of per-call timings.
 *
 * Percentiles use the nearest-rank method (the smallest sample with at least p % of the samples at or
 * below it): every reported value is a time that was actually measured, never an interpolation between
 * two, so "p99 < 50 ms" means 99 % of the measured notices really took less than 50 ms.
 */

/** The p-th percentile (0 < p ≤ 100) of `samples` by nearest rank. Throws on an empty or non-finite input. */
export const percentile = (samples: readonly number[], p: number): number => {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile p must be in (0, 100] (got ${p})`);
  if (samples.length === 0) throw new RangeError('percentile of no samples');
  const bad = samples.find((s) => !Number.isFinite(s));
  if (bad !== undefined) throw new RangeError(`percentile: samples must be finite (got ${bad})`);
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.max(0, rank - 1)] as number;
};

export interface TimingSummary {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

export const summarizeTimings = (samples: readonly number[]): TimingSummary => ({
  count: samples.length,
  p50: percentile(samples, 50),
  p99: percentile(samples, 99),
  max: percentile(samples, 100),
  mean: samples.reduce((a, b) => a + b, 0) / samples.length,
});
