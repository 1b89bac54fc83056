import {
  DIMENSIONS,
  LATE_FIELDS,
  SAMPLE_FIELDS,
  type BehaviourProfile,
  type DecayingHistogram,
  type Dimension,
  type GroupId,
  type InstanceId,
  type MetricSample,
  type Resources,
  type RestartCycle,
  type SampleField,
} from '../domain';
import { toResources } from '../resources/resources';
import { featureRowsBefore } from '../predict/model-features';
import { foldDaily } from './daily-load';
import { DEFAULT_HALF_LIFE_MS, HISTOGRAM_BOUNDS, emptyHistogram, histogramQuantile, observeAll, withHalfLife, type Observation } from './decaying-histogram';
import { RECENT_LIMIT } from '../../contracts/policy-schema';

/**
 * An instance's behaviour profile (seed 10572412's Behavioral Profiler): steady-state demand as
 * decaying histograms, CPU per core and peak, connections, the recent per-minute demand, and the
 * interruption → restart cycles with the demand observed in the first W minutes after each restart.
 *
 * Size bounds, because profiles are DynamoDB items (400 KB limit) and 10,000 are rewritten per tick:
 * `recent` keeps the last RECENT_LIMIT points, `restarts` the last RESTART_HISTORY_LIMIT cycles, and
 * only the newest RESTART_CURVES_KEPT cycles keep their per-minute curve (older ones keep the
 * before/after summary, which is all the fallback predictor learns from).
 */

/** Points kept in `recent` (one hour of 1-minute samples: the model's feature window); the policy schema bounds by it. */
export { RECENT_LIMIT };
/** Restart cycles kept. */
export const RESTART_HISTORY_LIMIT = 20;
/** Restart cycles that keep their per-minute curve. */
export const RESTART_CURVES_KEPT = 5;
/** Longest post-restart curve recorded: the policy schema's maximum post_restart_window_minutes. */
export const MAX_RESTART_CURVE_MINUTES = 240;

const MINUTE_MS = 60_000;

/** A profile input that cannot be used (bad vCPU count, times out of order), naming field and value. */
export class InvalidProfileError extends Error {
  override readonly name = 'InvalidProfileError';
  constructor(
    readonly field: string,
    readonly value: unknown,
    detail: string,
  ) {
    super(`behaviour profile: ${field} ${detail} (got ${String(value)})`);
  }
}

const requireFinite = (field: string, value: number): void => {
  if (!Number.isFinite(value)) throw new InvalidProfileError(field, value, 'must be a finite number');
};
const requirePositive = (field: string, value: number): void => {
  if (!Number.isFinite(value) || value <= 0) throw new InvalidProfileError(field, value, 'must be a finite number > 0');
};

export interface NewProfileInput {
  readonly instanceId: InstanceId;
  readonly groupId: GroupId;
  readonly instanceType: string;
  readonly vcpus: number;
  readonly jobType: string;
  readonly launchedAt: number;
  readonly now: number;
  /** Half-life of the steady-state histograms (default 24 h). */
  readonly halfLifeMs?: number;
}

const zeroGaps = (): Record<SampleField, number> => ({ cpuPercent: 0, cpuMaxPercent: 0, memoryGiB: 0, networkMbps: 0, diskIops: 0, connections: 0 });

/** A profile with no observations yet: every dimension is missing until samples arrive. */
export const newProfile = (input: NewProfileInput): BehaviourProfile => {
  requirePositive('vcpus', input.vcpus);
  requireFinite('launchedAt', input.launchedAt);
  requireFinite('now', input.now);
  const halfLifeMs = input.halfLifeMs ?? DEFAULT_HALF_LIFE_MS;
  requirePositive('halfLifeMs', halfLifeMs);
  return {
    instanceId: input.instanceId,
    groupId: input.groupId,
    instanceType: input.instanceType,
    vcpus: input.vcpus,
    jobType: input.jobType,
    launchedAt: input.launchedAt,
    updatedAt: input.now,
    steady: {
      vcpu: emptyHistogram(halfLifeMs, HISTOGRAM_BOUNDS.vcpu),
      memoryGiB: emptyHistogram(halfLifeMs, HISTOGRAM_BOUNDS.memoryGiB),
      networkMbps: emptyHistogram(halfLifeMs, HISTOGRAM_BOUNDS.networkMbps),
      diskIops: emptyHistogram(halfLifeMs, HISTOGRAM_BOUNDS.diskIops),
    },
    cpuPerCore: emptyHistogram(halfLifeMs, HISTOGRAM_BOUNDS.cpuPerCore),
    cpuPeakPercent: 0,
    connections: emptyHistogram(halfLifeMs, HISTOGRAM_BOUNDS.connections),
    recent: [],
    restarts: [],
    gaps: zeroGaps(),
    samplesSeen: 0,
  };
};

