import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { percentile, summarizeTimings } from '../../bench/stats';

describe('percentile (nearest rank)', () => {
  it.each([
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50, 5],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99, 10],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 10, 1],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 11, 2],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 100, 10],
    [[3, 1, 2], 50, 2],
    [[7], 1, 7],
    [[7], 100, 7],
    [[5, 5, 5, 1], 25, 1],
  ])('%j at p%d is %d', (samples, p, expected) => {
    expect(percentile(samples, p)).toBe(expected);
  });

  it.each([
    [[], 50, 'percentile of no samples'],
    [[1], 0, 'percentile p must be in (0, 100] (got 0)'],
    [[1], 101, 'percentile p must be in (0, 100] (got 101)'],
    [[1], Number.NaN, 'percentile p must be in (0, 100] (got NaN)'],
    [[1, Number.NaN], 50, 'percentile: samples must be finite (got NaN)'],
    [[1, Number.POSITIVE_INFINITY], 50, 'percentile: samples must be finite (got Infinity)'],
  ])('refuses %j at p%d', (samples, p, message) => {
    expect(() => percentile(samples, p)).toThrow(message);
  });

  it('property: a measured value with at least p % of the samples at or below it, and fewer than p % strictly below', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 200 }),
        fc.double({ min: 0.01, max: 100, noNaN: true }),
        (samples, p) => {
          const r = percentile(samples, p);
          const rank = Math.ceil((p / 100) * samples.length);
          expect(samples).toContain(r);
          expect(samples.filter((s) => s <= r).length).toBeGreaterThanOrEqual(rank);
          expect(samples.filter((s) => s < r).length).toBeLessThan(rank);
        },
      ),
    );
  });

  it('property: monotone in p, and does not change the input', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 1, maxLength: 100 }),
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 1, max: 100 }),
        (samples, a, b) => {
          const copy = [...samples];
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          expect(percentile(samples, lo)).toBeLessThanOrEqual(percentile(samples, hi));
          expect(samples).toEqual(copy);
        },
      ),
    );
  });
});

describe('summarizeTimings', () => {
  it('gives count, p50, p99, max and mean', () => {
    const samples = Array.from({ length: 200 }, (_, i) => i + 1);
    expect(summarizeTimings(samples)).toEqual({ count: 200, p50: 100, p99: 198, max: 200, mean: 100.5 });
  });
});
