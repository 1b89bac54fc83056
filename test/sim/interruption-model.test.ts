import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  burstsPerHour, checkInterruptionParams, DEFAULT_INTERRUPTION_PARAMS, drawPoolBursts, selectVictims, type PoolBurst, type PoolRisk,
} from '../../lambda/sim/interruption-model';
import { createRandom } from '../../lambda/sim/random';

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
    fc.assert(fc.property(fc.integer({ min: 0, max: 10_000 }), (seed) => {
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
    }), { numRuns: 30 });
  });

  it('draws no bursts at scale 0 and respects the rebalance share', () => {
    expect(drawPoolBursts([pool('m5.large', 'a', 0.25)], { start: 0, end: 1000 * HOUR }, { ...DEFAULT_INTERRUPTION_PARAMS, rateScale: 0 }, createRandom(1))).toEqual([]);
    const none = drawPoolBursts([pool('m5.large', 'a', 0.25)], { start: 0, end: 2000 * HOUR }, { ...DEFAULT_INTERRUPTION_PARAMS, rebalanceShare: 0 }, createRandom(1));
    expect(none.length).toBeGreaterThan(0);
    expect(none.every((b) => b.rebalanceAt === undefined)).toBe(true);
    const all = drawPoolBursts([pool('m5.large', 'a', 0.25)], { start: 0, end: 2000 * HOUR }, { ...DEFAULT_INTERRUPTION_PARAMS, rebalanceShare: 1 }, createRandom(1));
    expect(all.every((b) => b.rebalanceAt !== undefined)).toBe(true);
  });

  it.each([
    ['rateScale', { rateScale: -1 }, /rateScale must be a finite number ≥ 0 \(got -1\)/],
    ['reclaimShare', { reclaimShare: { min: 0.8, max: 0.2 } }, /reclaimShare must be 0 < min ≤ max ≤ 1/],
    ['rebalanceShare', { rebalanceShare: 1.5 }, /rebalanceShare must be within \[0, 1\] \(got 1.5\)/],
  ])('rejects a bad %s naming it', (_name, patch, message) => {
    expect(() => checkInterruptionParams({ ...DEFAULT_INTERRUPTION_PARAMS, ...patch })).toThrow(message);
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
