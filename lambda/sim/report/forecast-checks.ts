import type { RestartPeak } from '../engine/sim-types';

/** What spotwise forecast for an instance's workload at the moment of its interruption. */
export interface ForecastAtInterruption {
  readonly workloadId: string;
  readonly at: number;
  readonly p90Vcpu: number;
  readonly p90MemoryGiB: number;
}

export interface ForecastCheck {
  readonly cases: number;
  /** Share of cases whose simulated post-restart peak exceeded the p90 on CPU or memory (0 with no cases). */
  readonly underProvisionRate: number;
  /** The same per dimension: a reservation is short when either is, so the rate above is their union. */
  readonly byDimension: { readonly vcpu: number; readonly memoryGiB: number };
}

export interface ForecastChecks {
  readonly firstHalf: ForecastCheck;
  readonly secondHalf: ForecastCheck;
}

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
  const halves = { firstHalf: { cases: 0, under: 0, vcpu: 0, memoryGiB: 0 }, secondHalf: { cases: 0, under: 0, vcpu: 0, memoryGiB: 0 } };
  for (const f of forecasts) {
    const restart = peaks
      .filter((p) => p.workloadId === f.workloadId && p.startedAt >= f.at && p.startedAt <= f.at + RESTART_MATCH_WINDOW_MS)
      .sort((a, b) => a.startedAt - b.startedAt)[0];
    if (restart === undefined) continue;
    const half = f.at < mid ? halves.firstHalf : halves.secondHalf;
    half.cases += 1;
    const shortVcpu = restart.peakVcpu > f.p90Vcpu + 1e-9;
    const shortMemory = restart.peakMemoryGiB > f.p90MemoryGiB + 1e-9;
    if (shortVcpu || shortMemory) half.under += 1;
    if (shortVcpu) half.vcpu += 1;
    if (shortMemory) half.memoryGiB += 1;
  }
  const rate = (n: number, cases: number): number => (cases === 0 ? 0 : Math.round((n / cases) * 1e4) / 1e4);
  const out = (h: { cases: number; under: number; vcpu: number; memoryGiB: number }): ForecastCheck => ({
    cases: h.cases,
    underProvisionRate: rate(h.under, h.cases),
    byDimension: { vcpu: rate(h.vcpu, h.cases), memoryGiB: rate(h.memoryGiB, h.cases) },
  });
  return { firstHalf: out(halves.firstHalf), secondHalf: out(halves.secondHalf) };
};
