import type { BehaviourProfile, DailyBucket } from '../domain';

/**
 * A daily load profile: per UTC hour of day, the running mean of an instance's steady vCPU demand. Each bucket's mean
 * moves by (v − mean) / min(n, DAILY_MEMORY_SAMPLES) per one-minute sample, so a bucket remembers about a week of that
 * hour (60 samples a day) and a changed rhythm takes over within days. UTC hours: a workload's daily rhythm keeps its
 * local-time offset, so UTC buckets see the same shape shifted.
 */
export const HOURS_PER_DAY = 24;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Samples a bucket's mean weighs at most: a week of one-minute samples of that hour. */
export const DAILY_MEMORY_SAMPLES = 7 * 60;
/**
 * A bucket with fewer samples is not known: two full hours of one-minute samples, so an hour is known only once it has
 * been seen on two days at least (a bucket gets 60 samples a day at most). One day's evidence is not "quiet every day":
 * with a one-day minimum (30 samples), the simulator's batch jobs restarted at an hour that had been quiet the day
 * before and was busy that day (seed 5 of the ablation: 0.3 → 12.9 unserved vCPU·min).
 */
export const MIN_DAILY_SAMPLES = 2 * 60;

/** The UTC hour of day of an epoch-ms time (0..23). */
export const hourOfDay = (at: number): number => Math.floor((((at % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS);

const emptyDay = (): { mean: number; n: number }[] => Array.from({ length: HOURS_PER_DAY }, () => ({ mean: 0, n: 0 }));

/** Folds steady vCPU observations (time order) into the daily profile; non-finite or negative values are skipped. */
export const foldDaily = (
  daily: readonly DailyBucket[] | undefined,
  observations: readonly { readonly value: number; readonly at: number }[],
): readonly DailyBucket[] | undefined => {
  if (observations.length === 0) return daily;
  const out: { mean: number; n: number }[] = daily?.length === HOURS_PER_DAY ? daily.map((b) => ({ ...b })) : emptyDay();
  for (const o of observations) {
    if (!Number.isFinite(o.value) || o.value < 0 || !Number.isFinite(o.at)) continue;
    const b = out[hourOfDay(o.at)]!;
    const n = Math.min(b.n + 1, DAILY_MEMORY_SAMPLES);
    b.mean += (o.value - b.mean) / n;
    b.n = b.n >= DAILY_MEMORY_SAMPLES ? b.n : b.n + 1;
  }
  return out;
};

/** The expected steady vCPU per hour of day (null where the bucket has fewer than MIN_DAILY_SAMPLES), or undefined when none is known. */
export const dailyLoadOf = (profile: Pick<BehaviourProfile, 'dailyVcpu'>): (number | null)[] | undefined => {
  const day = profile.dailyVcpu;
  if (day === undefined || day.length !== HOURS_PER_DAY) return undefined;
  const out = day.map((b) => (b.n >= MIN_DAILY_SAMPLES && Number.isFinite(b.mean) ? Number(b.mean.toPrecision(6)) : null));
  return out.some((v) => v !== null) ? out : undefined;
};
