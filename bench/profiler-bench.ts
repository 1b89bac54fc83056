import { parseSpotwiseConfig } from '../lambda/contracts/config';
import { functionSettings } from '../lib/functions';
import { estimateCloudWatchReadCost, GET_METRIC_DATA_USD_PER_1000_METRICS, ticksPerMonth } from '../lambda/adapters/cloudwatch-cost';
import { MAX_QUERIES_PER_CALL } from '../lambda/adapters/cloudwatch-metrics-reader';
import { progress, type BenchResult } from './bench-result';
import { atLeast, atMost, equalTo, figure, lessThan, type Figure } from './figures';
import type { ProfilerTickMeasurement } from './profiler-tick';
import { bundleProfilerTick } from './profiler-tick-bundle';
import { runScriptInChild } from './section-process';

/**
 * Profiler tick at 1,000 and 10,000 instances, each size in its own child process pinned to one CPU
 * (taskset -c 0 where available), so the time is one core's and the peak RSS is the tick's alone. The child runs
 * an esbuild bundle made with the profiler function's own bundling options (bench/profiler-tick-bundle.ts), with the
 * function's --enable-source-maps, as Lambda runs the function. Through tsx (before) the 10,000-instance ticks
 * peaked at 505-513 MiB against 441-445 MiB bundled: tsx's transpiled sources and module graph (176 MiB of RSS at
 * import alone), not the function's. The child's heap is capped at the profiler function's limit (lib/functions.ts),
 * as Lambda's memory bounds it there: without a cap V8 collects lazily and the peak RSS says more about the machine
 * than about the tick.
 * The profiler ticks every rate_minutes but reads CloudWatch only every metrics_every_minutes (configuration
 * defaults 5 and 20): `profiler.seconds` is the steady tick that reads (the heaviest that recurs), and
 * the first tick of a cold container (model load, every profile new) is a figure of its own; the ticks
 * in between are in the notes.
 *
 * CloudWatch read cost per managed instance-month: the reading tick's metric queries per instance ×
 * reads per 30-day month at the default cadence × $0.01 per 1,000 metrics requested (lambda/adapters/cloudwatch-cost.ts).
 */
export const PROFILER_SIZES = [1_000, 10_000] as const;
const TICK_TARGET_S: Readonly<Record<number, number>> = { 1_000: 3, 10_000: 30 };
const PEAK_TARGET_MIB = 512;
/** The profiler function's memory size, as the stack configures it (lib/functions.ts functionSettings). */
/** The deployed profiler's heap limit (lib/functions.ts): its `heapMiB`, else the function's memory size. */
export const profilerMemoryMb = (): number => {
  const s = functionSettings(
    parseSpotwiseConfig({ groups: [{ name: 'g', policy: 'p', capacity: { vcpu: 1, memory_gib: 1 } }], policies: [{ policy_name: 'p', priority: 'high' }] }),
  ).profiler;
  return s.heapMiB ?? s.memorySize;
};
const COST_TARGET_USD = 0.2;

export interface ProfilerChildResult extends ProfilerTickMeasurement {
  readonly maxRssMiB: number;
  readonly pinnedToOneCore: boolean;
}

const seconds = (ms: number): number => ms / 1000;