/** A usable metric value: a finite number ≥ 0; anything else (missing, NaN, negative, ±∞) is a gap. */
const usable = (v: number | undefined): v is number => v !== undefined && Number.isFinite(v) && v >= 0;

/** CPU percent clamped to 100: CloudWatch and agents occasionally report 100.x from sampling skew. */
const cpuPercentOf = (v: number | undefined): number | undefined => (usable(v) ? Math.min(v, 100) : undefined);

/**
 * One sample as demand in resource units. vCPU = cpuPercent / 100 × vcpus (the instance-wide
 * average over the minute); when only the minute's maximum is present it stands in, which can only
 * overestimate. Fields that are missing, NaN, negative or infinite are left out — never 0.
 */
export const sampleDemand = (sample: MetricSample, vcpus: number): Partial<Resources> => {
  requirePositive('vcpus', vcpus);
  const cpu = cpuPercentOf(sample.cpuPercent) ?? cpuPercentOf(sample.cpuMaxPercent);
  const demand: { -readonly [D in Dimension]?: number } = {};
  if (cpu !== undefined) demand.vcpu = (cpu / 100) * vcpus;
  if (usable(sample.memoryGiB)) demand.memoryGiB = sample.memoryGiB;
  if (usable(sample.networkMbps)) demand.networkMbps = sample.networkMbps;
  if (usable(sample.diskIops)) demand.diskIops = sample.diskIops;
  return demand;
};

const hasAny = (demand: Partial<Resources>): boolean => DIMENSIONS.some((d) => demand[d] !== undefined);

const mergeMax = (a: Partial<Resources> | undefined, b: Partial<Resources>): Partial<Resources> => {
  const out: { -readonly [D in Dimension]?: number } = { ...a };
  for (const d of DIMENSIONS) {
    const v = b[d];
    if (v !== undefined) out[d] = Math.max(out[d] ?? v, v);
  }
  return out;
};

const halfLifeOf = (profile: BehaviourProfile): number => profile.steady.vcpu.halfLifeMs;

/**
 * The profile fading with `halfLifeMs` from `at` on (the profiler's profiler.half_life_hours): its histograms re-based
 * to `at` (withHalfLife: every quantile unchanged), the decaying CPU peak following the new half-life from its last
 * peak. The same profile when it fades so already. The profiler applies it to every profile it updates, so a profile
 * made with the default elsewhere (a restart window opened for an instance with none) or stored before the setting
 * changed takes the configured half-life at the profiler's next tick.
 */
export const withProfileHalfLife = (profile: BehaviourProfile, halfLifeMs: number, at: number): BehaviourProfile => {
  requirePositive('halfLifeMs', halfLifeMs);
  const all = [...DIMENSIONS.map((d) => profile.steady[d]), profile.cpuPerCore, profile.connections];
  if (all.every((h) => h.halfLifeMs === halfLifeMs)) return profile;
  return {
    ...profile,
    steady: {
      vcpu: withHalfLife(profile.steady.vcpu, halfLifeMs, at),
      memoryGiB: withHalfLife(profile.steady.memoryGiB, halfLifeMs, at),
      networkMbps: withHalfLife(profile.steady.networkMbps, halfLifeMs, at),
      diskIops: withHalfLife(profile.steady.diskIops, halfLifeMs, at),
    },
    cpuPerCore: withHalfLife(profile.cpuPerCore, halfLifeMs, at),
    connections: withHalfLife(profile.connections, halfLifeMs, at),
  };
};

