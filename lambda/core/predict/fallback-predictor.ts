import type { Predictor } from './predictor';
import {
  DIMENSIONS,
  type BehaviourProfile,
  type Dimension,
  type DimensionForecast,
  type Forecast,
  type ForecastBasis,
  type InstanceCatalog,
  type PredictionInput,
} from '../domain';
import { cycleObserved } from '../profile/cycle-observed';
import { histogramQuantile } from '../profile/decaying-histogram';

/**
 * The statistical fallback behind the Predictor port (the tfjs model plugs in behind the same port).
 *
 *   p50[d] = steady p50[d] × (factor50[d] + catchUp[d])
 *   p90[d] = max(p50[d], steady p90[d] × (factor90[d] + catchUp[d]))
 *
 * `factor` is how much more than its steady state an instance needs right after a restart, learned
 * from its own restart cycles (peakAfter / steadyBefore, net of the catch-up those cycles already
 * contained), else from its job type's cycles, else DEFAULT_POST_RESTART_FACTOR. `catchUp` is the
 * backlog queued during the downtime (see catchUpFraction). A dimension with no steady-state data
 * makes the whole forecast 'unknown' (callers fail closed), unless the caller opts in to assuming
 * the instance type's full shape for it.
 */

export type DimensionFactors = Partial<Record<Dimension, number>>;

/**
 * Post-restart factors used when neither the instance nor its job type has a usable restart cycle.
 * Judgement values from how services behave in the first minutes after a cold start; chosen to
 * over- rather than under-reserve, since a starved restart costs more than capacity held for W minutes:
 * - vcpu 1.5: JIT/bytecode warm-up, cache refill and connection setup run on top of the normal load
 *   (JVM and .NET services commonly run 1.5–2× their steady CPU for several minutes after start).
 * - memoryGiB 1.1: memory is a level, not a rate: caches start empty and grow back towards the steady
 *   footprint, so only allocation churn during warm-up (GC headroom) is added.
 * - networkMbps 1.5: re-downloading artefacts/images and cache fills from peers, plus clients reconnecting.
 * - diskIops 2.0: a cold page cache sends reads that the steady state served from memory to the disk.
 */
export const DEFAULT_POST_RESTART_FACTOR: Readonly<Record<Dimension, number>> = Object.freeze({ vcpu: 1.5, memoryGiB: 1.1, networkMbps: 1.5, diskIops: 2.0 });

/**
 * Learned factors are clamped to [1, 20]. Below 1 would reserve less than the steady state for an
 * instance that comes back to serve at least its steady load (a ratio < 1 from a few cycles more
 * likely means a window cut short); above 20 a ratio is dominated by a near-zero steady state.
 */
export const FACTOR_BOUNDS = Object.freeze({ min: 1, max: 20 });

/**
 * Share of the catch-up term each dimension carries. Backlog is work per second, so it loads the
 * rate dimensions (CPU, network, disk) fully; memory is a level and is not inflated by a backlog.
 */
export const CATCH_UP_WEIGHT: Readonly<Record<Dimension, number>> = Object.freeze({ vcpu: 1, memoryGiB: 0, networkMbps: 1, diskIops: 1 });

/** The catch-up term saturates at +100 % of the steady state (a backlog cannot be drained faster than the instance works). */
export const MAX_CATCH_UP = 1;

/** Job-type factors need at least this many usable cycles of that type for a dimension. */
export const MIN_JOB_TYPE_CYCLES = 3;

/** Window used to normalise job-type cycles (the policy schema's default post_restart_window_minutes). */
export const DEFAULT_WINDOW_MINUTES = 30;

/** Samples for full data coverage: one hour of 1-minute points. */
const FULL_COVERAGE_SAMPLES = 60;

/**
 * Extra demand, as a fraction of the steady state, to drain the work queued during `downtimeSeconds`
 * within a `windowMinutes` post-restart window: MAX_CATCH_UP × (1 − e^(−downtime / window)). For a
 * short outage this is ≈ downtime / window — work that arrived at the steady rate for D seconds,
 * drained over W — and it saturates for long ones (clients give up or siblings absorb the load).
 * A 2-minute spot warning with a 30-minute window adds 6.4 %; a 30-minute outage adds 63 %.
 */
