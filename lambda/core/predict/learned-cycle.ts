import { DIMENSIONS, type BehaviourProfile, type Dimension, type LearnedCycle } from '../domain';
import { closedCycle } from '../profile/behaviour-profile';
import { cycleObserved } from '../profile/cycle-observed';
import { cycleScores, cycleShares } from './calibrate';
import { toLogRatio } from './model-features';
import { scoreForecasts, type ScoredCase, type Scores } from './score-forecasts';

/**
 * The periodic retraining's pure side: which closed cycles are training cases, how they are split, and when a
 * retrained candidate replaces the current model. The tfjs side is lambda/adapters/tfjs-fine-tune.ts; the job that
 * runs both is lambda/app/retrain-model.ts.
 */

/**
 * The training case a restart window closed this tick gives, or undefined: `before` is the profile with the window
 * open (its `featuresBefore` recorded when it opened), `closed` the profile after closeRestartWindow. A dimension is a
 * case when the window observed it, it had a steady state before (a lineage whose load never arrived is not one), and
 * it had features; a cycle without any such dimension is none. It carries its calibration scores (observed peak ÷ the
 * model's p90 before it), the evidence other groups' recalibration borrows.
 */
export const learnedCycleOf = (before: BehaviourProfile, closed: BehaviourProfile, windowMinutes: number): LearnedCycle | undefined => {
  const features = before.openRestart?.featuresBefore;
  const cycle = closedCycle(before, closed);
  if (features === undefined || cycle === undefined) return undefined;
  const rows: { [D in Dimension]?: LearnedCycle['rows'][D] } = {};
  for (const d of DIMENSIONS) {
    const f = features[d];
    if (f !== undefined && cycleObserved(cycle, d) && cycle.peakAfter[d] >= 0) rows[d] = { ...f, peak: cycle.peakAfter[d] };
  }
  if (Object.keys(rows).length === 0) return undefined;
  const calibration = cycleScores(cycle);
  const shares = cycleShares(cycle);
  return {
    groupId: closed.groupId,
    instanceId: closed.instanceId,
    jobType: closed.jobType,
    instanceType: closed.instanceType,
    interruptedAt: cycle.interruptedAt,
    restartedAt: cycle.restartedAt,
    windowMinutes,
    rows,
    ...(Object.keys(calibration).length > 0 ? { calibration } : {}),
    ...(Object.keys(shares).length > 0 ? { shares } : {}),
  };
};

/** One (cycle, dimension) training row: the feature row, its scale, and the log-ratio target of the observed peak. */
export interface CycleRow {
  readonly dimension: Dimension;
  readonly features: readonly number[];
  readonly scale: number;
  readonly target: number;
  readonly actual: number;
}

/** Rows of every dimension of every cycle (rows whose numbers are not finite are skipped). */
export const cycleRows = (cycles: readonly LearnedCycle[], featureCount: number): CycleRow[] =>
  cycles.flatMap((c) =>
    DIMENSIONS.flatMap((d) => {
      const r = c.rows[d];
      if (r === undefined || r.values.length !== featureCount || !r.values.every(Number.isFinite) || !(r.scale >= 0) || !(r.peak >= 0)) return [];
      return [{ dimension: d, features: r.values, scale: r.scale, target: toLogRatio(r.peak, r.scale, d), actual: r.peak }];
    }),
  );

/**
 * Splits cycles by time: the newest `share` (at least one when there are two or more) are held back, the rest fit.
 * Holding back the newest, not a random sample, asks what the gate must know: does the candidate forecast the restarts
 * that come after the ones it learned from?
 */
export const splitByTime = (cycles: readonly LearnedCycle[], share: number): { fit: LearnedCycle[]; heldBack: LearnedCycle[] } => {
  if (!(share > 0 && share < 1)) throw new RangeError(`share must be within (0, 1), got ${share}`);
  const sorted = [...cycles].sort((a, b) => a.restartedAt - b.restartedAt || a.instanceId.localeCompare(b.instanceId));
  const held = sorted.length < 2 ? 0 : Math.max(1, Math.round(sorted.length * share));
  return { fit: sorted.slice(0, sorted.length - held), heldBack: sorted.slice(sorted.length - held) };
};