/**
 * Folds new metric samples into the profile. Samples already folded in (at ≤ lastSampleAt: the
 * profiler reads overlapping windows because CloudWatch fills the last minutes late), stamped after
 * `now`, or with a non-finite time are ignored; duplicates of one timestamp count once. For each new
 * sample, every field that is missing, NaN, negative or infinite is counted in `gaps[field]` and
 * skipped — never recorded as 0. A minute already folded in is not revisited when a late field for it
 * arrives, so the profiler should end its read window a couple of minutes before `now`.
 *
 * While a restart window is open, samples from `restartedAt` on go to its per-minute curve instead of
 * the steady state (a restart is not steady behaviour), and samples during the downtime are dropped.
 * Returns the same profile object when nothing new arrived (so `updatedAt` marks the last data).
 *
 * `late`: the late fields (LATE_FIELDS, network and disk) read behind the others — EC2's 5-minute points of an instance
 * on basic monitoring whose CPU comes from the CloudWatch agent each minute. Then `samples` carry no late fields (their
 * absence is not a gap), and `late` is folded with its own watermark (`lateSampleAt`, else the `lastSampleAt` the profile
 * had before this update — what was folded with the rest is not folded again — else the launch), kept even when no late
 * point arrived (the next read's points are still newer than it): into the steady state, the open restart's
 * curve, and `recent` at its own minute (merged into a point already there). Without `late` the late fields ride with
 * the rest and, once samples are folded so, `lateSampleAt` is dropped. A late point of a restart window that closed before it
 * arrived goes to the steady state (the closed cycle's network and disk peak misses its last one or two 5-minute points).
 */
export const updateProfile = (profile: BehaviourProfile, samples: readonly MetricSample[], now: number, late?: readonly MetricSample[]): BehaviourProfile => {
  requireFinite('now', now);
  // Before any sample, the late stream starts at the launch: nothing of the instance is older.
  const lateWatermark = profile.lateSampleAt ?? profile.lastSampleAt ?? profile.launchedAt - 1;
  const main = foldSamples(profile, samples, now, late !== undefined);
  if (late === undefined) {
    // Only a fold that carried the late fields with the rest puts them in step again (a tick that read nothing keeps it).
    if (main === profile || main.lateSampleAt === undefined) return main;
    const { lateSampleAt: _dropped, ...rest } = main;
    return rest;
  }
  return foldLate(main, late, now, lateWatermark);
};

const foldSamples = (profile: BehaviourProfile, samples: readonly MetricSample[], now: number, lateApart: boolean): BehaviourProfile => {
  const watermark = profile.lastSampleAt ?? Number.NEGATIVE_INFINITY;
  const fresh = samples.filter((s) => Number.isFinite(s.at) && s.at > watermark && s.at <= now).sort((a, b) => a.at - b.at);
  if (fresh.length === 0) return profile;
  const gapFields = lateApart ? SAMPLE_FIELDS.filter((f) => !isLateField(f)) : SAMPLE_FIELDS;

  const gaps = { ...profile.gaps };
  const steadyObs: Record<Dimension, Observation[]> = { vcpu: [], memoryGiB: [], networkMbps: [], diskIops: [] };
  const perCoreObs: Observation[] = [];
  const connectionObs: Observation[] = [];
  const recent = [...profile.recent];
  const open = profile.openRestart;
  const curve = open ? [...open.curve] : [];
  const halfLife = halfLifeOf(profile);
  let peak = profile.cpuPeakPercent;
  let peakAt = profile.lastSampleAt;
  let samplesSeen = profile.samplesSeen;
  let lastAt = watermark;

  for (const raw of fresh) {
    if (raw.at === lastAt) continue;
    lastAt = raw.at;
    samplesSeen += 1;
    const s = lateApart ? withoutLateFields(raw) : raw;
    for (const field of gapFields) if (!usable(s[field])) gaps[field] += 1;
    const demand = sampleDemand(s, profile.vcpus);
    if (hasAny(demand)) recent.push({ at: s.at, demand });
    if (takenByRestart(open, curve, s.at, demand)) continue;

    for (const d of DIMENSIONS) {
      const v = demand[d];
      if (v !== undefined) steadyObs[d].push({ value: v, at: s.at });
    }
    const avg = cpuPercentOf(s.cpuPercent);
    if (avg !== undefined) perCoreObs.push({ value: avg / 100, at: s.at });
    if (usable(s.connections)) connectionObs.push({ value: s.connections, at: s.at });
    const samplePeak = cpuPercentOf(s.cpuMaxPercent) ?? avg;
    if (samplePeak !== undefined) {
      // A decaying maximum: an old spike fades with the same half-life as the steady state.
      const decayed = peakAt === undefined ? 0 : peak * 2 ** (-(s.at - peakAt) / halfLife);
      peak = Math.max(decayed, samplePeak);
      peakAt = s.at;
    }
  }

  return {
    ...profile,
    updatedAt: now,
    steady: {
      vcpu: observeAll(profile.steady.vcpu, steadyObs.vcpu),
      memoryGiB: observeAll(profile.steady.memoryGiB, steadyObs.memoryGiB),
      networkMbps: observeAll(profile.steady.networkMbps, steadyObs.networkMbps),
      diskIops: observeAll(profile.steady.diskIops, steadyObs.diskIops),
    },
    cpuPerCore: observeAll(profile.cpuPerCore, perCoreObs),
    cpuPeakPercent: peak,
    connections: observeAll(profile.connections, connectionObs),
    recent: recent.slice(-RECENT_LIMIT),
    ...(steadyObs.vcpu.length > 0 || profile.dailyVcpu !== undefined ? { dailyVcpu: foldDaily(profile.dailyVcpu, steadyObs.vcpu)! } : {}),
    ...(open ? { openRestart: { ...open, curve } } : {}),
    gaps,
    samplesSeen,
    lastSampleAt: lastAt,
  };
};

