/**
 * What the profiler's metric reads cost. GetMetricData is billed per metric *requested* (US East list
 * price $0.01 per 1,000 metrics; "Amazon CloudWatch pricing", API section), not per data point and not per
 * call, and it is not covered by the CloudWatch free tier. So the cost of a tick is its query count, which
 * is why the reader fetches a whole window of 1-minute points per query instead of polling often.
 */
export const GET_METRIC_DATA_USD_PER_1000_METRICS = 0.01;

/** Ticks in a 30-day month at a given profiler rate (the config's profiler.rate_minutes). */
export const ticksPerMonth = (rateMinutes: number): number => {
  requireNonNegativeFinite('rateMinutes', rateMinutes);
  if (rateMinutes === 0) throw new RangeError('rateMinutes must be positive (got 0)');
  return (30 * 24 * 60) / rateMinutes;
};

/**
 * Monthly USD for GetMetricData: queries per tick × ticks per month × price per metric. Fractional
 * inputs are allowed (an average query count, a rate that does not divide the month).
 */
export const estimateCloudWatchReadCost = (queriesPerTick: number, ticksPerMonthCount: number): number => {
  requireNonNegativeFinite('queriesPerTick', queriesPerTick);
  requireNonNegativeFinite('ticksPerMonth', ticksPerMonthCount);
  return (queriesPerTick * ticksPerMonthCount * GET_METRIC_DATA_USD_PER_1000_METRICS) / 1000;
};

const requireNonNegativeFinite = (field: string, value: number): void => {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${field} must be a finite number ≥ 0 (got ${value})`);
};
