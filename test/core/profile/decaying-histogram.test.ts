import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_HALF_LIFE_MS,
  HISTOGRAM_BOUNDS,
  InvalidHistogramError,
  emptyHistogram,
  geometricBounds,
  histogramQuantile,
  isEmptyHistogram,
  observe,
  observeAll,
  withHalfLife,
} from '../../../lambda/core/profile/decaying-histogram';

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
const h = () => emptyHistogram(DEFAULT_HALF_LIFE_MS, HISTOGRAM_BOUNDS.vcpu);

describe('geometricBounds', () => {
  it('starts with an exact-zero bucket and grows geometrically (VPA style)', () => {
    expect(geometricBounds(1, 2, 20)).toEqual([0, 1, 3, 7, 15, 31]);
  });

  it.each([
    [0, 1.05, 10, 'firstWidth'],
    [1, 1, 10, 'ratio'],
    [1, 1.05, 0.5, 'max'],
    [Number.NaN, 1.05, 10, 'firstWidth'],
  ])('rejects (%s, %s, %s) naming %s', (first, ratio, max, field) => {
    expect(() => geometricBounds(first, ratio, max)).toThrow(InvalidHistogramError);
    expect(() => geometricBounds(first, ratio, max)).toThrow(field);
  });

  it('presets are strictly ascending and cover their documented maxima', () => {
    const covers = { vcpu: 1000, memoryGiB: 32_768, networkMbps: 400_000, diskIops: 1_000_000, cpuPerCore: 1, connections: 1_000_000, generic: 1_000_000 };
    for (const [name, bounds] of Object.entries(HISTOGRAM_BOUNDS)) {
      for (let i = 1; i < bounds.length; i++) expect(bounds[i]).toBeGreaterThan(bounds[i - 1] as number);
      expect(bounds.at(-1)).toBeGreaterThanOrEqual(covers[name as keyof typeof covers]);
      expect(bounds.length).toBeLessThan(320); // compactness: profiles are DynamoDB items
    }
  });
});

describe('emptyHistogram', () => {
  it('has no quantiles (no data is not zero)', () => {
    expect(histogramQuantile(h(), 0.5)).toBeUndefined();
    expect(isEmptyHistogram(h())).toBe(true);
  });

  it.each([
    [0, undefined, 'halfLifeMs'],
    [-1, undefined, 'halfLifeMs'],
    [Number.POSITIVE_INFINITY, undefined, 'halfLifeMs'],
    [HOUR, [], 'bounds'],
    [HOUR, [0, 2, 1], 'bounds[2]'],
    [HOUR, [-1, 2], 'bounds[0]'],
  ])('rejects halfLife %s / bounds %j naming %s', (halfLife, bounds, field) => {
    expect(() => emptyHistogram(halfLife, bounds)).toThrow(InvalidHistogramError);
    expect(() => emptyHistogram(halfLife, bounds)).toThrow(field);
  });
});