/** Dimensions the gate decides on: the ones reservations and replacement shapes are sized by. */
export const GATED_DIMENSIONS: readonly Dimension[] = ['vcpu', 'memoryGiB'];
/** A dimension is judged only with at least this many held-back cases. */
export const MIN_HELD_BACK_CASES = 20;
/** The candidate must lower the weighted quantile loss by at least this share on a dimension to count as better. */
export const GATE_MARGIN = 0.02;
/** The p90's promise: a candidate may under-provision up to this rate (or the current model's, if higher). */
export const GATE_UNDER_PROVISION = 0.1;

export type ScoresByDimension = Readonly<Partial<Record<Dimension, Scores>>>;

/** Scores per dimension of forecasts (p50, p90 per row, in the rows' order) against the rows' observed peaks. */
export const scoreRows = (rows: readonly CycleRow[], forecasts: readonly { readonly p50: number; readonly p90: number }[]): ScoresByDimension => {
  if (forecasts.length !== rows.length) throw new RangeError(`${forecasts.length} forecasts for ${rows.length} rows`);
  const byDim = new Map<Dimension, ScoredCase[]>();
  rows.forEach((r, i) => {
    const f = forecasts[i]!;
    const list = byDim.get(r.dimension) ?? [];
    list.push({ p50: f.p50, p90: f.p90, actual: r.actual });
    byDim.set(r.dimension, list);
  });
  return Object.fromEntries([...byDim].map(([d, cases]) => [d, scoreForecasts(cases)]));
};

export type GateDecision = { readonly keep: 'candidate'; readonly reason: string } | { readonly keep: 'current'; readonly reason: string };

const pct = (v: number | null): string => (v === null ? '—' : `${(v * 100).toFixed(1)} %`);
const num = (v: number | null): string => (v === null ? '—' : v.toFixed(4));

/**
 * Whether the candidate replaces the current model, from their scores on the same held-back cycles. Judged on each
 * gated dimension with MIN_HELD_BACK_CASES cases: the candidate must not under-provision more than
 * max(GATE_UNDER_PROVISION, the current model's rate) on any, must not raise the weighted quantile loss by more than
 * GATE_MARGIN on any, and must lower it by at least GATE_MARGIN on one. Anything else keeps the current model —
 * including too few cases to judge (a retrained model is never adopted on faith).
 */
export const gateCandidate = (current: ScoresByDimension, candidate: ScoresByDimension): GateDecision => {
  const judged = GATED_DIMENSIONS.filter((d) => (current[d]?.cases ?? 0) >= MIN_HELD_BACK_CASES && (candidate[d]?.cases ?? 0) >= MIN_HELD_BACK_CASES);
  if (judged.length === 0) {
    const counts = GATED_DIMENSIONS.map((d) => `${d} ${current[d]?.cases ?? 0}`).join(', ');
    return { keep: 'current', reason: `too few held-back cases to judge (${counts}; need ${MIN_HELD_BACK_CASES} on a dimension)` };
  }
  const parts: string[] = [];
  let better = false;
  let refused: string | undefined;
  for (const d of judged) {
    const c = current[d]!;
    const k = candidate[d]!;
    parts.push(
      `${d}: wQL ${num(c.weightedQuantileLoss)} → ${num(k.weightedQuantileLoss)}, under-provision ${pct(c.underProvisionRate)} → ${pct(k.underProvisionRate)}, weighted slack ${pct(c.weightedSlack)} → ${pct(k.weightedSlack)} (${k.cases} cases)`,
    );
    if (k.weightedQuantileLoss === null || c.weightedQuantileLoss === null || k.underProvisionRate === null || c.underProvisionRate === null) {
      refused ??= `${d} cannot be scored`;
      continue;
    }
    if (k.underProvisionRate > Math.max(GATE_UNDER_PROVISION, c.underProvisionRate)) refused ??= `${d} under-provisions more`;
    if (k.weightedQuantileLoss > c.weightedQuantileLoss * (1 + GATE_MARGIN)) refused ??= `${d} forecasts worse`;
    if (k.weightedQuantileLoss < c.weightedQuantileLoss * (1 - GATE_MARGIN)) better = true;
  }
  const detail = parts.join('; ');
  if (refused !== undefined) return { keep: 'current', reason: `candidate refused: ${refused} (${detail})` };
  if (!better) return { keep: 'current', reason: `candidate not better by ${GATE_MARGIN * 100} % on any dimension (${detail})` };
  return { keep: 'candidate', reason: `candidate better on held-back cycles (${detail})` };
};