/**
 * While a restart window is open, a sample from `restartedAt` on goes to its per-minute curve (merged into `curve`) and
 * one in the downtime nowhere — the instance was not running, nothing there describes it; true when either took it, so
 * it is not steady behaviour.
 */
const takenByRestart = (open: BehaviourProfile['openRestart'], curve: Partial<Resources>[], at: number, demand: Partial<Resources>): boolean => {
  if (open === undefined || at < open.interruptedAt) return false;
  if (at < open.restartedAt) return true;
  const minute = Math.floor((at - open.restartedAt) / MINUTE_MS);
  if (minute >= MAX_RESTART_CURVE_MINUTES) return false;
  while (curve.length <= minute) curve.push({});
  curve[minute] = mergeMax(curve[minute], demand);
  return true;
};

const isLateField = (field: SampleField): boolean => (LATE_FIELDS as readonly SampleField[]).includes(field);

const withoutLateFields = (s: MetricSample): MetricSample => {
  const { networkMbps: _network, diskIops: _disk, ...rest } = s;
  return rest;
};

/** The late fields of the samples past `watermark`, folded in (see updateProfile); the rest of each sample is ignored. */
const foldLate = (profile: BehaviourProfile, samples: readonly MetricSample[], now: number, watermark: number): BehaviourProfile => {
  const fresh = samples.filter((s) => Number.isFinite(s.at) && s.at > watermark && s.at <= now).sort((a, b) => a.at - b.at);
  if (fresh.length === 0) return profile.lateSampleAt === watermark ? profile : { ...profile, lateSampleAt: watermark };
  const gaps = { ...profile.gaps };
  const steadyObs: Record<'networkMbps' | 'diskIops', Observation[]> = { networkMbps: [], diskIops: [] };
  const recent = [...profile.recent];
  const open = profile.openRestart;
  const curve = open ? [...open.curve] : [];
  let lastAt = watermark;
  for (const s of fresh) {
    if (s.at === lastAt) continue;
    lastAt = s.at;
    const demand: { networkMbps?: number; diskIops?: number } = {};
    for (const field of LATE_FIELDS) {
      const v = s[field];
      if (usable(v)) demand[field] = v;
      else gaps[field] += 1;
    }
    if (!hasAny(demand)) continue;
    mergeIntoRecent(recent, s.at, demand);
    if (takenByRestart(open, curve, s.at, demand)) continue;
    for (const field of LATE_FIELDS) {
      const v = demand[field];
      if (v !== undefined) steadyObs[field].push({ value: v, at: s.at });
    }
  }
  return {
    ...profile,
    updatedAt: now,
    steady: {
      ...profile.steady,
      networkMbps: observeAll(profile.steady.networkMbps, steadyObs.networkMbps),
      diskIops: observeAll(profile.steady.diskIops, steadyObs.diskIops),
    },
    recent: recent.slice(-RECENT_LIMIT),
    ...(open ? { openRestart: { ...open, curve } } : {}),
    gaps,
    lateSampleAt: lastAt,
  };
};

