import { loadModel, type LoadedModel } from '../../lambda/adapters/model-loader';
import { loadTracesWithReport } from '../../lambda/data/traces/load-traces';
import type { TraceSeries } from '../../lambda/data/traces/trace-series';
import { CALIBRATED_DIMENSIONS, calibrateForecast, calibrationFactors, cycleCase, p90Of } from '../../lambda/core/predict/calibrate';
import { DIMENSIONS, type Dimension, type RestartCycle } from '../../lambda/core/domain';
import { steadyStateBefore } from '../../lambda/core/profile/behaviour-profile';
import { toResources } from '../../lambda/core/resources/resources';
import { buildCases, buildRealStarts, CASE_KINDS, DEFAULT_CASE_OPTIONS, type CaseKind, type PredictionCase } from './build-cases';
import {
  collectScoredCases,
  type CaseForecasts,
  type CollectedCases,
  REPORT_DIMENSION_ORDER,
  REPORT_DIMENSIONS,
  scoreLists,
  type DimensionReport,
  type EvaluationReport,
  type ReportDimension,
} from './evaluate-cases';
import { conformalFactor, withModelP90Scaled, type ConformalFactor } from './real-start-conformal';
import { forecastCases, reportOnForecasts } from './run-evaluation';
import { splitSeries } from './split-series';

export interface EvaluateFolderOptions {
  readonly dataDir: string;
  readonly modelDir: string;
  readonly datasets?: readonly string[];
  readonly windowMinutes?: number;
  readonly seed?: number;
  /** Also score series the model was trained or calibrated on (off by default: that would flatter it). */
  readonly includeTrainingSeries?: boolean;
  readonly maxSeries?: number;
  /**
   * Also score the model with its p90 recalibrated for real starts (split-conformal, see
   * conformalFactor), the factor fitted on the real starts of the model's VALIDATION series read from
   * `calibrationDataDir` — the folder the model was trained on, whose split is recomputed from the
   * training seed and must reproduce the metadata's training series exactly. Never fitted on the
   * series being scored (those exclude every training series).
   */
  readonly realStartConformal?: { readonly calibrationDataDir: string; readonly coverage: number };
}

export interface RealStartConformalResult {
  readonly coverage: number;
  readonly calibrationDataDir: string;
  /** Validation series that had a real start to calibrate on. */
  readonly calibrationSeries: number;
  readonly factors: Readonly<Record<ReportDimension, ConformalFactor>>;
  /** The real-start cases scored with the model's p90 × factor (other predictors as they are). */
  readonly report: DimensionReport;
  /**
   * The same real starts with the model's forecasts recalibrated as the deployed profiler does
   * (core/predict/calibrate.ts: calibrationFactors over the validation series' real starts as the fleet's earlier
   * restarts, then calibrateForecast with each VM's provisioned capacity), other predictors as they are.
   */
  readonly deployed: {
    readonly factors: Readonly<Partial<Record<ReportDimension, number>>>;
    readonly capacityShares: Readonly<Partial<Record<ReportDimension, number>>>;
    readonly calibrationCases: number;
    readonly report: DimensionReport;
  };
}

export interface EvaluateFolderResult {
  readonly report: EvaluationReport & { readonly scored: CollectedCases };
  readonly model: LoadedModel;
  readonly seriesUsed: number;
  readonly seriesExcluded: number;
  /** True when the scored series are exactly the test split the model's training seed gives this folder. */
  readonly isTestSplit: boolean;
  readonly skippedSeries: readonly { readonly file: string; readonly reason: string }[];
  readonly cases: Readonly<Record<CaseKind, number>>;
  readonly realStartConformal?: RealStartConformalResult;
}

/**
 * `series` split as the model's training split them (its seed), and whether that reproduces the model's training
 * series exactly: every series that is not test is one it was trained or validated on, and every one it was is here.
 */
const trainingSplitOf = (series: readonly TraceSeries[], model: LoadedModel) => {
  const split = splitSeries(series, model.metadata.training.seed);
  const trained = new Set(model.metadata.trainingSeries);
  const nonTest = series.filter((s) => split.get(s.id) !== 'test');
  const found = nonTest.filter((s) => trained.has(s.id)).length;
  return { split, trained: trained.size, nonTest: nonTest.length, found, reproduced: found === trained.size && nonTest.length === trained.size };
};

/** Real-start p90 factors from the model's validation series in the folder it was trained on. */
const fitRealStartFactors = async (
  model: LoadedModel,
  calibrationDataDir: string,
  coverage: number,
  windowMinutes: number,
  seed: number,
): Promise<{
  factors: Record<ReportDimension, ConformalFactor>;
  cases: PredictionCase[];
  forecasts: CaseForecasts;
  calibrationSeries: number;
  ids: ReadonlySet<string>;
}> => {
  const { series } = loadTracesWithReport(calibrationDataDir, {});
  const { split, trained, nonTest, found, reproduced } = trainingSplitOf(series, model);
  if (!reproduced) {
    throw new Error(
      `calibration data ${calibrationDataDir} does not reproduce the model's training split (seed ${model.metadata.training.seed}): ` +
        `${found} of its ${trained} training series found, ${nonTest - found} other series would be train/validation`,
    );
  }
  const validation = series.filter((s) => split.get(s.id) === 'validation');
  const cases = validation.flatMap((s) => buildRealStarts(s, { ...DEFAULT_CASE_OPTIONS, seed, windowMinutes: [windowMinutes] }));
  const forecasts = await forecastCases(cases, model);
  const scored = collectScoredCases(cases, forecasts).byKind['real-start'];
  const factors = Object.fromEntries(REPORT_DIMENSION_ORDER.map((rd) => [rd, conformalFactor(scored[rd].model, coverage)])) as Record<
    ReportDimension,
    ConformalFactor
  >;
  return { factors, cases, forecasts, calibrationSeries: new Set(cases.map((c) => c.seriesId)).size, ids: new Set(validation.map((s) => s.id)) };
};

