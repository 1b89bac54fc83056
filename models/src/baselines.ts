import type { DecayingHistogram } from '../../lambda/core/domain';
import { histogramQuantile } from '../../lambda/core/profile/decaying-histogram';

/** A baseline's answer for one dimension of one case. */
export interface QuantilePair {
  readonly p50: number;
  readonly p90: number;
}

export const BASELINE_NAMES = ['last-value', 'vpa', 'autopilot'] as const;
export type BaselineName = (typeof BASELINE_NAMES)[number];

/**
 * VPA's safety margin (`--recommendation-margin-fraction`, default 0.15) applied to the recommender's
 * target (p90 of the decaying histogram) and, as VPA does for its lower bound, to p50.
 */
export const VPA_MARGIN = 0.15;
/** Moving window of the Autopilot-style baseline: the max over the last 24 h of observed demand. */
export const AUTOPILOT_WINDOW_MS = 24 * 3_600_000;

/** VPA-style: p50 / p90 of a decaying histogram (half-life 24 h) × (1 + 15 %); undefined when empty. */
export const vpaForecast = (histogram: DecayingHistogram): QuantilePair | undefined => {
  const p50 = histogramQuantile(histogram, 0.5);
  const p90 = histogramQuantile(histogram, 0.9);
  if (p50 === undefined || p90 === undefined) return undefined;
  return { p50: p50 * (1 + VPA_MARGIN), p90: p90 * (1 + VPA_MARGIN) };
};

/**
 * Autopilot-style moving-window max (Rzadca et al., EuroSys 2020, "max" recommender): both quantiles
 * are the peak of the window — it has no notion of a median. Undefined when the window is empty.
 */
export const autopilotForecast = (windowValues: readonly number[]): QuantilePair | undefined => {
  if (windowValues.length === 0) return undefined;
  let max = 0;
  for (const v of windowValues) if (v > max) max = v;
  return { p50: max, p90: max };
};

/** Last value: the newest observation stands for both quantiles. */
export const lastValueForecast = (last: number | undefined): QuantilePair | undefined => (last === undefined ? undefined : { p50: last, p90: last });