export const profilerFigures = (m: ProfilerChildResult, heapMiB: number): { readonly figures: Figure[]; readonly notes: string[] } => {
  const n = m.instances;
  const steady = seconds(m.steadyTickMs);
  const target = TICK_TARGET_S[n] ?? 30;
  const figures: Figure[] = [
    figure(`profiler.seconds.${n}`, steady, 's', lessThan(target, 's')),
    figure(`profiler.firstTickSeconds.${n}`, seconds(m.firstTickMs), 's', lessThan(target, 's')),
  ];
  if (n === 10_000) {
    figures.push(
      figure(`profiler.instancesPerSecond.${n}`, n / steady, 'instances/s', atLeast(Math.ceil(n / target), 'instances/s')),
      figure(`profiler.peakMiB.${n}`, m.maxRssMiB, 'MiB', lessThan(PEAK_TARGET_MIB, 'MiB')),
      figure(
        `profiler.getMetricDataCalls.${n}`,
        m.calls,
        'calls',
        equalTo(Math.ceil(m.queries / MAX_QUERIES_PER_CALL), `ceil(${m.queries} queries / ${MAX_QUERIES_PER_CALL})`),
      ),
    );
  }
  figures.push(figure(`profiler.betweenReadsSeconds.${n}`, seconds(m.betweenTickMs), 's', lessThan(target, 's')));
  const runs = (xs: readonly number[] | undefined): string =>
    xs === undefined || xs.length < 2 ? '' : ` (median of ${xs.length}: ${xs.map((x) => seconds(x).toFixed(1)).join(', ')} s)`;
  const breakdown = (b: Readonly<Record<string, number>>): string =>
    Object.entries(b)
      .sort((x, y) => y[1] - x[1])
      .slice(0, 4)
      .map(([k, v]) => `${k} ${seconds(v).toFixed(1)} s`)
      .join(', ');
  const notes = [
    `profiler at ${n.toLocaleString('en-US')} instances${m.pinnedToOneCore ? ' (one core' : ' ('}, heap capped at ${heapMiB} MiB): steady tick ${steady.toFixed(1)} s${runs(m.steadyTickRunsMs)} (${breakdown(m.breakdownMs)}; the rest the handler's own work); ` +
      `first tick ${seconds(m.firstTickMs).toFixed(1)} s (${breakdown(m.firstBreakdownMs)}); a tick between reads ${seconds(m.betweenTickMs).toFixed(1)} s${runs(m.betweenTickRunsMs)} with ${m.betweenCalls} GetMetricData calls; ` +
      `the reading tick made ${m.calls} GetMetricData calls for ${m.queries.toLocaleString('en-US')} queries; ` +
      `${m.modelDimensions.toLocaleString('en-US')} of ${(m.forecasts * 4).toLocaleString('en-US')} forecast dimensions from the model; peak RSS ${m.maxRssMiB.toFixed(0)} MiB, ` +
      `of which the stand-in table's ${(m.tableBytes / 2 ** 20).toFixed(0)} MiB of stored profile and forecast bodies is not the Lambda's.`,
    ...m.errors.slice(0, 3).map((e) => `profiler at ${n}: the handler logged an error: ${e.slice(0, 300)}`),
  ];
  return { figures, notes };
};

export const costFigure = (m: ProfilerChildResult): { readonly figure: Figure; readonly note: string } => {
  const perInstancePerTick = m.queries / m.instances;
  // ticksPerMonth counts periods of a cadence in a 30-day month: here, reads at metrics_every_minutes.
  const reads = ticksPerMonth(m.readEveryMinutes);
  const usd = estimateCloudWatchReadCost(perInstancePerTick, reads);
  const breakEven = Math.ceil((perInstancePerTick * (30 * 24 * 60) * GET_METRIC_DATA_USD_PER_1000_METRICS) / 1000 / COST_TARGET_USD);
  return {
    figure: figure('cloudwatch.usdPerInstanceMonth', usd, 'USD', atMost(COST_TARGET_USD, 'USD')),
    note:
      `CloudWatch reads: ${perInstancePerTick} metrics requested per instance per read × ${reads.toLocaleString('en-US')} reads a month (every ${m.readEveryMinutes} min; ticks every ${m.rateMinutes} min) × $${GET_METRIC_DATA_USD_PER_1000_METRICS} per 1,000 = $${usd.toFixed(3)}; ` +
      `reading every ${breakEven} minutes or less often keeps it within $${COST_TARGET_USD}.`,
  };
};

export const runProfilerBench = async (sizes: readonly number[] = PROFILER_SIZES): Promise<BenchResult> => {
  const figures: Figure[] = [];
  const notes: string[] = [];
  let largest: ProfilerChildResult | undefined;
  const heapMiB = profilerMemoryMb();
  progress("profiler tick: bundling (esbuild, the profiler function's options)");
  const bundle = await bundleProfilerTick();
  for (const size of sizes) {
    progress(`profiler tick: ${size} instances (child process)`);
    const m = (await runScriptInChild(['--enable-source-maps', bundle, String(size)], { pinToOneCore: true, heapMiB })) as unknown as ProfilerChildResult;
    const out = profilerFigures(m, heapMiB);
    figures.push(...out.figures);
    notes.push(...out.notes);
    if (largest === undefined || m.instances > largest.instances) largest = m;
  }
  if (largest !== undefined) {
    const cost = costFigure(largest);
    figures.push(cost.figure);
    notes.push(cost.note);
  }
  return { figures, notes };
};