export const catchUpFraction = (downtimeSeconds: number, windowMinutes: number): number =>
  MAX_CATCH_UP * (1 - Math.exp(-Math.max(0, downtimeSeconds) / (windowMinutes * 60)));

const clampFactor = (f: number): number => Math.min(FACTOR_BOUNDS.max, Math.max(FACTOR_BOUNDS.min, f));

/** Linear-interpolated quantile of a non-empty list. */
const quantileOf = (values: readonly number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
};

/** Net post-restart factors (ratio minus the catch-up that cycle's downtime explains) per dimension. */
const netFactors = (profile: BehaviourProfile, d: Dimension, windowMinutes: number): number[] =>
  profile.restarts.flatMap((c) => {
    if (!cycleObserved(c, d)) return [];
    const net = c.peakAfter[d] / c.steadyBefore[d] - CATCH_UP_WEIGHT[d] * catchUpFraction(c.downtimeSeconds, windowMinutes);
    return Number.isFinite(net) ? [clampFactor(net)] : [];
  });

/**
 * Per job type and dimension, the median net post-restart factor over the restart cycles of every
 * profile of that type, when there are at least MIN_JOB_TYPE_CYCLES of them. Restart lineage copies an
 * interrupted instance's history to its replacement: a profile that a listed profile inherited from is
 * left out (its cycles are counted through its heir), so no cycle is evidence twice.
 */
export const learnJobTypeFactors = (profiles: readonly BehaviourProfile[], windowMinutes: number = DEFAULT_WINDOW_MINUTES): Map<string, DimensionFactors> => {
  const byType = new Map<string, Record<Dimension, number[]>>();
  const carried = new Set(profiles.flatMap((p) => (p.inheritedFrom === undefined ? [] : [p.inheritedFrom])));
  for (const p of profiles) {
    if (carried.has(p.instanceId)) continue;
    const bucket = byType.get(p.jobType) ?? { vcpu: [], memoryGiB: [], networkMbps: [], diskIops: [] };
    for (const d of DIMENSIONS) bucket[d].push(...netFactors(p, d, windowMinutes));
    byType.set(p.jobType, bucket);
  }
  const out = new Map<string, DimensionFactors>();
  for (const [jobType, bucket] of byType) {
    const factors: DimensionFactors = {};
    for (const d of DIMENSIONS) if (bucket[d].length >= MIN_JOB_TYPE_CYCLES) factors[d] = quantileOf(bucket[d], 0.5);
    if (Object.keys(factors).length > 0) out.set(jobType, factors);
  }
  return out;
};

export interface FallbackContext {
  /** Factors per job type (from learnJobTypeFactors over the fleet). */
  readonly jobTypeFactors?: ReadonlyMap<string, DimensionFactors>;
  /**
   * Opt-in: for a dimension without data (memory without the CloudWatch agent), assume the instance
   * type's full shape (basis 'default', confidence 0) instead of answering 'unknown'. Over-reserves by
   * design; an instance type missing from the catalog still gives 'unknown'.
   */
  readonly assumeShapeFrom?: InstanceCatalog;
}

const BASIS_CONFIDENCE = { 'job-type': 0.45, default: 0.3 } as const;

/** 0.5 + 0.4 · n/(n+2): one cycle 0.63, three 0.74, ten 0.83 — never certain from history alone. */
const historyConfidence = (n: number): number => 0.5 + (0.4 * n) / (n + 2);

const unknown = (input: PredictionInput, reason: string, missing: readonly Dimension[]): Forecast => ({
  kind: 'unknown',
  instanceId: input.profile.instanceId,
  madeAt: Number.isFinite(input.now) ? input.now : input.profile.updatedAt,
  reason,
  missing,
});

/**
 * Post-restart demand forecast for one instance (see the module comment). Never throws: inputs that
 * cannot be forecast (NaN/negative downtime, bad window, no steady data) give kind 'unknown' with the
 * reason and the dimensions concerned, so one bad profile cannot fail a whole batch.
 *
 * Confidence per dimension = basis confidence (instance history 0.63…0.9 by cycle count, job type
 * 0.45, default 0.3) × data coverage (steady samples / 60, capped at 1) × staleness decay (halved per
 * half-life since the last sample).
 */
