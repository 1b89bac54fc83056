import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DIMENSIONS } from '../../lambda/core/domain';
import { MODEL_FEATURE_NAMES } from '../../lambda/core/predict/model-features';
import { splitSeries } from '../../models/src/split-series';
import { DEFAULT_TRAIN_OPTIONS, trainModel } from '../../models/src/train-model';

/** Ten made-up Azure-format VMs, two days each: a daily wave plus a burst every few hours. */
const makeData = (): string => {
  const root = mkdtempSync(join(tmpdir(), 'spotwise-train-'));
  mkdirSync(join(root, 'az/series'), { recursive: true });
  for (let v = 0; v < 10; v++) {
    const rows = ['step_5min,avg_cpu_pct,max_cpu_pct'];
    for (let i = 0; i < 576; i++) {
      const avg = 10 + 3 * v + 8 * Math.sin((2 * Math.PI * i) / 288) + (i % (40 + v) < 3 ? 25 : 0);
      rows.push(`${i},${avg.toFixed(2)},${Math.min(100, avg * 1.5).toFixed(2)}`);
    }
    writeFileSync(join(root, `az/series/vm_${v}.csv`), rows.join('\n'));
  }
  return root;
};

describe('trainModel (smoke: 2 epochs on made-up data, cpu backend)', () => {
  it('trains, calibrates, gates and evaluates into a loadable artifact, reproducibly', async () => {
    const dataDir = makeData();
    const opts = { ...DEFAULT_TRAIN_OPTIONS, dataDir, maxEpochs: 2, backend: 'cpu' as const, log: () => {} };
    const a = await trainModel(opts);
    const b = await trainModel(opts);

    expect(Buffer.from(a.artifact.weights).equals(Buffer.from(b.artifact.weights))).toBe(true);
    expect(a.metadata.version).toBe(b.metadata.version);
    expect(a.artifact.weights.byteLength + JSON.stringify(a.artifact.modelJson).length).toBeLessThan(500 * 1024);

    const m = a.metadata;
    expect(m.featureOrder).toEqual([...MODEL_FEATURE_NAMES]);
    expect(m.training.backend).toBe('cpu');
    expect(m.training.epochs).toBeLessThanOrEqual(2);
    for (const d of DIMENSIONS) expect(['model', 'fallback']).toContain(m.gating[d].use);
    // Azure-format data has CPU only: the other dimensions cannot be gated on (no validation cases).
    for (const d of ['memoryGiB', 'networkMbps', 'diskIops'] as const)
      expect(m.gating[d]).toEqual({ use: 'fallback', reason: 'only 0 validation cases (need 30)' });
    // Test series are never among the series the model saw, and evaluation ran on them.
    const split = splitSeries(
      Array.from({ length: 10 }, (_, v) => ({ id: `az/vm_${v}`, dataset: 'az' })),
      opts.seed,
    );
    const testIds = [...split].filter(([, s]) => s === 'test').map(([id]) => id);
    expect(testIds.length).toBeGreaterThan(0);
    for (const id of testIds) expect(m.trainingSeries).not.toContain(id);
    expect(m.trainingSeries).toHaveLength(10 - testIds.length);
    expect(m.evaluation.dimensions.cpu!.model!.cases).toBeGreaterThan(0);
    expect(Object.keys(m.targets)).toEqual(['cpu', 'memory']);
    expect(m.targets.memory!.met).toBe(false);
  }, 120_000);
});