/** Puts a late point's fields into `recent` at its minute: merged into the point there, else inserted in time order. */
const mergeIntoRecent = (recent: { at: number; demand: Partial<Resources> }[], at: number, demand: Partial<Resources>): void => {
  let k = recent.length - 1;
  while (k >= 0 && (recent[k] as { at: number }).at > at) k -= 1;
  const here = recent[k];
  if (here !== undefined && here.at === at) recent[k] = { at, demand: { ...here.demand, ...demand } };
  else recent.splice(k + 1, 0, { at, demand });
};

/** Steady-state q-quantile per dimension; dimensions without data are absent (not 0). */
export const steadyQuantile = (profile: BehaviourProfile, q: number): Partial<Resources> => {
  const out: { -readonly [D in Dimension]?: number } = {};
  for (const d of DIMENSIONS) {
    const v = histogramQuantile(profile.steady[d], q);
    if (v !== undefined) out[d] = v;
  }
  return out;
};

/**
 * The steady state a restart window records as "before" it (its victim's, for a replacement that inherits a lineage):
 * the steady p90 per dimension, 0 where the profile has no data. What a cycle's peak is read relative to.
 */
export const steadyStateBefore = (profile: BehaviourProfile): Resources => toResources(steadyQuantile(profile, 0.9));

/** The per-minute post-restart curve held in `recent` points at or after `restartedAt` (minute 0 = the restart). */
export const curveFromRecent = (recent: BehaviourProfile['recent'], restartedAt: number): Partial<Resources>[] => {
  const curve: Partial<Resources>[] = [];
  for (const point of recent) {
    if (point.at < restartedAt) continue;
    const minute = Math.floor((point.at - restartedAt) / MINUTE_MS);
    if (minute >= MAX_RESTART_CURVE_MINUTES) continue;
    while (curve.length <= minute) curve.push({});
    curve[minute] = mergeMax(curve[minute], point.demand);
  }
  return curve;
};

/**
 * Opens the post-restart window (called on pending → running after an interruption). Records the
 * steady-state p90 just before the interruption (0 for dimensions without data; those cycles are
 * not evidence for that dimension) and seeds the curve with `recent` points already at or after
 * `restartedAt` (the profiler may have read them before the state-change notice arrived).
 * Idempotent for a redelivered notice; a new restart replaces a window that never closed (its curve
 * was cut short by the new interruption, so it would understate the restart peak) — except a window
 * opened by inheritance (`from`: a replacement's first start, whose steady state before is its
 * victim's) when this restart falls within it (`windowMinutes` given): that is the same start seen
 * through another event (state change vs launch hook vs pool refresh), so the lineage window is kept.
 */
export const openRestartWindow = (
  profile: BehaviourProfile,
  times: {
    readonly interruptedAt: number;
    readonly restartedAt: number;
    readonly forecastBefore?: Resources;
    readonly modelBefore?: Resources;
    readonly windowMinutes?: number;
  },
): BehaviourProfile => {
  requireFinite('interruptedAt', times.interruptedAt);
  requireFinite('restartedAt', times.restartedAt);
  if (times.forecastBefore !== undefined) for (const d of DIMENSIONS) requireFinite(`forecastBefore.${d}`, times.forecastBefore[d]);
  if (times.restartedAt < times.interruptedAt) {
    throw new InvalidProfileError('restartedAt', times.restartedAt, `must not be before interruptedAt ${times.interruptedAt}`);
  }
  const open = profile.openRestart;
  if (open && open.restartedAt === times.restartedAt && open.interruptedAt === times.interruptedAt) return profile;
  if (open?.from !== undefined && times.windowMinutes !== undefined && times.restartedAt < open.restartedAt + times.windowMinutes * MINUTE_MS) {
    return open.forecastBefore !== undefined || times.forecastBefore === undefined
      ? profile
      : {
          ...profile,
          openRestart: {
            ...open,
            forecastBefore: { ...times.forecastBefore },
            ...(times.modelBefore !== undefined ? { modelBefore: { ...times.modelBefore } } : {}),
          },
        };
  }
  const curve = curveFromRecent(profile.recent, times.restartedAt);
  const featuresBefore = times.windowMinutes === undefined ? undefined : featureRowsBefore(profile, { ...times, windowMinutes: times.windowMinutes });
  return {
    ...profile,
    openRestart: {
      interruptedAt: times.interruptedAt,
      restartedAt: times.restartedAt,
      steadyBefore: steadyStateBefore(profile),
      curve,
      ...(times.forecastBefore !== undefined ? { forecastBefore: { ...times.forecastBefore } } : {}),
      ...(times.forecastBefore !== undefined && times.modelBefore !== undefined ? { modelBefore: { ...times.modelBefore } } : {}),
      ...(featuresBefore !== undefined && Object.keys(featuresBefore).length > 0 ? { featuresBefore } : {}),
    },
  };
};

