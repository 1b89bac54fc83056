import {
  DIMENSIONS,
  type BehaviourProfile,
  type FleetView,
  type Forecast,
  type GroupId,
  type GroupView,
  type InstanceId,
  type LearnedCycle,
  type ManagedInstance,
  type MetricSample,
  type Notice,
  type Plan,
  type PredictionInput,
  type ResourcePool,
  type Resources,
} from '../core/domain';
import { MetricDimension, MetricName } from '../contracts/metrics';
import { planNoticeResponse } from '../core/planner/plan-notice';
import { FallbackPredictor } from '../core/predict/fallback-predictor';
import { closedCycle, closeRestartWindow, newProfile, updateProfile, withProfileHalfLife } from '../core/profile/behaviour-profile';
import { cycleObserved } from '../core/profile/cycle-observed';
import { dailyLoadOf } from '../core/profile/daily-load';
import type { PoolRefresh } from '../core/pool/refresh-pool';
import { allocationOf, isServing, planPoolUpkeep, profileTickPlan } from '../core/planner/plan-pool-upkeep';
import { allocatedResources, reservedResources } from '../core/pool/resource-pool';
import { borrowedResources, recentUse } from '../core/pool/borrowing';
import { refreshLineage } from '../core/planner/choose-hand-over';
import { formatResources } from '../core/resources/resources';
import { planStandbyReturn } from '../core/staging/plan-standby-return';
import { learnedCycleOf } from '../core/predict/learned-cycle';
import { cpuFromFiveMinutePoints } from '../core/predict/model-features';
import {
  CALIBRATED_DIMENSIONS,
  calibrateForecast,
  calibrationCases,
  calibrationFactors,
  fleetCalibrationCases,
  MAX_CALIBRATION_CASES,
  type CalibrationCase,
} from '../core/predict/calibrate';
import type { MetricReadResult, MetricTarget, MetricWindow, MetricsReader } from '../ports/metrics-reader';
import type { Predictor } from '../ports/predictor';
import type { PriceQuote, PriceReader } from '../ports/price-reader';
import { buildAwsDeps } from '../app/aws-deps';
import { acceptEvent, instrumented } from '../app/handle-event';
import { resolveDeps, type BaseDeps, type DepsSource, type HandlerResult } from '../app/handler-deps';
import { poolCapacity, resolveManagedGroup } from '../app/load-fleet';
import { effectiveDryRun, relatedGroups, type ManagedGroupSettings } from '../app/managed-groups';
import { defaultPriceReader, emitCostMetrics, priceFleet } from '../app/profiler-prices';
import { modelSource } from '../app/model-source';
import { runPipeline } from '../app/pipeline';
import { lazy } from '../app/runtime';

export interface ProfilerSettings {
  /** Minutes of 1-minute points read per tick (config profiler.window_minutes). */
  readonly windowMinutes: number;
  /** Half-life of new profiles' histograms (config profiler.half_life_hours). */
  readonly halfLifeMs: number;
  /**
   * How often the tick reads CloudWatch (config profiler.metrics_every_minutes) and the tick's own period
   * (profiler.rate_minutes). Absent: every tick reads. See `readsMetricsThisTick`.
   */
  readonly metricsEveryMinutes?: number;
  readonly rateMinutes?: number;
  /** Instances profiled per batch within a tick; absent: PROFILE_BATCH_SIZE. See `PROFILE_BATCH_SIZE`. */
  readonly batchSize?: number;
  /**
   * Recalibrate the tick's forecasts from the group's own restarts (core/predict/calibrate.ts); absent: on. Only the
   * simulator's ablation (`spotwise-naive`: nothing learned) turns it off.
   */
  readonly recalibrate?: boolean;
}

/**
 * A tick profiles its group this many instances at a time — stored profiles read, metrics read, folded,
 * predicted and written per batch — so it holds one batch's decoded profiles and metric window at once,
 * not the group's (at 10,000 instances those were ~470 MiB of the tick's peak). 1,000 keeps every call
 * whole: 10 BatchGetItem of 100 keys, 40 BatchWriteItem of 25 items, and 6, 8 or 9 metric queries per
 * instance make 12, 16 or 18 full GetMetricData calls of 500 queries, so batching adds no call a whole-group
 * read would not make (a batch of mixed query counts adds at most one partly filled call).
 */
export const PROFILE_BATCH_SIZE = 1_000;

/**
 * GetMetricData is billed per metric *requested*, whatever the number of points (CloudWatch pricing), so
 * reading a window of 1-minute points every `metricsEveryMinutes` costs the same per read as every tick but
 * is read less often; the window (≥ that period) still covers every minute, and the profile's watermark
 * skips minutes already folded in. A tick reads when it is the first tick of a new read period — stateless,
 * from the tick time alone, so a retried tick decides the same. Ticks in between still predict and stage
 * from the stored profiles; an instance without a profile is read at once, whatever the tick.
 */
export const readsMetricsThisTick = (now: number, settings: ProfilerSettings): boolean => {
  const every = settings.metricsEveryMinutes;
  const rate = settings.rateMinutes;
  if (every === undefined || rate === undefined || every <= rate) return true;
  const period = every * MINUTE_MS;
  return Math.floor(now / period) !== Math.floor((now - rate * MINUTE_MS) / period);
};

