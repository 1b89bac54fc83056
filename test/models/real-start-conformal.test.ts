import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PREDICTOR_NAMES, REPORT_DIMENSION_ORDER, scoreLists, type ScoredLists } from '../../models/src/evaluate-cases';
import { conformalFactor, withModelP90Scaled } from '../../models/src/real-start-conformal';
import { scoreForecasts, type ScoredCase } from '../../lambda/core/predict/score-forecasts';

const row = (p90: number, actual: number): ScoredCase => ({ p50: p90 / 2, p90, actual });

describe('conformalFactor', () => {
  // Scores actual / p90: 0.5, 1, 1.5, …, 5 (n = 10).
  const ten = Array.from({ length: 10 }, (_, i) => row(2, i + 1));
  it.each([
    // ⌈11 × 0.5⌉ = 6th smallest = 3; ⌈11 × 0.8⌉ = 9th = 4.5; ⌈11 × 0.9⌉ = 10th = 5; ⌈11 × 0.95⌉ = 11 > 10 → none.
    { coverage: 0.5, factor: 3 },
    { coverage: 0.8, factor: 4.5 },
    { coverage: 0.9, factor: 5 },
    { coverage: 0.95, factor: null },
  ])('ten cases, coverage $coverage → factor $factor', ({ coverage, factor }) => {
    expect(conformalFactor(ten, coverage)).toEqual({ factor, calibrationCases: 10 });
  });

  it.each([
    { name: 'no cases', cases: [], factor: null },
    {
      name: 'a positive peak over p90 = 0 scores +∞',
      cases: [row(0, 1), row(1, 1), row(1, 1), row(1, 1), row(1, 1), row(1, 1), row(1, 1), row(1, 1), row(1, 1), row(1, 1)],
      factor: null,
    },
    { name: 'zero peaks score 0 (nothing to cover)', cases: Array.from({ length: 9 }, () => row(0, 0)), factor: 0 },
  ])('$name → $factor', ({ cases, factor }) => {
    expect(conformalFactor(cases, 0.9).factor).toBe(factor);
  });

  it('rejects a coverage outside (0, 1), naming it', () => {
    expect(() => conformalFactor([], 1)).toThrow('coverage must be within (0, 1), got 1');
  });

  it('property: the factor covers at least ⌈(n + 1)·coverage⌉ − 1 ≥ coverage·n − 1 calibration cases', () => {
    const amount = fc.integer({ min: 1, max: 10_000 }).map((v) => v / 100);
    fc.assert(
      fc.property(fc.array(fc.tuple(amount, amount), { minLength: 1, maxLength: 60 }), fc.double({ min: 0.05, max: 0.95, noNaN: true }), (pairs, coverage) => {
        const cases = pairs.map(([p90, actual]) => row(p90, actual));
        const { factor } = conformalFactor(cases, coverage);
        if (factor === null) {
          expect(Math.ceil((cases.length + 1) * coverage - 1e-9)).toBeGreaterThan(cases.length);
          return;
        }
        const covered = cases.filter((c) => c.actual <= c.p90 * factor * (1 + 1e-12)).length;
        expect(covered).toBeGreaterThanOrEqual(Math.ceil((cases.length + 1) * coverage - 1e-9));
      }),
    );
  });
});

describe('withModelP90Scaled', () => {
  const lists = (): ScoredLists =>
    Object.fromEntries(REPORT_DIMENSION_ORDER.map((rd) => [rd, Object.fromEntries(PREDICTOR_NAMES.map((p) => [p, [row(2, 1), row(2, 3)]]))])) as ScoredLists;

  it('scales only the model’s p90 (p50 kept below it), only where a factor exists', () => {
    const out = withModelP90Scaled(lists(), { cpu: 2, memory: 0.25, network: null });
    expect(out.cpu.model).toEqual([row(4, 1), row(4, 3)].map((c) => ({ ...c, p50: 1 })));
    expect(out.memory.model).toEqual([
      { p50: 0.5, p90: 0.5, actual: 1 },
      { p50: 0.5, p90: 0.5, actual: 3 },
    ]);
    expect(out.network.model).toEqual(lists().network.model);
    expect(out.disk.model).toEqual(lists().disk.model);
    expect(out.cpu.vpa).toEqual(lists().cpu.vpa);
  });

  it('property: a common factor moves the operating point, never the equal-rate comparison', () => {
    const amount = fc.integer({ min: 1, max: 10_000 }).map((v) => v / 100);
    fc.assert(
      fc.property(fc.array(fc.tuple(amount, amount, amount), { minLength: 1, maxLength: 30 }), fc.double({ min: 0.1, max: 30, noNaN: true }), (triples, k) => {
        const base = lists();
        base.cpu.model = triples.map(([p90, actual]) => row(p90, actual));
        base.cpu.vpa = triples.map(([, actual, v]) => row(v, actual));
        const before = scoreLists(base).cpu.model.atBaselineRate.vpa!;
        const after = scoreLists(withModelP90Scaled(base, { cpu: k })).cpu.model.atBaselineRate.vpa!;
        expect(after.underProvisionRate).toBe(before.underProvisionRate);
        if (before.weightedSlack === null) expect(after.weightedSlack).toBeNull();
        else expect(Math.abs(after.weightedSlack! - before.weightedSlack)).toBeLessThanOrEqual(1e-6 * Math.max(1, before.weightedSlack));
        expect(scoreForecasts(withModelP90Scaled(base, { cpu: k }).cpu.model).cases).toBe(triples.length);
      }),
    );
  });
});
