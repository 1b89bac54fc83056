import type { BehaviourProfile, InstanceId, InstanceState, InterruptionRequest } from '../../core/domain';
import { overCommitment } from '../../core/pool/resource-pool';
import { DIMENSIONS } from '../../core/domain';
import { MetricName } from '../../contracts/metrics';
import type { HandlerResult } from '../../app/handler-deps';
import { toManagedGroups } from '../../app/managed-groups';
import { makeHandler as makeNoticeHandler } from '../../handlers/notice';
import { makeHandler as makeProfilerHandler } from '../../handlers/profiler';
import { bundledArtifact, makeHandler as makeRetrainerHandler } from '../../handlers/retrainer';
import { modelSource } from '../../app/model-source';
import { InMemoryModelStore } from '../memory/in-memory-model-store';
import type { ModelStore } from '../../ports/learning-store';
import { makeHandler as makeCoordinatorHandler } from '../../handlers/coordinator';
import { makeHandler as makeExecutorHandler } from '../../handlers/executor';
import { interruptionDueEvent } from '../../events/parsers/interruption-due';
import { CallJournal, InMemoryMetricsReader, InMemoryScheduler, InMemoryStateStore } from '../memory';
import { CountingPublisher } from '../engine/counting-publisher';
import { SimulatedCloud } from '../engine/simulated-cloud';
import { monitoringOf, type LifecycleHookEvent, type MonitoringMode } from '../engine/sim-types';
import type { SimWorld } from '../engine/sim-world';
import type { PreparedSimulation } from '../prepare-simulation';
import type { Predictor } from '../../ports/predictor';
import { priceSoftware, spotwiseAlarmCount, type BilledFunction, type SoftwareBill } from '../aws-bill';
import { CwAgentMetric } from '../../adapters/cloudwatch-metrics-reader';
import { type RequestCounts, type SimStrategy } from './baseline-strategies';
import { NaivePredictor } from './naive-predictor';
import { seededProfiles } from '../seeded-profiles';
import { predictFallback } from '../../core/predict/fallback-predictor';
import { checkForecasts, type ForecastAtInterruption, type ForecastChecks } from '../report/forecast-checks';
import {
  capacityReservationWarningEvent,
  interruptionRequestedEvent,
  lifecycleActionEvent,
  scheduledMaintenanceEvent,
  profileTickEvent,
  rebalanceEvent,
  scheduledRuleEvent,
  spotWarningEvent,
  stateChangeEvent,
} from './sim-events';
import { SimTelemetry } from './sim-telemetry';
import { SimPriceReader } from './sim-price-reader';
import { AZS } from '../sample-fleet';

/** CPU and memory an idle instance still shows (OS, agents): what CloudWatch reports for a spare. */
const IDLE_CPU_PERCENT = 2;
const IDLE_MEMORY_GIB = 0.5;

type Handler = (event: unknown) => Promise<HandlerResult>;

/**
 * `spotwise`: the real handlers (lambda/handlers) and core plans, run against the simulated cloud through
 * the same ports as in Lambda — the notice handler on every Spot warning, rebalance recommendation and
 * EC2 state change; the profiler on its schedule (profiles, forecasts, staging of the warm pool); the
 * coordinator on priority requests; the executor when a scheduled interruption is due. Nothing here
 * decides anything: it only delivers events and lets the plans act through the ports.
 */
export interface SpotwiseStrategy extends SimStrategy {
  extra(): Record<string, number>;
  /** Errors and warnings the handlers logged (the first 200 of each). */
  readonly telemetry: SimTelemetry;
  /** The first over-commits seen: when, which pool, by how much, after which event. */
  readonly overCommitSamples: readonly string[];
  /** Every retraining run: when, what it kept (candidate | current | skipped) and why. */
  readonly retrainingRuns: readonly { readonly at: number; readonly outcome: string; readonly reason: string }[];
}

/**
 * Lambda memory per function (lib/functions.ts), for the bill. The simulator may not import lib/ (layers),
 * so the figures are repeated here; test/sim/strategies checks they match.
 */
