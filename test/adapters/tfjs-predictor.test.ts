import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { DIMENSIONS, type Forecast, type PredictionInput } from '../../lambda/core/domain';
import { FallbackPredictor } from '../../lambda/core/predict/fallback-predictor';
import { loadModel, loadModelFromArtifacts, ModelLoadError, TfjsPredictor, type LoadedModel } from '../../lambda/adapters/tfjs-predictor';
import type { Predictor } from '../../lambda/ports/predictor';
import { inputFor, profileFrom, steadySample } from '../models/support/make-profile';

const ARTIFACT = join(import.meta.dirname, '../../models/post-restart-demand');
let loaded: LoadedModel;

beforeAll(async () => {
  loaded = await loadModel(ARTIFACT);
});

/** The committed artifact with its metadata patched (gating, ranges) — same weights. */
const withMetadata = async (patch: (m: LoadedModel['metadata']) => LoadedModel['metadata']): Promise<LoadedModel> =>
  loadModelFromArtifacts(
    JSON.parse(readFileSync(join(ARTIFACT, 'model.json'), 'utf8')),
    readFileSync(join(ARTIFACT, 'weights.bin')),
    patch(loaded.metadata),
    'patched',
  );

const allModel = (m: LoadedModel['metadata']) => ({
  ...m,
  gating: Object.fromEntries(DIMENSIONS.map((d) => [d, { use: 'model' as const, reason: 'test' }])) as typeof m.gating,
});

const fleet = (n: number): PredictionInput[] =>
  Array.from({ length: n }, (_, k) =>
    inputFor(
      profileFrom(90, (i) => steadySample(i + 13 * k), 2 + (k % 3), `i-${k}`),
      60 + 30 * k,
      30,
    ),
  );

const known = (f: Forecast | undefined) => {
  if (f?.kind !== 'known') throw new Error(`expected a known forecast, got ${JSON.stringify(f)}`);
  return f;
};

describe('the committed model artifact', () => {
  it('loads, matches the code’s feature order and stays under 500 KB', () => {
    expect(loaded.metadata.featureOrder.length).toBe(loaded.model.inputs[0]!.shape[1]);
    const bytes = ['model.json', 'weights.bin', 'metadata.json'].reduce((n, f) => n + statSync(join(ARTIFACT, f)).size, 0);
    expect(bytes).toBeLessThan(500 * 1024);
    expect(loaded.metadata.quantiles).toEqual([0.5, 0.9]);
    for (const d of DIMENSIONS) expect(['model', 'fallback']).toContain(loaded.metadata.gating[d].use);
  });
});

