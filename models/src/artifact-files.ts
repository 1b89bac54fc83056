import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ArtifactBytes } from '../../lambda/adapters/model-artifact';

/** Writes model.json, weights.bin and metadata.json into `dir`; returns the total size in bytes. */
export const writeArtifact = (dir: string, artifact: ArtifactBytes, metadata: unknown): number => {
  mkdirSync(dir, { recursive: true });
  const modelText = `${JSON.stringify(artifact.modelJson)}\n`;
  const metadataText = `${JSON.stringify(metadata, null, 2)}\n`;
  writeFileSync(join(dir, 'model.json'), modelText);
  writeFileSync(join(dir, 'weights.bin'), artifact.weights);
  writeFileSync(join(dir, 'metadata.json'), metadataText);
  return Buffer.byteLength(modelText) + artifact.weights.byteLength + Buffer.byteLength(metadataText);
};
