import { DIMENSIONS, type Dimension } from '../../lambda/core/domain';
import { extractModelFeatures, MODEL_FEATURE_NAMES, toLogRatio } from '../../lambda/core/predict/model-features';
import type { CaseKind, PredictionCase } from './build-cases';

/** One (case, dimension) example: the production feature row and the log-ratio target. */
export interface TrainingRow {
  readonly caseIndex: number;
  readonly kind: CaseKind;
  readonly dimension: Dimension;
  readonly features: readonly number[];
  readonly scale: number;
  /** toLogRatio(actual peak, steady p90). */
  readonly target: number;
  readonly actual: number;
  readonly weight: number;
}

/**
 * Loss weight of a real-start row. Real starts are ~4 % of the training cases. An earlier version
 * weighted them ×3 and also had profile-age and restart-count features, which in these traces only
 * identify "a real start with borrowed history": it over-predicted real starts ~30× (median slack
 * ~2,900 %). Both were dropped together; real starts now count like any case.
 */
export const REAL_START_WEIGHT = 1;

/** Rows of every case-dimension with an observed peak and extractable features. */
export const toTrainingRows = (cases: readonly PredictionCase[]): TrainingRow[] => {
  const rows: TrainingRow[] = [];
  cases.forEach((c, caseIndex) => {
    for (const d of DIMENSIONS) {
      const actual = c.actual[d];
      if (actual === undefined) continue;
      const f = extractModelFeatures(c.input, d);
      if (f.kind !== 'features') continue;
      rows.push({
        caseIndex,
        kind: c.kind,
        dimension: d,
        features: f.values,
        scale: f.scale,
        target: toLogRatio(actual, f.scale, d),
        actual,
        weight: c.kind === 'real-start' ? REAL_START_WEIGHT : 1,
      });
    }
  });
  return rows;
};

/**
 * Re-weights rows so every dimension carries the same total weight: CPU has ~3× the rows of the other
 * dimensions (every source has CPU, only Bitbrains and Alibaba have memory), and an unbalanced loss
 * would fit CPU at the others' expense although the shared network serves all four.
 */
export const balanceDimensions = (rows: readonly TrainingRow[]): TrainingRow[] => {
  const total = new Map<Dimension, number>();
  for (const r of rows) total.set(r.dimension, (total.get(r.dimension) ?? 0) + r.weight);
  const present = [...total.values()].filter((w) => w > 0).length;
  const grand = [...total.values()].reduce((a, b) => a + b, 0);
  return rows.map((r) => ({ ...r, weight: (r.weight * grand) / (present * total.get(r.dimension)!) }));
};

export interface Normalisation {
  readonly mean: number[];
  readonly std: number[];
  readonly min: number[];
  readonly max: number[];
}

/**
 * Per-feature mean and standard deviation (a constant feature gets std 1, so it normalises to 0
 * instead of dividing by zero) and the observed range, over the training rows.
 */
export const fitNormalisation = (rows: readonly TrainingRow[]): Normalisation => {
  const n = MODEL_FEATURE_NAMES.length;
  const mean = new Array<number>(n).fill(0);
  const sq = new Array<number>(n).fill(0);
  const min = new Array<number>(n).fill(Number.POSITIVE_INFINITY);
  const max = new Array<number>(n).fill(Number.NEGATIVE_INFINITY);
  for (const r of rows) {
    r.features.forEach((v, k) => {
      mean[k]! += v;
      min[k] = Math.min(min[k]!, v);
      max[k] = Math.max(max[k]!, v);
    });
  }
  for (let k = 0; k < n; k++) mean[k] = rows.length > 0 ? mean[k]! / rows.length : 0;
  for (const r of rows) r.features.forEach((v, k) => (sq[k]! += (v - mean[k]!) ** 2));
  const std = sq.map((s) => {
    const sd = rows.length > 1 ? Math.sqrt(s / (rows.length - 1)) : 0;
    return sd > 1e-9 ? sd : 1;
  });
  return { mean, std, min: min.map((v) => (Number.isFinite(v) ? v : 0)), max: max.map((v) => (Number.isFinite(v) ? v : 0)) };
};
