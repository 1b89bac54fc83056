import { DIMENSIONS, type Dimension, type Forecast } from '../../lambda/core/domain';
import { isEmptyHistogram } from '../../lambda/core/profile/decaying-histogram';
import { BASELINE_NAMES } from './baselines';
import { CASE_KINDS, type CaseKind, type PredictionCase } from './build-cases';
import { scoreForecasts, type ScoredCase, type Scores } from './score-forecasts';

/** Dimension names in reports (the JSON keys of the evaluation report). */
export const REPORT_DIMENSIONS: Readonly<Record<Dimension, ReportDimension>> = { vcpu: 'cpu', memoryGiB: 'memory', networkMbps: 'network', diskIops: 'disk' };
export type ReportDimension = 'cpu' | 'memory' | 'network' | 'disk';
export const REPORT_DIMENSION_ORDER: readonly ReportDimension[] = ['cpu', 'memory', 'network', 'disk'];

export const PREDICTOR_NAMES = ['model', 'fallback', 'last-value', 'vpa', 'autopilot'] as const;
export type PredictorName = (typeof PREDICTOR_NAMES)[number];

export type DimensionReport = Record<ReportDimension, Record<PredictorName, Scores>>;
export interface EvaluationReport {
  /** All cases together: the `--json` file's required key. */
  readonly dimensions: DimensionReport;
  /** The same, per case kind (real starts, simulated interruptions). */
  readonly byKind: Record<CaseKind, DimensionReport>;
}

/** The model's and the fallback's forecasts, index-aligned with the cases. */
export interface CaseForecasts {
  readonly model: readonly Forecast[];
  readonly fallback: readonly Forecast[];
}

const quantilesOf = (f: Forecast | undefined, d: Dimension): { p50: number; p90: number } | undefined =>
  f?.kind === 'known' ? { p50: f.dims[d].p50, p90: f.dims[d].p90 } : undefined;

/** The forecast/actual pairs behind a report, per dimension and predictor (all kinds, and per kind). */
export type ScoredLists = Record<ReportDimension, Record<PredictorName, ScoredCase[]>>;
export interface CollectedCases {
  readonly all: ScoredLists;
  readonly byKind: Record<CaseKind, ScoredLists>;
}

/**
 * Collects, for every predictor, the SAME case-dimensions, so the figures compare like with like: a
 * case-dimension counts when it has an observed peak, the profile has a steady state for it before t,
 * and all five predictors answered it. Per-kind lists split those same case-dimensions.
 */
export const collectScoredCases = (cases: readonly PredictionCase[], forecasts: CaseForecasts): CollectedCases => {
  const empty = (): ScoredLists =>
    Object.fromEntries(REPORT_DIMENSION_ORDER.map((rd) => [rd, Object.fromEntries(PREDICTOR_NAMES.map((p) => [p, [] as ScoredCase[]]))])) as ScoredLists;
  const all = empty();
  const byKind = Object.fromEntries(CASE_KINDS.map((k) => [k, empty()])) as Record<CaseKind, ScoredLists>;

  cases.forEach((c, i) => {
    for (const d of DIMENSIONS) {
      const actual = c.actual[d];
      if (actual === undefined || isEmptyHistogram(c.input.profile.steady[d])) continue;
      const answers: Partial<Record<PredictorName, { p50: number; p90: number }>> = {
        model: quantilesOf(forecasts.model[i], d),
        fallback: quantilesOf(forecasts.fallback[i], d),
      };
      for (const b of BASELINE_NAMES) answers[b] = c.baselines[b][d];
      if (PREDICTOR_NAMES.some((p) => answers[p] === undefined)) continue;
      const rd = REPORT_DIMENSIONS[d];
      for (const p of PREDICTOR_NAMES) {
        const scored = { ...answers[p]!, actual };
        all[rd][p].push(scored);
        byKind[c.kind][rd][p].push(scored);
      }
    }
  });

  return { all, byKind };
};

const scoreLists = (t: ScoredLists): DimensionReport =>
  Object.fromEntries(REPORT_DIMENSION_ORDER.map((rd) => [rd, Object.fromEntries(PREDICTOR_NAMES.map((p) => [p, scoreForecasts(t[rd][p])]))])) as DimensionReport;

/** The report of collected cases (see collectScoredCases for which cases count). */
export const reportOf = (collected: CollectedCases): EvaluationReport => ({
  dimensions: scoreLists(collected.all),
  byKind: Object.fromEntries(CASE_KINDS.map((k) => [k, scoreLists(collected.byKind[k])])) as Record<CaseKind, DimensionReport>,
});

/** Scores every predictor on the same case-dimensions (collectScoredCases + reportOf). */
export const scoreCases = (cases: readonly PredictionCase[], forecasts: CaseForecasts): EvaluationReport => reportOf(collectScoredCases(cases, forecasts));

const fmt = (v: number | null, pct = false): string => (v === null ? '—' : pct ? `${(v * 100).toFixed(1)} %` : v >= 1000 ? v.toFixed(0) : v.toPrecision(3));

/** A plain-text table of one DimensionReport (one line per dimension × predictor). */
export const formatReportTable = (report: DimensionReport, title: string): string => {
  const header = ['dimension', 'predictor', 'under-prov', 'mean slack', 'pinball50', 'pinball90', 'cases'];
  const lines: string[][] = [];
  for (const rd of REPORT_DIMENSION_ORDER) {
    for (const p of PREDICTOR_NAMES) {
      const s = report[rd][p];
      lines.push([rd, p, fmt(s.underProvisionRate, true), s.meanSlack === null ? '—' : `${(s.meanSlack * 100).toFixed(1)} %`, fmt(s.pinball50), fmt(s.pinball90), String(s.cases)]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: readonly string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = [title, row(header), widths.map((w) => '-'.repeat(w)).join('  ')];
  let previous = '';
  for (const l of lines) {
    if (previous && l[0] !== previous) out.push('');
    previous = l[0]!;
    out.push(row(l));
  }
  return out.join('\n');
};