export const FUNCTION_MEMORY_MB: Readonly<Record<'profiler' | 'notice' | 'coordinator' | 'executor' | 'retrainer', number>> = {
  profiler: 1024,
  notice: 512,
  coordinator: 512,
  executor: 256,
  retrainer: 1024,
};

/**
 * Custom metrics the CloudWatch agent publishes per instance: the ones the reader queries — memory and connections, and
 * CPU (cpu_usage_active) where the deployment has the agent publish it (`--monitoring agent-cpu`). The shipped
 * configuration (lambda/adapters/cloudwatch-agent-config.json) publishes exactly the agent-cpu set
 * (test/adapters/cloudwatch-agent-config.test.ts).
 */
export const agentMetricsPerInstance = (mode: MonitoringMode): number => Object.keys(CwAgentMetric).length + (mode === 'agent-cpu' ? 1 : 0);

/**
 * DynamoDB request units a state-store call costs: one per item read or written (items are small). The
 * newest profile written per instance is kept in `profiles` (restart cycles recorded are counted from them).
 */
const countingStore = (store: InMemoryStateStore, counts: { reads: number; writes: number }, profiles: Map<InstanceId, BehaviourProfile>): InMemoryStateStore =>
  new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      return (...args: unknown[]) => {
        const first = args[0];
        const items = Array.isArray(first) ? first.length : first instanceof Map ? first.size : 1;
        if (prop === 'putProfiles') for (const p of first as readonly BehaviourProfile[]) profiles.set(p.instanceId, p);
        if (/^(get|list)/.test(prop)) counts.reads += Math.max(1, items);
        else if (!/^(seed|pool|all)/.test(prop)) counts.writes += Math.max(1, items) * (prop === 'reserve' || prop === 'release' ? 2 : 1);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });

/**
 * The model store as the bill sees it: DynamoDB bills a GetItem by the item's size, projection or not, so the profiler's
 * per-tick version read costs ⌈item KB / 4⌉ read units once a retrained model (~40 KB) is stored, 1 before; a put
 * costs a write unit per KB.
 */
const MODEL_ITEM_KB = 40;
const countingModels = (models: InMemoryModelStore, counts: { reads: number; writes: number }): ModelStore => ({
  getModelVersion: async () => {
    const version = await models.getModelVersion();
    counts.reads += version === undefined ? 1 : Math.ceil(MODEL_ITEM_KB / 4);
    return version;
  },
  getModel: async () => {
    const model = await models.getModel();
    counts.reads += model === undefined ? 1 : Math.ceil(MODEL_ITEM_KB / 4);
    return model;
  },
  putModel: async (model, expected) => {
    counts.writes += MODEL_ITEM_KB;
    return models.putModel(model, expected);
  },
  putRetrainingRecord: async (record) => {
    counts.writes += 2;
    return models.putRetrainingRecord(record);
  },
  listRetrainingRecords: async (limit) => {
    counts.reads += 1;
    return models.listRetrainingRecords(limit);
  },
});

/**
 * Restart learning over the run, from the newest profile written per instance: restart cycles closed
 * during the run (restart lineage copies a victim's cycles to its replacement, so a profile some written
 * profile inherited from is counted through its heir and each cycle counts once); those with a steady
 * state before the restart (evidence the predictor learns from); the replacements that inherited a
 * victim's lineage; and the cycles such replacements closed after they took over the load of an instance
 * that got a Spot warning (a Spot interruption that taught the predictor).
 */
