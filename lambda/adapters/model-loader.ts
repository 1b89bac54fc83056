import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as z from 'zod';
import { parseWith } from '../contracts/validation';
import { DIMENSIONS } from '../core/domain';
import { MODEL_FEATURE_NAMES } from '../core/predict/model-features';

/**
 * Loads the post-restart demand model artifact written by `npm run train` (models/<name>/):
 * `model.json` (tfjs layers topology + weights manifest), `weights.bin`, `metadata.json`. Files are read
 * with node:fs and handed to tfjs through `tf.io.fromMemory` (no tfjs-node, no file:// handler; see
 * DESIGN.md §8). The metadata is validated with zod and must list exactly the feature order this code
 * extracts — an artifact trained on other features would silently mis-predict, so it is refused.
 */

export const MODEL_FORMAT = 'spotwise-post-restart-demand';
export const MODEL_FORMAT_VERSION = 1;
export const DEFAULT_MODEL_NAME = 'post-restart-demand';

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const perDimension = <T extends z.ZodType>(schema: T) => z.object({ vcpu: schema, memoryGiB: schema, networkMbps: schema, diskIops: schema });
const scoresSchema = z.object({
  underProvisionRate: z.number().nullable(),
  meanSlack: z.number().nullable(),
  pinball50: z.number().nullable(),
  pinball90: z.number().nullable(),
  cases: z.number().int().nonnegative(),
});
/** `{ cpu: { model: Scores, fallback: Scores, ... }, memory: ..., ... }` as `npm run evaluate` prints. */
const dimensionReportSchema = z.record(z.string(), z.record(z.string(), scoresSchema));

export const modelMetadataSchema = z.object({
  format: z.literal(MODEL_FORMAT),
  formatVersion: z.literal(MODEL_FORMAT_VERSION),
  name: z.string().min(1),
  version: z.string().min(1),
  featureOrder: z.array(z.string()),
  normalisation: z.object({ mean: z.array(finite), std: z.array(finite.refine((v) => v > 0, 'must be > 0')) }),
  /** Feature values seen in training; a row outside [min − tol·range, max + tol·range] falls back. */
  featureRange: z.object({ min: z.array(finite), max: z.array(finite), tolerance: finite.refine((v) => v >= 0, 'must be ≥ 0') }),
  quantiles: z.tuple([z.literal(0.5), z.literal(0.9)]),
  target: z.string(),
  output: z.string(),
  /** Conformal shifts (log-ratio units) added to the raw outputs, learnt on the validation series. */
  calibration: perDimension(z.object({ q50Shift: finite, q90Shift: finite })),
  windowMinutes: z.object({ default: z.number().int().positive(), min: z.number().positive(), max: z.number().positive() }),
  downtimeSeconds: z.object({ min: z.number().nonnegative(), max: z.number().positive() }),
  gating: perDimension(z.object({ use: z.enum(['model', 'fallback']), reason: z.string() })),
  /** Confidence reported with a model forecast: the validation coverage of p90. */
  confidence: perDimension(finite.refine((v) => v >= 0 && v <= 1, 'must be within 0..1')),
  training: z.object({
    description: z.string(),
    seed: z.number().int(),
    backend: z.string(),
    seconds: z.number().nonnegative(),
    architecture: z.string(),
    parameters: z.number().int().positive(),
    epochs: z.number().int().nonnegative(),
    datasets: z.array(z.object({ name: z.string(), train: z.number().int(), validation: z.number().int(), test: z.number().int() })),
    rows: z.object({ train: z.number().int(), validation: z.number().int(), test: z.number().int() }),
  }),
  /** Series used to fit or calibrate the model: `npm run evaluate` leaves them out. */
  trainingSeries: z.array(z.string()),
  evaluation: z.object({
    split: z.string(),
    dimensions: dimensionReportSchema,
    byKind: z.record(z.string(), dimensionReportSchema),
  }),
  targets: z.record(z.string(), z.object({ met: z.boolean(), detail: z.string() })),
  notes: z.array(z.string()),
});
export type ModelMetadata = z.infer<typeof modelMetadataSchema>;

/** The artifact as loaded: the tfjs model plus its validated metadata. */
export interface LoadedModel {
  readonly model: tf.LayersModel;
  readonly metadata: ModelMetadata;
  /** Where it came from (a directory, or "memory"), for messages. */
  readonly source: string;
}

/** The artifact cannot be read or does not match this code; the message names the file and the problem. */
export class ModelLoadError extends Error {
  override readonly name = 'ModelLoadError';
  constructor(
    readonly file: string,
    detail: string,
    cause?: unknown,
  ) {
    super(`loading the demand model from ${file}: ${detail}`, cause === undefined ? undefined : { cause });
  }
}

const modelJsonSchema = z.object({
  modelTopology: z.record(z.string(), z.unknown()),
  weightsManifest: z.array(z.object({ paths: z.array(z.string()), weights: z.array(z.record(z.string(), z.unknown())) })).length(1),
});

