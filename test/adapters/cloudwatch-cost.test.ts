import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GET_METRIC_DATA_USD_PER_1000_METRICS, estimateCloudWatchReadCost, ticksPerMonth } from '../../lambda/adapters/cloudwatch-cost';

describe('estimateCloudWatchReadCost', () => {
  it.each([
    // 100 instances × 6 EC2 queries, every 5 minutes for 30 days: 600 × 8640 = 5,184,000 metrics → $51.84
    [600, ticksPerMonth(5), 51.84],
    // the same fleet with the agent (8 queries each) every minute
    [800, ticksPerMonth(1), 345.6],
    [0, 8640, 0],
    [1000, 1, 0.01],
  ])('%d queries × %d ticks → $%d', (queries, ticks, usd) => {
    expect(estimateCloudWatchReadCost(queries, ticks)).toBeCloseTo(usd, 9);
  });

  it('is linear in queries and in ticks, and never negative', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.double({ min: 0, max: 1e5, noNaN: true }), (q, t) => {
        const cost = estimateCloudWatchReadCost(q, t);
        expect(cost).toBeGreaterThanOrEqual(0);
        expect(cost).toBeCloseTo((q * t * GET_METRIC_DATA_USD_PER_1000_METRICS) / 1000, 6);
        expect(estimateCloudWatchReadCost(2 * q, t)).toBeCloseTo(2 * cost, 6);
      }),
    );
  });

  it.each([
    [() => estimateCloudWatchReadCost(-1, 10), 'queriesPerTick must be a finite number ≥ 0 (got -1)'],
    [() => estimateCloudWatchReadCost(10, Number.NaN), 'ticksPerMonth must be a finite number ≥ 0 (got NaN)'],
    [() => ticksPerMonth(0), 'rateMinutes must be positive (got 0)'],
    [() => ticksPerMonth(Number.POSITIVE_INFINITY), 'rateMinutes must be a finite number ≥ 0 (got Infinity)'],
  ])('names the bad input', (call, message) => {
    expect(call).toThrow(message);
  });

  it('counts ticks in a 30-day month', () => {
    expect(ticksPerMonth(5)).toBe(8640);
    expect(ticksPerMonth(60)).toBe(720);
  });
});