describe('observe and histogramQuantile', () => {
  it.each([
    ['a single value reports its bucket upper bound (within 5 %)', [1.5], 0.5, 1.5, 1.5 * 1.06],
    ['zeros report exactly 0', [0, 0, 0], 0.9, 0, 0],
    ['median of 1..9', [1, 2, 3, 4, 5, 6, 7, 8, 9], 0.5, 5, 5 * 1.06],
    ['p90 of 1..10', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9, 9, 9 * 1.06],
    ['q = 1 is the top occupied bucket', [1, 2, 50], 1, 50, 50 * 1.06],
    ['q = 0 is the lowest occupied bucket', [3, 4, 50], 0, 3, 3 * 1.06],
    ['values above the top bound saturate', [5000], 0.5, 1000, 1100],
  ])('%s', (_name, values, q, low, high) => {
    // Same timestamp: equal weights, so the quantiles are the textbook ones.
    const hist = observeAll(
      h(),
      values.map((value) => ({ value, at: T0 })),
    );
    const v = histogramQuantile(hist, q) as number;
    expect(v).toBeGreaterThanOrEqual(low);
    expect(v).toBeLessThanOrEqual(high);
  });

  it('an observation one half-life older weighs half as much', () => {
    // 2 old points at 1 vCPU (weight 1 each), 1 point at 4 vCPU one half-life later (weight 2): 50/50.
    let hist = observe(h(), 1, T0);
    hist = observe(hist, 1, T0);
    hist = observe(hist, 4, T0 + DEFAULT_HALF_LIFE_MS);
    expect(hist.totalWeight).toBeCloseTo(4, 9);
    expect(histogramQuantile(hist, 0.49)).toBeLessThan(1.1);
    expect(histogramQuantile(hist, 0.51)).toBeGreaterThan(3.9);
  });

  it('old behaviour fades: after many half-lives the new level dominates every quantile', () => {
    const old = observeAll(
      h(),
      Array.from({ length: 100 }, (_, i) => ({ value: 8, at: T0 + i * 60_000 })),
    );
    const later = observeAll(
      old,
      Array.from({ length: 10 }, (_, i) => ({ value: 1, at: T0 + 10 * DEFAULT_HALF_LIFE_MS + i * 60_000 })),
    );
    expect(histogramQuantile(later, 0.9)).toBeLessThan(1.1);
  });

  it('re-bases without overflow across months of observations', () => {
    const halfLife = HOUR;
    let hist = emptyHistogram(halfLife, HISTOGRAM_BOUNDS.vcpu);
    for (let day = 0; day < 90; day++) hist = observe(hist, 2, T0 + day * 24 * HOUR);
    expect(Number.isFinite(hist.totalWeight)).toBe(true);
    expect(hist.weights.every((w) => Number.isFinite(w) && w >= 0)).toBe(true);
    expect(histogramQuantile(hist, 0.5)).toBeCloseTo(2, 0);
    expect(hist.count).toBe(90);
  });

  it('first observation sets the reference (no overflow from epoch-sized times)', () => {
    const hist = observe(h(), 1, T0);
    expect(hist.referenceAt).toBe(T0);
    expect(hist.totalWeight).toBe(1);
  });

  it('does not mutate its input', () => {
    const before = observe(h(), 1, T0);
    const snapshot = JSON.stringify(before);
    observe(before, 5, T0 + 1);
    expect(JSON.stringify(before)).toBe(snapshot);
  });

  it.each([
    [Number.NaN, T0, 1, 'value'],
    [-1, T0, 1, 'value'],
    [Number.POSITIVE_INFINITY, T0, 1, 'value'],
    [1, Number.NaN, 1, 'at'],
    [1, T0, -1, 'weight'],
  ])('rejects observation value %s at %s weight %s naming %s', (value, at, weight, field) => {
    expect(() => observe(h(), value, at, weight)).toThrow(InvalidHistogramError);
    expect(() => observe(h(), value, at, weight)).toThrow(`decaying histogram: ${field}`);
  });

  it.each([-0.1, 1.1, Number.NaN])('rejects quantile %s', (q) => {
    expect(() => histogramQuantile(observe(h(), 1, T0), q)).toThrow(InvalidHistogramError);
  });

  it('rejects a histogram whose weights do not match its bounds (corrupt stored item)', () => {
    const corrupt = { ...h(), weights: [1] };
    expect(() => observe(corrupt, 1, T0)).toThrow('weights.length');
  });

  const observations = fc.array(fc.record({ value: fc.double({ min: 0, max: 2000, noNaN: true }), at: fc.integer({ min: T0, max: T0 + 30 * 24 * HOUR }) }), {
    minLength: 1,
    maxLength: 40,
  });

  it('property: quantiles are monotone in q', () => {
    fc.assert(
      fc.property(observations, fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (obs, q1, q2) => {
        const hist = observeAll(h(), obs);
        const [lo, hi] = q1 <= q2 ? [q1, q2] : [q2, q1];
        expect(histogramQuantile(hist, lo) as number).toBeLessThanOrEqual(histogramQuantile(hist, hi) as number);
      }),
    );
  });

  it('property: every quantile lies within [min bucket, max bucket] of what was observed', () => {
    fc.assert(
      fc.property(observations, fc.double({ min: 0, max: 1, noNaN: true }), (obs, q) => {
        const hist = observeAll(h(), obs);
        const v = histogramQuantile(hist, q) as number;
        const min = Math.min(...obs.map((o) => o.value));
        const max = Math.min(1000, Math.max(...obs.map((o) => o.value)));
        expect(v).toBeGreaterThanOrEqual(Math.min(min, 1000));
        // Upper bucket bound: at most one bucket (5 %, or the 0.01 first width) above the largest value.
        expect(v).toBeLessThanOrEqual(max * 1.06 + 0.011);
      }),
    );
  });

  it('property: observing one at a time equals observing in a batch', () => {
    fc.assert(
      fc.property(observations, (obs) => {
        const batch = observeAll(h(), obs);
        const single = obs.reduce((acc, o) => observe(acc, o.value, o.at), h());
        expect(single.count).toBe(batch.count);
        for (const q of [0.1, 0.5, 0.9]) expect(histogramQuantile(single, q)).toBe(histogramQuantile(batch, q));
      }),
    );
  });
});