export const predictFallback = (input: PredictionInput, ctx: FallbackContext = {}): Forecast => {
  const { profile, downtimeSeconds, windowMinutes, now } = input;
  if (!Number.isFinite(now)) return unknown(input, `now must be a finite time (got ${now})`, DIMENSIONS);
  if (!Number.isFinite(downtimeSeconds) || downtimeSeconds < 0) {
    return unknown(input, `downtimeSeconds must be a finite number ≥ 0 (got ${downtimeSeconds})`, DIMENSIONS);
  }
  if (!Number.isFinite(windowMinutes) || windowMinutes <= 0) {
    return unknown(input, `windowMinutes must be a finite number > 0 (got ${windowMinutes})`, DIMENSIONS);
  }

  const shape = ctx.assumeShapeFrom?.get(profile.instanceType)?.resources;
  const jobFactors = ctx.jobTypeFactors?.get(profile.jobType) ?? {};
  const halfLife = profile.steady.vcpu.halfLifeMs;
  const lastData = profile.lastSampleAt ?? profile.updatedAt;
  const freshness = Number.isFinite(halfLife) && halfLife > 0 ? 2 ** (-Math.max(0, now - lastData) / halfLife) : 0;

  const dims: Partial<Record<Dimension, DimensionForecast>> = {};
  const missing: Dimension[] = [];
  for (const d of DIMENSIONS) {
    const s50 = histogramQuantile(profile.steady[d], 0.5);
    const s90 = histogramQuantile(profile.steady[d], 0.9);
    if (s50 === undefined || s90 === undefined || !Number.isFinite(s50) || !Number.isFinite(s90)) {
      const assumed = shape?.[d];
      if (assumed !== undefined && Number.isFinite(assumed)) dims[d] = { p50: assumed, p90: assumed, basis: 'default', confidence: 0 };
      else missing.push(d);
      continue;
    }
    const own = netFactors(profile, d, windowMinutes);
    const jobFactor = jobFactors[d];
    let f50: number;
    let f90: number;
    let basis: ForecastBasis;
    let basisConfidence: number;
    if (own.length > 0) {
      f50 = quantileOf(own, 0.5);
      f90 = quantileOf(own, 0.9);
      basis = 'instance-history';
      basisConfidence = historyConfidence(own.length);
    } else if (jobFactor !== undefined && Number.isFinite(jobFactor)) {
      f50 = f90 = clampFactor(jobFactor);
      basis = 'job-type';
      basisConfidence = BASIS_CONFIDENCE['job-type'];
    } else {
      f50 = f90 = DEFAULT_POST_RESTART_FACTOR[d];
      basis = 'default';
      basisConfidence = BASIS_CONFIDENCE.default;
    }
    const catchUp = CATCH_UP_WEIGHT[d] * catchUpFraction(downtimeSeconds, windowMinutes);
    const p50 = s50 * (f50 + catchUp);
    const p90 = Math.max(p50, s90 * (f90 + catchUp));
    const coverage = Math.min(1, profile.steady[d].count / FULL_COVERAGE_SAMPLES);
    dims[d] = { p50, p90, basis, confidence: basisConfidence * coverage * freshness };
  }

  if (missing.length > 0) {
    return unknown(input, `no steady-state data for ${missing.join(', ')} (${profile.samplesSeen} samples seen)`, missing);
  }
  return {
    kind: 'known',
    instanceId: profile.instanceId,
    madeAt: now,
    downtimeSeconds,
    windowMinutes,
    dims: dims as Record<Dimension, DimensionForecast>,
  };
};

/**
 * The fallback as a Predictor. Without job-type factors in the context it learns them from the batch
 * itself (a profile tick predicts the whole fleet at once, so the batch is the fleet).
 */
export class FallbackPredictor implements Predictor {
  readonly name = 'fallback';
  constructor(private readonly ctx: FallbackContext = {}) {}

  predict(inputs: readonly PredictionInput[]): Promise<Forecast[]> {
    const jobTypeFactors = this.ctx.jobTypeFactors ?? learnJobTypeFactors(inputs.map((i) => i.profile));
    return Promise.resolve(inputs.map((input) => predictFallback(input, { ...this.ctx, jobTypeFactors })));
  }
}
