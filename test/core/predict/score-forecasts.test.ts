import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  operatingPointAt,
  pinballLoss,
  scoreAtUnderProvision,
  scoreForecasts,
  weightedQuantileLoss,
  weightedSlack,
  type ScoredCase,
} from '../../../lambda/core/predict/score-forecasts';

describe('pinballLoss', () => {
  it.each([
    { q: 0.9, actual: 10, predicted: 8, loss: 1.8 }, // under by 2: 0.9 × 2
    { q: 0.9, actual: 8, predicted: 10, loss: 0.2 }, // over by 2: 0.1 × 2
    { q: 0.5, actual: 3, predicted: 1, loss: 1 },
    { q: 0.5, actual: 1, predicted: 3, loss: 1 },
    { q: 0.9, actual: 5, predicted: 5, loss: 0 },
  ])('q=$q actual=$actual predicted=$predicted → $loss', ({ q, actual, predicted, loss }) => {
    expect(pinballLoss(q, actual, predicted)).toBeCloseTo(loss, 12);
  });
});

describe('scoreForecasts', () => {
  it('hand-computed: four cases, one under-provisioned, one with a zero actual', () => {
    const s = scoreForecasts([
      { p50: 1, p90: 2, actual: 1 }, // covered, slack (2−1)/1 = 1
      { p50: 2, p90: 3, actual: 2 }, // covered, slack 0.5
      { p50: 1, p90: 1, actual: 4 }, // under-provisioned
      { p50: 0, p90: 1, actual: 0 }, // covered, no relative slack for a zero peak
    ]);
    expect(s.cases).toBe(4);
    expect(s.underProvisionRate).toBe(0.25);
    expect(s.meanSlack).toBeCloseTo(0.75, 12);
    // pinball50: 0, 0, 0.5×3, 0  → 1.5 / 4
    expect(s.pinball50).toBeCloseTo(0.375, 12);
    // pinball90: 0.1×1, 0.1×1, 0.9×3, 0.1×1 → 3.0 / 4
    expect(s.pinball90).toBeCloseTo(0.75, 12);
  });

  it('an actual equal to p90 is covered (strictly greater is under-provisioned)', () => {
    expect(scoreForecasts([{ p50: 1, p90: 2, actual: 2 }])).toMatchObject({ underProvisionRate: 0, meanSlack: 0 });
  });

  it('reports nulls and zero cases for an empty list', () => {
    expect(scoreForecasts([])).toEqual({
      underProvisionRate: null,
      meanSlack: null,
      pinball50: null,
      pinball90: null,
      weightedSlack: null,
      weightedQuantileLoss: null,
      cases: 0,
    });
  });

  it('property: rates within [0, 1], losses ≥ 0, slack ≥ 0, scaling everything by k scales losses by k only', () => {
    const row = fc.record({
      p50: fc.double({ min: 0, max: 100, noNaN: true }),
      p90: fc.double({ min: 0, max: 100, noNaN: true }),
      actual: fc.double({ min: 0, max: 100, noNaN: true }),
    });
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 30 }), fc.double({ min: 0.5, max: 4, noNaN: true }), (rows, k) => {
        const s = scoreForecasts(rows);
        expect(s.underProvisionRate!).toBeGreaterThanOrEqual(0);
        expect(s.underProvisionRate!).toBeLessThanOrEqual(1);
        expect(s.pinball50!).toBeGreaterThanOrEqual(0);
        expect(s.pinball90!).toBeGreaterThanOrEqual(0);
        if (s.meanSlack !== null) expect(s.meanSlack).toBeGreaterThanOrEqual(0);
        const scaled = scoreForecasts(rows.map((r) => ({ p50: r.p50 * k, p90: r.p90 * k, actual: r.actual * k })));
        expect(scaled.pinball90!).toBeCloseTo(s.pinball90! * k, 6);
        expect(scaled.cases).toBe(s.cases);
      }),
    );
  });
});

