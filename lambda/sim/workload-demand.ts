import type { InstanceTypeSpec } from '../core/domain';
import type { TraceSeries } from '../data/traces/load-traces';

/**
 * A workload's steady demand per simulated minute, from a real usage series mapped onto the instance
 * type it normally runs on.
 *
 * Mapping (documented choices; the sources give CPU % of machines of unknown size):
 * - CPU: each series is rescaled so its 95th percentile uses `TARGET_P95_UTILISATION` of the home type's
 *   vCPUs — a right-sized fleet, which is what an operator running Spot aims for. The scale factor is kept
 *   within [MIN_SCALE, MAX_SCALE] so a near-idle series stays near-idle instead of turning noise into load.
 *   Steady demand is capped at the home type's size: a series measured *on* a machine never shows more
 *   than that machine had, so all unserved demand in a run comes from interruptions and restarts.
 * - Memory: from the series when it has memory (percent of the machine, or GiB of its provisioned size);
 *   otherwise it follows CPU loosely — 35 % of the type's memory plus up to 25 % more with load.
 * - Network and disk: from the series when present (capped at the type's baseline), else 50 % of the
 *   type's baseline scaled by CPU utilisation.
 * - A 5-minute point stands for each minute it covers; gaps repeat the last value (CloudWatch basic
 *   monitoring granularity; the profiler sees the same held values).
 * - The run starts at `offsetMinutes` into the series and wraps around at its end.
 */
export const TARGET_P95_UTILISATION = 0.6;
export const MIN_SCALE = 0.25;
export const MAX_SCALE = 20;

export interface DemandTrace {
  readonly seriesId: string;
  readonly minutes: number;
  readonly vcpu: Float64Array;
  readonly memoryGiB: Float64Array;
  readonly networkMbps: Float64Array;
  readonly diskIops: Float64Array;
}

const quantile = (sorted: readonly number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

/** Per-minute values of one field over the whole series (held between points and across gaps). */
const perMinute = (series: TraceSeries, read: (p: TraceSeries['points'][number]) => number | undefined): Float64Array | undefined => {
  const first = series.points[0]?.at;
  const last = series.points[series.points.length - 1]?.at;
  if (first === undefined || last === undefined) return undefined;
  const length = Math.max(1, Math.floor((last - first) / 60_000) + Math.max(1, Math.round(series.stepSeconds / 60)));
  const out = new Float64Array(length);
  let current: number | undefined;
  let idx = 0;
  let seen = false;
  for (let m = 0; m < length; m++) {
    const t = first + m * 60_000;
    while (idx < series.points.length && (series.points[idx]?.at ?? Infinity) <= t) {
      const v = read(series.points[idx] as TraceSeries['points'][number]);
      if (v !== undefined && Number.isFinite(v)) {
        current = v;
        seen = true;
      }
      idx += 1;
    }
    out[m] = current ?? Number.NaN;
  }
  if (!seen) return undefined;
  // Leading minutes before the first valid value take that value.
  const firstValid = out.find((v) => !Number.isNaN(v)) ?? 0;
  for (let m = 0; m < length && Number.isNaN(out[m] as number); m++) out[m] = firstValid;
  return out;
};

export class UnusableSeriesError extends Error {
  override readonly name = 'UnusableSeriesError';
}

/** Series that carry CPU (the one dimension every mapping needs). */
export const hasCpu = (s: TraceSeries): boolean => s.points.some((p) => p.cpuPercent !== undefined && Number.isFinite(p.cpuPercent));

export const buildDemandTrace = (
  series: TraceSeries,
  home: InstanceTypeSpec,
  opts: { readonly minutes: number; readonly offsetMinutes: number },
): DemandTrace => {
  if (!(Number.isInteger(opts.minutes) && opts.minutes > 0)) throw new RangeError(`demand trace: minutes must be a positive integer (got ${opts.minutes})`);
  const cpu = perMinute(series, (p) => p.cpuPercent);
  if (cpu === undefined) throw new UnusableSeriesError(`series ${series.id} has no CPU values: it cannot drive a workload`);
  const sorted = [...cpu].sort((a, b) => a - b);
  const p95 = quantile(sorted, 0.95) / 100;
  const scale = p95 > 0 ? Math.min(MAX_SCALE, Math.max(MIN_SCALE, TARGET_P95_UTILISATION / p95)) : 1;
  const memPercent = perMinute(
    series,
    (p) => p.memoryPercent ?? (p.memoryGiB !== undefined && series.memoryGiB ? (p.memoryGiB / series.memoryGiB) * 100 : undefined),
  );
  const net = perMinute(series, (p) => p.networkMbps);
  const disk = perMinute(series, (p) => p.diskIops);
  const length = cpu.length;
  const { vcpu: vcpus, memoryGiB: gib, networkMbps: netCap, diskIops: diskCap } = home.resources;
  const out: DemandTrace = {
    seriesId: series.id,
    minutes: opts.minutes,
    vcpu: new Float64Array(opts.minutes),
    memoryGiB: new Float64Array(opts.minutes),
    networkMbps: new Float64Array(opts.minutes),
    diskIops: new Float64Array(opts.minutes),
  };
  const offset = ((Math.floor(opts.offsetMinutes) % length) + length) % length;
  for (let m = 0; m < opts.minutes; m++) {
    const i = (offset + m) % length;
    const util = Math.min(1, ((cpu[i] ?? 0) / 100) * scale);
    out.vcpu[m] = util * vcpus;
    const memShare =
      memPercent !== undefined
        ? Math.min(0.95, Math.max(0.05, (memPercent[i % memPercent.length] ?? 0) / 100))
        : 0.35 + 0.25 * Math.min(1, util / TARGET_P95_UTILISATION);
    out.memoryGiB[m] = memShare * gib;
    out.networkMbps[m] = net !== undefined ? Math.min(netCap, net[i % net.length] ?? 0) : 0.5 * netCap * util;
    out.diskIops[m] = disk !== undefined ? Math.min(diskCap, disk[i % disk.length] ?? 0) : 0.5 * diskCap * util;
  }
  return out;
};

/** Minutes a series spans (for choosing offsets). */
export const seriesMinutes = (series: TraceSeries): number => {
  const first = series.points[0]?.at ?? 0;
  const last = series.points[series.points.length - 1]?.at ?? first;
  return Math.max(1, Math.floor((last - first) / 60_000) + 1);
};
