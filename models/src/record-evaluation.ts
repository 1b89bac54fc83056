import type { ModelMetadata } from '../../lambda/adapters/model-loader';
import type { CollectedCases, EvaluationReport } from './evaluate-cases';
import { aboveAimNotes, checkTargets, realStartNote, targetNotes } from './train-model';

/** Notes that training derived from its test figures (re-derived when the figures are re-recorded). */
const TEST_NOTE = /^(cpu|memory): target |^(cpu|memory|network|disk): on the test series |^Real starts: |^No real-start cases |^Test figures re-recorded /;

/**
 * The artifact's metadata with its test-split figures re-recorded from `report` (the committed weights scored again on
 * the same test series, e.g. after the way traces are read changed): `evaluation`, `targets` and the notes derived from
 * them. Weights, calibration, gating and confidence stay the training run's (they were decided on its validation
 * series), and a note says when and why the figures were re-recorded.
 */
export const recordEvaluation = (
  metadata: ModelMetadata,
  report: EvaluationReport & { readonly scored: CollectedCases },
  at: Date,
  why: string,
): ModelMetadata => {
  const targets = checkTargets(report.dimensions, report.scored.all);
  return {
    ...metadata,
    evaluation: { split: 'test', dimensions: report.dimensions, byKind: report.byKind },
    targets,
    notes: [
      ...metadata.notes.filter((n) => !TEST_NOTE.test(n)),
      ...targetNotes(targets),
      ...aboveAimNotes(report, metadata.gating),
      realStartNote(report),
      `Test figures re-recorded ${at.toISOString().slice(0, 10)} (npm run evaluate -- --record): ${why}. Weights, calibration, gating and confidence are the training run's.`,
    ],
  };
};
