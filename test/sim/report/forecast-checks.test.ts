import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkForecasts, RESTART_MATCH_WINDOW_MS, type ForecastAtInterruption } from '../../../lambda/sim/report/forecast-checks';
import type { RestartPeak } from '../../../lambda/sim/engine/sim-types';

const f = (
  workloadId: string,
  at: number,
  p90Vcpu: number,
  p90MemoryGiB = 10,
  p50Vcpu = p90Vcpu / 2,
  p50MemoryGiB = p90MemoryGiB / 2,
): ForecastAtInterruption => ({
  workloadId,
  at,
  p90Vcpu,
  p90MemoryGiB,
  p50Vcpu,
  p50MemoryGiB,
});
const peak = (workloadId: string, startedAt: number, peakVcpu: number, peakMemoryGiB = 1): RestartPeak => ({ workloadId, startedAt, peakVcpu, peakMemoryGiB });

const check = (cases: number, underProvisionRate: number, vcpu: number, memoryGiB: number) => ({ cases, underProvisionRate, byDimension: { vcpu, memoryGiB } });
const NONE = check(0, 0, 0, 0);

describe('checkForecasts', () => {
  it.each([
    ['covered', [f('w', 10, 2)], [peak('w', 10, 1.5)], check(1, 0, 0, 0)],
    ['CPU peak above p90', [f('w', 10, 2)], [peak('w', 10, 2.5)], check(1, 1, 1, 0)],
    ['memory peak above p90', [f('w', 10, 2, 1)], [peak('w', 10, 1, 1.2)], check(1, 1, 0, 1)],
    ['both above: one short case', [f('w', 10, 2, 1)], [peak('w', 10, 3, 1.2)], check(1, 1, 1, 1)],
    ["restart too late to be this interruption's", [f('w', 10, 2)], [peak('w', 10 + RESTART_MATCH_WINDOW_MS + 1, 9)], NONE],
    ["another workload's restart", [f('w', 10, 2)], [peak('x', 10, 9)], NONE],
    ['the first restart after it counts', [f('w', 10, 2)], [peak('w', 500, 9), peak('w', 20, 1)], check(1, 0, 0, 0)],
  ])('%s', (_name, forecasts, peaks, firstHalf) => {
    expect(checkForecasts(forecasts, peaks, 0, 1_000_000_000)).toMatchObject({ firstHalf, secondHalf: NONE });
  });

  it('the union counts a case short on either dimension once; the per-dimension rates need not add up to it', () => {
    const out = checkForecasts(
      [f('a', 10, 2, 1), f('b', 10, 2, 1), f('c', 10, 2, 1), f('d', 10, 2, 1)],
      [peak('a', 10, 3, 2), peak('b', 10, 3, 0.5), peak('c', 10, 1, 2), peak('d', 10, 1, 0.5)],
      0,
      1000,
    );
    expect(out.firstHalf).toMatchObject(check(4, 0.75, 0.5, 0.5));
  });

  it("splits by the interruption's time at the run's midpoint", () => {
    const out = checkForecasts([f('w', 100, 1), f('w', 900, 5)], [peak('w', 100, 2), peak('w', 900, 2)], 0, 1000);
    expect(out).toMatchObject({ firstHalf: check(1, 1, 1, 0), secondHalf: check(1, 0, 0, 0) });
  });

  it("says how often the p50 was exceeded, and what the p90 held beyond the peaks it covered (evaluate's weightedSlack)", () => {
    const out = checkForecasts(
      // CPU p50 1, p90 2; memory p50 4, p90 8.
      [f('a', 10, 2, 8, 1, 4), f('b', 10, 2, 8, 1, 4), f('c', 10, 2, 8, 1, 4), f('d', 10, 2, 8, 1, 4)],
      // CPU peaks: 0.5 (p50 held), 1.5 and 2 (p50 exceeded, p90 held), 3 (short). Memory: 2, 2, 6, 6.
      [peak('a', 10, 0.5, 2), peak('b', 10, 1.5, 2), peak('c', 10, 2, 6), peak('d', 10, 3, 6)],
      0,
      1000,
    );
    expect(out.firstHalf.p50ExceededRate).toEqual({ vcpu: 0.75, memoryGiB: 0.5 });
    // CPU: (1.5 + 0.5 + 0) ÷ (0.5 + 1.5 + 2) over the three covered; the short one is left out. Memory: (6+6+2+2) ÷ 16.
    expect(out.firstHalf.weightedSlack).toEqual({ vcpu: 0.5, memoryGiB: 1 });
    // No case: no slack to say; a half whose covered peaks are all 0: none either.
    expect(out.secondHalf.weightedSlack).toEqual({});
    expect(checkForecasts([f('a', 10, 2)], [peak('a', 10, 0, 0)], 0, 1000).firstHalf.weightedSlack).toEqual({});
  });

  it('property: cases never exceed the forecasts, rates stay in [0, 1]', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ w: fc.constantFrom('a', 'b'), at: fc.integer({ min: 0, max: 1000 }), p: fc.double({ min: 0, max: 4, noNaN: true }) })),
        fc.array(fc.record({ w: fc.constantFrom('a', 'b'), at: fc.integer({ min: 0, max: 1000 }), v: fc.double({ min: 0, max: 4, noNaN: true }) })),
        (fs, ps) => {
          const out = checkForecasts(
            fs.map((x) => f(x.w, x.at, x.p)),
            ps.map((x) => peak(x.w, x.at, x.v)),
            0,
            1000,
          );
          expect(out.firstHalf.cases + out.secondHalf.cases).toBeLessThanOrEqual(fs.length);
          for (const h of [out.firstHalf, out.secondHalf]) {
            expect(h.underProvisionRate).toBeGreaterThanOrEqual(0);
            expect(h.underProvisionRate).toBeLessThanOrEqual(1);
            expect(Math.max(h.byDimension.vcpu, h.byDimension.memoryGiB)).toBeLessThanOrEqual(h.underProvisionRate);
            // p50 ≤ p90 here (f's default p50 is half the p90): a peak above the p90 is above the p50 too.
            expect(h.p50ExceededRate.vcpu).toBeGreaterThanOrEqual(h.byDimension.vcpu);
            for (const s of Object.values(h.weightedSlack)) expect(s).toBeGreaterThanOrEqual(0);
          }
        },
      ),
    );
  });
});
