import type { InstanceCatalog, PredictionInput } from '../../lambda/core/domain';
import { FallbackPredictor } from '../../lambda/core/predict/fallback-predictor';
import { TfjsPredictor } from '../../lambda/adapters/tfjs-predictor';
import type { LoadedModel } from '../../lambda/adapters/model-loader';
import type { PredictionCase } from './build-cases';
import { collectScoredCases, reportOf, type CaseForecasts, type CollectedCases, type EvaluationReport } from './evaluate-cases';

/**
 * Trace profiles have no data for some dimensions (Azure has CPU only), and the fallback answers
 * 'unknown' for a whole instance when any dimension is missing. For evaluation only, it is told to
 * assume a placeholder shape for missing dimensions; those dimensions have no observed peak either,
 * so they are never scored — the placeholder only keeps the scored dimensions answerable.
 */
const TRACE_CATALOG: InstanceCatalog = new Map([
  ['trace', { name: 'trace', resources: { vcpu: 1, memoryGiB: 1, networkMbps: 1, diskIops: 1 }, onDemandHourlyUsd: 0 }],
]);

export const traceFallbackPredictor = (): FallbackPredictor => new FallbackPredictor({ assumeShapeFrom: TRACE_CATALOG });

/** Forecasts of the model (answering every dimension it can: gating 'all') and of the fallback, index-aligned with the cases. */
export const forecastCases = async (cases: readonly PredictionCase[], loaded: LoadedModel): Promise<CaseForecasts> => {
  const fallback = traceFallbackPredictor();
  const model = new TfjsPredictor(loaded, { fallback, gating: 'all' });
  // One batch, as one profile tick: the fallback learns its job-type factors from the whole batch.
  const inputs: PredictionInput[] = cases.map((c) => c.input);
  const [modelForecasts, fallbackForecasts] = await Promise.all([model.predict(inputs), fallback.predict(inputs)]);
  return { model: modelForecasts, fallback: fallbackForecasts };
};

/** Forecasts already made for the cases (forecastCases), scored: the report with the pairs behind it. */
export const reportOnForecasts = (cases: readonly PredictionCase[], forecasts: CaseForecasts): EvaluationReport & { readonly scored: CollectedCases } => {
  const scored = collectScoredCases(cases, forecasts);
  return { ...reportOf(scored), scored };
};

/** Forecasts of the model and of the fallback (forecastCases), scored. */
export const evaluateModelOnCases = async (
  cases: readonly PredictionCase[],
  loaded: LoadedModel,
): Promise<EvaluationReport & { readonly scored: CollectedCases }> => reportOnForecasts(cases, await forecastCases(cases, loaded));