/**
 * The deployed recalibration on real starts: every calibration real start is a closed restart cycle of the fleet (its
 * score the observed peak ÷ the model's p90, its share the peak ÷ the VM's provisioned capacity, as cycleScores and
 * cycleShares record them), the profiler's calibrationFactors turn them into factors, and calibrateForecast applies them
 * to the scored real starts' model forecasts with each VM's capacity. The scored cases' own outcomes are never used.
 */
const deployedRecalibration = (
  calibration: { readonly cases: readonly PredictionCase[]; readonly forecasts: CaseForecasts },
  scored: { readonly cases: readonly PredictionCase[]; readonly forecasts: CaseForecasts },
) => {
  const cases = calibration.cases.flatMap((c, i) => {
    const forecast = calibration.forecasts.model[i];
    const forecastBefore = forecast === undefined ? undefined : p90Of(forecast);
    if (forecastBefore === undefined) return [];
    // The closed cycle the profiler would have recorded for this start (only what scoring reads): a replacement's
    // inherited window records its victim's steady p90 as the steady state before (core/profile/inherit-profile.ts);
    // here the profile the forecast was made from stands for the victim. A dimension with none is no evidence.
    const cycle: RestartCycle = {
      interruptedAt: c.input.now,
      restartedAt: c.input.now + c.input.downtimeSeconds * 1000,
      downtimeSeconds: c.input.downtimeSeconds,
      steadyBefore: steadyStateBefore(c.input.profile),
      peakAfter: toResources(c.actual),
      curve: [],
      unobserved: DIMENSIONS.filter((d) => c.actual[d] === undefined),
      forecastBefore,
      ...(c.capacity !== undefined ? { hostCapacity: c.capacity } : {}),
    };
    return cycleCase(c.input.profile.jobType, cycle);
  });
  const factors = calibrationFactors(cases);
  const recalibrated = scored.forecasts.model.map((f, i) => calibrateForecast(f, scored.cases[i]!.input.profile.jobType, factors, scored.cases[i]!.capacity));
  const lists = collectScoredCases(scored.cases, { ...scored.forecasts, model: recalibrated }).byKind['real-start'];
  const named = (of: Partial<Record<Dimension, number>> | undefined) =>
    Object.fromEntries(CALIBRATED_DIMENSIONS.flatMap((d) => (of?.[d] === undefined ? [] : [[REPORT_DIMENSIONS[d], of[d]]])));
  return { factors: named(factors.pooled), capacityShares: named(factors.shares?.pooled), calibrationCases: cases.length, report: scoreLists(lists) };
};

/** The real-start cases and their forecasts, index-aligned as collectScoredCases reads them. */
const realStartsOf = (cases: readonly PredictionCase[], forecasts: CaseForecasts) => {
  const at = cases.flatMap((c, i) => (c.kind === 'real-start' ? [i] : []));
  return { cases: at.map((i) => cases[i]!), forecasts: { model: at.map((i) => forecasts.model[i]!), fallback: at.map((i) => forecasts.fallback[i]!) } };
};

/** The scored series are the whole test split of `all` under the model's training seed, and the rest its training series. */
const isTestSplitOf = (all: readonly TraceSeries[], scored: readonly TraceSeries[], model: LoadedModel): boolean => {
  const { split, reproduced } = trainingSplitOf(all, model);
  return reproduced && scored.length === all.length - model.metadata.trainingSeries.length && scored.every((s) => split.get(s.id) === 'test');
};

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
  // One forecast batch for every case (the fallback learns its job-type factors from the whole batch): the deployed
  // recalibration below rescales the model's forecasts of the real starts from it, every other predictor as scored here.
  const forecasts = await forecastCases(cases, model);
  const report = reportOnForecasts(cases, forecasts);
  const counts = Object.fromEntries(CASE_KINDS.map((k) => [k, cases.filter((c) => c.kind === k).length])) as Record<CaseKind, number>;
  let realStartConformal: RealStartConformalResult | undefined;
  if (opts.realStartConformal) {
    const { calibrationDataDir, coverage } = opts.realStartConformal;
    const fit = await fitRealStartFactors(model, calibrationDataDir, coverage, windowMinutes, opts.seed ?? DEFAULT_CASE_OPTIONS.seed);
    const leaked = series.filter((s) => fit.ids.has(s.id)).map((s) => s.id);
    if (leaked.length > 0)
      throw new Error(`real-start calibration series are also being scored: ${leaked.slice(0, 5).join(', ')} (drop --include-training-series)`);
    const factorOf = Object.fromEntries(REPORT_DIMENSION_ORDER.map((rd) => [rd, fit.factors[rd].factor]));
    realStartConformal = {
      coverage,
      calibrationDataDir,
      calibrationSeries: fit.calibrationSeries,
      factors: fit.factors,
      report: scoreLists(withModelP90Scaled(report.scored.byKind['real-start'], factorOf)),
      deployed: deployedRecalibration(fit, realStartsOf(cases, forecasts)),
    };
  }
  return {
    ...(realStartConformal ? { realStartConformal } : {}),
    report,
    model,
    seriesUsed: series.length,
    seriesExcluded: loaded.series.length - series.length,
    isTestSplit: isTestSplitOf(loaded.series, series, model),
    skippedSeries: loaded.skippedSeries,
    cases: counts,
  };
};
