import {
  DIMENSIONS,
  groupId,
  instanceId,
  type BehaviourProfile,
  type DecayingHistogram,
  type Dimension,
  type MetricSample,
  type PredictionInput,
  type Random,
  type Resources,
} from '../../lambda/core/domain';
import { closeRestartWindow, newProfile, openRestartWindow, sampleDemand, updateProfile } from '../../lambda/core/profile/behaviour-profile';
import { DEFAULT_HALF_LIFE_MS, HISTOGRAM_BOUNDS, emptyHistogram, observeAll } from '../../lambda/core/profile/decaying-histogram';
import type { TraceSeries } from '../../lambda/data/traces/load-traces';
import { AUTOPILOT_WINDOW_MS, autopilotForecast, lastValueForecast, vpaForecast, type BaselineName, type QuantilePair } from './baselines';
import { randomFor } from './seeded-random';
import { toMetricSample, vcpusOf } from './trace-samples';

/**
 * Evaluation and training cases: "an instance is interrupted at t, comes back after a downtime D; what
 * is its peak demand per dimension in the first W minutes after it is back?", built from real traces.
 *
 * - simulated-interruption: a point t inside a series. The profile is built the way production builds
 *   it (newProfile + updateProfile over every sample before t, earlier simulated restarts recorded with
 *   openRestartWindow/closeRestartWindow); the target is the peak of each dimension over [t+D, t+D+W)
 *   (half-open). Samples in the downtime [t, t+D) are never seen by anyone (the instance was down).
 *   Cases of one series never overlap: the next t is after the previous t+D+W.
 * - real-start: a Bitbrains late-start VM's first W minutes after its first sample are the target. It
 *   has no past, so the profile is built from the VM's own later life — its data from 2 h after the
 *   start (warm-up excluded), up to 24 h of it — shifted in time to end just before the interruption at
 *   t = start − D: the stand-in for "the previous life of this workload". No sample of the target
 *   window is in that history.
 *
 * Everything is drawn from seeded streams per series id, so the same folder and seed give the same
 * cases, and adding a series never changes another series' cases.
 */
export type CaseKind = 'real-start' | 'simulated-interruption';
export const CASE_KINDS: readonly CaseKind[] = ['real-start', 'simulated-interruption'];

export interface PredictionCase {
  readonly id: string;
  readonly seriesId: string;
  readonly dataset: string;
  readonly kind: CaseKind;
  readonly input: PredictionInput;
  /** Observed peak per dimension in the target window (absent: no data for it there). */
  readonly actual: Partial<Resources>;
  readonly baselines: Readonly<Record<BaselineName, Partial<Record<Dimension, QuantilePair>>>>;
  /** The machine's provisioned vCPUs and memory, when the source says (what a restart on it could at most use). */
  readonly capacity?: Partial<Resources>;
}

export interface CaseOptions {
  readonly seed: number;
  /** Window lengths W (minutes) to draw from; evaluation uses one value (default 30). */
  readonly windowMinutes: readonly number[];
  /** Downtime D drawn log-uniform in [min, max] seconds. */
  readonly downtimeSeconds: { readonly min: number; readonly max: number };
  /** Simulated interruptions per day of series data, capped per series. */
  readonly casesPerDay: number;
  readonly maxCasesPerSeries: number;
  /** History required before the first simulated interruption of a series. */
  readonly minHistoryHours: number;
  /** Real-start cases per late-start series (each with its own D and W draw); 0 disables them. */
  readonly realStartsPerSeries: number;
}

export const DEFAULT_CASE_OPTIONS: CaseOptions = {
  seed: 20240601,
  windowMinutes: [30],
  // From a spot replacement that is up in a minute to a stopped instance that waits hours for capacity.
  downtimeSeconds: { min: 60, max: 4 * 3600 },
  casesPerDay: 3,
  maxCasesPerSeries: 40,
  minHistoryHours: 6,
  realStartsPerSeries: 1,
};

/** Warm-up excluded from a late-start VM's history, and how much later life stands for its past. */
export const REAL_START_SKIP_MS = 2 * 3_600_000;
export const REAL_START_HISTORY_MS = 24 * 3_600_000;
/** A late-start VM needs at least this much later life to build a profile from. */
export const REAL_START_MIN_HISTORY_MS = 2 * 3_600_000;

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

/** The target window must hold at least half of its expected points for a dimension to count. */
const minTargetPoints = (windowMinutes: number, stepSeconds: number): number => Math.max(1, Math.floor((0.5 * windowMinutes * 60) / stepSeconds));

interface Observed {
  readonly at: number;
  readonly sample: MetricSample;
  readonly demand: Partial<Resources>;
}

const logUniform = (rng: Random, min: number, max: number): number => Math.exp(Math.log(min) + (Math.log(max) - Math.log(min)) * rng());
const pick = <T>(rng: Random, xs: readonly T[]): T => xs[Math.min(xs.length - 1, Math.floor(rng() * xs.length))] as T;