export interface ProfilerDeps extends BaseDeps {
  readonly metricsReader: MetricsReader;
  /** The predictor, or how to get it (the model is loaded once per container, on the first tick). */
  readonly predictor: Predictor | (() => Promise<Predictor>);
  readonly profiler: ProfilerSettings;
  /** Current prices (cost metrics, and staging's cheapest covering type); absent: prices unknown, staging picks by shape. */
  readonly prices?: PriceReader;
}

const HANDLER = 'profiler';
const MINUTE_MS = 60_000;
/**
 * CloudWatch publishes EC2 metrics a few minutes late, and a minute folded into a profile is never
 * revisited (updateProfile's watermark): the read window ends this long before now.
 */
export const METRIC_LAG_MS = 3 * MINUTE_MS;
/**
 * Basic monitoring (EC2 detailed monitoring off): EC2 sends one CPU, network and disk datapoint per 5 minutes, stamped
 * at the start of its period, so it is readable only once the period has ended — 5 minutes after a 1-minute point of the
 * same minute. The CloudWatch agent's 1-minute points of those minutes arrive first; a read window ending METRIC_LAG_MS
 * back would fold them in and move the profile's watermark past the 5-minute point before it arrives, losing it for good.
 */
export const BASIC_MONITORING_PERIOD_MS = 5 * MINUTE_MS;

/** How far back the read window of instances with (true) or without detailed monitoring ends. */
const lagFor = (detailed: boolean): number => (detailed ? METRIC_LAG_MS : METRIC_LAG_MS + BASIC_MONITORING_PERIOD_MS);

/**
 * The longest lag among the instances read (lagFor): how old a tick's newest data may be, so what counts as stale
 * (profile age, recent use) allows for it. Each instance's own read ends at its own lag (readMetrics).
 */
export const metricLagMs = (instances: readonly Pick<ManagedInstance, 'detailedMonitoring'>[]): number =>
  lagFor(!instances.some((i) => i.detailedMonitoring === false));
/** Downtime assumed for a restart with no history: a replacement Spot launch and boot take minutes. */
export const DEFAULT_RESTART_DOWNTIME_SECONDS = 180;

/** The median downtime of the instance's own restarts, else the default. */
const expectedDowntimeSeconds = (p: BehaviourProfile): number => {
  const seen = p.restarts
    .map((r) => r.downtimeSeconds)
    .filter((s) => Number.isFinite(s) && s >= 0)
    .sort((a, b) => a - b);
  return seen.length === 0 ? DEFAULT_RESTART_DOWNTIME_SECONDS : (seen[Math.floor(seen.length / 2)] ?? DEFAULT_RESTART_DOWNTIME_SECONDS);
};

/**
 * A stored profile follows its instance's current type and group: demand is read as a share of the
 * instance's vCPUs, and a profile may have been written before the instance was described (a lineage
 * passed on by a launch hook, with the victim's type standing in) or before a stopped instance was retyped.
 */
const onCurrentType = (p: BehaviourProfile, t: MetricTarget, groupId: BehaviourProfile['groupId']): BehaviourProfile =>
  p.instanceType === t.instanceType && p.vcpus === t.vcpus && p.groupId === groupId ? p : { ...p, instanceType: t.instanceType, vcpus: t.vcpus, groupId };

export { allocationOf };

/**
 * The profiler Lambda (DESIGN.md flow 1), one invocation per managed group per tick ("Profile Tick"
 * {groupName}): discover the group's instances → per batch of PROFILE_BATCH_SIZE instances, one metric
 * read over the window, every profile updated, one prediction, profiles and forecasts stored → refresh the pool
 * (capacity, allocations, expired reservations) → plan staging (warm pool size and shapes) → execute →
 * request evictions (submit-request actions in the same plan) when the policy allows preemption and the pool is over
 * its threshold.
 * Profiles and forecasts are stored in dry-run too (that is what spotwise learns); pool writes,
 * staging actions and eviction requests are not.
 */
