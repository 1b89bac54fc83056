import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareWithAblation, EQUAL_WITHIN, pairedDifference, renderAblationComparison } from '../../../lambda/sim/runs/paired-difference';
import { toJsonReport, type SimulationResult } from '../../../lambda/sim/simulate';
import { renderTable } from '../../../lambda/sim/report/render-table';

describe('pairedDifference', () => {
  it.each([
    // a − b = [−2, 0, 2]: mean 0, sd 2, s.e. 2/√3.
    { a: [1, 5, 9], b: [3, 5, 7], mean: 0, standardError: 2 / Math.sqrt(3), lower: 1, higher: 1, equal: 1 },
    // A constant difference has no spread.
    { a: [10, 20, 30, 40], b: [9, 19, 29, 39], mean: 1, standardError: 0, lower: 0, higher: 4, equal: 0 },
    // One seed: no standard error.
    { a: [4], b: [6], mean: -2, standardError: null, lower: 1, higher: 0, equal: 0 },
    // Within the tolerance counts as equal.
    { a: [1.004, 2], b: [1, 2.004], mean: 0, standardError: 0.004, lower: 0, higher: 0, equal: 2 },
  ])('a − b of $a and $b: mean $mean, s.e. $standardError', ({ a, b, mean, standardError, lower, higher, equal }) => {
    const d = pairedDifference(a, b, 0.005);
    expect(d.mean).toBeCloseTo(mean, 6);
    if (standardError === null) expect(d.standardError).toBeNull();
    else expect(d.standardError).toBeCloseTo(standardError, 6);
    expect({ lower: d.lower, higher: d.higher, equal: d.equal }).toEqual({ lower, higher, equal });
  });

  it.each([
    { a: [1, 2], b: [1], error: 'as many values on each side, got 2 and 1' },
    { a: [], b: [], error: 'at least one pair' },
    { a: [Number.NaN], b: [1], error: 'non-finite' },
  ])('refuses $a against $b: $error', ({ a, b, error }) => {
    expect(() => pairedDifference(a, b, 0)).toThrow(error);
  });

  const pairs = fc
    .integer({ min: 1, max: 30 })
    .chain((n) =>
      fc.tuple(
        fc.array(fc.double({ min: -1e4, max: 1e4, noNaN: true }), { minLength: n, maxLength: n }),
        fc.array(fc.double({ min: -1e4, max: 1e4, noNaN: true }), { minLength: n, maxLength: n }),
      ),
    );

  it('the mean is the difference of the means; every seed is counted once; the standard error is never negative', () => {
    fc.assert(
      fc.property(pairs, ([a, b]) => {
        const d = pairedDifference(a, b, 0.005);
        const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
        expect(d.mean).toBeCloseTo(mean(a) - mean(b), 4);
        expect(d.lower + d.higher + d.equal).toBe(a.length);
        if (a.length > 1) expect(d.standardError).toBeGreaterThanOrEqual(0);
        else expect(d.standardError).toBeNull();
      }),
    );
  });

  it('swapping the sides negates the mean, keeps the standard error and swaps lower and higher', () => {
    fc.assert(
      fc.property(pairs, ([a, b]) => {
        const ab = pairedDifference(a, b, 0.005);
        const ba = pairedDifference(b, a, 0.005);
        expect(ba.mean).toBeCloseTo(-ab.mean, 5);
        expect(ba.standardError).toEqual(ab.standardError);
        expect([ba.lower, ba.higher, ba.equal]).toEqual([ab.higher, ab.lower, ab.equal]);
      }),
    );
  });
});

const run = (seed: number, strategies: Record<string, { unservedVcpuMinutes: number; cost: number } | undefined>) => ({
  seed,
  strategies: Object.fromEntries(Object.entries(strategies).filter(([, m]) => m !== undefined)) as Record<
    string,
    { unservedVcpuMinutes: number; cost: number }
  >,
});