describe('TfjsPredictor', () => {
  it('answers every input with all four dimensions, p50 ≤ p90, finite and non-negative', async () => {
    const inputs = fleet(12);
    const out = await new TfjsPredictor(loaded).predict(inputs);
    expect(out).toHaveLength(12);
    out.forEach((f, i) => {
      const k = known(f);
      expect(k.instanceId).toBe(inputs[i]!.profile.instanceId);
      for (const d of DIMENSIONS) {
        const { p50, p90 } = k.dims[d];
        expect(Number.isFinite(p50) && Number.isFinite(p90)).toBe(true);
        expect(p50).toBeGreaterThanOrEqual(0);
        expect(p50).toBeLessThanOrEqual(p90);
      }
    });
  });

  it('makes ONE batched model call per predict, whatever the batch size', async () => {
    const patched = await withMetadata(allModel);
    const spy = vi.spyOn(patched.model, 'predict');
    await new TfjsPredictor(patched).predict(fleet(25));
    expect(spy).toHaveBeenCalledTimes(1);
    expect((spy.mock.calls[0]![0] as tf.Tensor).shape).toEqual([25 * DIMENSIONS.length, loaded.metadata.featureOrder.length]);
  });

  it('is deterministic: the same inputs give the same forecasts', async () => {
    const inputs = fleet(6);
    const predictor = new TfjsPredictor(loaded);
    expect(await predictor.predict(inputs)).toEqual(await predictor.predict(inputs));
    expect(await new TfjsPredictor(loaded).predict(inputs)).toEqual(await predictor.predict(inputs));
  });

  it('gating: the model answers exactly the dimensions gated on; the fallback answers the rest with its own basis', async () => {
    const inputs = fleet(4);
    const fallback = await new FallbackPredictor().predict(inputs);
    const mixed = await withMetadata((m) => ({
      ...m,
      gating: {
        vcpu: { use: 'model', reason: 't' },
        memoryGiB: { use: 'fallback', reason: 't' },
        networkMbps: { use: 'model', reason: 't' },
        diskIops: { use: 'fallback', reason: 't' },
      },
    }));
    const out = await new TfjsPredictor(mixed).predict(inputs);
    out.forEach((f, i) => {
      const k = known(f);
      const fb = known(fallback[i]);
      expect(k.dims.vcpu.basis).toBe('model');
      expect(k.dims.networkMbps.basis).toBe('model');
      expect(k.dims.memoryGiB).toEqual(fb.dims.memoryGiB);
      expect(k.dims.diskIops).toEqual(fb.dims.diskIops);
    });
    const everywhere = await new TfjsPredictor(mixed, { gating: 'all' }).predict(inputs);
    for (const f of everywhere) for (const d of DIMENSIONS) expect(known(f).dims[d].basis).toBe('model');
  });

  it('falls back, never throws, on features it cannot trust', async () => {
    const patched = await withMetadata(allModel);
    const good = fleet(1)[0]!;
    const fewPoints = inputFor(profileFrom(2, steadySample));
    const cpuOnly = inputFor(profileFrom(60, () => ({ cpuPercent: 30 })));
    const inputs: PredictionInput[] = [
      good,
      { ...good, downtimeSeconds: Number.NaN }, // the fallback itself answers 'unknown'
      { ...good, windowMinutes: 600 }, // outside the trained window range
      { ...good, downtimeSeconds: 30 * 24 * 3600 }, // outside the trained downtime range
      fewPoints, // too few recent points for the model
    ];
    const fallback = await new FallbackPredictor().predict(inputs);
    const out = await new TfjsPredictor(patched).predict(inputs);
    expect(known(out[0]).dims.vcpu.basis).toBe('model');
    expect(out[1]).toEqual(fallback[1]);
    expect(out[1]!.kind).toBe('unknown');
    for (const i of [2, 3, 4]) expect(out[i]).toEqual(fallback[i]);
    // A profile without memory data: the fallback says 'unknown' for the instance, and so does the predictor.
    const [cpu] = await new TfjsPredictor(patched).predict([cpuOnly]);
    expect(cpu!.kind).toBe('unknown');
  });

  it('lets the fallback answer every dimension of an instance whose CPU comes from basic monitoring, and only of it', async () => {
    const patched = await withMetadata(allModel);
    const [fresh, stale, other] = fleet(3);
    const inputs: PredictionInput[] = [fresh!, { ...stale!, cpuFromBasicMonitoring: true }, { ...other!, cpuFromBasicMonitoring: false }];
    const fallback = await new FallbackPredictor().predict(inputs);
    const out = await new TfjsPredictor(patched).predict(inputs);
    expect(out[1]).toEqual(fallback[1]);
    for (const d of DIMENSIONS) expect(known(out[1]).dims[d].basis).not.toBe('model');
    for (const i of [0, 2]) for (const d of DIMENSIONS) expect(known(out[i]).dims[d].basis).toBe('model');
  });

  it('falls back when a feature is outside the range seen in training', async () => {
    const narrow = await withMetadata((m) => ({
      ...allModel(m),
      featureRange: { min: m.featureRange.min.map(() => 0), max: m.featureRange.max.map(() => 0), tolerance: 0 },
    }));
    const inputs = fleet(3);
    const fallback = await new FallbackPredictor().predict(inputs);
    expect(await new TfjsPredictor(narrow).predict(inputs)).toEqual(fallback);
  });

  it('uses an injected fallback once per batch', async () => {
    const fb = new FallbackPredictor();
    const calls: number[] = [];
    const counting: Predictor = { name: 'counting', predict: (inputs) => (calls.push(inputs.length), fb.predict(inputs)) };
    await new TfjsPredictor(loaded, { fallback: counting }).predict(fleet(7));
    expect(calls).toEqual([7]);
  });

  it('returns [] for an empty batch without calling the model', async () => {
    const spy = vi.spyOn(loaded.model, 'predict');
    expect(await new TfjsPredictor(loaded).predict([])).toEqual([]);
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
  });
});

describe('loadModel errors', () => {
  it('names the missing file', async () => {
    await expect(loadModel('/nonexistent/model-dir')).rejects.toThrow(ModelLoadError);
    await expect(loadModel('/nonexistent/model-dir')).rejects.toThrow(/\/nonexistent\/model-dir\/model\.json: cannot read the file/);
  });

  it('refuses an artifact whose feature order differs from the code', async () => {
    await expect(withMetadata((m) => ({ ...m, featureOrder: [...m.featureOrder].reverse() }))).rejects.toThrow(
      /featureOrder .* differs from the features this code extracts/,
    );
  });

  it('names the bad metadata field and value', async () => {
    await expect(withMetadata((m) => ({ ...m, confidence: { ...m.confidence, vcpu: 7 } }))).rejects.toThrow(
      /confidence\.vcpu: must be within 0\.\.1 \(got 7\)/,
    );
  });
});