export const makeHandler =
  (source: DepsSource<ProfilerDeps>) =>
  async (event: unknown): Promise<HandlerResult> => {
    const deps = resolveDeps(source);
    return instrumented(deps, HANDLER, async () => {
      const { log, metrics } = deps.telemetry;
      const accepted = acceptEvent(HANDLER, event, ['profile-tick'] as const, deps);
      if (accepted.kind === 'done') return accepted.result;
      const { notice, now } = accepted;
      const groupId = notice.groupId;
      const keys = { handler: HANDLER, eventId: notice.eventId, groupId };
      const settings = await resolveManagedGroup(deps.ports, deps.managed, groupId);
      if (settings === undefined) {
        log.warn('profile tick for a group spotwise does not manage', keys);
        metrics.metric(MetricName.ignoredEvents, 'Count', 1, { [MetricDimension.noticeKind]: notice.kind });
        return { status: 'ignored', reason: `group ${groupId} is not managed by spotwise`, eventId: notice.eventId };
      }
      /** What the tick's plan step leaves for its metrics. */
      let tick:
        | {
            readonly group: GroupView;
            readonly pool: ResourcePool;
            readonly profiled: Profiled;
            readonly fleet: FleetView;
            readonly quote: PriceQuote | undefined;
          }
        | undefined;
      const outcome = await runPipeline(deps, {
        handler: HANDLER,
        notice,
        now,
        keys,
        group: groupId,
        load: { groupIds: relatedGroups(deps.managed, groupId), readPoolSignals: true, readWarmClaims: true },
        check: (loaded) =>
          loaded.fleet.groups.some((g) => g.id === groupId)
            ? undefined
            : { status: 'ignored', reason: `group ${groupId} could not be described`, eventId: notice.eventId },
        // A tick is a schedule's, not an event to act on once: a redelivered tick recomputes and writes the same.
        mark: false,
        plan: async (described, loaded) => {
          const priced = await priceFleet({ ...(deps.prices !== undefined ? { prices: deps.prices } : {}), telemetry: deps.telemetry }, described, now, keys);
          const planned = await planTick(deps, { notice, settings, fleet: priced.fleet, poolsNotStored: loaded.poolsNotStored, now, keys });
          tick = { ...planned.tick, quote: priced.quote };
          return planned.plan;
        },
      });
      if (outcome.kind !== 'ran' || tick === undefined) return outcome.result;
      emitGroupMetrics(deps, tick.group, tick.pool, tick.profiled, tick.fleet);
      emitCostMetrics(deps.telemetry, tick.group, tick.quote, tick.profiled.queries, keys);
      return outcome.result;
    });
  };

/**
 * One tick's plan on the priced fleet: (1–3) every serving instance with a known type profiled, a batch at a time
 * (profileInBatches: profiles and forecasts stored as it goes); (4) the pool's upkeep (core planPoolUpkeep, the same
 * `spotwise plan` prints): refresh, throttles, loans called back, evictions; (5) staging on the refreshed view, and a
 * standby group's members nobody uses any more returned.
 */
const planTick = async (
  deps: ProfilerDeps,
  input: {
    readonly notice: Extract<Notice, { kind: 'profile-tick' }>;
    readonly settings: ManagedGroupSettings;
    readonly fleet: FleetView;
    readonly poolsNotStored: readonly string[];
    readonly now: number;
    readonly keys: Record<string, string>;
  },
): Promise<{
  readonly plan: Plan;
  readonly tick: { readonly group: GroupView; readonly pool: ResourcePool; readonly profiled: Profiled; readonly fleet: FleetView };
}> => {
  const { notice, settings, now, keys } = input;
  const { log } = deps.telemetry;
  const groupId = notice.groupId;
  const group = input.fleet.groups.find((g) => g.id === groupId);
  if (group === undefined) throw new Error(`group ${groupId} left the snapshot it was checked in`);
  const { policy } = group;

  // 1–3. Every serving instance with a known type is profiled, a batch at a time (see profileInBatches).
  const serving = group.instances.filter(isServing);
  const targets: MetricTarget[] = [];
  for (const i of serving) {
    const spec = input.fleet.catalog.get(i.instanceType);
    if (spec === undefined) continue;
    // The agent flag asks for the CWAgent metrics too; where no agent runs they come back missing (never 0).
    targets.push({
      instanceId: i.id,
      instanceType: i.instanceType,
      vcpus: spec.resources.vcpu,
      memoryGiB: spec.resources.memoryGiB,
      agent: true,
      ...(i.detailedMonitoring === false ? { basicMonitoring: true } : {}),
    });
  }
  // Instances on basic monitoring: EC2's points of them are read a period further back (lagFor), and counted.
  const basic = serving.filter((i) => i.detailedMonitoring === false).map((i) => i.id);
  const lagMs = metricLagMs(serving);
  const staleAfterMs = deps.profiler.windowMinutes * MINUTE_MS + lagMs;
  if (basic.length > 0) deps.telemetry.metrics.metric(MetricName.instancesOnBasicMonitoring, 'Count', basic.length, { [MetricDimension.group]: group.id });
  const profiled = await profileInBatches(deps, {
    group,
    serving,
    targets,
    staleAfterMs,
    catalog: input.fleet.catalog,
    now,
    keys,
    keepProfiles: group.role === 'standby' || policy.throttle?.enabled === true,
  });
  const { forecasts } = profiled;
  if (profiled.fiveMinuteCpu.length > 0) {
    // Neither detailed monitoring nor the agent's CPU: victims and admissions read CPU 8–13 minutes old.
    deps.telemetry.log.warn("instances on basic monitoring without the CloudWatch agent's CPU: their CPU comes as one point per 5 minutes", {
      ...keys,
      count: profiled.fiveMinuteCpu.length,
      instanceIds: profiled.fiveMinuteCpu.slice(0, 10),
      readWindowEndsMinutesBack: lagMs / MINUTE_MS,
      forecasts: "the statistical fallback's while their CPU is 5-minute: the model's rest on fresh CPU",
      fix: 'add the cpu section (cpu_usage_active) of lambda/adapters/cloudwatch-agent-config.json to the agent configuration',
    });
    deps.telemetry.metrics.metric(MetricName.instancesOnFiveMinuteCpu, 'Count', profiled.fiveMinuteCpu.length, { [MetricDimension.group]: group.id });
  }

  // 4. The pool as it stands now: capacity, allocations from the new profiles, expired reservations gone,
  // replacements holding their victims' reservations — through the pool's admission rules.
  const upkeep = planPoolUpkeep({
    group,
    fleet: input.fleet,
    allocations: profiled.allocations,
    profiles: [...profiled.profiles.values()],
    forecasts,
    now,
    capacity: settings.capacity === undefined ? poolCapacity(settings, group.instances, input.fleet.catalog) : settings.capacity,
    staleAfterMs,
    stored: !input.poolsNotStored.includes(groupId),
  });
  const { refresh } = upkeep;
  const { pool } = refresh;
  reportRefresh(refresh, deps, keys);
  // Members spotwise moved to Standby and kept there (their return is planned in profileTickPlan).
  for (const k of upkeep.standbyExits.kept) {
    if (k.atMaxSize) log.warn('member runs in Standby and cannot go back in service', { ...keys, instanceId: k.instanceId, reason: k.reason });
    else log.debug('member kept in Standby', { ...keys, instanceId: k.instanceId, reason: k.reason });
  }

  // 5. Stage capacity ahead of interruptions on the refreshed view.
  const fleet: FleetView = {
    ...input.fleet,
    groups: input.fleet.groups.map((g) => (g.id === groupId ? { ...g, pool } : g)),
    forecasts: new Map([...input.fleet.forecasts, ...forecasts.map((f) => [f.instanceId, f] as const)]),
  };
  const staged = planNoticeResponse(notice, fleet, { now });
  // A standby group's own tick also returns the members nobody uses any more (from their own data).
  const standbyReturn = group.role === 'standby' ? planStandbyReturn({ standby: group, fleet, profiles: profiled.profiles, now }) : undefined;
  for (const k of standbyReturn?.kept ?? []) log.debug('standby member kept', { ...keys, instanceId: k.instanceId, reason: k.reason });
  // Evictions (policy preemption) are requests for the coordinator, submitted through the plan like every write.
  const dryRun = effectiveDryRun(deps.dryRun, policy);
  for (const e of upkeep.evictions) if (e.kind === 'submit-request') log.info('eviction requested', { ...keys, requestId: e.request.requestId, dryRun });
  // Replacements that took over a victim's reservation in the refresh carry its profile lineage (restart learning):
  // the executor lets only those whose hand-over the refresh won inherit (a concurrent launch hook may take one first).
  const plan = profileTickPlan(upkeep, staged, {
    ...(standbyReturn !== undefined ? { standbyReturn: standbyReturn.actions } : {}),
    lineage: refreshLineage(input.fleet, group, refresh.handedOver),
  });
  return { plan, tick: { group, pool, profiled, fleet } };
};

