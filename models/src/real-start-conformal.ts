import { PREDICTOR_NAMES, REPORT_DIMENSION_ORDER, type ReportDimension, type ScoredLists } from './evaluate-cases';
import type { ScoredCase } from '../../lambda/core/predict/score-forecasts';

/** A multiplicative split-conformal factor for p90, with the number of calibration cases behind it. */
export interface ConformalFactor {
  /** null when there are too few calibration cases for the coverage asked (the factor would be +∞). */
  readonly factor: number | null;
  readonly calibrationCases: number;
}

/**
 * Split-conformal calibration of p90 on the score s = actual / p90 (a multiplicative error, so one
 * factor serves a 0.2-vCPU VM and a 16-vCPU host alike): with the n calibration scores sorted, the
 * factor is the ⌈(n + 1)·coverage⌉-th smallest. For a new case exchangeable with the calibration cases,
 * P(actual ≤ factor · p90) ≥ coverage (Vovk et al.; Angelopoulos & Bates, "A Gentle Introduction to
 * Conformal Prediction", §1). A case with p90 = 0 and a peak > 0 scores +∞, a zero peak scores 0.
 * When ⌈(n + 1)·coverage⌉ > n no finite factor carries the guarantee: factor null.
 */
export const conformalFactor = (calibration: readonly ScoredCase[], coverage: number): ConformalFactor => {
  if (!(coverage > 0 && coverage < 1)) throw new RangeError(`coverage must be within (0, 1), got ${coverage}`);
  const n = calibration.length;
  const scores = calibration.map((c) => (c.actual <= 0 ? 0 : c.p90 > 0 ? c.actual / c.p90 : Number.POSITIVE_INFINITY)).sort((a, b) => a - b);
  // The small epsilon keeps e.g. (9 + 1) × 0.9 from rounding up to 10.000000000000002 → 11.
  const rank = Math.ceil((n + 1) * coverage - 1e-9);
  if (n === 0 || rank > n) return { factor: null, calibrationCases: n };
  const factor = scores[rank - 1]!;
  return { factor: Number.isFinite(factor) ? factor : null, calibrationCases: n };
};

/**
 * The same scored lists with the model's p90 multiplied by its dimension's factor (p50 lowered to the
 * new p90 if it would cross it, so the quantiles stay ordered); other predictors unchanged. A dimension
 * without a factor keeps the model as it was.
 */
export const withModelP90Scaled = (lists: ScoredLists, factors: Partial<Record<ReportDimension, number | null>>): ScoredLists =>
  Object.fromEntries(
    REPORT_DIMENSION_ORDER.map((rd) => {
      const k = factors[rd];
      const table = Object.fromEntries(PREDICTOR_NAMES.map((p) => [p, lists[rd][p]]));
      if (k !== undefined && k !== null) table.model = lists[rd].model.map((c) => ({ p50: Math.min(c.p50, c.p90 * k), p90: c.p90 * k, actual: c.actual }));
      return [rd, table];
    }),
  ) as ScoredLists;