const restartLearning = (
  profiles: ReadonlyMap<InstanceId, BehaviourProfile>,
  startAt: number,
  spotVictims: ReadonlySet<InstanceId>,
): Record<string, number> => {
  const carried = new Set([...profiles.values()].flatMap((p) => (p.inheritedFrom === undefined ? [] : [p.inheritedFrom])));
  let recorded = 0;
  let withSteadyBefore = 0;
  let spotReplacement = 0;
  for (const p of profiles.values()) {
    if (p.inheritedFrom !== undefined && spotVictims.has(p.inheritedFrom)) {
      spotReplacement += Math.max(0, p.restarts.length - (profiles.get(p.inheritedFrom)?.restarts.length ?? 0));
    }
    if (carried.has(p.instanceId)) continue;
    for (const c of p.restarts) {
      if (c.restartedAt < startAt) continue;
      recorded += 1;
      if (c.steadyBefore.vcpu > 0) withSteadyBefore += 1;
    }
  }
  return {
    restartCyclesRecorded: recorded,
    restartCyclesWithSteadyBefore: withSteadyBefore,
    profilesInherited: carried.size,
    spotReplacementCyclesRecorded: spotReplacement,
  };
};

export interface SpotwiseStrategyOptions {
  /** The strategy's name in reports (default 'spotwise'). */
  readonly name?: string;
  /** Replaces the profiler's predictor ('naive': the ablation). */
  readonly predictor?: 'default' | 'naive';
}

