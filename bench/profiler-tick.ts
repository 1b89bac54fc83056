import { join } from 'node:path';
import { CloudWatchMetricsReader } from '../lambda/adapters/cloudwatch-metrics-reader';
import { DEFAULT_MODEL_NAME } from '../lambda/adapters/tfjs-predictor';
import { lookupInstanceType, toCatalog } from '../lambda/core/resources/catalog';
import { makeHandler, readsMetricsThisTick, type ProfilerDeps } from '../lambda/handlers/profiler';
import { modelSource } from '../lambda/app/model-source';
import { InMemoryModelStore } from '../lambda/sim/memory/in-memory-model-store';
import { createInMemoryPorts, RecordingTelemetry } from '../lambda/sim/memory';
import { profileTickEvent } from '../lambda/sim/strategies/sim-events';
import { PROJECT_ROOT } from '../lib/project-root';
import { createProfileTableStore } from './aws/profile-table-store';
import { createSyntheticCloudWatch } from './aws/synthetic-cloudwatch';
import { percentile } from './stats';
import { timeMethods } from './timed-methods';
import { buildSyntheticFleet, PRIMARY_GROUP, seedInMemoryState } from './fleet/synthetic-fleet';

/** The model artifact `npm run train` writes and the profiler bundles (lib/functions.ts DEFAULT_MODEL_DIR). */
export const BENCH_MODEL_DIR = join(PROJECT_ROOT, 'models', DEFAULT_MODEL_NAME);

export interface ProfilerTickMeasurement {
  readonly instances: number;
  /** First tick in a cold container: the model is loaded and every profile is new (a full window folded in). */
  readonly firstTickMs: number;
  /** A later tick that reads CloudWatch (every metrics_every_minutes): stored profiles, model loaded. */
  readonly steadyTickMs: number;
  /** A tick between reads: predicts and stages from the stored profiles. */
  readonly betweenTickMs: number;
  /**
   * Every measured reading tick and tick between reads (steadyTickMs and betweenTickMs are their medians).
   * The first tick happens once per process (a cold container), so it is a single run.
   */
  readonly steadyTickRunsMs?: readonly number[];
  readonly betweenTickRunsMs?: readonly number[];
  /** GetMetricData calls and queries of the steady (reading) tick. */
  readonly calls: number;
  readonly queries: number;
  /** Calls made by the tick between reads (0 when it reads nothing, as it should). */
  readonly betweenCalls: number;
  readonly forecasts: number;
  /** Forecast dimensions answered by the model (the rest by the statistical fallback). */
  readonly modelDimensions: number;
  readonly rateMinutes: number;
  /** How often a tick reads CloudWatch (config profiler.metrics_every_minutes). */
  readonly readEveryMinutes: number;
  /** Errors the handler logged (a model that failed to load, a profile that failed to update). */
  readonly errors: readonly string[];
  /** ms of each measured tick spent in each port operation (the rest is the handler's own work). */
  readonly breakdownMs: Readonly<Record<string, number>>;
  readonly firstBreakdownMs: Readonly<Record<string, number>>;
  /** Bytes of profile and forecast items the stand-in table holds in this process at the end. */
  readonly tableBytes: number;
}

const SEED = 5;
/** Reading ticks and ticks between reads measured per process; their times are the medians. */
export const TICK_RUNS = 3;
const NOW = Date.UTC(2026, 0, 12, 9, 0, 0);

/**
 * Profiler ticks of one group of `size` instances, through the real profiler handler
 * (lambda/handlers/profiler.ts) configured as the Lambda is (defaultDeps: window, half-life, tick rate and
 * CloudWatch read cadence from the configuration defaults), with the real CloudWatchMetricsReader over a
 * synthetic CloudWatch, the real tfjs predictor (loaded on the first tick, as in a cold container) and
 * the in-memory fakes for the rest. A tick at 09:00 (cold: every profile new), then TICK_RUNS times a tick
 * between reads and the next reading tick (stored profiles, 20 new minutes each). The instances are deployed as spotwise
 * asks by default: EC2 detailed monitoring off, the CloudWatch agent publishing CPU — so each reading tick makes the
 * agent's read and EC2's 5-minute read, and folds the late network and disk points.
 */