/** What a tick keeps of its profiling once each batch is released. */
interface Profiled {
  /** Every new forecast (the plan reads them). */
  readonly forecasts: readonly Forecast[];
  /** Each updated profile's allocation in its pool (allocationOf); an instance whose update failed has none. */
  readonly allocations: ReadonlyMap<InstanceId, Resources>;
  /** The updated profiles themselves, kept only when asked (a standby group's tick returns idle members from them). */
  readonly profiles: ReadonlyMap<InstanceId, BehaviourProfile>;
  readonly updated: number;
  /** Age of the oldest updated profile's newest data (ms; 0 when none was updated). */
  readonly oldestMs: number;
  /** Metric gaps newly counted this tick. */
  readonly gaps: number;
  /** GetMetricData metric queries requested (cost accounting). */
  readonly queries: number;
  /** Instances read this tick whose CPU came only from EC2's 5-minute points (MetricsRead.fiveMinuteCpu). */
  readonly fiveMinuteCpu: readonly InstanceId[];
}

interface ProfileScope {
  readonly group: GroupView;
  readonly serving: readonly ManagedInstance[];
  readonly targets: readonly MetricTarget[];
  /** Older data than this is stale: the read window plus the longest lag among the instances read (metricLagMs). */
  readonly staleAfterMs: number;
  readonly catalog: FleetView['catalog'];
  readonly now: number;
  readonly keys: Record<string, string>;
  readonly keepProfiles: boolean;
}

/** The read window ending `lagMs` before now, on whole minutes, `windowMinutes` long. */
const readWindow = (now: number, lagMs: number, windowMinutes: number): MetricWindow => {
  const end = Math.floor((now - lagMs) / MINUTE_MS) * MINUTE_MS;
  return { start: end - windowMinutes * MINUTE_MS, end };
};

/** A tick's metrics: per instance the samples to fold, and for some the late fields read apart (updateProfile's `late`). */
interface MetricsRead {
  readonly samples: Map<InstanceId, readonly MetricSample[]>;
  /** Instances whose CPU came from the CloudWatch agent: EC2's 5-minute network and disk points, folded behind the rest. */
  readonly late: Map<InstanceId, readonly MetricSample[]>;
  /** Instances on basic monitoring whose agent reported no CPU: profiled on EC2's 5-minute CPU. */
  readonly fiveMinuteCpu: InstanceId[];
  readonly queries: number;
}