describe('withHalfLife', () => {
  const day = () =>
    observeAll(h(), [
      { value: 1, at: T0 },
      { value: 2, at: T0 + 6 * HOUR },
      { value: 4, at: T0 + 12 * HOUR },
    ]);

  it('is the same histogram when the half-life is already the one asked', () => {
    const x = day();
    expect(withHalfLife(x, DEFAULT_HALF_LIFE_MS, T0 + 20 * HOUR)).toBe(x);
  });

  it('keeps every quantile at the switch, then fades the old weights and weighs new ones with the new half-life', () => {
    const before = observe(h(), 1, T0);
    const switched = withHalfLife(before, HOUR, T0);
    expect(switched.halfLifeMs).toBe(HOUR);
    expect(histogramQuantile(switched, 0.5)).toBe(histogramQuantile(before, 0.5));
    // One hour later a new observation weighs 2 against the old one's 1 under a 1-hour half-life (q40 threshold 1.2:
    // past the old bucket); under the day's half-life it weighs 1.03 (threshold 0.81: still the old bucket).
    const next = (x: typeof before) => histogramQuantile(observe(x, 100, T0 + HOUR), 0.4);
    expect(next(before)).toBe(histogramQuantile(before, 0.5));
    expect(next(switched)).toBeGreaterThanOrEqual(100);
  });

  it('property: the switch never moves a quantile nor the count, at any time after the newest observation', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ value: fc.double({ min: 0, max: 500, noNaN: true }), hours: fc.double({ min: 0, max: 72, noNaN: true }) }), {
          minLength: 1,
          maxLength: 30,
        }),
        fc.double({ min: 0.1, max: 200, noNaN: true }),
        fc.double({ min: 0, max: 200, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (points, halfLifeHours, afterHours, q) => {
          const sorted = [...points].sort((a, b) => a.hours - b.hours);
          const x = observeAll(
            h(),
            sorted.map((p) => ({ value: p.value, at: T0 + p.hours * HOUR })),
          );
          const at = T0 + (sorted[sorted.length - 1]?.hours ?? 0) * HOUR + afterHours * HOUR;
          const y = withHalfLife(x, halfLifeHours * HOUR, at);
          expect(histogramQuantile(y, q)).toBe(histogramQuantile(x, q));
          expect(y.count).toBe(x.count);
          expect(withHalfLife(y, DEFAULT_HALF_LIFE_MS, at).halfLifeMs).toBe(DEFAULT_HALF_LIFE_MS);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('an empty histogram takes the half-life as it is; a bad half-life or time is refused by name', () => {
    expect(withHalfLife(h(), HOUR, T0)).toMatchObject({ halfLifeMs: HOUR, count: 0, totalWeight: 0 });
    expect(() => withHalfLife(day(), 0, T0)).toThrowError(InvalidHistogramError);
    expect(() => withHalfLife(day(), Number.NaN, T0)).toThrowError('decaying histogram: halfLifeMs must be a finite number > 0 (got NaN)');
    expect(() => withHalfLife(day(), HOUR, Number.NaN)).toThrowError('decaying histogram: at must be a finite time (got NaN)');
  });
});
