import type { InstanceId, InstanceState, InterruptionRequest } from '../../core/domain';
import { overCommitment } from '../../core/pool/resource-pool';
import { DIMENSIONS } from '../../core/domain';
import type { HandlerResult } from '../../handlers/handler-deps';
import { toManagedGroups } from '../../handlers/managed-groups';
import { makeHandler as makeNoticeHandler } from '../../handlers/notice';
import { InMemoryScheduler, InMemoryStateStore, RecordingEventPublisher } from '../memory';
import { SimMetricsReader } from '../engine/sim-metrics-reader';
import { SimulatedCloud } from '../engine/simulated-cloud';
import type { SimWorld } from '../engine/sim-world';
import type { PreparedSimulation } from '../prepare-simulation';
import type { RequestCounts, SimStrategy } from './baseline-strategies';
import { rebalanceEvent, spotWarningEvent, stateChangeEvent } from './sim-events';
import { SimTelemetry } from './sim-telemetry';

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
export const createSpotwiseStrategy = (setup: PreparedSimulation): SimStrategy & { extra(): Record<string, number> } => {
  const telemetry = new SimTelemetry();
  const state = new InMemoryStateStore();
  const scheduler = new InMemoryScheduler();
  const publisher = new RecordingEventPublisher();
  const metrics = new SimMetricsReader();
  const managed = toManagedGroups(setup.sample.config);
  const counts: RequestCounts = { requestsAdmitted: 0, requestsDeferred: 0, requestsUnserved: 0 };
  let notice: Handler | undefined;
  let world: SimWorld | undefined;
  let invocations = 0;
  let handlerFailures = 0;
  let lastMinute = -1;

  const checkPools = (w: SimWorld): void => {
    for (const g of managed.groups.keys()) {
      const pool = state.poolSnapshot(g);
      if (pool === undefined) continue;
      const over = overCommitment(pool);
      if (DIMENSIONS.some((d) => over[d] > 0)) w.totals.overCommits += 1;
    }
  };

  const deliver = async (handler: Handler | undefined, event: unknown): Promise<void> => {
    if (handler === undefined || world === undefined) return;
    invocations += 1;
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
      metrics.record(wl.host, {
        at,
        cpuPercent: Math.min(100, (d.vcpu / spec.vcpu) * 100),
        cpuMaxPercent: Math.min(100, (d.vcpu / spec.vcpu) * 100),
        memoryGiB: Math.min(spec.memoryGiB, d.memoryGiB),
        networkMbps: Math.min(spec.networkMbps, wl.demand.networkMbps[idx] ?? 0),
        diskIops: Math.min(spec.diskIops, wl.demand.diskIops[idx] ?? 0),
      });
    }
    for (const i of w.instances()) {
      if (busy.has(i.id) || !w.isServing(i.id)) continue;
      metrics.record(i.id, { at, cpuPercent: IDLE_CPU_PERCENT, cpuMaxPercent: IDLE_CPU_PERCENT, memoryGiB: IDLE_MEMORY_GIB, networkMbps: 0, diskIops: 0 });
    }
  };

  const strategy: SimStrategy & { extra(): Record<string, number> } = {
    name: 'spotwise',
    description: 'spotwise: staging from predictions, reservations, coordinator, warm standby (the real handlers)',

    async onStart(w: SimWorld) {
      world = w;
      const cloud = new SimulatedCloud(w, () => strategy);
      for (const pool of setup.sample.pools) state.seedPool(pool);
      state.seedProfiles(setup.sample.profiles);
      state.seedForecasts(setup.sample.forecasts);
      for (const [id, samples] of setup.sample.history) for (const s of samples) metrics.record(id, s);
      const deps = {
        ports: { instances: cloud, capacity: cloud, state, scheduler, clock: { now: () => w.now() }, publisher },
        managed,
        dryRun: false,
        telemetry,
      };
      notice = makeNoticeHandler(deps);
    },

    async onRebalanceRecommendation(w: SimWorld, id: InstanceId) {
      await deliver(notice, rebalanceEvent(id, w.now()));
    },

    async onWarning(w: SimWorld, id: InstanceId) {
      await deliver(notice, spotWarningEvent(id, w.now()));
    },

    async onInstanceState(w: SimWorld, id: InstanceId, s: InstanceState, previous: InstanceState) {
      if (s === previous) return;
      if (s === 'terminated') metrics.forget(id);
      await deliver(notice, stateChangeEvent(id, s, w.now()));
    },

    async onRequest(_w: SimWorld, _request: InterruptionRequest) {
      counts.requestsUnserved += 1;
    },

    async onStep(w: SimWorld) {
      const minute = Math.floor((w.now() - w.startAt) / 60_000);
      if (minute !== lastMinute) {
        lastMinute = minute;
        recordMinute(w);
      }
    },

    requestCounts: () => ({ ...counts }),
    extra: () => ({ handlerInvocations: invocations, handlerFailures, handlerErrorsLogged: telemetry.errors.length }),
  };
  return strategy;
};


