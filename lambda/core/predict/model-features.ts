import { DIMENSIONS, type BehaviourProfile, type Dimension, type FeatureRow, type FeatureRows, type PredictionInput } from '../domain';
import { cycleObserved } from '../profile/cycle-observed';
import { histogramQuantile } from '../profile/decaying-histogram';

/**
 * Features of the post-restart demand model, extracted from a behaviour profile exactly as the
 * profiler stores it, so training (models/) and inference (the tfjs adapter) see the same numbers.
 *
 * One row per (instance, dimension). The model is shared across dimensions (one-hot `dim:*`) and is
 * scale-free: every level is expressed as log((x + ε) / (scale + ε)) against the dimension's steady
 * p90 (`scale`), so a 96-core host and a 1-vCPU VM teach the same thing ("peak after restart is k×
 * the steady p90"). The target is the same transform of the observed peak; `fromLogRatio` inverts it.
 * ε is the first histogram bucket width, so an idle dimension (p90 = 0) still gives finite ratios.
 *
 * Windows are in minutes of profile time, not point counts: `recent` holds 60 points, one hour of
 * 1-minute CloudWatch data in production but five hours of 5-minute trace data in training, and a
 * time window means the same thing in both.
 */
export const MODEL_FEATURE_NAMES = [
  'dim:vcpu',
  'dim:memoryGiB',
  'dim:networkMbps',
  'dim:diskIops',
  'steadyP50Ratio',
  'steadyP99Ratio',
  'lastRatio',
  'recentMean60Ratio',
  'recentMax60Ratio',
  'recentMax15Ratio',
  'recentStd60Ratio',
  'cpuUtilisation',
  'cpuPeakRatio',
  'restartPeakRatioMean',
  'restartPeakRatioMax',
  'downtimeMinutesLog',
  'windowMinutesLog',
  'sampleStepMinutesLog',
  'stalenessMinutesLog',
] as const;
export type ModelFeatureName = (typeof MODEL_FEATURE_NAMES)[number];

/** ε per dimension (the first bucket width of the profile histograms). */
export const FEATURE_EPSILON: Readonly<Record<Dimension, number>> = { vcpu: 0.01, memoryGiB: 0.01, networkMbps: 0.1, diskIops: 1 };

/** A dimension needs at least this many recent points for the model (fewer: the fallback answers). */
export const MIN_RECENT_POINTS = 3;

const MINUTE_MS = 60_000;

export type ModelFeatures =
  | { readonly kind: 'features'; readonly dimension: Dimension; readonly values: readonly number[]; readonly scale: number }
  | { readonly kind: 'invalid'; readonly dimension: Dimension; readonly reason: string };

/** log((value + ε) / (scale + ε)): the scale-free level used for features and the target. */
export const toLogRatio = (value: number, scale: number, dimension: Dimension): number => {
  const eps = FEATURE_EPSILON[dimension];
  return Math.log((value + eps) / (scale + eps));
};

/** Inverse of toLogRatio, floored at 0 (demand is never negative). */
export const fromLogRatio = (logRatio: number, scale: number, dimension: Dimension): number => {
  const eps = FEATURE_EPSILON[dimension];
  return Math.max(0, (scale + eps) * Math.exp(logRatio) - eps);
};

const log1pNonNeg = (x: number): number => Math.log1p(Math.max(0, x));

/** Median of a non-empty typed array (sorted in place: callers pass a scratch array). */
const median = (xs: Float64Array): number => {
  xs.sort();
  const mid = Math.floor(xs.length / 2);
  return xs.length % 2 === 1 ? xs[mid]! : (xs[mid - 1]! + xs[mid]!) / 2;
};

/** Recent values of one dimension with their times, oldest first (missing and bad values skipped). */
const recentOf = (profile: BehaviourProfile, d: Dimension): { times: Float64Array; values: Float64Array; n: number } => {
  const times = new Float64Array(profile.recent.length);
  const values = new Float64Array(profile.recent.length);
  let n = 0;
  for (const p of profile.recent) {
    const v = p.demand[d];
    if (v !== undefined && Number.isFinite(v) && v >= 0) {
      times[n] = p.at;
      values[n] = v;
      n++;
    }
  }
  return { times, values, n };
};

/**
 * The profile's CPU arrives one point per 5 minutes (EC2's basic monitoring): the median step between its recent vCPU
 * points is at least 4.5 minutes. False with fewer than MIN_RECENT_POINTS points (nothing to judge by). A deployment
 * question, not a feature: the model was trained on 5-minute trace points, and what it lacks on EC2's points is their
 * age, not their step — the profiler asks this only of instances on basic monitoring.
 */
export const cpuFromFiveMinutePoints = (profile: BehaviourProfile): boolean => {
  const { times, n } = recentOf(profile, 'vcpu');
  return n >= MIN_RECENT_POINTS && medianStepMinutes(times, n) >= 4.5;
};

/** The median gap, in minutes, between the first `n` (≥ 2) of ascending times. */
const medianStepMinutes = (times: Float64Array, n: number): number => {
  const steps = new Float64Array(n - 1);
  for (let i = 1; i < n; i++) steps[i - 1] = (times[i]! - times[i - 1]!) / MINUTE_MS;
  return median(steps);
};

/**
 * Restart cycles that are evidence for `d` (cycleObserved: observed, with a non-zero steady state before). A cycle
 * with none once counted here as peak ÷ ε, a log-ratio of about 6.5 (×700): after such a cycle the model forecast
 * several times an instance's size (memory p90s of 40–65 GiB for loads of 5–8 GiB in the simulator).
 */