/**
 * Per-minute curve over [0, last observed minute]: a minute without a sample carries the previous
 * minute's value (leading gaps take the first observed value), so the curve is dense without
 * inventing zeros; a dimension never observed is 0 and listed in `unobserved`.
 */
const denseCurve = (slots: readonly Partial<Resources>[], observed: readonly Dimension[]): Resources[] => {
  let last = -1;
  slots.forEach((s, i) => {
    if (hasAny(s)) last = i;
  });
  const out: Resources[] = [];
  const carry: { -readonly [D in Dimension]?: number } = {};
  for (const d of observed) carry[d] = slots.find((s) => s[d] !== undefined)?.[d];
  for (let i = 0; i <= last; i++) {
    const slot = slots[i] ?? {};
    for (const d of observed) if (slot[d] !== undefined) carry[d] = slot[d];
    out.push(toResources(carry));
  }
  return out;
};

/**
 * An inherited window (a replacement's first start, `from` set) whose observed peak stays below this share
 * of the inherited steady state on every dimension with one: the victim's load did not arrive on this
 * instance. spotwise's hand-over is its belief about where the load goes; the load balancer or scheduler
 * decides, and may have moved it to another instance. A restart brings back at least its steady demand
 * (catch-up only adds to it), so a whole window under half of it is not that load restarting.
 */
export const LINEAGE_ARRIVAL_SHARE = 0.5;

/**
 * A window peak at or above this share of the host's capacity is saturated: the host's metrics cap there
 * (CPUUtilization at 100 %, memory at the instance's size), so the demand may have been larger than shown.
 */
export const SATURATION_SHARE = 0.97;

/**
 * Closes the post-restart window once `now` ≥ restartedAt + windowMinutes (before that, and when no
 * window is open, the profile is returned unchanged, so the profiler may call this every tick) and
 * records a RestartCycle: the peak per dimension over the first `windowMinutes` minutes and the
 * per-minute curve. Points observed after the window are steady state again and are folded into the
 * steady histograms. A window that saw no data at all records no cycle (nothing was learned).
 *
 * An inherited window whose load never arrived (LINEAGE_ARRIVAL_SHARE) records its cycle with no steady
 * state before (not evidence), and the instance's steady state becomes what it showed itself (the whole
 * curve), not the victim's it inherited.
 *
 * `capacity` is the resources of the instance the window ran on: a dimension whose peak reached SATURATION_SHARE
 * of it is recorded as `saturated` (its peak a lower bound), and its vCPUs and memory as the cycle's `hostCapacity`
 * (recalibration relative to the machine reads them). Without it nothing is marked.
 */
