import { describe, expect, it } from 'vitest';
import { readModelArtifact } from '../../lambda/adapters/model-loader';
import { modelSource } from '../../lambda/app/model-source';
import { BUNDLED_MODEL_DIR } from '../../lambda/sim/bundled-data';
import { InMemoryModelStore } from '../../lambda/sim/memory/in-memory-model-store';
import { RecordingTelemetry } from '../../lambda/sim/memory/recording-telemetry';

const bundled = readModelArtifact(BUNDLED_MODEL_DIR);
const bundledVersion = bundled.metadata['version'] as string;
const stored = (version: string) => ({
  version,
  modelJson: bundled.modelJson,
  weights: bundled.weights,
  metadata: { ...bundled.metadata, version },
  savedAt: 0,
});

describe('modelSource: the model the profiler forecasts with', () => {
  it('forecasts with the bundled model until the table holds one, then with the stored one, reloading only on a new version', async () => {
    const models = new InMemoryModelStore();
    const telemetry = new RecordingTelemetry();
    const source = modelSource(models, BUNDLED_MODEL_DIR, telemetry);
    expect((await source()).name).toBe(`tfjs:post-restart-demand@${bundledVersion}`);
    await models.putModel(stored('1.r+aaaaaaaaaaaa'), undefined);
    const first = await source();
    expect(first.name).toBe('tfjs:post-restart-demand@1.r+aaaaaaaaaaaa');
    expect(await source()).toBe(first);
    await models.putModel(stored('1.r+bbbbbbbbbbbb'), '1.r+aaaaaaaaaaaa');
    expect((await source()).name).toBe('tfjs:post-restart-demand@1.r+bbbbbbbbbbbb');
    expect(telemetry.logsAt('info').filter((l) => l.message === 'forecasting with the retrained model from the table')).toHaveLength(2);
  });

  it('keeps the loaded model when the version cannot be read, and says so', async () => {
    const models = new InMemoryModelStore();
    await models.putModel(stored('1.r+aaaaaaaaaaaa'), undefined);
    const telemetry = new RecordingTelemetry();
    let fail = false;
    const flaky = {
      getModelVersion: async () => {
        if (fail) throw new Error('ProvisionedThroughputExceededException');
        return models.getModelVersion();
      },
      getModel: () => models.getModel(),
    };
    const source = modelSource(flaky, BUNDLED_MODEL_DIR, telemetry);
    const loaded = await source();
    fail = true;
    expect(await source()).toBe(loaded);
    expect(telemetry.logsAt('warn')[0]?.message).toBe('reading the stored model version failed; forecasting with the model already loaded');
  });

  it('falls back to the bundled model when the stored one does not load, logging the version and why', async () => {
    const models = new InMemoryModelStore();
    await models.putModel({ ...stored('1.r+broken'), metadata: { ...bundled.metadata, version: '1.r+broken', featureOrder: ['x'] } }, undefined);
    const telemetry = new RecordingTelemetry();
    const predictor = await modelSource(models, BUNDLED_MODEL_DIR, telemetry)();
    expect(predictor.name).toBe(`tfjs:post-restart-demand@${bundledVersion}`);
    expect(telemetry.logsAt('error')[0]).toMatchObject({
      message: 'the stored model could not be loaded; forecasting with the bundled model',
      fields: { version: '1.r+broken', error: expect.stringContaining('featureOrder') },
    });
  });

  it('without a bundled model and without a stored one, the statistical fallback answers', async () => {
    expect((await modelSource(new InMemoryModelStore(), undefined, new RecordingTelemetry())()).name).toBe('fallback');
  });
});
