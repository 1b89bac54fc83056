import { join } from 'node:path';
import { CloudWatchMetricsReader } from '../lambda/adapters/cloudwatch-metrics-reader';
import { DEFAULT_MODEL_NAME } from '../lambda/adapters/tfjs-predictor';
import { lookupInstanceType, toCatalog } from '../lambda/core/resources/catalog';
import { defaultPredictor, makeHandler, type ProfilerDeps } from '../lambda/handlers/profiler';
import { createInMemoryPorts, RecordingTelemetry } from '../lambda/sim/memory';
import { profileTickEvent } from '../lambda/sim/strategies/sim-events';
import { PROJECT_ROOT } from '../lib/project-root';
import { createProfileTableStore } from './aws/profile-table-store';
import { createSyntheticCloudWatch } from './aws/synthetic-cloudwatch';
import { timeMethods } from './timed-methods';
import { buildSyntheticFleet, clearCallLogs, PRIMARY_GROUP, seedInMemoryState } from './fleet/synthetic-fleet';

/** The model artifact `npm run train` writes and the profiler bundles (lib/functions.ts DEFAULT_MODEL_DIR). */
export const BENCH_MODEL_DIR = join(PROJECT_ROOT, 'models', DEFAULT_MODEL_NAME);

export interface ProfilerTickMeasurement {
  readonly instances: number;
  /** First tick in a cold container: the model is loaded and every profile is new (60 minutes folded in). */
  readonly firstTickMs: number;
  /** The next tick, `rate_minutes` later: stored profiles, the model already loaded. */
  readonly steadyTickMs: number;
  /** GetMetricData calls and queries of the steady tick. */
  readonly calls: number;
  readonly queries: number;
  readonly forecasts: number;
  /** Forecast dimensions answered by the model (the rest by the statistical fallback). */
  readonly modelDimensions: number;
  readonly rateMinutes: number;
  /** Errors the handler logged (a model that failed to load, a profile that failed to update). */
  readonly errors: readonly string[];
  /** ms of each tick spent in each port operation (the rest is the handler's own work). */
  readonly breakdownMs: Readonly<Record<string, number>>;
  readonly firstBreakdownMs: Readonly<Record<string, number>>;
  /** Bytes of profile and forecast items the stand-in table holds in this process at the end. */
  readonly tableBytes: number;
}

const SEED = 5;
const NOW = Date.UTC(2026, 0, 12, 9, 0, 0);

/**
 * Two profiler ticks of one group of `size` instances, through the real profiler handler
 * (lambda/handlers/profiler.ts) with the real CloudWatchMetricsReader over a synthetic CloudWatch, the
 * real tfjs predictor (loaded as the Lambda loads it, on the first tick) and the in-memory fakes for
 * the rest.
 */
export const measureProfilerTicks = async (size: number, modelDir: string | undefined = BENCH_MODEL_DIR): Promise<ProfilerTickMeasurement> => {
  const fleet = buildSyntheticFleet({ instances: size, now: NOW, seed: SEED });
  const ports = createInMemoryPorts({ cloud: fleet.cloud, now: NOW });
  await seedInMemoryState(ports, fleet);
  const catalog = toCatalog(fleet.catalogSpecs);
  const table = createProfileTableStore(ports.stateStore, ports.clock);
  // The forecasts the previous ticks stored, in the table the profiler reads them from.
  await table.store.putForecasts(fleet.forecasts);
  const cw = createSyntheticCloudWatch(SEED, new Map(fleet.primary.map((i, index) => [i.id as string, { index, spec: lookupInstanceType(catalog, i.instanceType) }] as const)));
  try {
    const profilerConfig = fleet.config.profiler;
    const telemetry = new RecordingTelemetry();
    const spent: Record<string, number> = {};
    const predictor = defaultPredictor(modelDir === undefined ? {} : { modelDir });
    const deps: ProfilerDeps = {
      ports: {
        clock: ports.clock, instances: ports.cloud, capacity: ports.cloud, scheduler: ports.scheduler, publisher: ports.publisher,
        state: timeMethods(table.store, ['getProfiles', 'putProfiles', 'getForecasts', 'putForecasts'], spent),
      },
      managed: fleet.managed,
      dryRun: false,
      telemetry,
      metricsReader: timeMethods(new CloudWatchMetricsReader(cw.client), ['read'], spent),
      predictor: async () => timeMethods(await predictor(), ['predict'], spent),
      profiler: { windowMinutes: profilerConfig.window_minutes, halfLifeMs: profilerConfig.half_life_hours * 3_600_000 },
    };
    const handler = makeHandler(deps);
    const tick = async (): Promise<number> => {
      const started = performance.now();
      const result = await handler(profileTickEvent(PRIMARY_GROUP, ports.clock.now()));
      const ms = performance.now() - started;
      if (result.status !== 'planned') throw new Error(`profiler bench: the tick was not planned: ${JSON.stringify(result)}`);
      return ms;
    };
    const firstTickMs = await tick();
    const firstBreakdownMs = { ...spent };
    const errors = telemetry.logsAt('error').map((l) => `${l.message}: ${String(l.fields.error ?? '')}`);
    telemetry.logs.length = 0;
    // The fakes' call journals hold every argument (10,000 profiles): not what a Lambda keeps between ticks.
    clearCallLogs(ports);
    ports.clock.advance(profilerConfig.rate_minutes * 60_000);
    cw.resetCounts();
    for (const k of Object.keys(spent)) delete spent[k];
    const steadyTickMs = await tick();
    const breakdownMs = { ...spent };
    errors.push(...telemetry.logsAt('error').map((l) => `${l.message}: ${String(l.fields.error ?? '')}`));
    const forecasts = await table.store.getForecasts(fleet.primary.map((i) => i.id));
    let modelDimensions = 0;
    for (const f of forecasts.values()) if (f.kind === 'known') for (const d of Object.values(f.dims)) if (d.basis === 'model') modelDimensions += 1;
    return { instances: size, firstTickMs, steadyTickMs, calls: cw.counts.calls, queries: cw.counts.queries, forecasts: forecasts.size, modelDimensions, rateMinutes: profilerConfig.rate_minutes, errors, breakdownMs, firstBreakdownMs, tableBytes: table.bytes() };
  } finally {
    cw.restore();
    table.restore();
  }
};
