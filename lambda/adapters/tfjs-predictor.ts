import * as tf from '@tensorflow/tfjs';
import { DIMENSIONS, type Dimension, type DimensionForecast, type Forecast, type PredictionInput } from '../core/domain';
import { FallbackPredictor } from '../core/predict/fallback-predictor';
import { extractModelFeatures } from '../core/predict/model-features';
import type { Predictor } from '../ports/predictor';
import type { LoadedModel, ModelMetadata } from './model-loader';
import { quantilesFromRaw } from './tfjs-quantile-network';

export { loadModel, loadModelFromArtifacts, ModelLoadError, DEFAULT_MODEL_NAME, type LoadedModel, type ModelMetadata } from './model-loader';

/**
 * The tfjs post-restart demand model behind the Predictor port.
 *
 * One `predict` call = one profile tick: the fallback answers the whole batch first (it is pure and
 * cheap), then every (instance, dimension) the model may answer becomes one row of ONE [rows × features]
 * tensor and one `model.predict` call. A row is dropped — the fallback's answer stands — when:
 * the dimension is gated off (metadata.gating: the model did not beat the fallback there on validation
 * series), the features cannot be extracted (no steady state, too few recent points), a normalised
 * feature is outside what training saw (metadata.featureRange with its tolerance), the window or
 * downtime is outside the trained range, or the output is not finite; and every row of an instance whose CPU comes
 * only from EC2's basic monitoring (`PredictionInput.cpuFromBasicMonitoring`). It never throws for one bad
 * instance. Every dimension says its basis: 'model' or the fallback's own.
 */
export interface TfjsPredictorOptions {
  /** Answers what the model does not (default: the statistical FallbackPredictor). */
  readonly fallback?: Predictor;
  /**
   * 'metadata' (production): the model answers only the dimensions gated on in metadata.
   * 'all' (evaluation): the model answers every dimension it can, to measure it everywhere.
   */
  readonly gating?: 'metadata' | 'all';
}

interface Row {
  readonly input: number;
  readonly dimension: Dimension;
  readonly scale: number;
}

/** Why a feature row is outside the model's trained range, or undefined when it is inside. */
export const outOfRange = (values: readonly number[], metadata: ModelMetadata): string | undefined => {
  const { min, max, tolerance } = metadata.featureRange;
  for (let i = 0; i < values.length; i++) {
    const lo = min[i]!;
    const hi = max[i]!;
    const slack = tolerance * (hi - lo);
    const v = values[i]!;
    if (!Number.isFinite(v) || v < lo - slack || v > hi + slack) return `${metadata.featureOrder[i]}=${v} outside [${lo}, ${hi}]`;
  }
  return undefined;
};

export class TfjsPredictor implements Predictor {
  readonly name: string;
  private readonly fallback: Predictor;
  private readonly gating: 'metadata' | 'all';

  constructor(
    private readonly loaded: LoadedModel,
    opts: TfjsPredictorOptions = {},
  ) {
    this.fallback = opts.fallback ?? new FallbackPredictor();
    this.gating = opts.gating ?? 'metadata';
    this.name = `tfjs:${loaded.metadata.name}@${loaded.metadata.version}`;
  }

  /** Dimensions the model answers under the configured gating. */
  modelDimensions(): Dimension[] {
    return DIMENSIONS.filter((d) => this.gating === 'all' || this.loaded.metadata.gating[d].use === 'model');
  }

  async predict(inputs: readonly PredictionInput[]): Promise<Forecast[]> {
    const fallback = await this.fallback.predict(inputs);
    const { metadata, model } = this.loaded;
    const dims = this.modelDimensions();
    const nFeatures = metadata.featureOrder.length;
    const rows: Row[] = [];
    // Preallocated for the most rows possible (every input × every model dimension).
    const matrix = new Float32Array(inputs.length * dims.length * nFeatures);

    inputs.forEach((input, i) => {
      if (fallback[i]?.kind !== 'known') return;
      // CPU from EC2's basic monitoring (5-minute points, 8–13 minutes old): the fallback answers every dimension.
      if (input.cpuFromBasicMonitoring === true) return;
      // The model was trained on these windows and downtimes only; outside them it would extrapolate.
      if (!(input.windowMinutes >= metadata.windowMinutes.min && input.windowMinutes <= metadata.windowMinutes.max)) return;
      if (!(input.downtimeSeconds >= metadata.downtimeSeconds.min && input.downtimeSeconds <= metadata.downtimeSeconds.max)) return;
      for (const d of dims) {
        const f = extractModelFeatures(input, d);
        if (f.kind !== 'features' || outOfRange(f.values, metadata) !== undefined) continue;
        const offset = rows.length * nFeatures;
        for (let k = 0; k < nFeatures; k++) matrix[offset + k] = (f.values[k]! - metadata.normalisation.mean[k]!) / metadata.normalisation.std[k]!;
        rows.push({ input: i, dimension: d, scale: f.scale });
      }
    });

    const answers = new Map<number, Partial<Record<Dimension, DimensionForecast>>>();
    if (rows.length > 0) {
      const out = tf.tidy(() => {
        const x = tf.tensor2d(matrix.subarray(0, rows.length * nFeatures), [rows.length, nFeatures]);
        // batchSize = all rows: LayersModel.predict otherwise slices the batch into chunks of 32,
        // which costs ~900 loop iterations for a 10,000-instance tick.
        return (model.predict(x, { batchSize: rows.length }) as tf.Tensor).dataSync();
      });
      rows.forEach((row, r) => {
        const d = row.dimension;
        const { p50, p90 } = quantilesFromRaw(out, r, row, metadata.calibration[d]);
        if (!Number.isFinite(p50) || !Number.isFinite(p90)) return;
        const input = inputs[row.input]!;
        const coverage = Math.min(1, input.profile.steady[d].count / 60);
        const dimsOf = answers.get(row.input) ?? {};
        dimsOf[d] = { p50, p90, basis: 'model', confidence: metadata.confidence[d] * coverage };
        answers.set(row.input, dimsOf);
      });
    }

    return fallback.map((f, i) => {
      const mine = answers.get(i);
      if (f.kind !== 'known' || !mine) return f;
      return { ...f, dims: { ...f.dims, ...mine } };
    });
  }
}
