import * as tf from '@tensorflow/tfjs';
import { DIMENSIONS, type Dimension } from '../core/domain';
import type { CycleRow } from '../core/predict/learned-cycle';
import { FEATURE_EPSILON, MODEL_FEATURE_NAMES } from '../core/predict/model-features';
import { serialiseModel, sha256, type ArtifactBytes } from './model-artifact';
import { loadModelFromArtifacts, type LoadedModel, type ModelMetadata } from './model-loader';
import { conformalShifts, normalisedMatrix, predictRaw, quantileLossTensor, quantilesFromRaw, trainEpoch } from './tfjs-quantile-network';

/**
 * Fine-tunes the current post-restart demand model on a fleet's own restart cycles (the periodic retraining,
 * lambda/app/retrain-model.ts). The candidate starts from the current weights and keeps its normalisation (the first
 * layer was fitted to it) and its gating; it learns with the training loss of `npm run train`, stops early on the newest
 * fifth of the fit cycles, and takes its conformal q90 shift from them. Bounded: at most `maxEpochs`, and never past
 * `deadline` (the job's time budget).
 */
export interface FineTuneOptions {
  readonly maxEpochs: number;
  readonly patience: number;
  readonly learningRate: number;
  readonly batchSize: number;
  /** Share of validation rows p90 must cover after the conformal shift. */
  readonly coverage: number;
  /** performance.now() after which no new epoch starts. */
  readonly deadline: number;
}

export const DEFAULT_FINE_TUNE: Omit<FineTuneOptions, 'deadline'> = { maxEpochs: 60, patience: 8, learningRate: 0.001, batchSize: 64, coverage: 0.9 };
/** Share of the fit rows (the newest) that stop training early and set the conformal shift. */
export const VALIDATION_SHARE = 0.2;
/** A dimension's conformal shift is re-set only from at least this many validation rows (else the current one stays). */
export const MIN_SHIFT_ROWS = 10;

/** The model's p50 and p90 per row (its calibration applied), in the rows' units: what the gate scores. */
export const modelForecasts = (loaded: LoadedModel, rows: readonly CycleRow[]): { p50: number; p90: number }[] => {
  if (rows.length === 0) return [];
  const raw = predictRaw(loaded.model, normalisedMatrix(rows, loaded.metadata.normalisation), rows.length, MODEL_FEATURE_NAMES.length);
  return rows.map((r, i) => quantilesFromRaw(raw, i, r, loaded.metadata.calibration[r.dimension]));
};

/** Weights that give every dimension the same total (as `npm run train` balances its rows). */
const balancedWeights = (rows: readonly CycleRow[]): number[] => {
  const count = new Map<Dimension, number>();
  for (const r of rows) count.set(r.dimension, (count.get(r.dimension) ?? 0) + 1);
  return rows.map((r) => rows.length / (count.size * count.get(r.dimension)!));
};

export interface FineTuned {
  readonly loaded: LoadedModel;
  readonly artifact: ArtifactBytes;
  readonly metadata: ModelMetadata;
  readonly epochs: number;
  readonly stoppedBy: 'early-stop' | 'max-epochs' | 'deadline';
}