/**
 * Reads the targets' metrics. Those on detailed monitoring in one read ending METRIC_LAG_MS back. Those on basic
 * monitoring in two: the CloudWatch agent's 1-minute metrics, CPU (cpu_usage_active) included, in a read ending
 * METRIC_LAG_MS back like the others, and EC2's 5-minute points in a read ending a period further back (whole periods).
 * An instance whose agent reported CPU is profiled on that fresh CPU, its network and disk folded late from EC2's
 * points; one whose agent reports none (its configuration lacks the CPU metric) falls back to EC2's 5-minute CPU, and
 * its agent minutes wait for EC2's read to catch up (folded together, so the 5-minute points are never passed over).
 * Freshness is what matters: in the simulator data 8–13 minutes old costs availability (README, "What moved this
 * release"). CloudWatch bills per metric requested, not per call.
 */
const readMetrics = async (deps: ProfilerDeps, targets: readonly MetricTarget[], now: number): Promise<MetricsRead> => {
  const samples = new Map<InstanceId, readonly MetricSample[]>();
  const late = new Map<InstanceId, readonly MetricSample[]>();
  const fiveMinuteCpu: InstanceId[] = [];
  let queries = 0;
  const read = async (part: readonly MetricTarget[], lagMs: number): Promise<Pick<MetricReadResult, 'samples' | 'window'>> => {
    const window = readWindow(now, lagMs, deps.profiler.windowMinutes);
    if (part.length === 0) return { samples: new Map(), window };
    const result = await deps.metricsReader.read(part, window);
    queries += result.queries;
    return result;
  };

  const detailed = await read(
    targets.filter((t) => t.basicMonitoring !== true),
    lagFor(true),
  );
  for (const [id, list] of detailed.samples) samples.set(id, list);

  const basic = targets.filter((t) => t.basicMonitoring === true);
  if (basic.length === 0) return { samples, late, fiveMinuteCpu, queries };
  const agent = await read(
    basic.filter((t) => t.agent).map(({ basicMonitoring: _basic, ...t }): MetricTarget => ({ ...t, agentCpu: true, only: 'agent' })),
    lagFor(true),
  );
  // EC2's CPU only of those whose agent reported none (its fallback): the others' EC2 read asks network and disk alone.
  const agentCpu = new Set(basic.filter((t) => (agent.samples.get(t.instanceId) ?? []).some(hasCpu)).map((t) => t.instanceId));
  const ec2 = await read(
    basic.map((t): MetricTarget => ({ ...t, only: 'ec2', ...(agentCpu.has(t.instanceId) ? { agentCpu: true } : {}) })),
    lagFor(false),
  );
  for (const t of basic) {
    const fresh = agent.samples.get(t.instanceId) ?? [];
    const fiveMinute = ec2.samples.get(t.instanceId) ?? [];
    if (agentCpu.has(t.instanceId)) {
      samples.set(t.instanceId, fresh);
      late.set(t.instanceId, fiveMinute);
    } else {
      // Counted only when EC2's CPU is what the profile gets (an instance too new for any point is neither).
      if (fiveMinute.some(hasCpu)) fiveMinuteCpu.push(t.instanceId);
      // Up to the whole periods EC2's read covered (the window the reader read), so no agent minute passes a 5-minute point.
      samples.set(
        t.instanceId,
        mergeByMinute(
          fiveMinute,
          fresh.filter((s) => s.at < ec2.window.end),
        ),
      );
    }
  }
  return { samples, late, fiveMinuteCpu, queries };
};

const hasCpu = (s: MetricSample): boolean => s.cpuPercent !== undefined || s.cpuMaxPercent !== undefined;

/** Two reads' samples of one instance as one list: the fields of a minute together, in time order. */
const mergeByMinute = (a: readonly MetricSample[], b: readonly MetricSample[]): MetricSample[] => {
  const byAt = new Map<number, MetricSample>();
  for (const s of [...a, ...b]) byAt.set(s.at, { ...byAt.get(s.at), ...s });
  return [...byAt.values()].sort((x, y) => x.at - y.at);
};

/**
 * Profiles the targets a batch at a time (PROFILE_BATCH_SIZE): per batch, the stored profiles are read,
 * the window's metrics read (every target on a reading tick, else only those without a profile), the
 * samples folded in (closing restart windows that have run their course), one batched prediction made,
 * and profiles and forecasts stored — then the batch is released, keeping only what the rest of the tick
 * needs. Every instance is profiled on its own data, so the results do not depend on the batching. A tick
 * that fails part-way leaves earlier batches stored; a retried tick folds in only minutes past each stored
 * profile's watermark, so nothing is counted twice.
 */
