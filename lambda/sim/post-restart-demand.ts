import type { TraceSeries } from '../data/traces/load-traces';

/**
 * What a workload needs right after it starts on a fresh instance, relative to its steady state.
 *
 * Two effects, both seen in real late-start VMs (Bitbrains GWA-T-12: 27 of 46 have a CPU maximum in their
 * first 30 min above 2× their later median, 22 of 46 a first memory sample above 3× the 1–4 h median that
 * drops within ~15 min):
 * - warm-up: cold caches, JIT, loading state — a per-minute multiplier on CPU and memory that decays to 1;
 * - catch-up: work that queued while the workload was down (retries, a batch backlog) is done on top,
 *   `catchUpShare` of the CPU the outage missed, spread evenly over `catchUpMinutes`.
 */
export interface PostRestartModel {
  /** Multiplier per minute since start (index 0 = first minute); 1 after the end. */
  readonly cpuCurve: readonly number[];
  readonly memoryCurve: readonly number[];
  readonly catchUpShare: number;
  readonly catchUpMinutes: number;
  /** Where the curves come from ("defaults" or the series they were learned from). */
  readonly source: string;
}

/** Multipliers never go beyond this: one outlier VM must not make every restart need 10× its size. */
export const MAX_MULTIPLIER = 4;

const decayCurve = (peak: number, timeConstantMinutes: number, minutes: number): number[] =>
  Array.from({ length: minutes }, (_, m) => 1 + (peak - 1) * Math.exp(-m / timeConstantMinutes));

/**
 * Documented defaults when no late-start series are at hand: CPU starts at 1.8× and decays with an 8-minute
 * time constant (≈ back to steady within 30 min), memory starts at 1.4× and decays over 12 minutes; half of
 * the work missed during an outage comes back within 10 minutes.
 */
export const DEFAULT_POST_RESTART_MODEL: PostRestartModel = {
  cpuCurve: decayCurve(1.8, 8, 30),
  memoryCurve: decayCurve(1.4, 12, 30),
  catchUpShare: 0.5,
  catchUpMinutes: 10,
  source: 'defaults (CPU 1.8× decaying over 8 min, memory 1.4× over 12 min)',
};

/** The warm-up multiplier of a dimension at `minutesSinceStart` (≥ 0). */
export const warmUpMultiplier = (model: PostRestartModel, dim: 'cpu' | 'memory', minutesSinceStart: number): number => {
  const curve = dim === 'cpu' ? model.cpuCurve : model.memoryCurve;
  if (minutesSinceStart < 0) return 1;
  return curve[Math.floor(minutesSinceStart)] ?? 1;
};

/** Extra vCPUs per minute for catching up after `downtimeMinutes` of a workload whose steady demand is `steadyVcpu`. */
export const catchUpVcpu = (model: PostRestartModel, steadyVcpu: number, downtimeMinutes: number, minutesSinceStart: number): number => {
  if (downtimeMinutes <= 0 || minutesSinceStart < 0 || minutesSinceStart >= model.catchUpMinutes) return 0;
  return (steadyVcpu * downtimeMinutes * model.catchUpShare) / model.catchUpMinutes;
};

const median = (xs: readonly number[]): number | undefined => {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};

/** Minimum late-start series to learn from; below it the defaults are kept (too little evidence). */
export const MIN_LEARNING_SERIES = 5;

/**
 * Learns the warm-up curves from late-start series (their first points are the first minutes after a real
 * start). Per series: the steady level is the median over hours 1–4 after its first point; the curve at
 * minute m is the series value at m divided by that level. Across series, the median ratio per minute
 * (robust to the few VMs that start idle or spike 20×), clamped to [1, MAX_MULTIPLIER] — a start that
 * needs *less* than steady state does not make a restart cheaper to plan for. Catch-up keeps its default:
 * a first start has no backlog to learn it from.
 */
