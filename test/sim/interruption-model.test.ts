import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  burstsPerHour,
  checkInterruptionParams,
  DEFAULT_INTERRUPTION_PARAMS,
  drawPoolBursts,
  mapPoolLabels,
  pinnedVictimCount,
  recommendationLost,
  replayedBursts,
  selectVictims,
  type PoolBurst,
  type PoolRisk,
} from '../../lambda/sim/interruption-model';
import { createRandom } from '../../lambda/data/random';

const pool = (type: string, az: string, rate: number): PoolRisk => ({ instanceType: type, availabilityZone: az, monthlyReclaimRate: rate });
const HOUR = 3_600_000;

describe('burst rate from Spot Advisor buckets', () => {
  it.each([
    // rate, scale, expected bursts/hour: rate × scale / (mean share 0.65 × 730 h)
    [0.025, 1, 0.025 / (0.65 * 730)],
    [0.25, 1, 0.25 / (0.65 * 730)],
    [0.125, 50, (0.125 * 50) / (0.65 * 730)],
    [0.175, 0, 0],
  ])('monthly rate %s at scale %s', (rate, rateScale, expected) => {
    expect(burstsPerHour(pool('m5.large', 'a', rate), { ...DEFAULT_INTERRUPTION_PARAMS, rateScale })).toBeCloseTo(expected, 12);
  });

  it('reproduces the monthly reclaim share on average (long horizon)', () => {
    const params = { ...DEFAULT_INTERRUPTION_PARAMS, rateScale: 1 };
    const months = 400;
    const bursts = drawPoolBursts([pool('m5.large', 'a', 0.25)], { start: 0, end: months * 730 * HOUR }, params, createRandom(3));
    const reclaimed = bursts.reduce((s, b) => s + b.reclaimShare, 0) / months;
    expect(reclaimed).toBeGreaterThan(0.2);
    expect(reclaimed).toBeLessThan(0.3);
  });
});

describe('drawPoolBursts', () => {
  it('is deterministic, sorted, inside the window, with early rebalance only before the burst', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), (seed) => {
        const pools = [pool('m5.large', 'a', 0.175), pool('c5.xlarge', 'b', 0.025)];
        const window = { start: 1_000_000, end: 1_000_000 + 200 * HOUR };
        const a = drawPoolBursts(pools, window, DEFAULT_INTERRUPTION_PARAMS, createRandom(seed));
        const b = drawPoolBursts(pools, window, DEFAULT_INTERRUPTION_PARAMS, createRandom(seed));
        expect(a).toEqual(b);
        for (let i = 1; i < a.length; i++) expect((a[i] as PoolBurst).at).toBeGreaterThanOrEqual((a[i - 1] as PoolBurst).at);
        for (const burst of a) {
          expect(burst.at).toBeGreaterThanOrEqual(window.start);
          expect(burst.at).toBeLessThan(window.end);
          expect(burst.reclaimShare).toBeGreaterThanOrEqual(DEFAULT_INTERRUPTION_PARAMS.reclaimShare.min);
          expect(burst.reclaimShare).toBeLessThanOrEqual(DEFAULT_INTERRUPTION_PARAMS.reclaimShare.max);
          if (burst.rebalanceAt !== undefined) {
            expect(burst.at - burst.rebalanceAt).toBeGreaterThanOrEqual(DEFAULT_INTERRUPTION_PARAMS.rebalanceLeadSeconds.min * 1000 - 1000);
            expect(burst.at - burst.rebalanceAt).toBeLessThanOrEqual(DEFAULT_INTERRUPTION_PARAMS.rebalanceLeadSeconds.max * 1000 + 1000);
          }
        }
      }),
      { numRuns: 30 },
    );
  });

  it('draws no bursts at scale 0 and respects the rebalance share', () => {
    expect(
      drawPoolBursts([pool('m5.large', 'a', 0.25)], { start: 0, end: 1000 * HOUR }, { ...DEFAULT_INTERRUPTION_PARAMS, rateScale: 0 }, createRandom(1)),
    ).toEqual([]);
    const none = drawPoolBursts(
      [pool('m5.large', 'a', 0.25)],
      { start: 0, end: 2000 * HOUR },
      { ...DEFAULT_INTERRUPTION_PARAMS, rebalanceShare: 0 },
      createRandom(1),
    );
    expect(none.length).toBeGreaterThan(0);
    expect(none.every((b) => b.rebalanceAt === undefined)).toBe(true);
    const all = drawPoolBursts(
      [pool('m5.large', 'a', 0.25)],
      { start: 0, end: 2000 * HOUR },
      { ...DEFAULT_INTERRUPTION_PARAMS, rebalanceShare: 1 },
      createRandom(1),
    );
    expect(all.every((b) => b.rebalanceAt !== undefined)).toBe(true);
  });

  it.each([
    ['rateScale', { rateScale: -1 }, /rateScale must be a finite number ≥ 0 \(got -1\)/],
    ['reclaimShare', { reclaimShare: { min: 0.8, max: 0.2 } }, /reclaimShare must be 0 < min ≤ max ≤ 1/],
    ['rebalanceShare', { rebalanceShare: 1.5 }, /rebalanceShare must be within \[0, 1\] \(got 1.5\)/],
    ['lostRecommendationShare', { lostRecommendationShare: -0.1 }, /lostRecommendationShare must be within \[0, 1\] \(got -0.1\)/],
  ])('rejects a bad %s naming it', (_name, patch, message) => {
    expect(() => checkInterruptionParams({ ...DEFAULT_INTERRUPTION_PARAMS, ...patch })).toThrow(message);
  });
});