describe('scoreAtUnderProvision', () => {
  // actual / p90 ratios 0.5, 1, 2, 4
  const cases = [
    { p50: 1, p90: 2, actual: 1 },
    { p50: 1, p90: 2, actual: 2 },
    { p50: 1, p90: 2, actual: 4 },
    { p50: 1, p90: 2, actual: 8 },
  ];

  it.each([
    { target: 0.25, factor: 2, under: 0.25 }, // cover the three smallest ratios: k = 2
    { target: 0.5, factor: 1, under: 0.5 },
    { target: 0, factor: 4, under: 0 },
    { target: 1, factor: 0, under: 1 },
  ])('target $target → factor $factor, under-provision $under', ({ target, factor, under }) => {
    const s = scoreAtUnderProvision(cases, target);
    expect(s.factor).toBeCloseTo(factor, 9);
    expect(s.underProvisionRate).toBe(under);
  });

  it('has no factor when a positive peak meets a zero p90 and must be covered', () => {
    expect(scoreAtUnderProvision([{ p50: 0, p90: 0, actual: 1 }], 0).factor).toBeNull();
  });

  it('property: the rate reached never exceeds the target, and a smaller factor would exceed it', () => {
    const row = fc.record({
      p50: fc.constant(0),
      p90: fc.double({ min: 0.01, max: 100, noNaN: true }),
      actual: fc.double({ min: 0.01, max: 100, noNaN: true }),
    });
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 40 }), fc.double({ min: 0, max: 0.99, noNaN: true }), (rows, target) => {
        const s = scoreAtUnderProvision(rows, target);
        expect(s.underProvisionRate!).toBeLessThanOrEqual(target + 1e-12);
        if (s.factor! > 0) expect(scoreForecasts(rows.map((r) => ({ ...r, p90: r.p90 * s.factor! * 0.999 }))).underProvisionRate!).toBeGreaterThan(target);
      }),
    );
  });
});

const row = (p50: number, p90: number, actual: number): ScoredCase => ({ p50, p90, actual });
const positive = fc.integer({ min: 1, max: 10_000 }).map((v) => v / 100);
// Hundredths in [0, 100]: demand figures, not subnormal doubles whose products underflow.
const amount = fc.integer({ min: 0, max: 10_000 }).map((v) => v / 100);
const anyRow = fc.record({ p50: amount, p90: amount, actual: amount });
const closeRel = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(a), Math.abs(b)));

describe('weightedSlack', () => {
  it.each([
    // One big covered instance dominates: (96 − 48) / 48 = 1, plus (2 − 1) / 1 → 49 / 49 = 1.
    { name: 'capacity-weighted, not per case', cases: [row(0, 96, 48), row(0, 2, 1)], slack: 1 },
    // mean slack would be (1 + 0) / 2 = 0.5; weighted: (1 + 0) / (1 + 9) = 0.1.
    { name: 'a small over-reservation on a big peak counts for little', cases: [row(0, 2, 1), row(0, 9, 9)], slack: 0.1 },
    { name: 'under-provisioned cases are left out of both sums', cases: [row(0, 3, 2), row(0, 1, 50)], slack: 0.5 },
    { name: 'exact forecasts: 0', cases: [row(0, 4, 4), row(0, 7, 7)], slack: 0 },
    { name: 'nothing covered: null', cases: [row(0, 1, 2)], slack: null },
    { name: 'covered peaks sum to 0: null', cases: [row(0, 1, 0), row(0, 1, 5)], slack: null },
    { name: 'no cases: null', cases: [], slack: null },
  ])('$name', ({ cases, slack }) => {
    const s = weightedSlack(cases);
    if (slack === null) expect(s).toBeNull();
    else expect(s).toBeCloseTo(slack, 12);
    expect(scoreForecasts(cases).weightedSlack).toBe(s);
  });

  it('property: ≥ 0, and scale-invariant (same factor on p90 and actual)', () => {
    fc.assert(
      fc.property(fc.array(anyRow, { minLength: 1, maxLength: 30 }), fc.double({ min: 0.001, max: 1000, noNaN: true }), (rows, k) => {
        const s = weightedSlack(rows);
        const scaled = weightedSlack(rows.map((r) => ({ p50: r.p50 * k, p90: r.p90 * k, actual: r.actual * k })));
        if (s === null) return;
        expect(s).toBeGreaterThanOrEqual(0);
        // Scaling can move a case across actual = p90 only by rounding; compare where no case sits on the edge.
        if (rows.every((r) => r.actual !== r.p90)) closeRel(scaled!, s);
      }),
    );
  });
});

