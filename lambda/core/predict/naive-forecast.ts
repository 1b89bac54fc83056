import { DIMENSIONS, type Dimension, type DimensionForecast, type Forecast, type PredictionInput } from '../domain';
import { histogramQuantile } from '../profile/decaying-histogram';

/** The naive forecast's headroom over the steady state: the usual "p90 plus 15 %" of a right-sizing rule. */
export const NAIVE_HEADROOM = 1.15;

/** Confidence of a naive forecast: the fallback's confidence for a default factor (it learns nothing). */
const NAIVE_CONFIDENCE = 0.3;

/**
 * The ablation's forecast: steady p50 and p90 per dimension × NAIVE_HEADROOM — no restart factors, no
 * catch-up, no learning from restart cycles. It answers what spotwise would do without prediction. A
 * dimension with no steady data makes it 'unknown' (callers fail closed), as with the fallback.
 */
export const predictNaive = (input: PredictionInput): Forecast => {
  const { profile, now, downtimeSeconds, windowMinutes } = input;
  const dims: Partial<Record<Dimension, DimensionForecast>> = {};
  const missing: Dimension[] = [];
  for (const d of DIMENSIONS) {
    const s50 = histogramQuantile(profile.steady[d], 0.5);
    const s90 = histogramQuantile(profile.steady[d], 0.9);
    if (s50 === undefined || s90 === undefined || !Number.isFinite(s50) || !Number.isFinite(s90)) {
      missing.push(d);
      continue;
    }
    const p50 = s50 * NAIVE_HEADROOM;
    dims[d] = { p50, p90: Math.max(p50, s90 * NAIVE_HEADROOM), basis: 'default', confidence: NAIVE_CONFIDENCE };
  }
  if (missing.length > 0 || !Number.isFinite(now)) {
    return {
      kind: 'unknown',
      instanceId: profile.instanceId,
      madeAt: Number.isFinite(now) ? now : profile.updatedAt,
      reason: `no steady-state data for ${missing.join(', ')}`,
      missing,
    };
  }
  return { kind: 'known', instanceId: profile.instanceId, madeAt: now, downtimeSeconds, windowMinutes, dims: dims as Record<Dimension, DimensionForecast> };
};
