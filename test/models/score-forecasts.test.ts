import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pinballLoss, scoreAtUnderProvision, scoreForecasts } from '../../models/src/score-forecasts';

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
    expect(scoreForecasts([])).toEqual({ underProvisionRate: null, meanSlack: null, pinball50: null, pinball90: null, cases: 0 });
  });

  it('property: rates within [0, 1], losses ≥ 0, slack ≥ 0, scaling everything by k scales losses by k only', () => {
    const row = fc.record({ p50: fc.double({ min: 0, max: 100, noNaN: true }), p90: fc.double({ min: 0, max: 100, noNaN: true }), actual: fc.double({ min: 0, max: 100, noNaN: true }) });
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
    const row = fc.record({ p50: fc.constant(0), p90: fc.double({ min: 0.01, max: 100, noNaN: true }), actual: fc.double({ min: 0.01, max: 100, noNaN: true }) });
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 40 }), fc.double({ min: 0, max: 0.99, noNaN: true }), (rows, target) => {
        const s = scoreAtUnderProvision(rows, target);
        expect(s.underProvisionRate!).toBeLessThanOrEqual(target + 1e-12);
        if (s.factor! > 0) expect(scoreForecasts(rows.map((r) => ({ ...r, p90: r.p90 * s.factor! * 0.999 }))).underProvisionRate!).toBeGreaterThan(target);
      }),
    );
  });
});