describe('recommendationLost', () => {
  const ids = Array.from({ length: 400 }, (_, i) => `i-${i}`);

  it('loses about the share, the same ones for every caller, none at 0 and all at 1', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.double({ min: 0.1, max: 0.9, noNaN: true }), (seed, share) => {
        const lost = ids.filter((id) => recommendationLost({ seed }, id, { lostRecommendationShare: share }));
        expect(Math.abs(lost.length / ids.length - share)).toBeLessThan(0.12);
        // A function of the burst's seed and the instance only: asked again, or in another order, the same answer.
        expect([...ids].reverse().filter((id) => recommendationLost({ seed }, id, { lostRecommendationShare: share }))).toEqual([...lost].reverse());
        expect(ids.some((id) => recommendationLost({ seed }, id, { lostRecommendationShare: 0 }))).toBe(false);
        expect(ids.every((id) => recommendationLost({ seed }, id, { lostRecommendationShare: 1 }))).toBe(true);
      }),
      { numRuns: 25 },
    );
  });
});

describe('selectVictims', () => {
  const burst: PoolBurst = { id: 'm5.large@a#0', instanceType: 'm5.large', availabilityZone: 'a', at: 10_000_000, reclaimShare: 0.6, seed: 99 };
  const ids = Array.from({ length: 200 }, (_, i) => `i-${i}`);

  it('hits about the reclaim share, independent of list order', () => {
    const v = selectVictims(burst, ids, DEFAULT_INTERRUPTION_PARAMS);
    expect(v.length).toBeGreaterThan(100);
    expect(v.length).toBeLessThan(140);
    expect(selectVictims(burst, [...ids].reverse(), DEFAULT_INTERRUPTION_PARAMS)).toEqual(v);
  });

  it('puts most warnings within 3 minutes of the burst and none past the cap', () => {
    const v = selectVictims({ ...burst, reclaimShare: 1 }, ids, DEFAULT_INTERRUPTION_PARAMS);
    const delays = v.map((x) => (x.warningAt - burst.at) / 1000);
    expect(delays.every((d) => d >= 0 && d <= DEFAULT_INTERRUPTION_PARAMS.warningSpreadMaxSeconds)).toBe(true);
    expect(delays.filter((d) => d <= 180).length / delays.length).toBeGreaterThan(0.85);
  });

  it('chooses nobody from an empty pool', () => {
    expect(selectVictims(burst, [], DEFAULT_INTERRUPTION_PARAMS)).toEqual([]);
  });
});

describe('replayed interruptions (pinned bursts)', () => {
  const POOLS = [
    { instanceType: 'm5.large', availabilityZone: 'us-east-1a' },
    { instanceType: 'm5.large', availabilityZone: 'us-east-1b' },
    { instanceType: 'c5.xlarge', availabilityZone: 'us-east-1a' },
  ];
  const row = (line: number, timeSeconds: number, pool: string, fraction: number) => ({ line, timeSeconds, pool, fraction });

  it("maps distinct labels onto the fleet's Spot pools in order of first appearance, cycling", () => {
    const map = mapPoolLabels([row(2, 0, 'x', 1), row(3, 5, 'y', 1), row(4, 9, 'x', 1), row(5, 9, 'z', 1), row(6, 9, 'w', 1)], POOLS);
    expect([...map].map(([label, p]) => `${label}→${p.instanceType}@${p.availabilityZone}`)).toEqual([
      'x→m5.large@us-east-1a',
      'y→m5.large@us-east-1b',
      'z→c5.xlarge@us-east-1a',
      'w→m5.large@us-east-1a',
    ]);
  });

  it('refuses a fleet without Spot pools', () => {
    expect(() => mapPoolLabels([row(2, 0, 'x', 1)], [])).toThrow('at least one Spot pool');
  });

  it('turns each row into a pinned burst at start + time, sorted by time', () => {
    const bursts = replayedBursts([row(2, 600, 'x', 0.5), row(3, 60, 'y', 1)], POOLS, 1_000_000, createRandom(1));
    expect(bursts.map((b) => [b.id, b.at, b.reclaimShare, b.pinned, b.rebalanceAt])).toEqual([
      ['m5.large@us-east-1b#line3', 1_060_000, 1, true, undefined],
      ['m5.large@us-east-1a#line2', 1_600_000, 0.5, true, undefined],
    ]);
  });

  it.each([
    [0.5, 10, 5],
    [0.01, 10, 1],
    [1, 7, 7],
    [0.25, 6, 2],
    [0.3, 1, 1],
    [0.7, 0, 0],
  ])('a fraction %s of %i instances takes %i (rounded, at least one)', (fraction, size, expected) => {
    expect(pinnedVictimCount(fraction, size)).toBe(expected);
  });

  it('warns every victim at the burst time itself, exactly the pinned count, whatever the list order', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.double({ min: 0.01, max: 1, noNaN: true }), fc.nat(), (n, fraction, seed) => {
        const ids = Array.from({ length: n }, (_, k) => `i-${k}`);
        const burst: PoolBurst = { id: 'p#line2', instanceType: 'm5.large', availabilityZone: 'a', at: 5000, reclaimShare: fraction, seed, pinned: true };
        const victims = selectVictims(burst, ids, DEFAULT_INTERRUPTION_PARAMS);
        expect(victims).toHaveLength(pinnedVictimCount(fraction, n));
        expect(victims.every((v) => v.warningAt === 5000)).toBe(true);
        expect(selectVictims(burst, [...ids].reverse(), DEFAULT_INTERRUPTION_PARAMS)).toEqual(victims);
      }),
    );
  });
});
