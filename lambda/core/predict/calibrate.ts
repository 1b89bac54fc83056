import { DIMENSIONS, type BehaviourProfile, type Dimension, type Forecast, type LearnedCycle, type Resources, type RestartCycle } from '../domain';
import { cycleObserved } from '../profile/cycle-observed';

/**
 * Online recalibration of post-restart forecasts from the fleet's own restarts (split-conformal, multiplicative).
 *
 * Every closed restart cycle that kept the forecast current before its interruption (`forecastBefore`, the p90
 * spotwise reserved for) is a case: score = observed post-restart peak ÷ that p90, per dimension it observed with a
 * steady state before (cycleObserved) — an inherited window whose load never arrived (another instance took it) saw
 * no restart of that load, and its idle peak would read as a restart far smaller than forecast. The calibration
 * factor is the ⌈(n+1)·0.9⌉-th smallest score of the newest cases — the split-conformal quantile, so a p90 scaled
 * by it under-provides at most 10 % of the time on exchangeable cases of this fleet, whatever the model's own bias:
 * above 1 where restarts are bigger than forecast, below 1 where forecasts are too generous (less capacity held).
 * Cases are pooled per job type when that job type has enough of them, else over the whole group; a group with too
 * few of its own (a group whose first interruptions are still to come) borrows the fleet's: the stored restart cycles
 * of the other managed groups (`fleetCalibrationCases`) join its own, so the first burst to hit a group is sized by
 * what the model got wrong on this account's other restarts rather than by the model alone. With too few cases even
 * then nothing changes (the model's forecast stands).
 *
 * Where scaling cannot keep that promise — the quantile of the scores is above CALIBRATION_BOUNDS.max, the model's p90
 * short by more than the bound lets one factor repair (first boots whose memory fills the machine while the steady state
 * uses a tenth of it) — the same cases are also read relative to the machine: the share is the observed peak ÷ the
 * capacity of the instance the window ran on, and its conformal quantile (at most 1: a restart cannot use more than its
 * machine) times the forecast instance's capacity is a floor under the scaled p90. The scaled p90 keeps the bound's
 * factor; the floor only raises it, so a forecast is never smaller than without it. The shares are logged.
 *
 * The p50 is recalibrated at its own level, from the same cases: the split-conformal median of the scores times the
 * model's p90 (and, where the shares floor the p90, their median times the capacity as its floor), kept within
 * CALIBRATION_BOUNDS of the model's own p50 and never above the recalibrated p90. Scaling the p50 by the p90's factor
 * made it a p90's correction of a median: in the simulator (seeds 1..10, second halves) the peak exceeded that "p50"
 * in 17.6 % of the CPU cases and 41.6 % of the memory ones, where a median is exceeded in half (49.2 % and 42.7 % now,
 * `forecastChecks.secondHalf.p50ExceededRate`); the warm pool's shape, sized by the expected (p50) restart, paid for
 * the difference.
 */

/** Dimensions calibrated: the ones a reservation and a replacement's shape are sized by. */
export const CALIBRATED_DIMENSIONS: readonly Dimension[] = ['vcpu', 'memoryGiB'];
/**
 * Fewest cases before a factor is used. Up to 8 cases the 0.9 conformal quantile is the largest score (coverage at
 * least n/(n+1): 75 % at 3), so waiting for 5 bought nothing but time; below 3 one odd cycle would decide alone.
 * Measured (`npm start -- --seeds 1..10 --strategy spotwise`): 3 instead of 5 took the first half's under-provision
 * from 59.6 % to 53.3 % and the second half's from 21.6 % to 19.5 %, unserved demand and cost unchanged.
 */
export const MIN_CALIBRATION_CASES = 3;
/** Newest cases kept per pool: the fleet's recent behaviour, not its whole history. */
export const MAX_CALIBRATION_CASES = 50;
/** Factors are kept within these bounds: one odd cycle never multiplies or divides a forecast by more. */
export const CALIBRATION_BOUNDS = { min: 0.5, max: 4 } as const;
/** The level the p50 is recalibrated at (its own: a median), beside the p90's `level`. */
export const MEDIAN_LEVEL = 0.5;