const profileInBatches = async (deps: ProfilerDeps, scope: ProfileScope): Promise<Profiled> => {
  const { group, serving, targets, now, keys, staleAfterMs } = scope;
  const { log } = deps.telemetry;
  const size = deps.profiler.batchSize ?? PROFILE_BATCH_SIZE;
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`profiler.batchSize must be a positive integer (got ${String(size)})`);
  // A standby group reads on every tick: its members are few (the capacity spotwise raised), and giving them back
  // depends on fresh data — an idle On-Demand member costs 100–400× its reads per hour (8 metrics × 12 reads × $0.00001
  // against $0.1–0.4 an hour), so reading it every 20 minutes would cost far more than it saves.
  const readsAll = group.role === 'standby' || readsMetricsThisTick(now, deps.profiler);
  const byId = new Map(serving.map((i) => [i.id, i] as const));
  const windowMinutes = group.policy.postRestartWindowMinutes;
  const forecasts: Forecast[] = [];
  /** The group's observed restarts against the model's forecasts before them (online recalibration). */
  const cases: CalibrationCase[] = [];
  const jobTypes = new Map<InstanceId, string>();
  const allocations = new Map<InstanceId, Resources>();
  // Each instance's machine (its type's resources, else its vCPUs): a closed window is judged against it, and a
  // share-of-capacity recalibration raises the instance's forecast relative to it.
  const capacityOf = (p: BehaviourProfile): Partial<Resources> => scope.catalog.get(p.instanceType)?.resources ?? { vcpu: p.vcpus };
  const capacities = new Map<InstanceId, Partial<Resources>>();
  const kept = new Map<InstanceId, BehaviourProfile>();
  let updated = 0;
  let oldestMs = 0;
  let gaps = 0;
  let queries = 0;
  const fiveMinuteCpu: InstanceId[] = [];
  for (let from = 0; from < targets.length; from += size) {
    const batch = targets.slice(from, from + size);
    const stored = await deps.ports.state.getProfiles(batch.map((t) => t.instanceId));
    const toRead = readsAll ? batch : batch.filter((t) => !stored.has(t.instanceId));
    const read = toRead.length === 0 ? undefined : await readMetrics(deps, toRead, now);
    queries += read?.queries ?? 0;
    fiveMinuteCpu.push(...(read?.fiveMinuteCpu ?? []));

    const profiles: BehaviourProfile[] = [];
    const learned: LearnedCycle[] = [];
    for (const t of batch) {
      const instance = byId.get(t.instanceId);
      if (instance === undefined) continue;
      try {
        const known = stored.get(t.instanceId);
        const before =
          known !== undefined
            ? withProfileHalfLife(onCurrentType(known, t, group.id), deps.profiler.halfLifeMs, now)
            : newProfile({
                instanceId: t.instanceId,
                groupId: group.id,
                instanceType: t.instanceType,
                vcpus: t.vcpus,
                jobType: instance.jobType,
                launchedAt: instance.launchedAt,
                now,
                halfLifeMs: deps.profiler.halfLifeMs,
              });
        const next = updateProfile(before, read?.samples.get(t.instanceId) ?? [], now, read?.late.get(t.instanceId));
        // The host's capacity, so a window that filled it is known to show only a lower bound of its demand.
        const closed = closeRestartWindow(next, now, windowMinutes, capacityOf(next));
        gaps += Object.values(closed.gaps).reduce((s, n) => s + n, 0) - Object.values(before.gaps).reduce((s, n) => s + n, 0);
        reportClosedCycle(closed, next, deps);
        const cycle = learnedCycleOf(next, closed, windowMinutes);
        if (cycle !== undefined) learned.push(cycle);
        profiles.push(closed);
      } catch (error) {
        // A profile that cannot be updated keeps its old forecast; the others go on.
        log.error('profile update failed', { ...keys, instanceId: t.instanceId, error: (error as Error).message });
      }
    }
    if (profiles.length === 0) continue;

    // On basic monitoring, an instance whose profile has its CPU only from EC2's 5-minute points is forecast by the
    // fallback (PredictionInput.cpuFromBasicMonitoring); with the agent's CPU each minute the model answers.
    const basicTargets = new Set(batch.filter((t) => t.basicMonitoring === true).map((t) => t.instanceId));
    const inputs: PredictionInput[] = profiles.map((profile) => ({
      profile,
      downtimeSeconds: expectedDowntimeSeconds(profile),
      windowMinutes,
      now,
      ...(basicTargets.has(profile.instanceId) && cpuFromFiveMinutePoints(profile) ? { cpuFromBasicMonitoring: true } : {}),
    }));
    const predicted = await predictAll(deps, inputs, keys);
    await deps.ports.state.putProfiles(profiles);
    // Closed cycles become the periodic retraining's cases (lambda/app/retrain-model.ts); learned in dry-run too.
    if (learned.length > 0) {
      await deps.ports.state.putCycles(learned);
      deps.telemetry.metrics.metric(MetricName.cyclesLearned, 'Count', learned.length, { [MetricDimension.group]: group.id });
    }
    // What each instance uses now rides on its forecast: lenders are judged by it (core/pool/borrowing.ts).
    const useOf = new Map(profiles.map((p) => [p.instanceId, recentUse(p, now, staleAfterMs)] as const));
    // When in the day each instance is busy rides on its forecast too: the coordinator times voluntary interruptions by it.
    const dailyOf = new Map(profiles.map((p) => [p.instanceId, dailyLoadOf(p)] as const));
    forecasts.push(
      ...predicted.map((f): Forecast => {
        if (f.kind !== 'known') return f;
        const use = useOf.get(f.instanceId);
        const daily = dailyOf.get(f.instanceId);
        return { ...f, ...(use !== undefined ? { recentUse: use } : {}), ...(daily !== undefined ? { dailyVcpu: daily } : {}) };
      }),
    );
    for (const p of profiles) {
      cases.push(...calibrationCases(p));
      jobTypes.set(p.instanceId, p.jobType);
      const spec = scope.catalog.get(p.instanceType);
      if (spec !== undefined) allocations.set(p.instanceId, allocationOf(p, spec.resources));
      capacities.set(p.instanceId, capacityOf(p));
      if (scope.keepProfiles) kept.set(p.instanceId, p);
      oldestMs = Math.max(oldestMs, now - (p.lastSampleAt ?? p.launchedAt));
    }
    updated += profiles.length;
  }
  // Recalibrate every forecast of the tick from the group's own restarts (core/predict/calibrate.ts), then store them
  // a batch at a time: the forecasts a notice reads are the ones spotwise would stand by.
  const factors = deps.profiler.recalibrate === false ? calibrationFactors([]) : calibrationFactors(cases, 0.9, await fleetCases(deps, group.id, cases, keys));
  const calibrated = forecasts.map((f) => calibrateForecast(f, jobTypes.get(f.instanceId) ?? '', factors, capacities.get(f.instanceId)));
  for (let from = 0; from < calibrated.length; from += size) await deps.ports.state.putForecasts(calibrated.slice(from, from + size));
  // Shares and medians come only with a factor (calibrate.ts factorsOf): no pooled factor, nothing to say.
  if (Object.keys(factors.pooled).length > 0)
    log.info("forecasts recalibrated from the group's restarts", {
      ...keys,
      factors: factors.pooled,
      cases: factors.cases,
      fromFleet: factors.fromFleet,
      byJobType: Object.fromEntries(factors.byJobType),
      medians: factors.medians.pooled,
      mediansByJobType: Object.fromEntries(factors.medians.byJobType),
      ...(factors.shares ? { capacityShares: factors.shares.pooled, capacitySharesByJobType: Object.fromEntries(factors.shares.byJobType) } : {}),
    });
  return { forecasts: calibrated, allocations, profiles: kept, updated, oldestMs, gaps, queries, fiveMinuteCpu };
};