export const learnPostRestartModel = (
  series: readonly TraceSeries[],
  windowMinutes = 30,
  fallback: PostRestartModel = DEFAULT_POST_RESTART_MODEL,
): PostRestartModel => {
  const late = series.filter((s) => s.lateStart === true && s.points.length > 1);
  const cpuRatios: number[][] = Array.from({ length: windowMinutes }, () => []);
  const memRatios: number[][] = Array.from({ length: windowMinutes }, () => []);
  let used = 0;
  for (const s of late) {
    const first = s.points[0]?.at;
    if (first === undefined) continue;
    const steady = s.points.filter((p) => p.at >= first + 3_600_000 && p.at < first + 4 * 3_600_000);
    const cpuLevel = median(steady.flatMap((p) => (p.cpuPercent !== undefined ? [p.cpuPercent] : [])));
    const memLevel = median(steady.flatMap((p) => (p.memoryGiB !== undefined ? [p.memoryGiB] : p.memoryPercent !== undefined ? [p.memoryPercent] : [])));
    if (cpuLevel === undefined || memLevel === undefined || cpuLevel <= 0 || memLevel <= 0) continue;
    used += 1;
    for (const p of s.points) {
      const m = Math.floor((p.at - first) / 60_000);
      if (m >= windowMinutes) break;
      // A 5-minute point stands for every minute it covers.
      const span = Math.max(1, Math.round(s.stepSeconds / 60));
      for (let k = m; k < Math.min(windowMinutes, m + span); k++) {
        if (p.cpuPercent !== undefined) cpuRatios[k]?.push(p.cpuPercent / cpuLevel);
        const mem = p.memoryGiB ?? p.memoryPercent;
        if (mem !== undefined) memRatios[k]?.push(mem / memLevel);
      }
    }
  }
  if (used < MIN_LEARNING_SERIES) return fallback;
  const clamp = (x: number | undefined): number => Math.min(MAX_MULTIPLIER, Math.max(1, x ?? 1));
  return {
    cpuCurve: cpuRatios.map((r) => clamp(median(r))),
    memoryCurve: memRatios.map((r) => clamp(median(r))),
    catchUpShare: fallback.catchUpShare,
    catchUpMinutes: fallback.catchUpMinutes,
    source: `learned from ${used} late-start series (${[...new Set(late.map((s) => s.dataset))].join(', ')})`,
  };
};

/**
 * Minutes after a start during which the post-restart effects last (the longer curve, or the catch-up):
 * an episode stays open at least this long on its new host, so the peak it causes is the episode's.
 */
export const restartHorizonMinutes = (model: PostRestartModel): number => Math.max(model.cpuCurve.length, model.memoryCurve.length, model.catchUpMinutes, 1);

/**
 * The model with its warm-up peaks rescaled: the first minute's multiplier becomes `cpuPeak` (and
 * `memoryPeak`), every later minute's excess over 1 scaled by the same factor, so the shape of the decay is
 * kept. Peaks must be finite and ≥ 1 (a restart never needs less than steady state here).
 */
export const withPeaks = (model: PostRestartModel, peaks: { readonly cpu?: number; readonly memory?: number }): PostRestartModel => {
  const rescale = (curve: readonly number[], peak: number | undefined, field: string): readonly number[] => {
    if (peak === undefined) return curve;
    if (!(Number.isFinite(peak) && peak >= 1)) throw new RangeError(`post-restart ${field} peak must be a finite number ≥ 1 (got ${peak})`);
    const first = curve[0] ?? 1;
    if (first <= 1) return curve.map((_, m) => (m === 0 ? peak : 1 + (peak - 1) * Math.exp(-m / 8)));
    const k = (peak - 1) / (first - 1);
    return curve.map((x) => 1 + (x - 1) * k);
  };
  if (peaks.cpu === undefined && peaks.memory === undefined) return model;
  return {
    ...model,
    cpuCurve: rescale(model.cpuCurve, peaks.cpu, 'CPU'),
    memoryCurve: rescale(model.memoryCurve, peaks.memory, 'memory'),
    source: `${model.source}; peaks set to CPU ${(peaks.cpu ?? model.cpuCurve[0] ?? 1).toFixed(2)}×, memory ${(peaks.memory ?? model.memoryCurve[0] ?? 1).toFixed(2)}×`,
  };
};

/**
 * How much each workload's restart differs from the model (a multiplier of the excess over steady state),
 * drawn per workload from the seed: uniform in [0.5, 1.5], so restarts differ between workloads and a
 * predictor has to learn each one. spotwise is never told.
 */
export const drawRestartVariation = (workloadIds: readonly string[], random: () => number): Map<string, number> =>
  new Map(workloadIds.map((id) => [id, 0.5 + random()] as const));