export interface CalibrationCase {
  readonly jobType: string;
  readonly restartedAt: number;
  readonly score: Readonly<Partial<Record<Dimension, number>>>;
  /** Observed peak ÷ the capacity of the instance the window ran on, per calibrated dimension whose capacity is known. */
  readonly share?: Readonly<Partial<Record<Dimension, number>>>;
}

/** Share-of-capacity factors cap here: a restart's peak cannot exceed its machine (metrics saturate there). */
export const MAX_CAPACITY_SHARE = 1;

export interface CalibrationFactors {
  /** Per job type with enough cases of its own. */
  readonly byJobType: ReadonlyMap<string, Readonly<Partial<Record<Dimension, number>>>>;
  /** Over every case of the group (used for job types with too few). */
  readonly pooled: Readonly<Partial<Record<Dimension, number>>>;
  /** Cases per dimension behind `pooled` (for logs and metrics). */
  readonly cases: Readonly<Partial<Record<Dimension, number>>>;
  /** Dimensions whose pooled factor borrowed the fleet's cases (the group had fewer than MIN_CALIBRATION_CASES). */
  readonly fromFleet: readonly Dimension[];
  /**
   * Share-of-capacity floors (see the module comment), for the dimensions where scaling could not keep its promise,
   * beside the (clamped) scale factor of the same level: per job type with enough cases of its own, and pooled.
   */
  readonly shares?: {
    readonly byJobType: ReadonlyMap<string, Readonly<Partial<Record<Dimension, number>>>>;
    readonly pooled: Readonly<Partial<Record<Dimension, number>>>;
  };
  /**
   * The p50's own recalibration (see the module comment), at the same levels as the factors: `score` is the conformal
   * median of the scores (observed peak ÷ the model's p90), `share` the median of the shares where the shares floor the
   * p90. Unclamped; calibrateForecast bounds what they do to the model's p50.
   */
  readonly medians: {
    readonly byJobType: ReadonlyMap<string, Readonly<Partial<Record<Dimension, MedianEvidence>>>>;
    readonly pooled: Readonly<Partial<Record<Dimension, MedianEvidence>>>;
  };
}

/** The median of a pool's scores, and of its shares where those floor the p90. */
export interface MedianEvidence {
  readonly score: number;
  readonly share?: number;
}

/**
 * A closed cycle's observed post-restart peak ÷ `of(d)`, per calibrated dimension it observed whose divisor is a finite
 * positive number (the scores' and the shares' one formula).
 */
const peakRatios = (c: RestartCycle, of: (d: Dimension) => number | undefined): Partial<Record<Dimension, number>> => {
  const out: Partial<Record<Dimension, number>> = {};
  for (const d of CALIBRATED_DIMENSIONS) {
    // Evidence as every other reader of cycles takes it (cycleObserved): not a window whose inherited load never arrived.
    if (!cycleObserved(c, d)) continue;
    const by = of(d);
    const actual = c.peakAfter[d];
    if (by !== undefined && Number.isFinite(by) && by > 0 && Number.isFinite(actual) && actual >= 0) out[d] = actual / by;
  }
  return out;
};

/**
 * A closed cycle's calibration scores: observed post-restart peak ÷ the model's own p90 before the interruption, per
 * calibrated dimension it observed (empty without a forecast before it).
 */
export const cycleScores = (c: RestartCycle): Partial<Record<Dimension, number>> => {
  // The model's own p90 where recalibration had scaled the forecast (scores against a scaled one would compound).
  const before = c.modelBefore ?? c.forecastBefore;
  return before === undefined ? {} : peakRatios(c, (d) => before[d]);
};

/**
 * A closed cycle's shares: observed post-restart peak ÷ the capacity of the instance its window ran on
 * (`hostCapacity`), per calibrated dimension it observed; empty when that capacity was not recorded.
 */
export const cycleShares = (c: RestartCycle): Partial<Record<Dimension, number>> => peakRatios(c, (d) => c.hostCapacity?.[d]);