const restartRatios = (profile: BehaviourProfile, d: Dimension): number[] =>
  profile.restarts.filter((c) => cycleObserved(c, d)).map((c) => toLogRatio(c.peakAfter[d], c.steadyBefore[d], d));

/**
 * The feature row of one dimension, or why there is none (no steady state, too few recent points,
 * a bad downtime/window, or any non-finite value): the predictor then lets the fallback answer.
 */
export const extractModelFeatures = (input: PredictionInput, d: Dimension): ModelFeatures => {
  const { profile, downtimeSeconds, windowMinutes, now } = input;
  const invalid = (reason: string): ModelFeatures => ({ kind: 'invalid', dimension: d, reason });
  if (!Number.isFinite(downtimeSeconds) || downtimeSeconds < 0) return invalid(`downtimeSeconds must be a finite number ≥ 0, got ${downtimeSeconds}`);
  if (!Number.isFinite(windowMinutes) || windowMinutes <= 0) return invalid(`windowMinutes must be a finite number > 0, got ${windowMinutes}`);
  if (!Number.isFinite(now)) return invalid(`now must be finite, got ${now}`);

  const h = profile.steady[d];
  const p50 = histogramQuantile(h, 0.5);
  const p90 = histogramQuantile(h, 0.9);
  const p99 = histogramQuantile(h, 0.99);
  if (p50 === undefined || p90 === undefined || p99 === undefined) return invalid(`no steady-state data for ${d}`);

  // Loops over typed arrays, not filter/map chains: a 10,000-instance tick extracts 40,000 rows.
  const { times, values: vs, n } = recentOf(profile, d);
  if (n < MIN_RECENT_POINTS) return invalid(`${n} recent ${d} points, need ${MIN_RECENT_POINTS}`);
  const lastAt = times[n - 1]!;
  const lastV = vs[n - 1]!;
  let sum60 = 0;
  let count60 = 0;
  let max60 = 0;
  let max15 = 0;
  for (let i = 0; i < n; i++) {
    const age = lastAt - times[i]!;
    if (age < 60 * MINUTE_MS) {
      sum60 += vs[i]!;
      count60++;
      max60 = Math.max(max60, vs[i]!);
      if (age < 15 * MINUTE_MS) max15 = Math.max(max15, vs[i]!);
    }
  }
  const mean60 = sum60 / count60;
  let sq60 = 0;
  for (let i = 0; i < n; i++) if (lastAt - times[i]! < 60 * MINUTE_MS) sq60 += (vs[i]! - mean60) ** 2;
  const std60 = Math.sqrt(sq60 / count60);
  const scale = p90;
  const ratio = (x: number) => toLogRatio(x, scale, d);
  const restarts = restartRatios(profile, d);
  const isCpu = d === 'vcpu';
  const values = [
    ...DIMENSIONS.map((x) => (x === d ? 1 : 0)),
    ratio(p50),
    ratio(p99),
    ratio(lastV),
    ratio(mean60),
    ratio(max60),
    ratio(max15),
    // Spread relative to the level: log(1 + std / (scale + ε)).
    Math.log1p(std60 / (scale + FEATURE_EPSILON[d])),
    // CPU saturation matters (a host at 100 % cannot show a higher peak); only vCPU knows its capacity.
    isCpu ? Math.min(4, scale / profile.vcpus) : 0,
    isCpu ? ratio((Math.max(0, profile.cpuPeakPercent) / 100) * profile.vcpus) : 0,
    restarts.length > 0 ? restarts.reduce((a, b) => a + b, 0) / restarts.length : 0,
    restarts.length > 0 ? Math.max(...restarts) : 0,
    log1pNonNeg(downtimeSeconds / 60),
    Math.log(windowMinutes),
    Math.log(Math.max(medianStepMinutes(times, n), 1 / 60)),
    log1pNonNeg((now - lastAt) / MINUTE_MS),
  ];
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) return invalid(`feature ${MODEL_FEATURE_NAMES[bad]} is not finite (${values[bad]})`);
  return { kind: 'features', dimension: d, values, scale };
};

/** Feature values are stored to this many significant digits (a cycle's rows are kept as training cases). */
const STORED_DIGITS = 6;
const rounded = (v: number): number => Number(v.toPrecision(STORED_DIGITS));

/**
 * The model's input rows as `profile` stood just before an interruption: only points seen up to `interruptedAt`
 * (the profiler may already have folded in the restart's first minutes), the downtime the restart took and the
 * window observed after it, `now` at the interruption — the features a forecast made then would have used, and the
 * way `npm run train` builds its cases. Dimensions without features (no steady state, too few points) are left out.
 */
export const featureRowsBefore = (
  profile: BehaviourProfile,
  at: { readonly interruptedAt: number; readonly restartedAt: number; readonly windowMinutes: number },
): FeatureRows => {
  const seen = { ...profile, recent: profile.recent.filter((p) => p.at <= at.interruptedAt) };
  const input: PredictionInput = {
    profile: seen,
    downtimeSeconds: Math.max(0, (at.restartedAt - at.interruptedAt) / 1000),
    windowMinutes: at.windowMinutes,
    now: at.interruptedAt,
  };
  const rows: { [D in Dimension]?: FeatureRow } = {};
  for (const d of DIMENSIONS) {
    const f = extractModelFeatures(input, d);
    if (f.kind === 'features') rows[d] = { values: f.values.map(rounded), scale: rounded(f.scale) };
  }
  return rows;
};
