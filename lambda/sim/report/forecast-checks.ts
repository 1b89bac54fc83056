import { weightedSlack, type ScoredCase } from '../../core/predict/score-forecasts';
import type { RestartPeak } from '../engine/sim-types';

/** What spotwise forecast for an instance's workload at the moment of its interruption. */
export interface ForecastAtInterruption {
  readonly workloadId: string;
  readonly at: number;
  readonly p90Vcpu: number;
  readonly p90MemoryGiB: number;
  readonly p50Vcpu: number;
  readonly p50MemoryGiB: number;
}

type Dims<T> = { readonly vcpu: T; readonly memoryGiB: T };

export interface ForecastCheck {
  readonly cases: number;
  /** Share of cases whose simulated post-restart peak exceeded the p90 on CPU or memory (0 with no cases). */
  readonly underProvisionRate: number;
  /** The same per dimension: a reservation is short when either is, so the rate above is their union. */
  readonly byDimension: Dims<number>;
  /** Share of cases whose peak exceeded the p50, per dimension: a median is exceeded in about half. */
  readonly p50ExceededRate: Dims<number>;
  /**
   * What the p90 held beyond the peaks it covered, per dimension: Σ(p90 − peak) ÷ Σ peak over the cases not short on
   * that dimension (`npm run evaluate`'s weightedSlack); absent when no case with a peak above 0 was covered.
   */
  readonly weightedSlack: Partial<Dims<number>>;
}

export interface ForecastChecks {
  readonly firstHalf: ForecastCheck;
  readonly secondHalf: ForecastCheck;
}

/** A peak within this of the forecast is not short of it (float noise of the simulated curves). */
const SHORT_TOLERANCE = 1e-9;
const isShort = (peak: number, forecast: number): boolean => peak > forecast + SHORT_TOLERANCE;

/** A restart belongs to an interruption when it starts within this long after it (warning to cut-over). */
export const RESTART_MATCH_WINDOW_MS = 30 * 60_000;

/**
 * Compares spotwise's p90 forecasts, as they stood at each interruption, with the simulated post-restart
 * peak of the restart that interruption caused (the workload's first start within RESTART_MATCH_WINDOW_MS
 * after it). Split by the interruption's time into the first and second half of the run, so learning shows
 * as a falling rate. Interruptions with no matching restart (the run ended first) are left out.
 */
export const checkForecasts = (forecasts: readonly ForecastAtInterruption[], peaks: readonly RestartPeak[], startAt: number, endAt: number): ForecastChecks => {
  const mid = startAt + (endAt - startAt) / 2;
  const empty = () => ({ cases: 0, under: 0, scored: { vcpu: [] as ScoredCase[], memoryGiB: [] as ScoredCase[] } });
  const halves = { firstHalf: empty(), secondHalf: empty() };
  for (const f of forecasts) {
    const restart = peaks
      .filter((p) => p.workloadId === f.workloadId && p.startedAt >= f.at && p.startedAt <= f.at + RESTART_MATCH_WINDOW_MS)
      .sort((a, b) => a.startedAt - b.startedAt)[0];
    if (restart === undefined) continue;
    const half = f.at < mid ? halves.firstHalf : halves.secondHalf;
    half.cases += 1;
    half.scored.vcpu.push({ p50: f.p50Vcpu, p90: f.p90Vcpu, actual: restart.peakVcpu });
    half.scored.memoryGiB.push({ p50: f.p50MemoryGiB, p90: f.p90MemoryGiB, actual: restart.peakMemoryGiB });
    if (isShort(restart.peakVcpu, f.p90Vcpu) || isShort(restart.peakMemoryGiB, f.p90MemoryGiB)) half.under += 1;
  }
  const rate = (n: number, cases: number): number => (cases === 0 ? 0 : Math.round((n / cases) * 1e4) / 1e4);
  const out = (h: ReturnType<typeof empty>): ForecastCheck => {
    const count = (d: keyof Dims<number>, quantile: 'p50' | 'p90'): number => rate(h.scored[d].filter((c) => isShort(c.actual, c[quantile])).length, h.cases);
    const slack = (d: keyof Dims<number>): Partial<Dims<number>> => {
      // A peak within the tolerance of its p90 is covered here as in the rates (weightedSlack itself compares exactly).
      const s = weightedSlack(h.scored[d].map((c) => (isShort(c.actual, c.p90) ? c : { ...c, p90: Math.max(c.p90, c.actual) })));
      return s === null ? {} : { [d]: Math.round(s * 1e4) / 1e4 };
    };
    return {
      cases: h.cases,
      underProvisionRate: rate(h.under, h.cases),
      byDimension: { vcpu: count('vcpu', 'p90'), memoryGiB: count('memoryGiB', 'p90') },
      p50ExceededRate: { vcpu: count('vcpu', 'p50'), memoryGiB: count('memoryGiB', 'p50') },
      weightedSlack: { ...slack('vcpu'), ...slack('memoryGiB') },
    };
  };
  return { firstHalf: out(halves.firstHalf), secondHalf: out(halves.secondHalf) };
};
