import type { InstanceId, InterruptionRequest } from '../core/domain';
import { SimWorld, type Episode, type TimelinePoint, type WorldParams, type WorldTotals } from './engine/sim-world';
import { selectVictims, type InterruptionModelParams, type PoolBurst } from './interruption-model';
import type { SampleFleet } from './sample-fleet';
import type { SpotAdvisor } from './spot-advisor';
import type { RequestCounts, SimStrategy } from './strategies/baseline-strategies';

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
}

export interface StrategyRun {
  readonly name: string;
  readonly description: string;
  readonly totals: WorldTotals;
  readonly requests: RequestCounts;
  readonly episodes: readonly Episode[];
  readonly timeline: readonly TimelinePoint[];
  readonly throttledCalls: number;
  readonly extra: Readonly<Record<string, number>>;
}

type SimEventRequest = { readonly kind: 'request'; readonly request: InterruptionRequest };

/**
 * Runs one strategy over the setup: a fixed step clock (`world.stepSeconds`); at each step the due events
 * (rebalance recommendations, bursts, warnings, reclaims, instances becoming ready, requests) are
 * applied in time order, then Auto Scaling reconciles, workloads are placed, the strategy's step hook
 * runs (spotwise: profiler ticks, schedules, retries), and the step is accounted.
 */
export const runStrategy = async (
  setup: SimulationSetup,
  strategy: SimStrategy & { readonly extra?: () => Record<string, number> },
  onProgress?: (fraction: number) => void,
): Promise<StrategyRun> => {
  const world = new SimWorld(setup.sample, setup.advisor, setup.world, setup.hours);
  const hooks = strategy;
  const requestQueue: SimEventRequest[] = setup.requests.map((request) => ({ kind: 'request', request }));
  for (const b of setup.bursts) {
    if (b.at >= world.endAt) continue;
    if (b.rebalanceAt !== undefined) world.queue.push(Math.max(world.startAt, b.rebalanceAt), { kind: 'rebalance-pool', burst: b });
    world.queue.push(b.at, { kind: 'burst', burst: b });
  }
  for (const r of requestQueue) if (r.request.notBefore < world.endAt) world.queue.push(r.request.notBefore, { kind: 'strategy', name: 'request', payload: r.request });
  const earlyRebalance = new Set<string>();
  await hooks.onStart?.(world);

  const stepMs = setup.world.stepSeconds * 1000;
  const totalSteps = Math.ceil((world.endAt - world.startAt) / stepMs);
  const progressEvery = Math.max(1, Math.floor(totalSteps / 200));
  for (let step = 0; step < totalSteps; step++) {
    const now = world.startAt + step * stepMs;
    world.setNow(now);
    for (let due = world.queue.popDue(now); due !== undefined; due = world.queue.popDue(now)) {
      const ev = due.event;
      switch (ev.kind) {
        case 'rebalance-pool': {
          earlyRebalance.add(ev.burst.id);
          // The recommendation signals a pool short of spare capacity: capacity-optimized allocation launches elsewhere from now on.
          world.markExhausted(ev.burst.instanceType, ev.burst.availabilityZone, ev.burst.at + setup.interruption.poolExhaustedSeconds * 1000);
          for (const id of poolMembers(world, ev.burst)) {
            world.totals.rebalanceRecommendations += 1;
            await hooks.onRebalanceRecommendation?.(world, id);
          }
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
          if (!earlyRebalance.has(ev.burstId)) {
            // No early recommendation for this burst: it arrives together with the warning.
            world.totals.rebalanceRecommendations += 1;
            await hooks.onRebalanceRecommendation?.(world, ev.instanceId);
          }
          const reclaimAt = world.doom(ev.instanceId);
          world.totals.warnings += 1;
          await hooks.onWarning?.(world, ev.instanceId, reclaimAt);
          world.queue.push(reclaimAt, { kind: 'reclaim', instanceId: ev.instanceId, burstId: ev.burstId });
          break;
        }
        case 'reclaim': {
          if (!world.isAlive(ev.instanceId)) break;
          world.totals.spotInterruptions += 1;
          await world.terminate(ev.instanceId, hooks, 'reclaim');
          break;
        }
        case 'ready':
          await world.markReady(ev.instanceId, due.at, hooks);
          break;
        case 'warm-filled':
          if (world.isAlive(ev.instanceId) && world.instance(ev.instanceId)?.state === 'pending') await world.setState(ev.instanceId, 'stopped', hooks);
          break;
        case 'hook-timeout':
          await world.expireLifecycleHook(ev.instanceId, ev.token, hooks);
          break;
        case 'strategy':
          if (ev.name === 'request') await hooks.onRequest?.(world, ev.payload as InterruptionRequest);
          else await hooks.onEvent?.(world, ev.name, ev.payload);
          break;
      }
    }
    await world.reconcile(hooks);
    await world.placeWorkloads(hooks);
    await world.settleOverlaps(hooks);
    await world.scaleInIdleStandby(hooks);
    await hooks.onStep?.(world);
    await world.placeWorkloads(hooks);
    world.accountStep();
    if (onProgress && step % progressEvery === 0) onProgress(step / totalSteps);
  }
  onProgress?.(1);
  const throttled = world.buckets.launch.throttled + world.buckets.mutating.throttled + world.buckets.describe.throttled;
  return {
    name: strategy.name,
    description: strategy.description,
    totals: { ...world.totals },
    requests: strategy.requestCounts(),
    episodes: world.episodes.map((e) => ({ ...e })),
    timeline: world.timeline.map((p) => ({ ...p })),
    throttledCalls: throttled,
    extra: strategy.extra?.() ?? {},
  };
};

/** Running, in-service Spot instances of a burst's pool (the ones AWS can reclaim). */
const poolMembers = (world: SimWorld, burst: PoolBurst): InstanceId[] =>
  world
    .instances()
    .filter((i) => i.instanceType === burst.instanceType && i.availabilityZone === burst.availabilityZone && i.lifecycle === 'spot' && !i.warm && (i.state === 'running' || i.state === 'pending'))
    .map((i) => i.id)
    .sort();