export const closeRestartWindow = (profile: BehaviourProfile, now: number, windowMinutes: number, capacity?: Partial<Resources>): BehaviourProfile => {
  requireFinite('now', now);
  if (!Number.isInteger(windowMinutes) || windowMinutes <= 0 || windowMinutes > MAX_RESTART_CURVE_MINUTES) {
    throw new InvalidProfileError('windowMinutes', windowMinutes, `must be an integer within 1..${MAX_RESTART_CURVE_MINUTES}`);
  }
  const open = profile.openRestart;
  if (!open || now < open.restartedAt + windowMinutes * MINUTE_MS) return profile;
  const { openRestart: _closed, ...rest } = profile;

  const inWindow = open.curve.slice(0, windowMinutes);
  const observed = DIMENSIONS.filter((d) => inWindow.some((s) => s[d] !== undefined));

  const afterWindow: Record<Dimension, Observation[]> = { vcpu: [], memoryGiB: [], networkMbps: [], diskIops: [] };
  open.curve.slice(windowMinutes).forEach((slot, i) => {
    for (const d of DIMENSIONS) {
      const v = slot[d];
      if (v !== undefined) afterWindow[d].push({ value: v, at: open.restartedAt + (windowMinutes + i) * MINUTE_MS });
    }
  });
  const steady = {
    vcpu: observeAll(profile.steady.vcpu, afterWindow.vcpu),
    memoryGiB: observeAll(profile.steady.memoryGiB, afterWindow.memoryGiB),
    networkMbps: observeAll(profile.steady.networkMbps, afterWindow.networkMbps),
    diskIops: observeAll(profile.steady.diskIops, afterWindow.diskIops),
  };

  if (observed.length === 0) return { ...rest, steady, updatedAt: now };

  const peak: { -readonly [D in Dimension]?: number } = {};
  for (const slot of inWindow) for (const d of observed) if (slot[d] !== undefined) peak[d] = Math.max(peak[d] ?? 0, slot[d] as number);
  const unobserved = DIMENSIONS.filter((d) => !observed.includes(d));
  const saturated = observed.filter((d) => {
    const c = capacity?.[d];
    return c !== undefined && Number.isFinite(c) && c > 0 && (peak[d] as number) >= SATURATION_SHARE * c;
  });
  const hostCapacity = Object.fromEntries(
    (['vcpu', 'memoryGiB'] as const).flatMap((d) => {
      const c = capacity?.[d];
      return c !== undefined && Number.isFinite(c) && c > 0 ? [[d, c]] : [];
    }),
  ) as Partial<Resources>;
  const compared = observed.filter((d) => open.steadyBefore[d] > 0);
  const notArrived =
    open.from !== undefined && compared.length > 0 && compared.every((d) => (peak[d] as number) < LINEAGE_ARRIVAL_SHARE * open.steadyBefore[d]);
  const ownSteady = (): BehaviourProfile['steady'] => {
    const all: Record<Dimension, Observation[]> = { vcpu: [], memoryGiB: [], networkMbps: [], diskIops: [] };
    open.curve.forEach((slot, i) => {
      for (const d of DIMENSIONS) if (slot[d] !== undefined) all[d].push({ value: slot[d] as number, at: open.restartedAt + i * MINUTE_MS });
    });
    const fresh = (h: DecayingHistogram, d: Dimension): DecayingHistogram => observeAll(emptyHistogram(h.halfLifeMs, h.bounds), all[d]);
    return {
      vcpu: fresh(profile.steady.vcpu, 'vcpu'),
      memoryGiB: fresh(profile.steady.memoryGiB, 'memoryGiB'),
      networkMbps: fresh(profile.steady.networkMbps, 'networkMbps'),
      diskIops: fresh(profile.steady.diskIops, 'diskIops'),
    };
  };
  const cycle: RestartCycle = {
    interruptedAt: open.interruptedAt,
    restartedAt: open.restartedAt,
    downtimeSeconds: (open.restartedAt - open.interruptedAt) / 1000,
    steadyBefore: notArrived ? toResources({}) : open.steadyBefore,
    peakAfter: toResources(peak),
    curve: denseCurve(inWindow, observed),
    ...(unobserved.length > 0 ? { unobserved } : {}),
    ...(saturated.length > 0 ? { saturated } : {}),
    ...(open.forecastBefore !== undefined ? { forecastBefore: { ...open.forecastBefore } } : {}),
    ...(open.modelBefore !== undefined ? { modelBefore: { ...open.modelBefore } } : {}),
    ...(Object.keys(hostCapacity).length > 0 ? { hostCapacity } : {}),
  };
  const restarts = [...profile.restarts, cycle].slice(-RESTART_HISTORY_LIMIT);
  const keepCurvesFrom = restarts.length - RESTART_CURVES_KEPT;
  return {
    ...rest,
    steady: notArrived ? ownSteady() : steady,
    updatedAt: now,
    restarts: restarts.map((c, i) => (i < keepCurvesFrom && c.curve.length > 0 ? { ...c, curve: [] } : c)),
  };
};

/**
 * The cycle closeRestartWindow recorded between `before` (window open) and `closed`, or undefined: the window is still
 * open, none was open, or it saw no data (no cycle recorded). Matched on the restart time, not on the count of cycles:
 * at RESTART_HISTORY_LIMIT the oldest cycle drops out as the new one comes in.
 */
export const closedCycle = (before: BehaviourProfile, closed: BehaviourProfile): RestartCycle | undefined => {
  const open = before.openRestart;
  const cycle = closed.restarts.at(-1);
  return open === undefined || closed.openRestart !== undefined || cycle?.restartedAt !== open.restartedAt ? undefined : cycle;
};