/**
 * The other managed groups' stored restart cycles as calibration cases, read only when this group has too few restarts
 * of its own for some calibrated dimension (one Query per configured group, newest MAX_CALIBRATION_CASES; groups found
 * only by tag are not listed). A group whose cycles cannot be read is left out with a warning: the tick goes on with
 * what it has, as it did before any fleet evidence.
 */
const fleetCases = async (deps: ProfilerDeps, self: GroupId, own: readonly CalibrationCase[], keys: Record<string, string>): Promise<CalibrationCase[]> => {
  const { pooled } = calibrationFactors(own, 0.9);
  if (CALIBRATED_DIMENSIONS.every((d) => pooled[d] !== undefined)) return [];
  const out: CalibrationCase[] = [];
  for (const other of deps.managed.groups.keys()) {
    if (other === self) continue;
    try {
      out.push(...fleetCalibrationCases(await deps.ports.state.listCycles(other, MAX_CALIBRATION_CASES)));
    } catch (error) {
      deps.telemetry.log.warn("another group's restart cycles could not be read for recalibration", {
        ...keys,
        otherGroupId: other,
        error: (error as Error).message,
      });
    }
  }
  return out;
};

/** The predictor for this tick; a model that fails to load or predict falls back to the statistical predictor. */
const predictAll = async (deps: ProfilerDeps, inputs: readonly PredictionInput[], keys: Record<string, string>): Promise<Forecast[]> => {
  try {
    const predictor = typeof deps.predictor === 'function' ? await deps.predictor() : deps.predictor;
    const out = await predictor.predict(inputs);
    if (out.length !== inputs.length) throw new Error(`predictor ${predictor.name} answered ${out.length} of ${inputs.length} inputs`);
    return out;
  } catch (error) {
    deps.telemetry.log.error('prediction failed; using the statistical fallback for this tick', { ...keys, error: (error as Error).message });
    return new FallbackPredictor().predict(inputs);
  }
};

/** Logs what the refresh could not record as asked: capped allocations (the pool is full there) and a held capacity. */
const reportRefresh = (refresh: PoolRefresh, deps: ProfilerDeps, keys: Record<string, string>): void => {
  const { log } = deps.telemetry;
  for (const h of refresh.handedOver)
    log.info("replacement takes over its victim's reservation", { ...keys, instanceId: h.instanceId, reservationId: h.reservationId });
  for (const c of refresh.capped) {
    log.warn('allocation capped: the pool is full (nothing more is admitted on the short dimensions)', {
      ...keys,
      instanceId: c.instanceId,
      wanted: formatResources(c.wanted),
      allocated: formatResources(c.allocated),
      shortfall: formatResources(c.shortfall),
    });
  }
  deps.telemetry.metrics.metric(MetricName.allocationsBelowWanted, 'Count', refresh.capped.length, { [MetricDimension.group]: keys['groupId'] ?? '' });
  if (refresh.capacityHeld !== undefined) {
    log.warn('pool capacity kept above its target until reservations are released (the core never shrinks below commitments)', {
      ...keys,
      capacity: formatResources(refresh.capacityHeld),
    });
  }
};

