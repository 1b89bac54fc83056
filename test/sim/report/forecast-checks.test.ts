import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkForecasts, RESTART_MATCH_WINDOW_MS, type ForecastAtInterruption } from '../../../lambda/sim/report/forecast-checks';
import type { RestartPeak } from '../../../lambda/sim/engine/sim-types';

const f = (workloadId: string, at: number, p90Vcpu: number, p90MemoryGiB = 10): ForecastAtInterruption => ({ workloadId, at, p90Vcpu, p90MemoryGiB });
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
    expect(checkForecasts(forecasts, peaks, 0, 1_000_000_000)).toEqual({ firstHalf, secondHalf: NONE });
  });

  it('the union counts a case short on either dimension once; the per-dimension rates need not add up to it', () => {
    const out = checkForecasts(
      [f('a', 10, 2, 1), f('b', 10, 2, 1), f('c', 10, 2, 1), f('d', 10, 2, 1)],
      [peak('a', 10, 3, 2), peak('b', 10, 3, 0.5), peak('c', 10, 1, 2), peak('d', 10, 1, 0.5)],
      0,
      1000,
    );
    expect(out.firstHalf).toEqual(check(4, 0.75, 0.5, 0.5));
  });

  it("splits by the interruption's time at the run's midpoint", () => {
    const out = checkForecasts([f('w', 100, 1), f('w', 900, 5)], [peak('w', 100, 2), peak('w', 900, 2)], 0, 1000);
    expect(out).toEqual({ firstHalf: check(1, 1, 1, 0), secondHalf: check(1, 0, 0, 0) });
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
          }
        },
      ),
    );
  });
});
