import type { InstanceId, InterruptionRequest } from '../core/domain';
import type { Episode, LifecycleHookSettings, TimelinePoint, WorldParams, WorldTotals } from './engine/sim-types';
import { SimWorld } from './engine/sim-world';
import { recommendationLost, selectVictims, type InterruptionModelParams, type PoolBurst } from './interruption-model';
import type { SampleFleet } from './sample-fleet';
import type { SpotAdvisor } from './spot-advisor';
import type { RequestCounts, SimStrategy } from './strategies/baseline-strategies';
import type { SoftwareBill } from './aws-bill';
import type { ForecastChecks } from './report/forecast-checks';
import type { OtherSignal } from './other-signals';

/** Everything a run needs that is the same for every strategy compared on one seed. */
export interface SimulationSetup {
  readonly seed: number;
  readonly hours: number;
  readonly sample: SampleFleet;
  readonly advisor: SpotAdvisor;
  readonly bursts: readonly PoolBurst[];
  readonly requests: readonly InterruptionRequest[];
  readonly interruption: InterruptionModelParams;
  readonly world: WorldParams;
  /** Capacity Reservation reclaims and scheduled maintenance (other-signals.ts), replayed for every strategy. */
  readonly otherSignals?: readonly OtherSignal[];
  /** Requests that name one instance when sent (`--targeted-requests`; SimWorld.targetRequest). */
  readonly targetedRequests?: ReadonlySet<string>;
}

export interface StrategyRun {
  readonly name: string;
  readonly description: string;
  /** The strategy's knob value, when it has one. */
  readonly knob?: number;
  readonly totals: WorldTotals;
  readonly requests: RequestCounts;
  readonly episodes: readonly Episode[];
  readonly timeline: readonly TimelinePoint[];
  readonly throttledCalls: number;
  /** The strategy's own AWS bill (Lambda, DynamoDB, EventBridge, Scheduler, CloudWatch), itemised. */
  readonly software: SoftwareBill;
  readonly extra: Readonly<Record<string, number>>;
  /** Deliveries that threw (first 20), for the report's notes. */
  readonly deliveryErrors: readonly string[];
  /** The strategy's forecasts against the simulated post-restart peaks (spotwise, spotwise-naive). */
  readonly forecastChecks?: ForecastChecks;
}

/**
 * The lifecycle hooks every managed group has, whatever the strategy (lib/lifecycle-hooks.ts: names,
 * 5-minute heartbeat timeout, CONTINUE by default): an operator who wants graceful drains installs them.
 */
export const WORLD_LIFECYCLE_HOOKS: LifecycleHookSettings = {
  launchHook: 'spotwise-launch',
  terminateHook: 'spotwise-terminate',
  heartbeatTimeoutSeconds: 300,
};

/**
 * Runs one strategy over the setup on a fixed step clock (`world.stepSeconds`). At each step: deliveries
 * waiting for this time resume; the due events (rebalance recommendations, bursts, warnings, reclaims,
 * instances becoming ready or reaching a state, hook time-outs, requests) are applied in time order, and
 * every strategy reaction they cause is started as a concurrent delivery; the deliveries run until each
 * finishes or waits for a later time; then Auto Scaling reconciles (health checks, launches, warm pools),
 * workloads are placed, drained instances retired, the standby scaling policy (if the strategy has one)
 * runs, the strategy's step hook runs, and the step is accounted.
 */
