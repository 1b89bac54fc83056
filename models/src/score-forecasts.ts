/**
 * The evaluation figures of one predictor on one dimension, over cases that have both a forecast and
 * an observed post-restart peak. Units are the dimension's own (vCPU, GiB, Mbps, IOPS).
 */
export interface Scores {
  /** Share of cases whose actual peak exceeds the predicted p90 (strictly). null when there are no cases. */
  readonly underProvisionRate: number | null;
  /**
   * Mean of (p90 − actual) / actual over the cases NOT under-provisioned whose actual peak is > 0
   * (a zero peak has no relative slack; those cases still count everywhere else). null when none.
   */
  readonly meanSlack: number | null;
  /** Mean pinball (quantile) loss of p50 at q = 0.5 and of p90 at q = 0.9, in the dimension's units. */
  readonly pinball50: number | null;
  readonly pinball90: number | null;
  readonly cases: number;
}

export interface ScoredCase {
  readonly p50: number;
  readonly p90: number;
  readonly actual: number;
}

/** Pinball loss of a q-quantile prediction: q·(y − ŷ) when under, (1 − q)·(ŷ − y) when over. */
export const pinballLoss = (q: number, actual: number, predicted: number): number => {
  const diff = actual - predicted;
  return diff >= 0 ? q * diff : (q - 1) * diff;
};

/** Scores a list of forecasts against actual peaks (see Scores for the definitions). */
export const scoreForecasts = (cases: readonly ScoredCase[]): Scores => {
  const n = cases.length;
  if (n === 0) return { underProvisionRate: null, meanSlack: null, pinball50: null, pinball90: null, cases: 0 };
  let under = 0;
  let slackSum = 0;
  let slackCount = 0;
  let pin50 = 0;
  let pin90 = 0;
  for (const c of cases) {
    if (c.actual > c.p90) under++;
    else if (c.actual > 0) {
      slackSum += (c.p90 - c.actual) / c.actual;
      slackCount++;
    }
    pin50 += pinballLoss(0.5, c.actual, c.p50);
    pin90 += pinballLoss(0.9, c.actual, c.p90);
  }
  return {
    underProvisionRate: under / n,
    meanSlack: slackCount > 0 ? slackSum / slackCount : null,
    pinball50: pin50 / n,
    pinball90: pin90 / n,
    cases: n,
  };
};

/** Scores plus the factor applied to every p90 to reach an operating point. */
export interface ScoresAtOperatingPoint extends Scores {
  readonly factor: number | null;
}

/**
 * Moves a predictor to another operating point: every p90 is multiplied by the smallest common factor
 * k for which the under-provision rate is ≤ `target`, then the cases are scored. This compares
 * trade-off curves rather than single points ("how much slack would the model need to be as safe as
 * Autopilot?"), the way detectors are compared at a fixed false-positive rate. The factor is fitted on
 * the scored cases themselves, so it is a comparison, not a deployable setting. A case with p90 = 0
 * and a peak > 0 cannot be covered by any factor; factor is null when the target cannot be reached.
 */
export const scoreAtUnderProvision = (cases: readonly ScoredCase[], target: number): ScoresAtOperatingPoint => {
  const ratios = cases.filter((c) => c.actual > 0).map((c) => (c.p90 > 0 ? c.actual / c.p90 : Number.POSITIVE_INFINITY)).sort((a, b) => a - b);
  // Allowed under-provisioned cases; the small epsilon keeps e.g. 0.1 × 30 from flooring to 2.
  const allowed = Math.floor(target * cases.length + 1e-9);
  const mustCover = ratios.length - allowed;
  // Nothing needs covering: the infimum of the factors that reach the target is 0.
  // (1 + 1e-12): (actual / p90) × p90 can round a hair below actual, which would count as under.
  const factor = mustCover <= 0 ? 0 : ratios[mustCover - 1]! * (1 + 1e-12);
  if (!Number.isFinite(factor)) return { ...scoreForecasts([]), cases: cases.length, factor: null };
  return { ...scoreForecasts(cases.map((c) => ({ ...c, p90: c.p90 * factor }))), factor };
};