/** Fine-tunes a copy of the model in `artifact` + `metadata` on `fit` rows (oldest first); the original is not touched. */
export const fineTune = async (
  artifact: ArtifactBytes,
  metadata: ModelMetadata,
  fit: readonly CycleRow[],
  opts: FineTuneOptions,
  now: number,
): Promise<FineTuned> => {
  const started = performance.now();
  if (fit.length < 2) throw new RangeError(`fine-tuning needs at least 2 rows, got ${fit.length}`);
  const copy = await loadModelFromArtifacts(artifact.modelJson, artifact.weights, metadata, 'retraining');
  const model = copy.model;
  const split = Math.max(1, Math.round(fit.length * VALIDATION_SHARE));
  const train = fit.slice(0, fit.length - split);
  const validation = fit.slice(fit.length - split);
  const n = MODEL_FEATURE_NAMES.length;
  const trainX = normalisedMatrix(train, metadata.normalisation);
  const validationX = normalisedMatrix(validation, metadata.normalisation);
  const weights = balancedWeights(train);
  const optimizer = tf.train.adam(opts.learningRate);
  const validationLoss = (): number =>
    tf.tidy(
      () =>
        quantileLossTensor(
          model.predict(tf.tensor2d(validationX, [validation.length, n])) as tf.Tensor2D,
          tf.tensor1d(validation.map((r) => r.target)),
          tf.ones([validation.length]),
        ).dataSync()[0]!,
    );

  let best = { loss: validationLoss(), epoch: 0, weights: model.getWeights().map((w) => w.clone()) };
  let epochs = 0;
  let stoppedBy: FineTuned['stoppedBy'] = 'max-epochs';
  for (let epoch = 1; epoch <= opts.maxEpochs && train.length > 0; epoch++) {
    if (performance.now() >= opts.deadline) {
      stoppedBy = 'deadline';
      break;
    }
    epochs = epoch;
    // Deterministic order: one retraining on the same cycles gives the same candidate.
    const order = train.map((_, i) => i).sort((a, b) => ((a * 7919 + epoch * 104729) % train.length) - ((b * 7919 + epoch * 104729) % train.length));
    trainEpoch(model, optimizer, { x: trainX, features: n, target: (i) => train[i]!.target, weight: (i) => weights[i]! }, order, opts.batchSize);
    const loss = validationLoss();
    if (loss < best.loss - 1e-5) {
      best.weights.forEach((w) => w.dispose());
      best = { loss, epoch, weights: model.getWeights().map((w) => w.clone()) };
    }
    if (epoch - best.epoch >= opts.patience) {
      stoppedBy = 'early-stop';
      break;
    }
  }
  model.setWeights(best.weights);
  best.weights.forEach((w) => w.dispose());
  optimizer.dispose();

  // Conformal shifts on the validation rows, per dimension with enough of them (split-conformal, as training does).
  const raw = predictRaw(model, validationX, validation.length, n);
  const shifts = conformalShifts(validation, raw, opts.coverage);
  const calibration = { ...metadata.calibration };
  for (const d of DIMENSIONS) if (shifts[d].rows >= MIN_SHIFT_ROWS) calibration[d] = { q50Shift: shifts[d].q50Shift, q90Shift: shifts[d].q90Shift };
  // The range covers what the fleet showed too: the predictor falls back outside it.
  const min = metadata.featureRange.min.map((v, k) => Math.min(v, ...fit.map((r) => r.features[k]!)));
  const max = metadata.featureRange.max.map((v, k) => Math.max(v, ...fit.map((r) => r.features[k]!)));
  const bytes = await serialiseModel(model, `spotwise retraining (tfjs ${tf.version.tfjs})`);
  model.dispose();
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  const candidate: ModelMetadata = {
    ...metadata,
    version: `${metadata.formatVersion}.r+${sha256(bytes.weights).slice(0, 12)}`,
    calibration,
    featureRange: { ...metadata.featureRange, min, max },
    training: {
      ...metadata.training,
      description: `Fine-tuned from ${metadata.version} on ${fit.length} rows of the fleet's own restart cycles (newest ${split} for early stopping and the conformal shift; ε ${JSON.stringify(FEATURE_EPSILON)}). ${metadata.training.description}`,
      seconds,
      epochs: best.epoch,
    },
    // The trace evaluation, targets and notes below are the base model's: say so rather than let them pass for this one's.
    evaluation: { ...metadata.evaluation, split: `${metadata.evaluation.split} (measured on ${metadata.version}, before this retraining)` },
    notes: [
      `retrained at ${new Date(now).toISOString()} from ${metadata.version}: ${epochs} epoch(s), stopped by ${stoppedBy}; the evaluation, targets and the notes after this one are ${metadata.version}'s`,
      ...metadata.notes.slice(0, 20),
    ],
  };
  const loaded = await loadModelFromArtifacts(bytes.modelJson, bytes.weights, candidate, 'retraining');
  return { loaded, artifact: bytes, metadata: candidate, epochs: best.epoch, stoppedBy };
};