const peakIn = (obs: readonly Observed[], from: number, to: number, minPoints: number): Partial<Resources> => {
  const out: { -readonly [D in Dimension]?: number } = {};
  const counts: Record<Dimension, number> = { vcpu: 0, memoryGiB: 0, networkMbps: 0, diskIops: 0 };
  for (const o of obs) {
    if (o.at < from || o.at >= to) continue;
    for (const d of DIMENSIONS) {
      const v = o.demand[d];
      if (v === undefined) continue;
      counts[d]++;
      out[d] = Math.max(out[d] ?? v, v);
    }
  }
  for (const d of DIMENSIONS) if (counts[d] < minPoints) delete out[d];
  return out;
};

/** Baseline state walked along a series (what a VPA / Autopilot recommender would have seen). */
class BaselineTracker {
  private readonly histograms: Record<Dimension, DecayingHistogram> = {
    vcpu: emptyHistogram(DEFAULT_HALF_LIFE_MS, HISTOGRAM_BOUNDS.vcpu),
    memoryGiB: emptyHistogram(DEFAULT_HALF_LIFE_MS, HISTOGRAM_BOUNDS.memoryGiB),
    networkMbps: emptyHistogram(DEFAULT_HALF_LIFE_MS, HISTOGRAM_BOUNDS.networkMbps),
    diskIops: emptyHistogram(DEFAULT_HALF_LIFE_MS, HISTOGRAM_BOUNDS.diskIops),
  };
  private readonly seen: Observed[] = [];

  observe(batch: readonly Observed[]): void {
    for (const d of DIMENSIONS) {
      const obs = batch.flatMap((o) => (o.demand[d] === undefined ? [] : [{ value: o.demand[d] as number, at: o.at }]));
      this.histograms[d] = observeAll(this.histograms[d], obs);
    }
    this.seen.push(...batch);
  }

  forecastAt(t: number): Record<BaselineName, Partial<Record<Dimension, QuantilePair>>> {
    const out: Record<BaselineName, Partial<Record<Dimension, QuantilePair>>> = { 'last-value': {}, vpa: {}, autopilot: {} };
    for (const d of DIMENSIONS) {
      let last: number | undefined;
      const window: number[] = [];
      for (let i = this.seen.length - 1; i >= 0; i--) {
        const o = this.seen[i]!;
        if (o.at >= t) continue;
        if (o.at < t - AUTOPILOT_WINDOW_MS) break;
        const v = o.demand[d];
        if (v === undefined) continue;
        if (last === undefined) last = v;
        window.push(v);
      }
      if (last === undefined) {
        // The newest value may be older than the autopilot window (a long gap): still the last value.
        for (let i = this.seen.length - 1; i >= 0 && last === undefined; i--) if (this.seen[i]!.at < t) last = this.seen[i]!.demand[d];
      }
      const lv = lastValueForecast(last);
      const vpa = vpaForecast(this.histograms[d]);
      const ap = autopilotForecast(window);
      if (lv) out['last-value'][d] = lv;
      if (vpa) out.vpa[d] = vpa;
      if (ap) out.autopilot[d] = ap;
    }
    return out;
  }
}

const observe = (series: TraceSeries): Observed[] => {
  const vcpus = vcpusOf(series);
  return series.points.map((p) => {
    const sample = toMetricSample(p, series);
    return { at: sample.at, sample, demand: sampleDemand(sample, vcpus) };
  });
};

const profileFor = (series: TraceSeries, launchedAt: number): BehaviourProfile =>
  newProfile({
    instanceId: instanceId(series.id),
    groupId: groupId(series.dataset),
    instanceType: 'trace',
    vcpus: vcpusOf(series),
    jobType: series.dataset,
    launchedAt,
    now: launchedAt,
  });

const hasAnyDimension = (r: Partial<Resources>): boolean => DIMENSIONS.some((d) => r[d] !== undefined);

