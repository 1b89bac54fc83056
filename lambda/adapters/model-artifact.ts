import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';

/** What `tf.io.withSaveHandler` hands over, as the bytes of model.json and weights.bin. */
export interface ArtifactBytes {
  readonly modelJson: Record<string, unknown>;
  readonly weights: Uint8Array;
}

const concat = (data: ArrayBuffer | ArrayBuffer[]): Uint8Array => {
  const parts = Array.isArray(data) ? data : [data];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), offset);
    offset += p.byteLength;
  }
  return out;
};

/** Serialises a model through tf.io.withSaveHandler into the layers-model JSON and one weights file. */
export const serialiseModel = async (model: tf.LayersModel, generatedBy: string): Promise<ArtifactBytes> => {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } };
    }),
  );
  if (!captured?.modelTopology || !captured.weightSpecs || !captured.weightData) throw new Error('tfjs save handler received no topology or weights');
  return {
    modelJson: {
      format: 'layers-model',
      generatedBy,
      convertedBy: null,
      modelTopology: captured.modelTopology,
      weightsManifest: [{ paths: ['weights.bin'], weights: captured.weightSpecs }],
    },
    weights: concat(captured.weightData),
  };
};

export const sha256 = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');