describe('compareWithAblation', () => {
  const runs = [
    run(1, {
      spotwise: { unservedVcpuMinutes: 1, cost: 101 },
      'spotwise-naive': { unservedVcpuMinutes: 7, cost: 100.5 },
      none: { unservedVcpuMinutes: 50, cost: 97 },
    }),
    run(2, { spotwise: { unservedVcpuMinutes: 2, cost: 101.2 }, 'spotwise-naive': { unservedVcpuMinutes: 2, cost: 100.6 } }),
    run(3, { spotwise: { unservedVcpuMinutes: 9, cost: 101.1 }, 'spotwise-naive': { unservedVcpuMinutes: 3, cost: 100.7 } }),
  ];

  it('compares spotwise with spotwise-naive seed by seed (other strategies play no part)', () => {
    const c = compareWithAblation(runs);
    expect(c).toMatchObject({ strategy: 'spotwise', against: 'spotwise-naive', seeds: 3 });
    // Unserved differences −6, 0, +6; cost differences 0.5, 0.6, 0.4.
    expect(c?.unservedVcpuMinutes).toMatchObject({ mean: 0, lower: 1, higher: 1, equal: 1 });
    expect(c?.unservedVcpuMinutes.standardError).toBeCloseTo(6 / Math.sqrt(3), 5);
    expect(c?.cost.mean).toBeCloseTo(0.5, 6);
    expect(c?.cost.standardError).toBeCloseTo(0.1 / Math.sqrt(3), 6);
    expect([c?.cost.lower, c?.cost.higher, c?.cost.equal]).toEqual([0, 3, 0]);
    expect(EQUAL_WITHIN.cost).toBeLessThan(0.01);
  });

  it('leaves out a seed where either did not run, and needs two seeds', () => {
    const gap = [...runs.slice(0, 2), run(3, { spotwise: { unservedVcpuMinutes: 9, cost: 101.1 }, 'spotwise-naive': undefined })];
    expect(compareWithAblation(gap)?.seeds).toBe(2);
    expect(compareWithAblation(runs.slice(0, 1))).toBeUndefined();
    expect(compareWithAblation(runs.map((r) => run(r.seed, { spotwise: r.strategies.spotwise })))).toBeUndefined();
    // A non-finite figure is not a pair either.
    const nan = [run(1, { spotwise: { unservedVcpuMinutes: Number.NaN, cost: 1 }, 'spotwise-naive': { unservedVcpuMinutes: 1, cost: 1 } }), ...runs.slice(1)];
    expect(compareWithAblation(nan)?.seeds).toBe(2);
  });

  it('prints one line with both differences, their standard errors and the seeds each way', () => {
    const line = renderAblationComparison(compareWithAblation(runs)!);
    expect(line).toBe(
      'spotwise − spotwise-naive, paired over 3 seeds: unserved +0.00 vCPU·min (s.e. 3.46; lower on 1, higher on 1, equal on 1), cost +$0.50 (s.e. $0.06; lower on 0, higher on 3, equal on 0)',
    );
  });

  it('is in the end-of-run table and the --json document of a several-seed run', () => {
    const ablation = compareWithAblation(runs)!;
    const summary = { spotwise: { mean: { unservedVcpuMinutes: 4, cost: 101.1 }, worst: { unservedVcpuMinutes: 9, cost: 101.1, seed: 3 } } };
    const result = { seeds: [1, 2, 3], singleSeed: false, runs, summary, comparisons: [], ablation } as unknown as SimulationResult;
    expect(renderTable(result)).toContain('spotwise − spotwise-naive, paired over 3 seeds: unserved +0.00 vCPU·min');
    expect(toJsonReport(result)).toMatchObject({ ablation: { seeds: 3, unservedVcpuMinutes: { mean: 0 }, cost: { higher: 3 } } });
    const without = { ...result, ablation: undefined } as unknown as SimulationResult;
    expect(Object.keys(toJsonReport(without))).not.toContain('ablation');
    expect(renderTable(without)).not.toContain('paired over');
  });
});
