import { DIMENSIONS, type Dimension, type Forecast } from '../../lambda/core/domain';
import { isEmptyHistogram } from '../../lambda/core/profile/decaying-histogram';
import { BASELINE_NAMES } from './baselines';
import { CASE_KINDS, type CaseKind, type PredictionCase } from './build-cases';
import { operatingPointAt, scoreForecasts, type OperatingPoint, type ScoredCase, type Scores } from '../../lambda/core/predict/score-forecasts';

/** Dimension names in reports (the JSON keys of the evaluation report). */
export const REPORT_DIMENSIONS: Readonly<Record<Dimension, ReportDimension>> = { vcpu: 'cpu', memoryGiB: 'memory', networkMbps: 'network', diskIops: 'disk' };
export type ReportDimension = 'cpu' | 'memory' | 'network' | 'disk';
export const REPORT_DIMENSION_ORDER: readonly ReportDimension[] = ['cpu', 'memory', 'network', 'disk'];

export const PREDICTOR_NAMES = ['model', 'fallback', 'last-value', 'vpa', 'autopilot'] as const;
export type PredictorName = (typeof PREDICTOR_NAMES)[number];

/** The baselines every predictor is also compared with at equal under-provision rate. */
export const EQUAL_RATE_BASELINES = ['vpa', 'autopilot'] as const;
export type EqualRateBaseline = (typeof EQUAL_RATE_BASELINES)[number];

/**
 * A predictor's scores plus, per baseline b, the predictor moved to b's under-provision rate on the
 * same cases (its p90 scaled by the smallest common factor that reaches it, see operatingPointAt;
 * b itself is moved too, with a factor ≤ 1). Comparing weightedSlack there says who reserves less for
 * the same safety. null when b has no cases.
 */
export interface PredictorReport extends Scores {
  readonly atBaselineRate: Readonly<Record<EqualRateBaseline, OperatingPoint | null>>;
  /**
   * The predictor moved to the model's own under-provision rate on the same cases (operatingPointAt): the other
   * reading of "at the same rate" — where the model is deployed, how much each baseline would reserve for the same
   * safety. null when the model has no cases.
   */
  readonly atModelRate: OperatingPoint | null;
}
export type DimensionReport = Record<ReportDimension, Record<PredictorName, PredictorReport>>;
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

const scoreDimension = (lists: Record<PredictorName, ScoredCase[]>): Record<PredictorName, PredictorReport> => {
  const base = Object.fromEntries(PREDICTOR_NAMES.map((p) => [p, scoreForecasts(lists[p])])) as Record<PredictorName, Scores>;
  const out = {} as Record<PredictorName, PredictorReport>;
  for (const p of PREDICTOR_NAMES) {
    const atBaselineRate = {} as Record<EqualRateBaseline, OperatingPoint | null>;
    for (const b of EQUAL_RATE_BASELINES) {
      const target = base[b].underProvisionRate;
      atBaselineRate[b] = target === null ? null : operatingPointAt(lists[p], target);
    }
    const modelRate = base.model.underProvisionRate;
    out[p] = { ...base[p], atBaselineRate, atModelRate: modelRate === null ? null : operatingPointAt(lists[p], modelRate) };
  }
  return out;
};

/** One DimensionReport of scored lists (every predictor, with the equal-rate comparisons). */
export const scoreLists = (t: ScoredLists): DimensionReport =>
  Object.fromEntries(REPORT_DIMENSION_ORDER.map((rd) => [rd, scoreDimension(t[rd])])) as DimensionReport;

/** byKind keys in camelCase, written beside the case kinds' own names in the `--json` file. */
export const BY_KIND_JSON_KEYS: Readonly<Record<CaseKind, string>> = { 'real-start': 'realStart', 'simulated-interruption': 'simulatedInterruption' };

/**
 * The `--json` file: `{"dimensions": …, "byKind": {"real-start", "simulated-interruption", "realStart",
 * "simulatedInterruption"}}`. The kebab-case keys are the file's original ones and stay; the camelCase
 * ones hold the same tables for readers that address `byKind.realStart.<dim>.<predictor>`.
 */
export const reportJson = (report: EvaluationReport): { dimensions: DimensionReport; byKind: Record<string, DimensionReport> } => {
  const byKind: Record<string, DimensionReport> = { ...report.byKind };
  for (const k of CASE_KINDS) byKind[BY_KIND_JSON_KEYS[k]] = report.byKind[k];
  return { dimensions: report.dimensions, byKind };
};

/** The report of collected cases (see collectScoredCases for which cases count). */
export const reportOf = (collected: CollectedCases): EvaluationReport => ({
  dimensions: scoreLists(collected.all),
  byKind: Object.fromEntries(CASE_KINDS.map((k) => [k, scoreLists(collected.byKind[k])])) as Record<CaseKind, DimensionReport>,
});

const fmt = (v: number | null, pct = false): string => (v === null ? '—' : pct ? `${(v * 100).toFixed(1)} %` : v >= 1000 ? v.toFixed(0) : v.toPrecision(3));

/** A point's weightedSlack; '—' without one (also for a report recorded before the point existed: undefined). */
const slackAt = (point: OperatingPoint | null | undefined): string => (point == null || point.factor === null ? '—' : fmt(point.weightedSlack, true));

/**
 * A plain-text table of one DimensionReport (one line per dimension × predictor). `w.slack@vpa` is
 * the predictor's weightedSlack at VPA's under-provision rate on the same cases (likewise @autopilot,
 * and @model at the model's own rate).
 */