/** Simulated interruptions inside one series (see the module comment). */
export const buildSimulatedInterruptions = (series: TraceSeries, opts: CaseOptions = DEFAULT_CASE_OPTIONS): PredictionCase[] => {
  const obs = observe(series);
  if (obs.length < 2) return [];
  const first = obs[0]!.at;
  const end = obs[obs.length - 1]!.at + series.stepSeconds * 1000;
  const tMin = first + opts.minHistoryHours * HOUR_MS;
  if (tMin >= end) return [];
  const spanDays = (end - first) / (24 * HOUR_MS);
  const wanted = Math.min(opts.maxCasesPerSeries, Math.max(1, Math.round(spanDays * opts.casesPerDay)));
  const rng = randomFor(opts.seed, `simulated:${series.id}`);
  const draws = Array.from({ length: wanted }, () => ({
    t: tMin + rng() * (end - tMin),
    d: logUniform(rng, opts.downtimeSeconds.min, opts.downtimeSeconds.max),
    w: pick(rng, opts.windowMinutes),
  })).sort((a, b) => a.t - b.t);

  // Staleness bound: the last sample before t must be recent, as it is for a profiler that runs every
  // 5 minutes; a t inside a collection gap would not be a prediction production ever makes.
  const maxStaleMs = Math.max(3 * series.stepSeconds * 1000, 15 * MINUTE_MS);
  const cases: PredictionCase[] = [];
  const baselines = new BaselineTracker();
  let profile = profileFor(series, first);
  let next = 0; // index of the first observation not yet folded in
  let busyUntil = Number.NEGATIVE_INFINITY;
  for (const [k, draw] of draws.entries()) {
    // Whole seconds and minutes, as CloudWatch times and the profile's restart API use.
    const t = Math.floor(draw.t / 1000) * 1000;
    const downMs = Math.round(draw.d) * 1000;
    const w = draw.w;
    const restartAt = t + downMs;
    const windowEnd = restartAt + w * MINUTE_MS;
    if (t < busyUntil || windowEnd > end) continue;

    const upTo = (limit: number): Observed[] => {
      const batch: Observed[] = [];
      while (next < obs.length && obs[next]!.at < limit) batch.push(obs[next++]!);
      return batch;
    };
    const history = upTo(t);
    profile = updateProfile(
      profile,
      history.map((o) => o.sample),
      t,
    );
    baselines.observe(history);
    const lastBefore = obs[next - 1];
    const actual = peakIn(obs, restartAt, windowEnd, minTargetPoints(w, series.stepSeconds));
    const usable = lastBefore !== undefined && t - lastBefore.at <= maxStaleMs && hasAnyDimension(actual);
    if (usable) {
      cases.push({
        id: `${series.id}#${k}`,
        seriesId: series.id,
        dataset: series.dataset,
        kind: 'simulated-interruption',
        input: { profile, downtimeSeconds: downMs / 1000, windowMinutes: w, now: t },
        actual,
        baselines: baselines.forecastAt(t),
      });
    }
    // Record the restart as production would, so later cases see a restart history; the downtime's
    // samples are dropped for everyone (the instance was down), the window's samples are observed.
    upTo(restartAt);
    const after = upTo(windowEnd);
    profile = openRestartWindow(profile, { interruptedAt: t, restartedAt: restartAt });
    profile = updateProfile(
      profile,
      after.map((o) => o.sample),
      windowEnd,
    );
    profile = closeRestartWindow(profile, windowEnd, w);
    baselines.observe(after);
    busyUntil = windowEnd;
  }
  return cases;
};

/** Real starts of a late-start series (see the module comment); [] for other series. */
export const buildRealStarts = (series: TraceSeries, opts: CaseOptions = DEFAULT_CASE_OPTIONS): PredictionCase[] => {
  if (!series.lateStart || opts.realStartsPerSeries <= 0) return [];
  const obs = observe(series);
  if (obs.length < 2) return [];
  const start = obs[0]!.at;
  const stepMs = series.stepSeconds * 1000;
  const source = obs.filter((o) => o.at >= start + REAL_START_SKIP_MS && o.at < start + REAL_START_SKIP_MS + REAL_START_HISTORY_MS);
  if (source.length < 2 || source[source.length - 1]!.at - source[0]!.at < REAL_START_MIN_HISTORY_MS) return [];
  const rng = randomFor(opts.seed, `real-start:${series.id}`);
  const cases: PredictionCase[] = [];
  for (let k = 0; k < opts.realStartsPerSeries; k++) {
    const downMs = Math.round(logUniform(rng, opts.downtimeSeconds.min, opts.downtimeSeconds.max)) * 1000;
    const w = pick(rng, opts.windowMinutes);
    const actual = peakIn(obs, start, start + w * MINUTE_MS, minTargetPoints(w, series.stepSeconds));
    if (!hasAnyDimension(actual)) continue;
    const t = start - downMs;
    // Shift the later life so its last sample lands one step before the interruption.
    const offset = t - stepMs - source[source.length - 1]!.at;
    const history = source.map((o) => ({ ...o, at: o.at + offset, sample: { ...o.sample, at: o.sample.at + offset } }));
    const profile = updateProfile(
      profileFor(series, history[0]!.at),
      history.map((o) => o.sample),
      t,
    );
    const baselines = new BaselineTracker();
    baselines.observe(history);
    cases.push({
      id: `${series.id}#start${k}`,
      seriesId: series.id,
      dataset: series.dataset,
      kind: 'real-start',
      input: { profile, downtimeSeconds: downMs / 1000, windowMinutes: w, now: t },
      actual,
      baselines: baselines.forecastAt(t),
      capacity: { vcpu: vcpusOf(series), ...(series.memoryGiB !== undefined ? { memoryGiB: series.memoryGiB } : {}) },
    });
  }
  return cases;
};

/** All cases of a list of series, in series order. */
export const buildCases = (series: readonly TraceSeries[], opts: CaseOptions = DEFAULT_CASE_OPTIONS): PredictionCase[] =>
  series.flatMap((s) => [...buildRealStarts(s, opts), ...buildSimulatedInterruptions(s, opts)]);
