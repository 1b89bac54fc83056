import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  catchUpVcpu,
  DEFAULT_POST_RESTART_MODEL,
  learnPostRestartModel,
  MAX_MULTIPLIER,
  MIN_LEARNING_SERIES,
  warmUpMultiplier,
} from '../../lambda/sim/post-restart-demand';
import type { TraceSeries } from '../../lambda/data/traces/load-traces';

const M = DEFAULT_POST_RESTART_MODEL;

/** A late-start series: `first` ×level for the first points, then steady `level` for 5 hours. */
const lateStart = (id: string, cpuLevel: number, firstFactor: number, memFactor = 1): TraceSeries => ({
  id,
  dataset: 'bitbrains-test',
  file: `${id}.csv`,
  stepSeconds: 300,
  lateStart: true,
  points: Array.from({ length: 60 }, (_, k) => ({
    at: 1_000_000_000 + k * 300_000,
    cpuPercent: k < 2 ? cpuLevel * firstFactor : cpuLevel,
    memoryGiB: k < 2 ? 2 * memFactor : 2,
  })),
});

describe('post-restart model', () => {
  it.each([
    [0, 1.8],
    [8, 1 + 0.8 * Math.exp(-1)],
    [29.5, 1 + 0.8 * Math.exp(-29 / 8)],
    [30, 1],
    [-1, 1],
  ])('CPU warm-up at minute %s is %s', (minute, expected) => {
    expect(warmUpMultiplier(M, 'cpu', minute)).toBeCloseTo(expected, 10);
  });

  it('decays monotonically to 1 and never below', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 100, noNaN: true }), fc.double({ min: 0, max: 100, noNaN: true }), (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        for (const dim of ['cpu', 'memory'] as const) {
          expect(warmUpMultiplier(M, dim, lo)).toBeGreaterThanOrEqual(warmUpMultiplier(M, dim, hi));
          expect(warmUpMultiplier(M, dim, hi)).toBeGreaterThanOrEqual(1);
        }
      }),
    );
  });

  it('catches up half the missed work over 10 minutes, nothing without downtime', () => {
    // 2 vCPU steady, 4 minutes down: 2 × 4 × 0.5 = 4 vCPU·min extra over 10 min = 0.4 vCPU per minute.
    expect(catchUpVcpu(M, 2, 4, 0)).toBeCloseTo(0.4, 12);
    expect(catchUpVcpu(M, 2, 4, 9.99)).toBeCloseTo(0.4, 12);
    expect(catchUpVcpu(M, 2, 4, 10)).toBe(0);
    expect(catchUpVcpu(M, 2, 0, 1)).toBe(0);
    const total = Array.from({ length: 10 }, (_, m) => catchUpVcpu(M, 2, 4, m)).reduce((a, b) => a + b, 0);
    expect(total).toBeCloseTo(2 * 4 * M.catchUpShare, 10);
  });
});

describe('learnPostRestartModel', () => {
  it('keeps the defaults with fewer than the minimum late-start series', () => {
    const few = Array.from({ length: MIN_LEARNING_SERIES - 1 }, (_, i) => lateStart(`vm${i}`, 20, 3));
    expect(learnPostRestartModel(few)).toBe(DEFAULT_POST_RESTART_MODEL);
  });

  it('learns the median start-up ratio, clamped to [1, MAX_MULTIPLIER]', () => {
    const series = [
      lateStart('a', 20, 2, 1.5),
      lateStart('b', 10, 3, 1.5),
      lateStart('c', 30, 2.5, 1.5),
      lateStart('d', 40, 10, 1.5),
      lateStart('e', 10, 0.5, 1.5),
      { ...lateStart('full', 20, 9), lateStart: false },
    ];
    const m = learnPostRestartModel(series);
    // The first two 5-minute points (minutes 0–9) carry the factor; medians of 2, 3, 2.5, 10, 0.5 = 2.5.
    expect(m.cpuCurve[0]).toBeCloseTo(2.5, 10);
    expect(m.cpuCurve[9]).toBeCloseTo(2.5, 10);
    expect(m.cpuCurve[10]).toBe(1);
    expect(m.memoryCurve[0]).toBeCloseTo(1.5, 10);
    expect(Math.max(...m.cpuCurve)).toBeLessThanOrEqual(MAX_MULTIPLIER);
    expect(m.source).toMatch(/learned from 5 late-start series \(bitbrains-test\)/);
    expect(m.catchUpShare).toBe(DEFAULT_POST_RESTART_MODEL.catchUpShare);
  });
});

describe("the simulated truth is not spotwise's prior", () => {
  it("withPeaks sets the first minute to the peak and keeps the decay's shape; bad peaks name the field", async () => {
    const { DEFAULT_POST_RESTART_MODEL, withPeaks } = await import('../../lambda/sim/post-restart-demand');
    const m = withPeaks(DEFAULT_POST_RESTART_MODEL, { cpu: 3, memory: 2 });
    expect(m.cpuCurve[0]).toBeCloseTo(3, 12);
    expect(m.memoryCurve[0]).toBeCloseTo(2, 12);
    const k = (3 - 1) / ((DEFAULT_POST_RESTART_MODEL.cpuCurve[0] ?? 1) - 1);
    for (const [i, x] of m.cpuCurve.entries()) expect(x - 1).toBeCloseTo(((DEFAULT_POST_RESTART_MODEL.cpuCurve[i] ?? 1) - 1) * k, 12);
    expect(withPeaks(DEFAULT_POST_RESTART_MODEL, {})).toBe(DEFAULT_POST_RESTART_MODEL);
    expect(() => withPeaks(DEFAULT_POST_RESTART_MODEL, { cpu: 0.5 })).toThrow('post-restart CPU peak must be a finite number ≥ 1 (got 0.5)');
    expect(() => withPeaks(DEFAULT_POST_RESTART_MODEL, { memory: Number.NaN })).toThrow('post-restart memory peak must be a finite number ≥ 1 (got NaN)');
  });

  it('draws a per-workload variation in [0.5, 1.5) from the seed, the same for the same seed', async () => {
    const { drawRestartVariation } = await import('../../lambda/sim/post-restart-demand');
    const { randomStream } = await import('../../lambda/data/random');
    const a = drawRestartVariation(['w1', 'w2', 'w3'], randomStream(1, 'post-restart-variation'));
    const b = drawRestartVariation(['w1', 'w2', 'w3'], randomStream(1, 'post-restart-variation'));
    expect([...a]).toEqual([...b]);
    for (const v of a.values()) expect(v >= 0.5 && v < 1.5).toBe(true);
    expect(new Set(a.values()).size).toBe(3);
  });
});