export const runStrategy = async (setup: SimulationSetup, strategy: SimStrategy, onProgress?: (fraction: number) => void): Promise<StrategyRun> => {
  const world = new SimWorld(setup.sample, setup.advisor, setup.world, setup.hours);
  world.lifecycleHooks = WORLD_LIFECYCLE_HOOKS;
  world.features = strategy.features;
  const hooks = strategy;
  for (const b of setup.bursts) {
    if (b.at >= world.endAt) continue;
    if (b.rebalanceAt !== undefined) world.queue.push(Math.max(world.startAt, b.rebalanceAt), { kind: 'rebalance-pool', burst: b });
    world.queue.push(b.at, { kind: 'burst', burst: b });
  }
  for (const s of setup.otherSignals ?? []) {
    if (s.at >= world.endAt) continue;
    world.queue.push(
      s.at,
      s.kind === 'capacity-reservation'
        ? { kind: 'capacity-reservation-warning', pick: s.pick }
        : { kind: 'maintenance-notice', pick: s.pick, startAt: s.startAt },
    );
  }
  for (const request of setup.requests)
    if (request.notBefore < world.endAt) world.queue.push(request.notBefore, { kind: 'strategy', name: 'request', payload: request });
  const earlyRebalance = new Set<string>();
  const burstById = new Map(setup.bursts.map((b) => [b.id, b] as const));
  await hooks.onStart?.(world);
  await world.settle();

  const recommend = (id: InstanceId, burst: PoolBurst | undefined): void => {
    world.totals.rebalanceRecommendations += 1;
    // Capacity Rebalancing (when on): launch a replacement now, terminate the at-risk instance once it serves.
    const m = world.meta.get(id);
    if (world.features.capacityRebalance && m !== undefined && !world.standbyGroups.has(m.groupId) && !m.draining) {
      if (world.launchReplacementFor(id, hooks)) world.markDraining(id);
    }
    // EventBridge delivers recommendations on a best-effort basis: a lost one never reaches the strategy.
    if (burst !== undefined && recommendationLost(burst, id, setup.interruption)) {
      world.totals.lostRecommendations += 1;
      return;
    }
    world.post(async () => {
      await hooks.onRebalanceRecommendation?.(world, id);
    });
  };

  const stepMs = setup.world.stepSeconds * 1000;
  const totalSteps = Math.ceil((world.endAt - world.startAt) / stepMs);
  const progressEvery = Math.max(1, Math.floor(totalSteps / 200));
  for (let step = 0; step < totalSteps; step++) {
    const now = world.startAt + step * stepMs;
    world.setNow(now);
    await world.settle();
    for (let due = world.queue.popDue(now); due !== undefined; due = world.queue.popDue(now)) {
      const ev = due.event;
      switch (ev.kind) {
        case 'rebalance-pool': {
          earlyRebalance.add(ev.burst.id);
          // The recommendation signals a pool short of spare capacity: capacity-optimized allocation launches elsewhere from now on.
          world.markExhausted(ev.burst.instanceType, ev.burst.availabilityZone, ev.burst.at + setup.interruption.poolExhaustedSeconds * 1000);
          for (const id of poolMembers(world, ev.burst)) recommend(id, ev.burst);
          break;
        }
        case 'burst': {
          world.markExhausted(ev.burst.instanceType, ev.burst.availabilityZone, ev.burst.at + setup.interruption.poolExhaustedSeconds * 1000);
          for (const v of selectVictims(ev.burst, poolMembers(world, ev.burst), setup.interruption)) {
            world.queue.push(v.warningAt, { kind: 'warning', instanceId: v.instanceId as InstanceId, burstId: ev.burst.id });
          }
          break;
        }
        case 'warning': {
          const m = world.meta.get(ev.instanceId);
          if (!world.isAlive(ev.instanceId) || m === undefined || m.doomedAt !== undefined) break;
          // No early recommendation for this burst: it arrives together with the warning.
          if (!earlyRebalance.has(ev.burstId)) recommend(ev.instanceId, burstById.get(ev.burstId));
          const reclaimAt = world.doom(ev.instanceId);
          world.totals.warnings += 1;
          const id = ev.instanceId;
          world.post(async () => {
            await hooks.onWarning?.(world, id, reclaimAt);
          });
          world.queue.push(reclaimAt, { kind: 'reclaim', instanceId: ev.instanceId, burstId: ev.burstId });
          break;
        }
        case 'reclaim': {
          if (!world.isAlive(ev.instanceId)) break;
          if (ev.burstId === CAPACITY_RESERVATION_BURST) world.totals.capacityReservationReclaims += 1;
          else world.totals.spotInterruptions += 1;
          world.terminate(ev.instanceId, hooks, 'reclaim');
          break;
        }
        case 'capacity-reservation-warning': {
          // The reservation's owner takes the capacity back: a two-minute warning, then termination (no rebalance recommendation).
          const id = world.pickRunningPrimary(ev.pick);
          if (id === undefined) break;
          const reclaimAt = world.doom(id);
          world.post(async () => {
            await hooks.onCapacityReservationWarning?.(world, id, reclaimAt);
          });
          world.queue.push(reclaimAt, { kind: 'reclaim', instanceId: id, burstId: CAPACITY_RESERVATION_BURST });
          break;
        }
        case 'maintenance-notice': {
          const id = world.pickRunningPrimary(ev.pick);
          if (id === undefined) break;
          const startAt = ev.startAt;
          world.post(async () => {
            await hooks.onScheduledMaintenance?.(world, id, startAt);
          });
          world.queue.push(startAt, { kind: 'maintenance-due', instanceId: id });
          break;
        }
        case 'maintenance-due': {
          // EC2 stops the instance at the scheduled change's start if it is still there; its group's health check replaces it.
          const m = world.meta.get(ev.instanceId);
          if (!world.isAlive(ev.instanceId) || m === undefined || world.instance(ev.instanceId)?.state !== 'running') break;
          world.totals.maintenanceStops += 1;
          m.doomedAt = world.now();
          world.beginStop(ev.instanceId, false, hooks);
          break;
        }
        case 'ready':
          world.markReady(ev.instanceId, due.at, hooks);
          break;
        case 'warm-filled': {
          // Launched, initialised by the launch hook's bootstrap, then stopped (Warmed:Stopped).
          const i = world.instance(ev.instanceId);
          if (world.isAlive(ev.instanceId) && i?.state === 'pending' && i.warm) world.setState(ev.instanceId, 'stopped', hooks);
          break;
        }
        case 'state-reached':
          world.reachState(ev.instanceId, ev.state, hooks);
          break;
        case 'hook-timeout':
          world.expireLifecycleHook(ev.instanceId, ev.token, hooks);
          break;
        case 'strategy': {
          const { name, payload } = ev;
          world.post(async () => {
            if (name === 'request') {
              const request = payload as InterruptionRequest;
              await hooks.onRequest?.(world, setup.targetedRequests?.has(request.requestId) === true ? world.targetRequest(request) : request);
            } else await hooks.onEvent?.(world, name, payload);
          });
          break;
        }
      }
    }
    await world.settle();
    world.reconcile(hooks);
    world.placeWorkloads(hooks);
    world.settleDrains(hooks);
    world.scaleInIdleStandby(hooks);
    world.post(async () => {
      await hooks.onStep?.(world);
    });
    await world.settle();
    // The scaling activities the step's scheduled work (ticks, the executor) asked for start in the same second too.
    world.reconcile(hooks);
    world.placeWorkloads(hooks);
    world.accountStep();
    if (onProgress && step % progressEvery === 0) onProgress(step / totalSteps);
  }
  onProgress?.(1);
  const throttled = world.buckets.launch.throttled + world.buckets.mutating.throttled + world.buckets.describe.throttled;
  const knob = strategy.knob;
  return {
    name: strategy.name,
    description: strategy.description,
    ...(knob !== undefined ? { knob } : {}),
    totals: { ...world.totals },
    requests: strategy.requestCounts(),
    episodes: world.episodes.map((e) => ({ ...e })),
    timeline: world.timeline.map((p) => ({ ...p })),
    throttledCalls: throttled,
    software: strategy.softwareBill(world),
    extra: strategy.extra?.() ?? {},
    deliveryErrors: [...world.deliveryErrors],
    ...(strategy.forecastChecks !== undefined ? { forecastChecks: strategy.forecastChecks(world) } : {}),
  };
};

/** The burst id of a Capacity Reservation reclaim (not a Spot pool burst). */
const CAPACITY_RESERVATION_BURST = 'capacity-reservation';

/** Running, in-service Spot instances of a burst's pool (the ones AWS can reclaim). */
const poolMembers = (world: SimWorld, burst: PoolBurst): InstanceId[] =>
  world
    .instances()
    .filter(
      (i) =>
        i.instanceType === burst.instanceType &&
        i.availabilityZone === burst.availabilityZone &&
        i.lifecycle === 'spot' &&
        !i.warm &&
        (i.state === 'running' || i.state === 'pending'),
    )
    .map((i) => i.id)
    .sort();
