import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../lambda/adapters/model-loader';
import { evaluateFolder } from '../../models/src/evaluate-folder';
import { recordEvaluation } from '../../models/src/record-evaluation';

const ROOT = join(import.meta.dirname, '../..');
const TINY = join(ROOT, 'test/fixtures/datasets/tiny');
const MODEL = join(ROOT, 'models/post-restart-demand');

describe('recordEvaluation (npm run evaluate -- --record)', () => {
  it("replaces the test figures, the targets and the notes derived from them; keeps the training run's weights-side fields", async () => {
    const { metadata } = await loadModel(MODEL);
    const { report } = await evaluateFolder({ dataDir: TINY, modelDir: MODEL });
    const recorded = recordEvaluation(metadata, report, new Date(Date.UTC(2026, 11, 7)), 'the trace reader changed');
    expect(recorded.evaluation).toEqual({ split: 'test', dimensions: report.dimensions, byKind: report.byKind });
    for (const key of ['gating', 'confidence', 'calibration', 'training', 'trainingSeries', 'version', 'featureRange'] as const)
      expect(recorded[key]).toEqual(metadata[key]);
    // The gating notes stay; the test-derived ones are re-derived once (recording twice does not pile them up).
    const gatingNotes = metadata.notes.filter((n) => /production uses the/.test(n));
    expect(recorded.notes.filter((n) => /production uses the/.test(n))).toEqual(gatingNotes);
    const again = recordEvaluation(recorded, report, new Date(Date.UTC(2026, 11, 8)), 'again');
    expect(again.notes.filter((n) => /^Test figures re-recorded/.test(n))).toEqual([
      "Test figures re-recorded 2026-12-08 (npm run evaluate -- --record): again. Weights, calibration, gating and confidence are the training run's.",
    ]);
    expect(again.notes.filter((n) => /^Real starts: |^No real-start cases /.test(n))).toHaveLength(1);
    expect(again.notes.filter((n) => /^cpu: target /.test(n))).toHaveLength(1);
  });
});