describe('weightedQuantileLoss (GIFT-Eval)', () => {
  it.each([
    // q=0.5: 2·(0.5·2) / 10 = 0.2; q=0.9: 2·(0.9·1) / 10 = 0.18 → mean 0.19.
    { name: 'one case under at both quantiles', cases: [row(8, 9, 10)], wql: 0.19 },
    // Over: q=0.5: 2·(0.5·2)/4 = 0.5; q=0.9: 2·(0.1·4)/4 = 0.2 → mean 0.35.
    { name: 'one case over at both quantiles', cases: [row(6, 8, 4)], wql: 0.35 },
    // Sums over cases before dividing: pinball50 = 0 + 1, pinball90 = 0.1·2 + 0.9·2 = 2; Σ|y| = 8 + 2 → (2/10 + 4/10) / 2 = 0.3.
    { name: 'sums, then divides by Σ|actual|', cases: [row(8, 10, 8), row(0, 0, 2)], wql: 0.3 },
    { name: 'perfect forecasts: 0', cases: [row(3, 3, 3), row(5, 5, 5)], wql: 0 },
    { name: 'all actuals 0: null (no scale)', cases: [row(1, 2, 0)], wql: null },
    { name: 'no cases: null', cases: [], wql: null },
  ])('$name', ({ cases, wql }) => {
    const w = weightedQuantileLoss(cases);
    if (wql === null) expect(w).toBeNull();
    else expect(w).toBeCloseTo(wql, 12);
    expect(scoreForecasts(cases).weightedQuantileLoss).toBe(w);
  });

  it('property: ≥ 0 always, 0 for perfect forecasts, scale-invariant, and equal to the mean pinball losses over the mean actual', () => {
    fc.assert(
      fc.property(fc.array(anyRow, { minLength: 1, maxLength: 30 }), fc.double({ min: 0.001, max: 1000, noNaN: true }), (rows, k) => {
        const w = weightedQuantileLoss(rows);
        const s = scoreForecasts(rows);
        const meanActual = rows.reduce((a, r) => a + r.actual, 0) / rows.length;
        if (w === null) {
          expect(meanActual).toBe(0);
          return;
        }
        expect(w).toBeGreaterThanOrEqual(0);
        closeRel(w, (s.pinball50! + s.pinball90!) / meanActual);
        expect(weightedQuantileLoss(rows.map((r) => ({ p50: r.actual, p90: r.actual, actual: r.actual })))).toBe(0);
        closeRel(weightedQuantileLoss(rows.map((r) => ({ p50: r.p50 * k, p90: r.p90 * k, actual: r.actual * k })))!, w);
      }),
    );
  });
});

describe('operatingPointAt (the equal-rate comparison)', () => {
  // actual / p90 ratios 0.5, 1, 2, 4; weightedSlack at factor 2: p90s 4, 4, 4 over actuals 1, 2, 4 → (3 + 2 + 0) / 7.
  const cases = [row(0, 2, 1), row(0, 2, 2), row(0, 2, 4), row(0, 2, 8)];
  it.each([
    { target: 0.25, factor: 2, under: 0.25, slack: 5 / 7 },
    { target: 0.5, factor: 1, under: 0.5, slack: 1 / 3 },
    { target: 0, factor: 4, under: 0, slack: (7 + 6 + 4 + 0) / 15 },
  ])('target $target → p90 × $factor, rate $under, weightedSlack $slack', ({ target, factor, under, slack }) => {
    const p = operatingPointAt(cases, target);
    expect(p).toMatchObject({ targetRate: target, underProvisionRate: under });
    expect(p.factor).toBeCloseTo(factor, 9);
    expect(p.weightedSlack).toBeCloseTo(slack, 9);
  });

  it('no factor reaches the target when a positive peak has p90 = 0: factor and rate null', () => {
    expect(operatingPointAt([row(0, 0, 1)], 0)).toEqual({ targetRate: 0, factor: null, underProvisionRate: null, weightedSlack: null, meanSlack: null });
  });

  it('property: reaches the target within 1/n (distinct positive ratios), never above it', () => {
    const distinct = fc.uniqueArray(fc.integer({ min: 1, max: 100_000 }), { minLength: 1, maxLength: 40 });
    fc.assert(
      fc.property(distinct, fc.array(positive, { minLength: 40, maxLength: 40 }), fc.double({ min: 0, max: 1, noNaN: true }), (ratios, p90s, target) => {
        // actual = p90 × ratio/1000: every ratio distinct, so the rate can be hit to within one case.
        const rows = ratios.map((r, i) => row(0, p90s[i]!, (p90s[i]! * r) / 1000));
        const p = operatingPointAt(rows, target);
        expect(p.factor).not.toBeNull();
        expect(p.underProvisionRate!).toBeLessThanOrEqual(target + 1e-12);
        expect(p.underProvisionRate!).toBeGreaterThan(target - 1 / rows.length - 1e-12);
        if (p.weightedSlack !== null) expect(p.weightedSlack).toBeGreaterThanOrEqual(0);
      }),
    );
  });

  it('property: a predictor that is another scaled by c reaches the same rate with the same weightedSlack', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ p50: fc.constant(0), p90: positive, actual: positive }), { minLength: 1, maxLength: 30 }),
        fc.double({ min: 0.1, max: 10, noNaN: true }),
        fc.double({ min: 0, max: 0.9, noNaN: true }),
        (rows, c, target) => {
          const a = operatingPointAt(rows, target);
          const b = operatingPointAt(
            rows.map((r) => ({ ...r, p90: r.p90 * c })),
            target,
          );
          expect(b.underProvisionRate).toBe(a.underProvisionRate);
          if (a.weightedSlack === null) expect(b.weightedSlack).toBeNull();
          else expect(b.weightedSlack!).toBeCloseTo(a.weightedSlack, 6);
        },
      ),
    );
  });
});