/**
 * When a restart window closed this tick: how far the forecast spotwise held before the interruption (the
 * one recorded when the window opened; forecasts made during the window already saw the restart) was from
 * the peak the instance then showed, as |observed - forecast| / observed (the alarm's description). An inherited
 * window whose load never arrived saw no restart: it is counted (RestartWindowsWithoutLoad), not compared — its idle
 * peak against the victim's forecast would read as an error of thousands of percent.
 */
const reportClosedCycle = (closed: BehaviourProfile, before: BehaviourProfile, deps: ProfilerDeps): void => {
  // closeRestartWindow records no cycle for a window that saw no data: then there is nothing to compare.
  const cycle = closedCycle(before, closed);
  if (cycle === undefined) return;
  const dims = { [MetricDimension.group]: closed.groupId };
  if (before.openRestart?.from !== undefined && !DIMENSIONS.some((d) => cycleObserved(cycle, d))) {
    deps.telemetry.metrics.metric(MetricName.restartWindowsWithoutLoad, 'Count', 1, dims);
    return;
  }
  if ((cycle.saturated ?? []).some((d) => d === 'vcpu' || d === 'memoryGiB')) deps.telemetry.metrics.metric(MetricName.restartsSaturated, 'Count', 1, dims);
  if ((cycle.unobserved ?? []).includes('vcpu')) return;
  const observed = cycle.peakAfter.vcpu;
  deps.telemetry.metrics.metric(MetricName.observedPostRestartVcpu, 'None', observed, dims);
  const forecast = before.openRestart?.forecastBefore?.vcpu;
  if (forecast === undefined) return;
  deps.telemetry.metrics.metric(MetricName.forecastBeforeRestartVcpuP90, 'None', forecast, dims);
  if (observed > 0) deps.telemetry.metrics.metric(MetricName.predictionErrorRatio, 'None', Math.abs(observed - forecast) / observed, dims);
};

const emitGroupMetrics = (deps: ProfilerDeps, group: GroupView, pool: ResourcePool, profiled: Profiled, fleet: FleetView): void => {
  const { forecasts, gaps } = profiled;
  const m = deps.telemetry.metrics;
  const dims = { [MetricDimension.group]: group.id };
  const reserved = reservedResources(pool);
  const used = allocatedResources(pool);
  m.metric(MetricName.profilesUpdated, 'Count', profiled.updated, dims);
  if (gaps > 0) m.metric(MetricName.metricGaps, 'Count', gaps, dims);
  m.metric(MetricName.poolCapacityVcpu, 'None', pool.capacity.vcpu, dims);
  m.metric(MetricName.poolReservedVcpu, 'None', reserved.vcpu, dims);
  m.metric(MetricName.poolUsedVcpu, 'None', used.vcpu, dims);
  m.metric(MetricName.poolCapacityMemoryGiB, 'None', pool.capacity.memoryGiB, dims);
  m.metric(MetricName.poolReservedMemoryGiB, 'None', reserved.memoryGiB, dims);
  m.metric(MetricName.poolUsedMemoryGiB, 'None', used.memoryGiB, dims);
  const borrowed = borrowedResources(pool);
  m.metric(MetricName.borrowedVcpu, 'None', borrowed.vcpu, dims);
  m.metric(MetricName.borrowedMemoryGiB, 'None', borrowed.memoryGiB, dims);
  const p90 = forecasts.reduce((s, f) => s + (f.kind === 'known' ? f.dims.vcpu.p90 : 0), 0);
  m.metric(MetricName.forecastVcpuP90, 'None', p90, dims);
  m.metric(MetricName.runningInStandby, 'Count', group.instances.filter((i) => i.inStandby === true && i.state === 'running').length, dims);
  if (profiled.updated > 0) m.metric(MetricName.profileAgeSeconds, 'Seconds', profiled.oldestMs / 1000, dims);
  // A group with nothing serving has no profile that could be stale: say so, because the stale-profile alarm
  // treats silence as a stopped profiler. Serving instances whose profiles all failed stay silent.
  else if (!group.instances.some(isServing)) m.metric(MetricName.profileAgeSeconds, 'Seconds', 0, dims);
  const standby = fleet.groups.find((g) => g.id === group.standbyGroupId);
  if (standby !== undefined)
    m.metric(MetricName.warmPoolSize, 'Count', standby.instances.filter((i) => i.warm).length, { [MetricDimension.group]: standby.id });
};

export const defaultDeps = (): (() => ProfilerDeps) =>
  lazy(() => {
    const aws = buildAwsDeps(HANDLER);
    const prices = defaultPriceReader();
    return {
      ...aws,
      ...(prices !== undefined ? { prices } : {}),
      predictor: modelSource(aws.models, aws.settings.modelDir, aws.telemetry),
      profiler: {
        windowMinutes: aws.settings.config.profiler.window_minutes,
        halfLifeMs: aws.settings.config.profiler.half_life_hours * 3_600_000,
        metricsEveryMinutes: aws.settings.config.profiler.metrics_every_minutes,
        rateMinutes: aws.settings.config.profiler.rate_minutes,
      },
    };
  });

export const handler = makeHandler(defaultDeps());