/** One case from a cycle's scores and shares; none without a score (a cycle with no forecast before it). */
const caseOf = (
  jobType: string,
  restartedAt: number,
  score: Partial<Record<Dimension, number>>,
  share: Partial<Record<Dimension, number>>,
): CalibrationCase[] => (Object.keys(score).length === 0 ? [] : [{ jobType, restartedAt, score, ...(Object.keys(share).length > 0 ? { share } : {}) }]);

/** The case one closed cycle of a `jobType` instance gives: none without a forecast before it. */
export const cycleCase = (jobType: string, c: RestartCycle): CalibrationCase[] => caseOf(jobType, c.restartedAt, cycleScores(c), cycleShares(c));

/** The cases a profile's closed cycles give (one per cycle with a forecast before it; unobserved dimensions skipped). */
export const calibrationCases = (profile: BehaviourProfile): CalibrationCase[] => profile.restarts.flatMap((c) => cycleCase(profile.jobType, c));

/** A stored cycle's recorded ratios (scores or shares) that can be evidence: finite and non-negative. */
const storedEvidence = (from: LearnedCycle['calibration']): Partial<Record<Dimension, number>> => {
  const out: Partial<Record<Dimension, number>> = {};
  for (const d of CALIBRATED_DIMENSIONS) {
    const v = from?.[d];
    if (v !== undefined && Number.isFinite(v) && v >= 0) out[d] = v;
  }
  return out;
};

/**
 * The cases the fleet's stored cycles give (LearnedCycle.calibration, recorded when each cycle closed): the evidence a
 * group with too few restarts of its own borrows. Non-finite or negative scores are skipped.
 */
export const fleetCalibrationCases = (cycles: readonly LearnedCycle[]): CalibrationCase[] =>
  cycles.flatMap((c) => caseOf(c.jobType, c.restartedAt, storedEvidence(c.calibration), storedEvidence(c.shares)));

/** The split-conformal quantile of `scores` at `level`, unclamped; undefined below MIN_CALIBRATION_CASES. */
const conformalQuantile = (scores: readonly number[], level: number): number | undefined => {
  const finite = scores.filter((s) => Number.isFinite(s) && s >= 0).sort((a, b) => a - b);
  if (finite.length < MIN_CALIBRATION_CASES) return undefined;
  const rank = Math.min(finite.length, Math.ceil((finite.length + 1) * level));
  return finite[rank - 1] as number;
};

/** A factor kept within CALIBRATION_BOUNDS. */
const withinBounds = (factor: number): number => Math.min(CALIBRATION_BOUNDS.max, Math.max(CALIBRATION_BOUNDS.min, factor));

/** The split-conformal quantile of `scores` at `level`, clamped; undefined below MIN_CALIBRATION_CASES. */
export const conformalFactor = (scores: readonly number[], level = 0.9): number | undefined => {
  const q = conformalQuantile(scores, level);
  return q === undefined ? undefined : withinBounds(q);
};

interface PoolFactors {
  readonly factors: Partial<Record<Dimension, number>>;
  readonly shares: Partial<Record<Dimension, number>>;
  readonly counts: Partial<Record<Dimension, number>>;
  readonly medians: Partial<Record<Dimension, MedianEvidence>>;
}

const factorsOf = (cases: readonly CalibrationCase[], level: number): PoolFactors => {
  const newest = [...cases].sort((a, b) => b.restartedAt - a.restartedAt);
  const factors: Partial<Record<Dimension, number>> = {};
  const shares: Partial<Record<Dimension, number>> = {};
  const counts: Partial<Record<Dimension, number>> = {};
  const medians: Partial<Record<Dimension, MedianEvidence>> = {};
  for (const d of CALIBRATED_DIMENSIONS) {
    const scores = newest.flatMap((c) => (c.score[d] === undefined ? [] : [c.score[d] as number])).slice(0, MAX_CALIBRATION_CASES);
    counts[d] = scores.length;
    const q = conformalQuantile(scores, level);
    if (q === undefined) continue;
    // Scaling keeps the quantile's promise only within its bounds; beyond them, the same cases relative to their machines.
    const relative = newest
      .flatMap((c) => (c.score[d] === undefined || c.share?.[d] === undefined ? [] : [c.share[d] as number]))
      .slice(0, MAX_CALIBRATION_CASES);
    const share = q > CALIBRATION_BOUNDS.max ? conformalQuantile(relative, level) : undefined;
    factors[d] = withinBounds(q);
    if (share !== undefined) shares[d] = Math.min(MAX_CAPACITY_SHARE, share);
    // Enough cases for the p90's quantile are enough for the median's (both need MIN_CALIBRATION_CASES).
    const median = conformalQuantile(scores, MEDIAN_LEVEL) as number;
    const medianShare = share === undefined ? undefined : conformalQuantile(relative, MEDIAN_LEVEL);
    medians[d] = { score: median, ...(medianShare !== undefined ? { share: Math.min(MAX_CAPACITY_SHARE, medianShare) } : {}) };
  }
  return { factors, shares, counts, medians };
};

