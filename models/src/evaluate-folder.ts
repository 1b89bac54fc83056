import { loadModel, type LoadedModel } from '../../lambda/adapters/model-loader';
import { loadTracesWithReport } from '../../lambda/sim/traces/load-traces';
import { buildCases, CASE_KINDS, DEFAULT_CASE_OPTIONS, type CaseKind } from './build-cases';
import type { EvaluationReport } from './evaluate-cases';
import { evaluateModelOnCases } from './run-evaluation';

export interface EvaluateFolderOptions {
  readonly dataDir: string;
  readonly modelDir: string;
  readonly datasets?: readonly string[];
  readonly windowMinutes?: number;
  readonly seed?: number;
  /** Also score series the model was trained or calibrated on (off by default: that would flatter it). */
  readonly includeTrainingSeries?: boolean;
  readonly maxSeries?: number;
}

export interface EvaluateFolderResult {
  readonly report: EvaluationReport;
  readonly model: LoadedModel;
  readonly seriesUsed: number;
  readonly seriesExcluded: number;
  readonly skippedSeries: readonly { readonly file: string; readonly reason: string }[];
  readonly cases: Readonly<Record<CaseKind, number>>;
}

/**
 * `npm run evaluate`'s work: load the artifact and every series under `dataDir` (any folder in the
 * shared layout, indexed or not), drop the series listed in the model's metadata as training or
 * calibration series, build cases exactly as training built its validation/test cases (same seed,
 * W = 30 unless told), and score the model, the fallback and the three baselines on them.
 */
export const evaluateFolder = async (opts: EvaluateFolderOptions): Promise<EvaluateFolderResult> => {
  const model = await loadModel(opts.modelDir);
  const loaded = loadTracesWithReport(opts.dataDir, {
    ...(opts.datasets ? { datasets: [...opts.datasets] } : {}),
    ...(opts.maxSeries !== undefined ? { maxSeries: opts.maxSeries } : {}),
  });
  const trained = new Set(opts.includeTrainingSeries ? [] : model.metadata.trainingSeries);
  const series = loaded.series.filter((s) => !trained.has(s.id));
  const windowMinutes = opts.windowMinutes ?? model.metadata.windowMinutes.default;
  const cases = buildCases(series, { ...DEFAULT_CASE_OPTIONS, seed: opts.seed ?? DEFAULT_CASE_OPTIONS.seed, windowMinutes: [windowMinutes] });
  const report = await evaluateModelOnCases(cases, model);
  const counts = Object.fromEntries(CASE_KINDS.map((k) => [k, cases.filter((c) => c.kind === k).length])) as Record<CaseKind, number>;
  return {
    report,
    model,
    seriesUsed: series.length,
    seriesExcluded: loaded.series.length - series.length,
    skippedSeries: loaded.skippedSeries,
    cases: counts,
  };
};
