import * as tf from '@tensorflow/tfjs';
import { DIMENSIONS, type Dimension } from '../core/domain';
import { fromLogRatio } from '../core/predict/model-features';

/**
 * The network: a small MLP from the normalised feature row to two raw outputs (y0, y1), read as
 * q50 = y0 and q90 = y0 + softplus(y1) in log-ratio units, so the quantiles can never cross. The
 * transform lives outside the tfjs graph (in the loss here and in the TfjsPredictor), which keeps the
 * saved topology to stock layers that tf.loadLayersModel rebuilds without custom-layer registration.
 */
export interface NetworkShape {
  readonly inputs: number;
  readonly hidden: readonly number[];
  readonly seed: number;
}

export const buildQuantileNetwork = (shape: NetworkShape): tf.LayersModel => {
  const model = tf.sequential({ name: 'post_restart_demand' });
  shape.hidden.forEach((units, i) => {
    model.add(
      tf.layers.dense({
        units,
        activation: 'relu',
        kernelInitializer: tf.initializers.heNormal({ seed: shape.seed + i }),
        biasInitializer: 'zeros',
        ...(i === 0 ? { inputShape: [shape.inputs] } : {}),
        name: `hidden_${i}`,
      }),
    );
  });
  model.add(
    tf.layers.dense({
      units: 2,
      kernelInitializer: tf.initializers.glorotUniform({ seed: shape.seed + 100 }),
      biasInitializer: 'zeros',
      name: 'quantiles_raw',
    }),
  );
  return model;
};

/** softplus as used between y1 and the q90 − q50 gap. */
export const softplusTensor = (x: tf.Tensor): tf.Tensor => tf.softplus(x);

/**
 * Over-provisioning beyond this many log units (e^4 ≈ 55×) is not penalised further: it keeps the
 * exponential term's gradient bounded on the rare wild row.
 */
export const MAX_PENALISED_EXCESS = 4;
/** Weight of a log unit of under-provisioning in the q90 loss (before conformal calibration). */
export const UNDER_WEIGHT = 9;

/**
 * Training loss, weighted mean over rows, in log-ratio units (t = target, y0/y1 = raw outputs):
 *  - q50 = y0: pinball loss at 0.5 (the median).
 *  - q90 = y0 + softplus(y1): UNDER_WEIGHT·(t − q90) when under, and e^(q90 − t) − 1 when over.
 *    The over-penalty is exactly the relative slack (p90 − actual) / actual that evaluation reports
 *    (up to ε), so the model learns to avoid the rare 20× over-reservation that a pinball loss
 *    (linear in log units) tolerates and that dominates mean slack. The under weight sets roughly
 *    where coverage lands; the conformal shift on validation series then sets it exactly.
 */