export const formatReportTable = (report: DimensionReport, title: string): string => {
  const header = [
    'dimension',
    'predictor',
    'under-prov',
    'w.slack',
    'w.slack@vpa',
    'w.slack@autopilot',
    'w.slack@model',
    'wQL',
    'mean slack',
    'pinball50',
    'pinball90',
    'cases',
  ];
  const lines: string[][] = [];
  for (const rd of REPORT_DIMENSION_ORDER) {
    for (const p of PREDICTOR_NAMES) {
      const s = report[rd][p];
      lines.push([
        rd,
        p,
        fmt(s.underProvisionRate, true),
        fmt(s.weightedSlack, true),
        slackAt(s.atBaselineRate.vpa),
        slackAt(s.atBaselineRate.autopilot),
        slackAt(s.atModelRate),
        fmt(s.weightedQuantileLoss),
        fmt(s.meanSlack, true),
        fmt(s.pinball50),
        fmt(s.pinball90),
        String(s.cases),
      ]);
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

/** The real-start goal: p90 under-provision at most this, for CPU and memory. */
export const REAL_START_TARGET_UNDER_PROVISION = 0.1;

export interface GoalVerdict {
  readonly dimension: 'cpu' | 'memory';
  readonly met: boolean;
  /** Every figure behind the verdict, with the shortfall where it is missed. */
  readonly detail: string;
}

const pct = (v: number): string => `${(v * 100).toFixed(1)} %`;

/**
 * The real-start goal on one table (real-start cases of series the model never saw), per CPU and
 * memory: the model's p90 under-provisions at most 10 %, and at each of VPA's and Autopilot's own
 * under-provision rates its weightedSlack is strictly below that baseline's (both moved to the rate
 * with their smallest p90 factor, so neither is charged for slack it did not need).
 */
export const realStartGoal = (table: DimensionReport): GoalVerdict[] =>
  (['cpu', 'memory'] as const).map((rd) => {
    const m = table[rd].model;
    if (m.cases === 0 || m.underProvisionRate === null) return { dimension: rd, met: false, detail: `${rd}: no real-start cases` };
    let met = m.underProvisionRate <= REAL_START_TARGET_UNDER_PROVISION;
    const parts = [
      `${rd}: model under-provisions ${pct(m.underProvisionRate)} of ${m.cases} real starts` +
        (met
          ? ` (≤ ${pct(REAL_START_TARGET_UNDER_PROVISION)})`
          : ` (target ≤ ${pct(REAL_START_TARGET_UNDER_PROVISION)}: ${((m.underProvisionRate - REAL_START_TARGET_UNDER_PROVISION) * 100).toFixed(1)} points over)`),
    ];
    for (const b of EQUAL_RATE_BASELINES) {
      const mine = m.atBaselineRate[b];
      const theirs = table[rd][b].atBaselineRate[b];
      if (mine === null || theirs === null || mine.weightedSlack === null || theirs.weightedSlack === null) {
        met = false;
        parts.push(`at ${b}'s rate: not comparable (no factor reaches it or nothing covered)`);
        continue;
      }
      const lower = mine.weightedSlack < theirs.weightedSlack;
      if (!lower) met = false;
      parts.push(
        `at ${b}'s rate ${pct(theirs.targetRate)}: model weightedSlack ${pct(mine.weightedSlack)} (p90 × ${mine.factor!.toFixed(2)}) vs ${b} ${pct(theirs.weightedSlack)} (p90 × ${theirs.factor!.toFixed(2)})` +
          (lower ? '' : ` — NOT lower, by ${((mine.weightedSlack - theirs.weightedSlack) * 100).toFixed(1)} points`),
      );
    }
    return { dimension: rd, met, detail: parts.join('; ') };
  });

/**
 * The equal-rate comparison read the other way, beside the goal's verdict (which it does not change): every
 * predictor moved to the model's own under-provision rate (each with its smallest p90 factor, the model too), so
 * the question is how much VPA and Autopilot would reserve for the safety the model is deployed at. One line per CPU
 * and memory; a baseline no factor brings to that rate, or that then covers nothing, is "not comparable".
 */
export const atModelRateReading = (table: DimensionReport): string[] =>
  (['cpu', 'memory'] as const).map((rd) => {
    const mine = table[rd].model.atModelRate;
    if (mine === null || mine.weightedSlack === null) return `${rd}: no reading at the model's rate (no real-start case covered)`;
    const parts = EQUAL_RATE_BASELINES.map((b) => {
      const theirs = table[rd][b].atModelRate;
      if (theirs === null || theirs.factor === null || theirs.weightedSlack === null) return `${b} not comparable (no factor reaches it or nothing covered)`;
      const lower = mine.weightedSlack! < theirs.weightedSlack;
      return (
        `${b} ${pct(theirs.weightedSlack)} (p90 × ${theirs.factor.toFixed(2)})` +
        (lower ? ' — model lower' : ` — model NOT lower, by ${((mine.weightedSlack! - theirs.weightedSlack) * 100).toFixed(1)} points`)
      );
    });
    return `${rd} at the model's rate ${pct(mine.targetRate)}: model weightedSlack ${pct(mine.weightedSlack)} (p90 × ${mine.factor!.toFixed(2)}) vs ${parts.join(', ')}`;
  });