export const createSpotwiseStrategy = (setup: PreparedSimulation, options: SpotwiseStrategyOptions = {}): SpotwiseStrategy => {
  let world: SimWorld | undefined;
  const telemetry = new SimTelemetry({ now: () => world?.now() ?? setup.sample.startAt });
  const storeCounts = { reads: 0, writes: 0 };
  // The run makes millions of port calls and reads none back: the fakes number them but keep none.
  const journal = new CallJournal({ keepCalls: false });
  const rawState = new InMemoryStateStore({ journal, learned: 'shared' });
  const profilesWritten = new Map<InstanceId, BehaviourProfile>();
  /** Instances that got a Spot warning (their replacements' restart cycles are Spot interruptions learned). */
  const warned = new Set<InstanceId>();
  const state = countingStore(rawState, storeCounts, profilesWritten);
  const scheduler = new InMemoryScheduler({ journal });
  const publisher = new CountingPublisher();
  // CloudWatch as the simulated instances report it: late by 1–3 minutes, and only the last three hours kept
  // (the profiler reads a bounded window).
  const metrics = new InMemoryMetricsReader({
    journal,
    retainMinutes: 180,
    ingestionClock: { now: () => world?.now() ?? setup.sample.startAt },
    ...(monitoringOf(setup.world) === 'agent-cpu' ? { agentCpu: true } : {}),
  });
  const invocations: Record<BilledFunction, number> = { notice: 0, coordinator: 0, executor: 0, profiler: 0, retrainer: 0, handler: 0 };
  // Hours of running instances: each publishes the CloudWatch agent's metrics and EC2's detailed-monitoring metrics
  // (the 1-minute EC2 points recordMinute feeds the profiler exist only with detailed monitoring on).
  let servingInstanceHours = 0;
  const managed = toManagedGroups(setup.sample.config);
  const naive = new NaivePredictor();
  const forecastsAtInterruption: ForecastAtInterruption[] = [];
  const counts: RequestCounts = { requestsAdmitted: 0, requestsDeferred: 0, requestsUnserved: 0 };
  let notice: Handler | undefined;
  let profiler: Handler | undefined;
  let coordinator: Handler | undefined;
  let executor: Handler | undefined;
  let retrainer: ReturnType<typeof makeRetrainerHandler> | undefined;
  /** The retrained model, when a retraining run kept one (the profiler reads its version every tick). */
  const models = countingModels(new InMemoryModelStore(), storeCounts);
  /** The retraining schedule (lib/retraining-schedule.ts: every retraining.every_hours; first run one period in). */
  const retraining = setup.sample.config.retraining;
  const retrainEveryMs = retraining.every_hours * 3_600_000;
  let nextRetrain = setup.sample.startAt + retrainEveryMs;
  const retrainingRuns: { readonly at: number; readonly outcome: string; readonly reason: string }[] = [];
  /** The coordinator's retry tick (lib/request-retry-schedule.ts: rate(1 minute)). */
  const retryRateMs = 60_000;
  let nextRetry = setup.sample.startAt;
  const requested = new Set<string>();
  const profilerRateMs = setup.sample.config.profiler.rate_minutes * 60_000;
  let nextTick = setup.sample.startAt;
  let invocationCount = 0;
  let handlerFailures = 0;
  let lastMinute = -1;
  /** The last step's time: a request still waiting past its deadline by then is unserved. */
  let lastNow = Number.NEGATIVE_INFINITY;

  const checkPools = (w: SimWorld): void => {
    for (const g of managed.groups.keys()) {
      const pool = rawState.poolSnapshot(g);
      if (pool === undefined) continue;
      const over = overCommitment(pool);
      if (DIMENSIONS.some((d) => over[d] > 0)) {
        w.totals.overCommits += 1;
        if (overCommitSamples.length < 20)
          overCommitSamples.push(`${new Date(w.now()).toISOString()} pool ${g} over by ${JSON.stringify(over)} after ${lastEvent}`);
      }
    }
  };

  /** What was delivered last, and the first over-commits seen (for the report's notes). */
  let lastEvent = '';
  const overCommitSamples: string[] = [];
  const deliver = async (fn: Exclude<BilledFunction, 'handler'>, handler: Handler | undefined, event: unknown): Promise<void> => {
    if (handler === undefined || world === undefined) return;
    const e = event as { 'detail-type'?: string; id?: string };
    lastEvent = `${e['detail-type'] ?? 'event'} ${e.id ?? ''}`.trim();
    invocationCount += 1;
    invocations[fn] += 1;
    try {
      const result = await handler(event);
      if (result.status === 'planned' && !result.succeeded) handlerFailures += 1;
    } catch (error) {
      // A handler that throws would be retried by Lambda/EventBridge; here it is counted and the run goes on.
      handlerFailures += 1;
      telemetry.log.error('handler threw', { error: (error as Error).message });
    }
    checkPools(world);
  };

  /**
   * The coordinator runs one invocation at a time (lib/functions.ts: reserved concurrency 1): Lambda throttles the
   * others and retries their asynchronous events, so they run one after another. Modelled as a queue.
   */
  let coordinatorQueue: Promise<void> = Promise.resolve();
  const deliverToCoordinator = (event: unknown): Promise<void> => {
    const run = coordinatorQueue.then(() => deliver('coordinator', coordinator, event));
    coordinatorQueue = run.catch(() => undefined);
    return run;
  };

  /** One CloudWatch sample per serving instance per minute: what it actually served. */
  const recordMinute = (w: SimWorld): void => {
    const at = w.now();
    const busy = new Set<InstanceId>();
    for (const wl of w.workloads) {
      if (wl.host === undefined || !w.isServing(wl.host)) continue;
      busy.add(wl.host);
      const spec = w.spec(wl.host).resources;
      const d = w.workloadDemand(wl, at);
      const m = wl.demand.minutes;
      const idx = Math.min(m - 1, Math.max(0, setup.sample.historyMinutes + Math.floor((at - w.startAt) / 60_000)));
      metrics.addSamples(wl.host, [
        {
          at,
          cpuPercent: Math.min(100, (d.vcpu / spec.vcpu) * 100),
          cpuMaxPercent: Math.min(100, (d.vcpu / spec.vcpu) * 100),
          memoryGiB: Math.min(spec.memoryGiB, d.memoryGiB),
          networkMbps: Math.min(spec.networkMbps, wl.demand.networkMbps[idx] ?? 0),
          diskIops: Math.min(spec.diskIops, wl.demand.diskIops[idx] ?? 0),
        },
      ]);
    }
    for (const i of w.instances()) if (w.isServing(i.id)) servingInstanceHours += 1 / 60;
    for (const i of w.instances()) {
      if (busy.has(i.id) || !w.isServing(i.id)) continue;
      metrics.addSamples(i.id, [
        { at, cpuPercent: IDLE_CPU_PERCENT, cpuMaxPercent: IDLE_CPU_PERCENT, memoryGiB: IDLE_MEMORY_GIB, networkMbps: 0, diskIops: 0 },
      ]);
    }
  };

  const strategy: SpotwiseStrategy = {
    telemetry,
    overCommitSamples,
    name: options.name ?? 'spotwise',
    description:
      options.predictor === 'naive'
        ? "spotwise's handlers with a naive predictor (steady p90 × 1.15, no learning): the ablation"
        : 'spotwise: staging from predictions, reservations, coordinator, warm standby (the real handlers)',
    // The same platform features a careful operator switches on for the baselines, except the standby
    // scaling policy: the deployed stack installs none, so returning standby capacity is spotwise's own job.
    features: { capacityRebalance: true, maintenancePolicy: 'launch-before-terminate' },

    async onStart(w: SimWorld) {
      world = w;
      const cloud = new SimulatedCloud(w, () => strategy);
      for (const pool of setup.sample.pools) rawState.seedPool(pool);
      // Seeded before the run (not billed): the state the stack would have after its first ticks, from the history as
      // the instances' monitoring delivers it.
      const { startAt, historyMinutes } = setup.sample;
      const profiles = seededProfiles(setup.sample.profiles, setup.sample.history, startAt - historyMinutes * 60_000, startAt, monitoringOf(setup.world));
      await rawState.putProfiles(profiles);
      await rawState.putForecasts(
        options.predictor === 'naive'
          ? await naive.predict(profiles.map((profile) => ({ profile, downtimeSeconds: 0, windowMinutes: 30, now: startAt })))
          : profiles.map((profile) =>
              predictFallback({
                profile,
                downtimeSeconds: 120,
                windowMinutes: managed.groups.get(profile.groupId)?.policy.postRestartWindowMinutes ?? 30,
                now: startAt,
              }),
            ),
      );
      for (const [id, samples] of setup.sample.history) metrics.addSamples(id, samples);
      const deps = {
        ports: { instances: cloud, capacity: cloud, state, scheduler, clock: { now: () => w.now() }, publisher },
        managed,
        dryRun: false,
        telemetry,
      };
      notice = makeNoticeHandler(deps);
      coordinator = makeCoordinatorHandler(deps);
      executor = makeExecutorHandler(deps);
      // The ablation learns nothing, so it has no retraining either.
      if (options.predictor !== 'naive' && retraining.enabled) {
        retrainer = makeRetrainerHandler({
          telemetry,
          cycles: state,
          models,
          bundled: bundledArtifact(setup.modelDir),
          now: () => w.now(),
          groups: [...managed.groups.keys()],
          retraining,
        });
      }
      profiler = makeProfilerHandler({
        ...deps,
        metricsReader: metrics,
        // The deployed profiler reads prices and publishes the groups' cost metrics with them.
        prices: new SimPriceReader(setup.sample.fleet.catalog, AZS),
        predictor: options.predictor === 'naive' ? async (): Promise<Predictor> => naive : modelSource(models, setup.modelDir, telemetry),
        profiler: {
          windowMinutes: setup.sample.config.profiler.window_minutes,
          halfLifeMs: setup.sample.config.profiler.half_life_hours * 3_600_000,
          // The deployed cadence (lib: the profiler's environment): metrics read every metrics_every_minutes, not every tick.
          metricsEveryMinutes: setup.sample.config.profiler.metrics_every_minutes,
          rateMinutes: setup.sample.config.profiler.rate_minutes,
          // The ablation learns nothing: no recalibration from restarts either.
          ...(options.predictor === 'naive' ? { recalibrate: false } : {}),
        },
      });
    },

    async onRebalanceRecommendation(w: SimWorld, id: InstanceId) {
      await deliver('notice', notice, rebalanceEvent(id, w.now()));
    },

    async onWarning(w: SimWorld, id: InstanceId) {
      warned.add(id);
      await deliver('notice', notice, spotWarningEvent(id, w.now()));
    },

    async onCapacityReservationWarning(w: SimWorld, id: InstanceId, reclaimAt: number) {
      await deliver('notice', notice, capacityReservationWarningEvent(id, w.now(), reclaimAt));
    },

    // The stack routes AWS Health scheduled changes to the coordinator (lib/notice-rules.ts).
    async onScheduledMaintenance(w: SimWorld, id: InstanceId, startAt: number) {
      await deliverToCoordinator(scheduledMaintenanceEvent(id, w.now(), startAt));
    },

    // Every restart of a workload (a cut-over or a start after an outage): what spotwise forecast for the host
    // it left, as stored at that moment, is checked later against the simulated post-restart peak.
    async onEvent(w: SimWorld, name: string, payload: unknown) {
      if (name !== 'workload-moved') return;
      const moved = payload as { readonly workloadId: string; readonly previousHost?: InstanceId };
      if (moved.previousHost === undefined) return;
      const forecast = (await rawState.getForecasts([moved.previousHost])).get(moved.previousHost);
      if (forecast?.kind === 'known') {
        const { vcpu, memoryGiB } = forecast.dims;
        forecastsAtInterruption.push({
          workloadId: moved.workloadId,
          at: w.now(),
          p90Vcpu: vcpu.p90,
          p90MemoryGiB: memoryGiB.p90,
          p50Vcpu: vcpu.p50,
          p50MemoryGiB: memoryGiB.p50,
        });
      }
    },

    async onInstanceState(w: SimWorld, id: InstanceId, s: InstanceState, previous: InstanceState) {
      if (s === previous) return;
      if (s === 'terminated') metrics.clearSamples(id);
      await deliver('notice', notice, stateChangeEvent(id, s, w.now()));
    },

    async onLifecycleHook(w: SimWorld, e: LifecycleHookEvent) {
      await deliver('notice', notice, lifecycleActionEvent(e, w.now()));
    },

    async onRequest(w: SimWorld, request: InterruptionRequest) {
      requested.add(request.requestId);
      await deliverToCoordinator(interruptionRequestedEvent(request, w.now()));
    },

    async onStep(w: SimWorld) {
      lastNow = w.now();
      const minute = Math.floor((w.now() - w.startAt) / 60_000);
      if (minute !== lastMinute) {
        lastMinute = minute;
        recordMinute(w);
      }
      // EventBridge Scheduler fires the executor for every scheduled interruption that is due.
      // Each is its own Lambda invocation: they run concurrently.
      for (const due of scheduler.takeDue(w.now())) {
        const event = { ...interruptionDueEvent(due), time: new Date(w.now()).toISOString() };
        w.post(() => deliver('executor', executor, event));
      }
      // The coordinator's retry tick re-plans deferred requests whose retry time has come.
      if (w.now() >= nextRetry) {
        nextRetry += retryRateMs;
        if ((await rawState.listDueRequests(w.now())).length > 0) {
          const event = scheduledRuleEvent(w.now());
          w.post(() => deliverToCoordinator(event));
        }
      }
      // The retraining schedule: one run every retraining.every_hours.
      if (retrainer !== undefined && w.now() >= nextRetrain) {
        nextRetrain += retrainEveryMs;
        const run = retrainer;
        const event = scheduledRuleEvent(w.now());
        w.post(async () => {
          invocations.retrainer += 1;
          invocationCount += 1;
          try {
            const result = await run(event);
            if (result.status === 'retrained') retrainingRuns.push({ at: w.now(), outcome: result.outcome, reason: result.reason });
          } catch {
            handlerFailures += 1;
          }
        });
      }
      // The profiler schedule: one tick per managed group every rate_minutes (EventBridge Scheduler).
      if (w.now() >= nextTick) {
        nextTick += profilerRateMs;
        for (const g of managed.groups.keys()) {
          const event = profileTickEvent(g, w.now());
          w.post(() => deliver('profiler', profiler, event));
        }
      }
    },

    requestCounts: () => {
      // Admitted: scheduled or executed by the end. Unserved, as the baselines count it: never recorded, refused,
      // or still waiting when its deadline had passed by the end (the retry tick that would refuse it may not have
      // come yet). A request still waiting before its deadline is neither. Deferred: deferred at least once (the
      // coordinator published an interruption-deferred event for it), whether it was admitted later or not.
      const stored = new Map(state.allRequests().map((r) => [r.request.requestId as string, r]));
      const out: RequestCounts = { ...counts };
      for (const id of requested) {
        const record = stored.get(id);
        const status = record?.status;
        if (status === 'executed' || status === 'scheduled') out.requestsAdmitted += 1;
        else if (record === undefined || status === 'refused' || (status !== 'cancelled' && record.request.deadline < lastNow)) out.requestsUnserved += 1;
        if (publisher.deferredRequests.has(id)) out.requestsDeferred += 1;
      }
      return out;
    },
    softwareBill: (w: SimWorld): SoftwareBill =>
      priceSoftware({
        invocations: (Object.keys(FUNCTION_MEMORY_MB) as (keyof typeof FUNCTION_MEMORY_MB)[]).map((fn) => ({
          fn,
          count: invocations[fn],
          memoryMb: FUNCTION_MEMORY_MB[fn],
        })),
        dynamoReads: storeCounts.reads,
        dynamoWrites: storeCounts.writes,
        eventsPublished: publisher.entries,
        schedulerInvocations: invocations.executor,
        metricsRequested: metrics.queries,
        agentInstanceHours: servingInstanceHours,
        agentMetricsPerInstance: agentMetricsPerInstance(monitoringOf(setup.world)),
        detailedMonitoringInstanceHours: monitoringOf(setup.world) === 'detailed' ? servingInstanceHours : 0,
        ownMetricHours: telemetry.metricHours(),
        // The stack's one dashboard and its alarms (lib/dashboard.ts, lib/alarms.ts), for as long as the run lasts.
        dashboardHours: w.hours,
        alarmHours: spotwiseAlarmCount(Object.keys(FUNCTION_MEMORY_MB).length, setup.sample.config.groups.length) * w.hours,
      }),
    forecastChecks: (w: SimWorld): ForecastChecks => checkForecasts(forecastsAtInterruption, w.restartPeaks, w.startAt, w.endAt),
    extra: () => ({
      handlerInvocations: invocationCount,
      handlerFailures,
      handlerErrorsLogged: telemetry.errors.length,
      reservationsMade: publisher.domainEvents.get('reservation-made') ?? 0,
      reservationsRefused: publisher.domainEvents.get('reservation-refused') ?? 0,
      capacityStaged: publisher.domainEvents.get('capacity-staged') ?? 0,
      failClosed: publisher.domainEvents.get('fail-closed') ?? 0,
      unstablePoolShifts: publisher.domainEvents.get('spot-pool-unstable') ?? 0,
      unstablePoolsCalmed: publisher.domainEvents.get('spot-pool-calmed') ?? 0,
      loansMade: publisher.domainEvents.get('loan-made') ?? 0,
      loansRevoked: publisher.domainEvents.get('loan-revoked') ?? 0,
      throttled: publisher.throttles,
      ...restartLearning(profilesWritten, setup.sample.startAt, warned),
      // Inherited windows whose load never arrived (the profiler's RestartWindowsWithoutLoad): lineage that missed.
      restartWindowsWithoutLoad: telemetry.metricTotals.get(MetricName.restartWindowsWithoutLoad) ?? 0,
      // spotwise's own custom metrics: distinct name + dimensions, and the metric-hours CloudWatch bills.
      ownMetricsDistinct: telemetry.distinctMetrics(),
      ownMetricHours: telemetry.metricHours(),
      // The periodic retraining: runs, and runs whose candidate replaced the model (lambda/app/retrain-model.ts).
      retrainingRuns: retrainingRuns.length,
      retrainedModelsKept: retrainingRuns.filter((r) => r.outcome === 'candidate').length,
    }),
    retrainingRuns,
  };
  return strategy;
};
