import { beforeAll, describe, expect, it } from 'vitest';
import { readModelArtifact, type ModelArtifactFiles } from '../../lambda/adapters/model-loader';
import { loadModelFromArtifacts } from '../../lambda/adapters/model-loader';
import { modelForecasts } from '../../lambda/adapters/tfjs-fine-tune';
import { DEFAULT_RETRAIN_SETTINGS, retrainModel, type RetrainDeps } from '../../lambda/app/retrain-model';
import { groupId, instanceId, type Dimension, type LearnedCycle } from '../../lambda/core/domain';
import { cycleRows } from '../../lambda/core/predict/learned-cycle';
import { MODEL_FEATURE_NAMES } from '../../lambda/core/predict/model-features';
import { randomStream } from '../../lambda/data/random';
import { BUNDLED_MODEL_DIR } from '../../lambda/sim/bundled-data';
import { InMemoryModelStore } from '../../lambda/sim/memory/in-memory-model-store';
import { InMemoryStateStore } from '../../lambda/sim/memory/in-memory-state-store';

const GROUP = groupId('web-asg');
const DIMS: readonly Dimension[] = ['vcpu', 'memoryGiB'];
const START = Date.UTC(2026, 10, 1);

let bundled: ModelArtifactFiles;
beforeAll(() => {
  bundled = readModelArtifact(BUNDLED_MODEL_DIR);
});

/**
 * A fleet's cycles whose features look like the model's training data (its normalisation's mean ± std) and whose
 * peaks are `bias` × the current model's own p90 for them: bias 2 is a fleet whose restarts the shipped model
 * under-forecasts every time.
 */
const fleetCycles = async (count: number, bias: number, seed = 7): Promise<LearnedCycle[]> => {
  const meta = bundled.metadata as unknown as { normalisation: { mean: number[]; std: number[] } };
  const random = randomStream(seed, 'retrain-test');
  const draft: LearnedCycle[] = [];
  for (let i = 0; i < count; i++) {
    const rows: Partial<Record<Dimension, { values: number[]; scale: number; peak: number }>> = {};
    for (const d of DIMS) {
      const values = MODEL_FEATURE_NAMES.map((name, k) =>
        name.startsWith('dim:') ? (name === `dim:${d}` ? 1 : 0) : meta.normalisation.mean[k]! + 0.5 * meta.normalisation.std[k]! * (random() * 2 - 1),
      );
      rows[d] = { values, scale: d === 'vcpu' ? 2 : 6, peak: 0 };
    }
    draft.push({
      groupId: GROUP,
      instanceId: instanceId(`i-${String(i).padStart(17, '0')}`),
      jobType: 'web',
      instanceType: 'm5.xlarge',
      interruptedAt: START + i * 3_600_000,
      restartedAt: START + i * 3_600_000 + 180_000,
      windowMinutes: 30,
      rows,
    });
  }
  const loaded = await loadModelFromArtifacts(bundled.modelJson, bundled.weights, bundled.metadata);
  const rows = cycleRows(draft, MODEL_FEATURE_NAMES.length);
  const forecasts = modelForecasts(loaded, rows);
  loaded.model.dispose();
  let r = 0;
  return draft.map((c) => {
    const out: Partial<Record<Dimension, { readonly values: readonly number[]; scale: number; peak: number }>> = {};
    for (const d of DIMS) out[d] = { ...c.rows[d]!, peak: forecasts[r++]!.p90 * bias * (0.9 + 0.2 * random()) };
    return { ...c, rows: out };
  });
};

const depsWith = async (cycles: readonly LearnedCycle[], models = new InMemoryModelStore()): Promise<RetrainDeps & { models: InMemoryModelStore }> => {
  const state = new InMemoryStateStore();
  await state.putCycles(cycles);
  return { cycles: state, models, bundled: () => bundled, now: () => START + 400 * 3_600_000 };
};

const settings = { ...DEFAULT_RETRAIN_SETTINGS, groups: [GROUP], save: true, budgetSeconds: 60 };

describe('retrainModel (the periodic retraining job)', () => {
  it('skips with the count it saw when the fleet has too few cycles, and records why', async () => {
    const deps = await depsWith(await fleetCycles(10, 2));
    const { record } = await retrainModel(deps, settings);
    expect(record.outcome).toBe('skipped');
    expect(record.reason).toContain('10 stored restart cycle(s)');
    expect(await deps.models.getModelVersion()).toBeUndefined();
    expect((await deps.models.listRetrainingRecords(5)).map((r) => r.outcome)).toEqual(['skipped']);
  });

  it('keeps a candidate that forecasts the held-back restarts better, stores it under the version condition, and records the figures', async () => {
    const deps = await depsWith(await fleetCycles(240, 2.5));
    const { record, chosen } = await retrainModel(deps, settings);
    expect(record.outcome).toBe('candidate');
    expect(record.cycles).toEqual({ fit: 180, heldBack: 60 });
    const scores = record.scores as { current: Record<string, { underProvisionRate: number; weightedQuantileLoss: number }>; candidate: typeof scores.current };
    expect(scores.current['vcpu']!.underProvisionRate).toBe(1);
    expect(scores.candidate['vcpu']!.weightedQuantileLoss).toBeLessThan(scores.current['vcpu']!.weightedQuantileLoss);
    expect(await deps.models.getModelVersion()).toBe(record.version);
    expect(chosen?.metadata.version).toBe(record.version);
    expect(chosen?.metadata.notes[0]).toMatch(/^gate: candidate better on held-back cycles/);
    // The trace evaluation it carries is the base model's, and says so.
    expect(chosen?.metadata.evaluation.split).toContain('before this retraining');
    expect(chosen?.metadata.notes[1]).toMatch(
      /^retrained at .* from 1\.0\.0\+[0-9a-f]{12}: \d+ epoch\(s\), stopped by (early-stop|max-epochs|deadline); the evaluation/,
    );
    // The stored model loads and is what a second run starts from.
    const stored = await deps.models.getModel();
    await expect(loadModelFromArtifacts(stored!.modelJson, stored!.weights, stored!.metadata)).resolves.toMatchObject({
      metadata: { version: record.version },
    });
    const again = await retrainModel(deps, settings);
    expect(again.record.previousVersion).toBe(record.version);
  }, 120_000);

  it('without save decides and reports but writes nothing', async () => {
    const deps = await depsWith(await fleetCycles(240, 2.5));
    const { record } = await retrainModel(deps, { ...settings, save: false });
    expect(record.outcome).toBe('candidate');
    expect(await deps.models.getModelVersion()).toBeUndefined();
    expect(await deps.models.listRetrainingRecords(5)).toEqual([]);
  }, 120_000);

  it('drops its candidate when another run stored a model after it read (the version condition)', async () => {
    const models = new InMemoryModelStore();
    const deps = await depsWith(await fleetCycles(240, 2.5), models);
    const racing: RetrainDeps = {
      ...deps,
      models: Object.assign(Object.create(models) as InMemoryModelStore, {
        getModel: async () => {
          const read = await models.getModel();
          await models.putModel(
            { version: 'other-run', modelJson: bundled.modelJson, weights: bundled.weights, metadata: bundled.metadata, savedAt: 0 },
            undefined,
          );
          return read;
        },
      }),
    };
    const { record } = await retrainModel(racing, settings);
    expect(record.outcome).toBe('current');
    expect(record.reason).toContain('another run stored a model');
    expect(await models.getModelVersion()).toBe('other-run');
  }, 120_000);
});