let prodModeSet = false;
/**
 * Production mode: skips tfjs debug checks and its one-time "install tfjs-node" console banner
 * (tfjs-node cannot be used here, see DESIGN.md §8). The backend is whatever tfjs has registered
 * (cpu unless the caller picked wasm for training).
 */
const enableProdModeOnce = (): void => {
  if (!prodModeSet) {
    tf.enableProdMode();
    prodModeSet = true;
  }
};

/** Checks the metadata against the code: feature order, vector lengths, all four dimensions present. */
const checkConsistency = (metadata: ModelMetadata, source: string): void => {
  const expected = [...MODEL_FEATURE_NAMES];
  if (metadata.featureOrder.length !== expected.length || metadata.featureOrder.some((f, i) => f !== expected[i])) {
    throw new ModelLoadError(
      source,
      `metadata.featureOrder [${metadata.featureOrder.join(', ')}] differs from the features this code extracts [${expected.join(', ')}]; retrain with npm run train`,
    );
  }
  const n = expected.length;
  for (const [field, v] of [
    ['normalisation.mean', metadata.normalisation.mean],
    ['normalisation.std', metadata.normalisation.std],
    ['featureRange.min', metadata.featureRange.min],
    ['featureRange.max', metadata.featureRange.max],
  ] as const) {
    if (v.length !== n) throw new ModelLoadError(source, `metadata.${field} has ${v.length} values, expected ${n}`);
  }
  for (const d of DIMENSIONS) if (!metadata.gating[d]) throw new ModelLoadError(source, `metadata.gating.${d} is missing`);
};

/** Builds a LoadedModel from in-memory artifact parts (used by loadModel, by training and by tests). */
export const loadModelFromArtifacts = async (modelJson: unknown, weights: Uint8Array, metadataJson: unknown, source = 'memory'): Promise<LoadedModel> => {
  enableProdModeOnce();
  const metadata = parseWith(modelMetadataSchema, `model metadata (${source})`, metadataJson);
  checkConsistency(metadata, source);
  const parsed = parseWith(modelJsonSchema, `model.json (${source})`, modelJson);
  const manifest = parsed.weightsManifest[0]!;
  // Copy into a fresh ArrayBuffer: a Buffer from readFileSync may be a view into a larger pool.
  const weightData = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer;
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: parsed.modelTopology, weightSpecs: manifest.weights as unknown as tf.io.WeightsManifestEntry[], weightData }),
    );
  } catch (cause) {
    throw new ModelLoadError(source, `tfjs could not build the model (${cause instanceof Error ? cause.message : String(cause)})`, cause);
  }
  const inputShape = model.inputs[0]?.shape;
  if (inputShape?.[1] !== MODEL_FEATURE_NAMES.length) {
    throw new ModelLoadError(source, `model input has ${String(inputShape?.[1])} features, expected ${MODEL_FEATURE_NAMES.length}`);
  }
  const outputShape = model.outputs[0]?.shape;
  if (outputShape?.[1] !== 2) throw new ModelLoadError(source, `model output has ${String(outputShape?.[1])} columns, expected 2 (q50, q90 raw)`);
  return { model, metadata, source };
};

const readJson = (file: string): unknown => {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ModelLoadError(file, 'cannot read the file', cause);
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new ModelLoadError(file, `not valid JSON (${cause instanceof Error ? cause.message : String(cause)})`, cause);
  }
};

/** The artifact's parts as stored in a directory (models/<name>/), not yet loaded into tfjs. */
export interface ModelArtifactFiles {
  readonly modelJson: Record<string, unknown>;
  readonly weights: Uint8Array;
  readonly metadata: Record<string, unknown>;
}

/** Reads models/<name>/ (model.json, weights.bin named by its manifest, metadata.json) from `dir`. */
export const readModelArtifact = (dir: string): ModelArtifactFiles => {
  const modelJson = readJson(join(dir, 'model.json'));
  const parsed = parseWith(modelJsonSchema, `model.json (${dir})`, modelJson);
  const paths = parsed.weightsManifest[0]!.paths;
  const chunks: Uint8Array[] = [];
  for (const p of paths) {
    const file = join(dir, p);
    try {
      chunks.push(readFileSync(file));
    } catch (cause) {
      throw new ModelLoadError(file, 'cannot read the weights file', cause);
    }
  }
  const total = chunks.reduce((n, c) => n + c.byteLength, 0);
  const weights = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    weights.set(c, offset);
    offset += c.byteLength;
  }
  const metadata = readJson(join(dir, 'metadata.json'));
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) throw new ModelLoadError(join(dir, 'metadata.json'), 'not a JSON object');
  return { modelJson: modelJson as Record<string, unknown>, weights, metadata: metadata as Record<string, unknown> };
};

/** Loads models/<name>/ (model.json, weights.bin named by its manifest, metadata.json) from `dir`. */
export const loadModel = async (dir: string): Promise<LoadedModel> => {
  const files = readModelArtifact(dir);
  return loadModelFromArtifacts(files.modelJson, files.weights, files.metadata, dir);
};