export const measureProfilerTicks = async (size: number, modelDir: string | undefined = BENCH_MODEL_DIR): Promise<ProfilerTickMeasurement> => {
  const fleet = buildSyntheticFleet({ instances: size, now: NOW, seed: SEED });
  const ports = createInMemoryPorts({ cloud: fleet.cloud, now: NOW });
  for (const i of fleet.primary) {
    const held = ports.cloud.instance(i.id);
    if (held !== undefined) ports.cloud.putInstance({ ...held, detailedMonitoring: false });
  }
  await seedInMemoryState(ports, fleet);
  const catalog = toCatalog(fleet.catalogSpecs);
  const table = createProfileTableStore(ports.stateStore, ports.clock);
  // The forecasts the previous ticks stored, in the table the profiler reads them from.
  await table.store.putForecasts(fleet.forecasts);
  const cw = createSyntheticCloudWatch(
    SEED,
    new Map(fleet.primary.map((i, index) => [i.id as string, { index, spec: lookupInstanceType(catalog, i.instanceType) }] as const)),
  );
  try {
    const cfg = fleet.config.profiler;
    const settings = {
      windowMinutes: cfg.window_minutes,
      halfLifeMs: cfg.half_life_hours * 3_600_000,
      metricsEveryMinutes: cfg.metrics_every_minutes,
      rateMinutes: cfg.rate_minutes,
    };
    const telemetry = new RecordingTelemetry();
    const spent: Record<string, number> = {};
    // No retrained model in the table: the bundled one answers (its version is read every tick, as deployed).
    const predictor = modelSource(new InMemoryModelStore(), modelDir, telemetry);
    const deps: ProfilerDeps = {
      ports: {
        clock: ports.clock,
        instances: ports.cloud,
        capacity: ports.cloud,
        scheduler: ports.scheduler,
        publisher: ports.publisher,
        state: timeMethods(table.store, ['getProfiles', 'putProfiles', 'getForecasts', 'putForecasts'], spent),
      },
      managed: fleet.managed,
      dryRun: false,
      telemetry,
      metricsReader: timeMethods(new CloudWatchMetricsReader(cw.client), ['read'], spent),
      predictor: async () => timeMethods(await predictor(), ['predict'], spent),
      profiler: settings,
    };
    const handler = makeHandler(deps);
    const errors: string[] = [];
    /** One tick at `at`: its wall time; call counts, breakdown and logs start from zero. */
    const tick = async (at: number): Promise<number> => {
      // The fakes' call journals hold every argument (10,000 profiles): not what a Lambda keeps between ticks.
      ports.clearCalls();
      cw.resetCounts();
      for (const k of Object.keys(spent)) delete spent[k];
      ports.clock.set(at);
      const started = performance.now();
      const result = await handler(profileTickEvent(PRIMARY_GROUP, at));
      const ms = performance.now() - started;
      if (result.status !== 'planned') throw new Error(`profiler bench: the tick at ${new Date(at).toISOString()} was not planned: ${JSON.stringify(result)}`);
      errors.push(...telemetry.logsAt('error').map((l) => `${l.message}: ${String(l.fields.error ?? '')}`));
      telemetry.logs.length = 0;
      return ms;
    };
    const rateMs = cfg.rate_minutes * 60_000;
    const firstTickMs = await tick(NOW);
    const firstBreakdownMs = { ...spent };
    // Then, TICK_RUNS times, the next tick that does not read and the next that does (the schedule's own decision).
    let at = NOW;
    const betweenRuns: number[] = [];
    const steadyRuns: number[] = [];
    let betweenCalls = 0;
    let breakdownMs: Record<string, number> = {};
    for (let r = 0; r < TICK_RUNS; r++) {
      do at += rateMs;
      while (readsMetricsThisTick(at, settings));
      betweenRuns.push(await tick(at));
      betweenCalls = Math.max(betweenCalls, cw.counts.calls);
      do at += rateMs;
      while (!readsMetricsThisTick(at, settings));
      steadyRuns.push(await tick(at));
      breakdownMs = { ...spent };
    }
    const betweenTickMs = percentile(betweenRuns, 50);
    const steadyTickMs = percentile(steadyRuns, 50);
    const forecasts = await table.store.getForecasts(fleet.primary.map((i) => i.id));
    let modelDimensions = 0;
    for (const f of forecasts.values()) if (f.kind === 'known') for (const d of Object.values(f.dims)) if (d.basis === 'model') modelDimensions += 1;
    return {
      instances: size,
      firstTickMs,
      steadyTickMs,
      betweenTickMs,
      steadyTickRunsMs: steadyRuns,
      betweenTickRunsMs: betweenRuns,
      calls: cw.counts.calls,
      queries: cw.counts.queries,
      betweenCalls,
      forecasts: forecasts.size,
      modelDimensions,
      rateMinutes: cfg.rate_minutes,
      readEveryMinutes: cfg.metrics_every_minutes,
      errors,
      breakdownMs,
      firstBreakdownMs,
      tableBytes: table.bytes(),
    };
  } finally {
    cw.restore();
    table.restore();
  }
};
