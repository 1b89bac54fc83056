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

describe('compareWithAblation: the cost difference by part', () => {
  const bill = (spot: number, onDemand: number, extra: Record<string, number> = {}) => ({
    spotInstances: spot,
    onDemandInstances: onDemand,
    stoppedStorage: 0.63,
    lambda: 0.12,
    cloudwatchReads: 0.47,
    ...extra,
  });
  const seed = (n: number, s: Record<string, number>, v: Record<string, number>) => {
    const total = (b: Record<string, number>) => Object.values(b).reduce((a, x) => a + x, 0);
    return {
      seed: n,
      strategies: {
        spotwise: { unservedVcpuMinutes: 1, cost: total(s), costBreakdown: s },
        'spotwise-naive': { unservedVcpuMinutes: 5, cost: total(v), costBreakdown: v },
      },
    };
  };

  it('pairs Spot, On-Demand, storage and the own AWS bill (every other item) seed by seed', () => {
    const c = compareWithAblation([
      seed(1, bill(97.1, 1.0), bill(97.0, 0.6)),
      seed(2, bill(97.3, 0.8, { agentMetrics: 1.6 }), bill(97.1, 0.5, { agentMetrics: 1.5 })),
    ]);
    expect(c?.costParts?.spot.mean).toBeCloseTo(0.15, 6);
    expect(c?.costParts?.onDemand.mean).toBeCloseTo(0.35, 6);
    expect(c?.costParts?.storage).toMatchObject({ mean: 0, equal: 2 });
    // The bill counts every item that is not an instance: 0.1 more agent metrics on seed 2.
    expect(c?.costParts?.awsBill.mean).toBeCloseTo(0.05, 6);
    expect(c?.costParts?.awsBill).toMatchObject({ higher: 1, equal: 1 });
  });

  it('is left out when a seed has no breakdown or a non-finite item, and the totals are still compared', () => {
    const whole = [seed(1, bill(97.1, 1.0), bill(97.0, 0.6)), seed(2, bill(97.3, 0.8), bill(97.1, 0.5))];
    const bare = [...whole, run(3, { spotwise: { unservedVcpuMinutes: 1, cost: 100 }, 'spotwise-naive': { unservedVcpuMinutes: 2, cost: 99 } })];
    expect(compareWithAblation(bare)).toMatchObject({ seeds: 3 });
    expect(compareWithAblation(bare)?.costParts).toBeUndefined();
    const broken = seed(3, bill(97, 1), bill(97, 1));
    // The seed's cost is finite (it is compared), one item of its breakdown is not.
    const nan = [
      ...whole,
      { ...broken, strategies: { ...broken.strategies, spotwise: { ...broken.strategies.spotwise, costBreakdown: bill(97, 1, { lambda: Number.NaN }) } } },
    ];
    expect(compareWithAblation(nan)?.seeds).toBe(3);
    expect(compareWithAblation(nan)?.costParts).toBeUndefined();
    expect(compareWithAblation(whole)?.costParts).toBeDefined();
  });

  it('prints the parts on a second line, and the --json document carries them', () => {
    const result = {
      seeds: [1, 2],
      singleSeed: false,
      runs: [seed(1, bill(97.1, 1.0), bill(97.0, 0.6)), seed(2, bill(97.3, 0.8), bill(97.1, 0.5))],
      summary: {},
      comparisons: [],
    };
    const ablation = compareWithAblation(result.runs)!;
    expect(renderAblationComparison(ablation).split('\n')).toEqual([
      'spotwise − spotwise-naive, paired over 2 seeds: unserved −4.00 vCPU·min (s.e. 0.00; lower on 2, higher on 0, equal on 0), cost +$0.50 (s.e. $0.00; lower on 0, higher on 2, equal on 0)',
      "  the cost difference by part: Spot instances +$0.15 (s.e. $0.05), On-Demand instances +$0.35 (s.e. $0.05), stopped storage +$0.00 (s.e. $0.00), the strategy's own AWS bill +$0.00 (s.e. $0.00)",
    ]);
    const json = toJsonReport({ ...result, ablation } as unknown as SimulationResult);
    expect(json).toMatchObject({ ablation: { costParts: { spot: { higher: 2 }, onDemand: { higher: 2 }, storage: { equal: 2 } } } });
  });

  it('the parts add up to the cost difference when the breakdown adds up to the cost', () => {
    const item = fc.double({ min: 0, max: 200, noNaN: true });
    const breakdown = fc.record({ spotInstances: item, onDemandInstances: item, stoppedStorage: item, lambda: item, agentMetrics: item });
    fc.assert(
      fc.property(fc.array(fc.tuple(breakdown, breakdown), { minLength: 2, maxLength: 12 }), (seeds) => {
        const c = compareWithAblation(seeds.map(([s, v], k) => seed(k + 1, s, v)))!;
        const p = c.costParts!;
        expect(p.spot.mean + p.onDemand.mean + p.storage.mean + p.awsBill.mean).toBeCloseTo(c.cost.mean, 4);
      }),
    );
  });
});