export const quantileLossTensor = (raw: tf.Tensor2D, target: tf.Tensor1D, weight: tf.Tensor1D): tf.Scalar =>
  tf.tidy(() => {
    const [y0, y1] = tf.split(raw, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
    const q50 = y0.reshape([-1]);
    const q90 = tf.add(q50, softplusTensor(y1.reshape([-1])));
    const diff50 = tf.sub(target, q50);
    const pin50 = tf.maximum(tf.mul(0.5, diff50), tf.mul(-0.5, diff50));
    const under = tf.relu(tf.sub(target, q90));
    const over = tf.minimum(tf.relu(tf.sub(q90, target)), MAX_PENALISED_EXCESS);
    const loss90 = tf.add(tf.mul(UNDER_WEIGHT, under), tf.sub(tf.exp(over), 1));
    const perRow = tf.add(pin50, loss90);
    return tf.div(tf.sum(tf.mul(perRow, weight)), tf.sum(weight)) as tf.Scalar;
  });

/** Raw outputs for a normalised matrix, as [y0, y1] pairs. */
export const predictRaw = (model: tf.LayersModel, matrix: Float32Array, rows: number, features: number): Float32Array =>
  tf.tidy(() => (model.predict(tf.tensor2d(matrix, [rows, features])) as tf.Tensor).dataSync() as Float32Array);

/** Rows to learn from: a row-major normalised feature matrix with each row's target and loss weight. */
export interface TrainingMatrix {
  readonly x: Float32Array;
  readonly features: number;
  readonly target: (row: number) => number;
  readonly weight: (row: number) => number;
}

/**
 * One epoch of minibatch training with the quantile loss: the rows in `order`, `batchSize` at a time, one optimizer
 * step each (`npm run train` and the periodic retraining share it).
 */
export const trainEpoch = (model: tf.LayersModel, optimizer: tf.Optimizer, rows: TrainingMatrix, order: readonly number[], batchSize: number): void => {
  const n = rows.features;
  for (let start = 0; start < order.length; start += batchSize) {
    const idx = order.slice(start, start + batchSize);
    const xb = new Float32Array(idx.length * n);
    idx.forEach((row, i) => xb.set(rows.x.subarray(row * n, (row + 1) * n), i * n));
    tf.tidy(() => {
      const x = tf.tensor2d(xb, [idx.length, n]);
      const y = tf.tensor1d(idx.map(rows.target));
      const w = tf.tensor1d(idx.map(rows.weight));
      optimizer.minimize(() => quantileLossTensor(model.apply(x, { training: true }) as tf.Tensor2D, y, w));
    });
  }
};

/** softplus(x) = log(1 + e^x), computed without overflow for large x. */
export const softplus = (x: number): number => (x > 30 ? x : Math.log1p(Math.exp(x)));

const quantileOf = (sorted: readonly number[], q: number): number => {
  if (sorted.length === 0) return 0;
  const pos = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[pos]!;
};

/**
 * Conformal shifts per dimension on held-out rows (raw outputs in the rows' order): q50 is re-centred on the median
 * residual, q90 raised (or lowered) so that a share `coverage` of rows lies at or below it, with the split-conformal
 * finite-sample correction ⌈(n + 1)·coverage⌉ / n. A dimension without rows gets 0 shifts and `rows: 0`.
 */
export const conformalShifts = (
  rows: readonly { readonly dimension: Dimension; readonly target: number }[],
  raw: Float32Array,
  coverage: number,
): Record<Dimension, { q50Shift: number; q90Shift: number; rows: number }> => {
  const out = {} as Record<Dimension, { q50Shift: number; q90Shift: number; rows: number }>;
  for (const d of DIMENSIONS) {
    const r50: number[] = [];
    const r90: number[] = [];
    rows.forEach((row, i) => {
      if (row.dimension !== d) return;
      const y0 = raw[2 * i]!;
      const q90 = y0 + softplus(raw[2 * i + 1]!);
      r50.push(row.target - y0);
      r90.push(row.target - q90);
    });
    r50.sort((a, b) => a - b);
    r90.sort((a, b) => a - b);
    const n = r90.length;
    out[d] =
      n === 0
        ? { q50Shift: 0, q90Shift: 0, rows: 0 }
        : { q50Shift: quantileOf(r50, 0.5), q90Shift: quantileOf(r90, Math.min(1, Math.ceil((n + 1) * coverage) / n)), rows: n };
  }
  return out;
};

/**
 * Row-major normalised feature matrix ((x − mean) / std per feature, the model's normalisation): what the network
 * reads, for `npm run train`, the periodic retraining and its gate.
 */
export const normalisedMatrix = (
  rows: readonly { readonly features: readonly number[] }[],
  norm: { readonly mean: readonly number[]; readonly std: readonly number[] },
): Float32Array => {
  const n = norm.mean.length;
  const out = new Float32Array(rows.length * n);
  rows.forEach((r, i) => {
    for (let k = 0; k < n; k++) out[i * n + k] = (r.features[k]! - norm.mean[k]!) / norm.std[k]!;
  });
  return out;
};

/**
 * A row's p50 and p90 in the dimension's units from the raw outputs (y0, y1) at `index`: q50 = y0 + the q50 shift,
 * q90 = y0 + softplus(y1) + the q90 shift (log-ratio units), each turned back by fromLogRatio against the row's scale;
 * calibration shifts the two separately, so p50 ≤ p90 is re-imposed. Not finite when the output is not.
 */
export const quantilesFromRaw = (
  raw: ArrayLike<number>,
  index: number,
  row: { readonly dimension: Dimension; readonly scale: number },
  calibration: { readonly q50Shift: number; readonly q90Shift: number },
): { p50: number; p90: number } => {
  const y0 = raw[2 * index]!;
  const p50 = fromLogRatio(y0 + calibration.q50Shift, row.scale, row.dimension);
  const p90 = fromLogRatio(y0 + softplus(raw[2 * index + 1]!) + calibration.q90Shift, row.scale, row.dimension);
  return { p50: Math.min(p50, p90), p90: Math.max(p50, p90) };
};
