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
  /**
   * Capacity-weighted slack: Σ(p90 − actual) ÷ Σ actual over the cases NOT under-provisioned: the
   * share of the covered demand that was reserved on top of it, the way a bill weighs it (one idle
   * 96-vCPU reservation costs what 96 idle 1-vCPU ones do; meanSlack would count it once). Scale-free.
   * null when no case is covered or the covered actuals sum to 0.
   */
  readonly weightedSlack: number | null;
  /** Weighted quantile loss of p50 and p90 as GIFT-Eval defines it (see weightedQuantileLoss). null when Σ|actual| = 0. */
  readonly weightedQuantileLoss: number | null;
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

/**
 * Capacity-weighted slack Σ(p90 − actual)⁺ ÷ Σ actual over the cases not under-provisioned
 * (actual ≤ p90). null when there is no such case or their actuals sum to 0.
 */
export const weightedSlack = (cases: readonly ScoredCase[]): number | null => {
  let reservedOver = 0;
  let covered = 0;
  for (const c of cases) {
    if (c.actual > c.p90) continue;
    reservedOver += c.p90 - c.actual;
    covered += c.actual;
  }
  return covered > 0 ? reservedOver / covered : null;
};

/** The quantile levels spotwise forecasts, with the field that holds each. */
const FORECAST_QUANTILES = [
  { q: 0.5, field: 'p50' },
  { q: 0.9, field: 'p90' },
] as const;

/**
 * Weighted quantile loss as GIFT-Eval reports it (Aksu et al., "GIFT-Eval: A Benchmark for General
 * Time Series Forecasting Model Evaluation", arXiv:2410.10393; its CRPS column is GluonTS's
 * MeanWeightedSumQuantileLoss, see also github.com/awslabs/gluonts/discussions/3035): for each quantile
 * level q, wQL_q = 2 · Σ_i pinball_q(y_i, ŷ_q,i) ÷ Σ_i |y_i|, and the score is the mean of wQL_q over
 * the levels. GIFT-Eval averages q = 0.1 … 0.9; spotwise forecasts only p50 and p90, so the mean is over
 * those two. Scale-free (the sum of absolute actuals divides), 0 for perfect forecasts, ≥ 0 always;
 * null when Σ|y| = 0 (no scale to weigh by) or there are no cases.
 */
export const weightedQuantileLoss = (cases: readonly ScoredCase[]): number | null => {
  let scale = 0;
  for (const c of cases) scale += Math.abs(c.actual);
  if (!(scale > 0)) return null;
  let total = 0;
  for (const { q, field } of FORECAST_QUANTILES) {
    let loss = 0;
    for (const c of cases) loss += pinballLoss(q, c.actual, c[field]);
    total += (2 * loss) / scale;
  }
  return total / FORECAST_QUANTILES.length;
};

/** Scores a list of forecasts against actual peaks (see Scores for the definitions). */
export const scoreForecasts = (cases: readonly ScoredCase[]): Scores => {
  const n = cases.length;
  if (n === 0)
    return { underProvisionRate: null, meanSlack: null, pinball50: null, pinball90: null, weightedSlack: null, weightedQuantileLoss: null, cases: 0 };
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
    weightedSlack: weightedSlack(cases),
    weightedQuantileLoss: weightedQuantileLoss(cases),
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
  const ratios = cases
    .filter((c) => c.actual > 0)
    .map((c) => (c.p90 > 0 ? c.actual / c.p90 : Number.POSITIVE_INFINITY))
    .sort((a, b) => a - b);
  // Allowed under-provisioned cases; the small epsilon keeps e.g. 0.1 × 30 from flooring to 2.
  const allowed = Math.floor(target * cases.length + 1e-9);
  const mustCover = ratios.length - allowed;
  // Nothing needs covering: the infimum of the factors that reach the target is 0.
  // (1 + 1e-12): (actual / p90) × p90 can round a hair below actual, which would count as under.
  const factor = mustCover <= 0 ? 0 : ratios[mustCover - 1]! * (1 + 1e-12);
  if (!Number.isFinite(factor)) return { ...scoreForecasts([]), cases: cases.length, factor: null };
  return { ...scoreForecasts(cases.map((c) => ({ ...c, p90: c.p90 * factor }))), factor };
};

/** One predictor moved to a target under-provision rate (see operatingPointAt). */
export interface OperatingPoint {
  /** The rate asked for (a baseline's own under-provision rate on the same cases). */
  readonly targetRate: number;
  /** The common factor applied to every p90; null when no factor reaches the target. */
  readonly factor: number | null;
  /** The rate reached: ≤ targetRate, and within 1/cases of it unless ties or zero peaks prevent it. */
  readonly underProvisionRate: number | null;
  readonly weightedSlack: number | null;
  readonly meanSlack: number | null;
}

/**
 * The predictor at `targetRate` (scoreAtUnderProvision's smallest common p90 factor), reduced to what
 * the equal-rate comparison reads: at the same under-provision rate, the predictor with the lower
 * weightedSlack reserves less capacity for the same safety.
 */
export const operatingPointAt = (cases: readonly ScoredCase[], targetRate: number): OperatingPoint => {
  const s = scoreAtUnderProvision(cases, targetRate);
  return {
    targetRate,
    factor: s.factor,
    underProvisionRate: s.factor === null ? null : s.underProvisionRate,
    weightedSlack: s.weightedSlack,
    meanSlack: s.meanSlack,
  };
};