const uniqueCases = (cases: readonly CalibrationCase[]): CalibrationCase[] => {
  const unique = new Map<string, CalibrationCase>();
  for (const c of cases) unique.set(`${c.jobType}@${c.restartedAt}@${CALIBRATED_DIMENSIONS.map((d) => c.score[d] ?? '').join('/')}`, c);
  return [...unique.values()];
};

/**
 * Factors from a group's cases, and for a dimension where the group has fewer than MIN_CALIBRATION_CASES, from its
 * cases and `fleet`'s (the other groups' stored cycles) together. The same cycle can be carried by two profiles only
 * through lineage, which hands a history to one heir; cases are still de-duplicated in case a stale copy survives — on
 * (job type, restart time and scores): instances restarted together (a burst, a maintenance wave) are different
 * cycles with different scores.
 */
export const calibrationFactors = (cases: readonly CalibrationCase[], level = 0.9, fleet: readonly CalibrationCase[] = []): CalibrationFactors => {
  const all = uniqueCases(cases);
  const own = factorsOf(all, level);
  const short = CALIBRATED_DIMENSIONS.filter((d) => own.factors[d] === undefined);
  const borrowed = short.length > 0 && fleet.length > 0 ? factorsOf(uniqueCases([...all, ...fleet]), level) : undefined;
  const fromFleet = short.filter((d) => borrowed?.factors[d] !== undefined);
  const pick = <K extends 'factors' | 'shares' | 'counts' | 'medians'>(key: K): PoolFactors[K] => ({
    ...Object.fromEntries(CALIBRATED_DIMENSIONS.filter((d) => !fromFleet.includes(d) && own[key][d] !== undefined).map((d) => [d, own[key][d]])),
    ...Object.fromEntries(fromFleet.filter((d) => borrowed?.[key][d] !== undefined).map((d) => [d, borrowed?.[key][d]])),
  });
  const byJobType = new Map<string, Partial<Record<Dimension, number>>>();
  const sharesByJobType = new Map<string, Partial<Record<Dimension, number>>>();
  const mediansByJobType = new Map<string, Partial<Record<Dimension, MedianEvidence>>>();
  for (const job of new Set(all.map((c) => c.jobType))) {
    const mine = factorsOf(
      all.filter((c) => c.jobType === job),
      level,
    );
    if (Object.keys(mine.factors).length > 0) byJobType.set(job, mine.factors);
    if (Object.keys(mine.shares).length > 0) sharesByJobType.set(job, mine.shares);
    if (Object.keys(mine.medians).length > 0) mediansByJobType.set(job, mine.medians);
  }
  const pooledMedians = pick('medians');
  const pooledShares = pick('shares');
  return {
    byJobType,
    pooled: pick('factors'),
    cases: pick('counts'),
    fromFleet,
    medians: { byJobType: mediansByJobType, pooled: pooledMedians },
    ...(sharesByJobType.size > 0 || Object.keys(pooledShares).length > 0 ? { shares: { byJobType: sharesByJobType, pooled: pooledShares } } : {}),
  };
};

/**
 * A forecast recalibrated by the factors for its job type (its own where it has them, else the group's pooled ones),
 * per calibrated dimension:
 * - p90 × the scale factor, recorded as `calibration`; where that level also has a share of capacity, the factor is
 *   raised so the p90 reaches share × the forecast instance's `capacity` when it would stay below it (recorded the
 *   same way, so the model's own p90 stays recoverable); without that capacity, or with a p90 of 0 (no ratio to
 *   record), the scale factor alone applies;
 * - p50 at its own level: the model's p90 × the median score kept within CALIBRATION_BOUNDS × the model's p50, floored
 *   at the median share × the capacity where the p90 is floored, and at most the new p90 (calibrationFactors gives a
 *   median wherever it gives a factor; without one the p50 would only be kept at most the new p90).
 * Unknown forecasts and dimensions without a factor are returned as they are.
 */
export const calibrateForecast = (forecast: Forecast, jobType: string, factors: CalibrationFactors, capacity?: Partial<Resources>): Forecast => {
  if (forecast.kind !== 'known') return forecast;
  const own = factors.byJobType.get(jobType) ?? {};
  let changed = false;
  const dims = { ...forecast.dims };
  for (const d of CALIBRATED_DIMENSIONS) {
    const dim = dims[d];
    // The job type's own evidence where it has it, else the group's: its scale factor and, with it, its share floor.
    const ownLevel = own[d] !== undefined;
    let f = ownLevel ? own[d] : factors.pooled[d];
    if (f === undefined) continue;
    const share = ownLevel ? factors.shares?.byJobType.get(jobType)?.[d] : factors.shares?.pooled[d];
    const median = ownLevel ? factors.medians.byJobType.get(jobType)?.[d] : factors.medians.pooled[d];
    const cap = capacity?.[d];
    const capacityKnown = cap !== undefined && Number.isFinite(cap) && cap > 0;
    if (share !== undefined && capacityKnown && dim.p90 > 0) f = Math.max(f, (share * cap) / dim.p90);
    const p90 = dim.p90 * f;
    const p50 = median === undefined ? Math.min(p90, dim.p50) : medianOf(dim, median, capacityKnown ? cap : undefined, p90);
    if (f === 1 && p50 === dim.p50) continue;
    dims[d] = { ...dim, p50, p90, calibration: f };
    changed = true;
  }
  return changed ? { ...forecast, dims } : forecast;
};

/** The p50 recalibrated at its own level (see calibrateForecast), given the dimension's recalibrated p90. */
const medianOf = (dim: { readonly p50: number; readonly p90: number }, median: MedianEvidence, capacity: number | undefined, p90: number): number => {
  const scaled = Math.min(dim.p50 * CALIBRATION_BOUNDS.max, Math.max(dim.p50 * CALIBRATION_BOUNDS.min, dim.p90 * median.score));
  // As for the p90, the floor relative to the machine is what the bound could not repair: it is not bounded.
  const floor = median.share !== undefined && capacity !== undefined ? median.share * capacity : 0;
  return Math.min(p90, Math.max(scaled, floor));
};

/** The p90 of a forecast as a resource vector (for recording what was forecast before a restart). */
export const p90Of = (forecast: Forecast): Resources | undefined =>
  forecast.kind !== 'known'
    ? undefined
    : {
        vcpu: forecast.dims.vcpu.p90,
        memoryGiB: forecast.dims.memoryGiB.p90,
        networkMbps: forecast.dims.networkMbps.p90,
        diskIops: forecast.dims.diskIops.p90,
      };

/**
 * What a restart's cycle records of the forecast current before it: the p90 that was used (`forecastBefore`) and,
 * when recalibration had scaled it, the model's own p90 (`modelBefore`, the evidence the next factors come from —
 * scores against an already scaled forecast would compound). Undefined for an unknown or non-finite forecast.
 */
export const forecastRecord = (forecast: Forecast | undefined): { readonly forecastBefore: Resources; readonly modelBefore?: Resources } | undefined => {
  const used = forecast === undefined ? undefined : p90Of(forecast);
  if (forecast?.kind !== 'known' || used === undefined || !Object.values(used).every(Number.isFinite)) return undefined;
  const scaled = Object.values(forecast.dims).some((d) => d.calibration !== undefined && d.calibration !== 1);
  if (!scaled) return { forecastBefore: used };
  const model = { ...used };
  for (const d of DIMENSIONS) {
    const f = forecast.dims[d].calibration;
    if (f !== undefined && f > 0) model[d] = used[d] / f;
  }
  return { forecastBefore: used, modelBefore: model };
};
