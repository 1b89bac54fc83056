import type { GroupId, InstanceId, InterruptionRequest } from '../../core/domain';
import { allowedDisruptions } from '../../core/budget/disruption-budget';
import { HANDLER_ALARMS, priceSoftware, NO_SOFTWARE, type SoftwareBill } from '../aws-bill';
import { SimulatedCloud } from '../engine/simulated-cloud';
import type { ForecastChecks } from '../report/forecast-checks';
import type { LifecycleHookEvent, PlatformFeatures, StrategyHooks } from '../engine/sim-types';
import type { SimWorld } from '../engine/sim-world';

/** Request counts every strategy reports. */
export interface RequestCounts {
  requestsAdmitted: number;
  requestsDeferred: number;
  requestsUnserved: number;
}

export interface SimStrategy extends StrategyHooks {
  readonly description: string;
  /** The platform features it runs with (the world applies them). */
  readonly features: PlatformFeatures;
  /** Its knob value, for strategies that have one. */
  readonly knob?: number;
  requestCounts(): RequestCounts;
  /** Its own software's AWS bill at the end of a run. */
  softwareBill(world: SimWorld): SoftwareBill;
  /** Its forecasts checked against the simulated post-restart peaks (strategies that forecast). */
  forecastChecks?(world: SimWorld): ForecastChecks;
  extra?(): Record<string, number>;
}

/**
 * How long a target-tracking policy on the standby group waits before scaling in an idle member: its
 * scale-in alarm needs 15 one-minute datapoints below target (Auto Scaling User Guide, "Target tracking
 * scaling policies").
 */
export const STANDBY_SCALE_IN_IDLE_MINUTES = 15;

/** What a careful operator switches on with no extra software. */
const CAREFUL: PlatformFeatures = {
  capacityRebalance: true,
  maintenancePolicy: 'launch-before-terminate',
  standbyScaleInIdleMinutes: STANDBY_SCALE_IN_IDLE_MINUTES,
};
/** The naive references: nothing beyond the defaults. */
const DEFAULTS: PlatformFeatures = {
  capacityRebalance: false,
  maintenancePolicy: 'terminate-and-launch',
  standbyScaleInIdleMinutes: STANDBY_SCALE_IN_IDLE_MINUTES,
};

/** The Lambda memory a small termination handler would be given. */
const HANDLER_MEMORY_MB = 128;

/**
 * The parts every baseline shares: the simulated AWS APIs, the application's own lifecycle-hook handling,
 * priority requests, counts and the software bill.
 *
 * Lifecycle hooks (installed on every group): the instance's bootstrap completes its launch hook (the
 * world's ready time already includes the application's warm-up); on Terminating:Wait the application
 * drains — it completes the terminate hook once its workload has moved to another host, or the hook's
 * heartbeat timeout completes it (CONTINUE).
 */
class BaselineParts {
  cloud?: SimulatedCloud;
  readonly counts: RequestCounts = { requestsAdmitted: 0, requestsDeferred: 0, requestsUnserved: 0 };
  /** Terminate hooks waiting for their instance to drain. */
  readonly draining = new Map<InstanceId, LifecycleHookEvent>();
  /** Requests waiting for room in the disruption budget (launch-before-terminate maintenance). */
  readonly queued: InterruptionRequest[] = [];
  readonly deferredIds = new Set<string>();
  handlerInvocations = 0;

  constructor(private readonly strategy: () => StrategyHooks) {}

  start(world: SimWorld): void {
    this.cloud = new SimulatedCloud(world, this.strategy);
  }

  api(): SimulatedCloud {
    if (this.cloud === undefined) throw new Error('simulator: the strategy was not started');
    return this.cloud;
  }

  async onLifecycleHook(world: SimWorld, e: LifecycleHookEvent): Promise<void> {
    if (e.transition === 'launch') {
      await this.api().completeLifecycleAction({ groupId: e.groupId, instanceId: e.instanceId, hookName: e.hookName, token: e.token, result: 'CONTINUE' });
    } else {
      this.draining.set(e.instanceId, e);
      await this.completeDrained(world);
    }
  }

  /** Completes the terminate hooks of instances that no longer host a workload. */
  async completeDrained(world: SimWorld): Promise<void> {
    for (const [id, e] of [...this.draining]) {
      if (world.isAlive(id) && !world.isIdle(id)) continue;
      this.draining.delete(id);
      if (!world.isAlive(id)) continue;
      await this.api().completeLifecycleAction({ groupId: e.groupId, instanceId: id, hookName: e.hookName, token: e.token, result: 'CONTINUE' });
    }
  }

  /**
   * Terminate-first maintenance (the naive operator): at notBefore the oldest serving member of the group is
   * terminated through Auto Scaling without decrement; the disruption budget is not consulted (the world
   * counts a violation when it had no room).
   */
  async terminateFirst(world: SimWorld, request: InterruptionRequest): Promise<void> {
    const victim = pickVictim(world, request);
    if (victim === undefined) {
      this.counts.requestsUnserved += 1;
      return;
    }
    this.counts.requestsAdmitted += 1;
    await this.api().terminateInstanceInGroup(victim, { decrementDesiredCapacity: false });
  }

  /** Launch-before-terminate maintenance, queued against the disruption budget (what the instance maintenance policy gives). */
  enqueue(request: InterruptionRequest): void {
    this.queued.push(request);
  }

  /**
   * Admits queued requests whose group's budget has room: the victim (oldest serving member) is replaced
   * through Auto Scaling with the maintenance policy (launch first, terminate once its workload moved).
   * A request still waiting at its deadline is dropped as unserved.
   */
  async admitQueued(world: SimWorld): Promise<void> {
    const now = world.now();
    for (const request of [...this.queued]) {
      if (request.notBefore > now) continue;
      const group = groupOf(world, request);
      if (now > request.deadline || group === undefined) {
        this.queued.splice(this.queued.indexOf(request), 1);
        this.counts.requestsUnserved += 1;
        continue;
      }
      const policy = world.policies.get(group);
      const allowed = policy === undefined ? 0 : allowedDisruptions(policy.disruptionBudget, world.groupSize(group));
      if (world.voluntaryInFlight(group) + 1 > allowed) {
        this.deferredIds.add(request.requestId);
        continue;
      }
      const victim = pickVictim(world, request);
      if (victim === undefined) continue;
      this.queued.splice(this.queued.indexOf(request), 1);
      this.counts.requestsAdmitted += 1;
      await this.api().terminateInstanceInGroup(victim, { decrementDesiredCapacity: false });
    }
  }

  requestCounts(): RequestCounts {
    return { ...this.counts, requestsDeferred: this.deferredIds.size };
  }

  /** `hasHandler`: the strategy deploys a termination handler (its function is alarmed for the whole run, invoked or not). */
  bill(world: SimWorld, hasHandler: boolean): SoftwareBill {
    if (!hasHandler) return priceSoftware(NO_SOFTWARE);
    return priceSoftware({
      ...NO_SOFTWARE,
      invocations: [{ fn: 'handler', count: this.handlerInvocations, memoryMb: HANDLER_MEMORY_MB }],
      alarmHours: HANDLER_ALARMS * world.hours,
    });
  }
}

const groupOf = (world: SimWorld, request: InterruptionRequest): GroupId | undefined =>
  request.selector.kind === 'group' ? request.selector.groupId : world.instance(request.selector.instanceId)?.groupId;

/** Rolling maintenance goes oldest first: the oldest serving member the selector allows, not already going away. */
const pickVictim = (world: SimWorld, request: InterruptionRequest): InstanceId | undefined => {
  const selector = request.selector;
  const candidates = world.instances().filter((i) => {
    if (selector.kind === 'instance' ? i.id !== selector.instanceId : i.groupId !== selector.groupId || i.priority > selector.maxPriority) return false;
    const m = world.meta.get(i.id);
    return (
      world.isServing(i.id) &&
      m?.doomedAt === undefined &&
      !m?.voluntary &&
      !m?.draining &&
      m?.terminating === undefined &&
      world.workloads.some((w) => w.host === i.id)
    );
  });
  candidates.sort((a, b) => a.launchedAt - b.launchedAt || a.id.localeCompare(b.id));
  const victim = candidates[0];
  if (victim !== undefined) world.recordVoluntaryDisruption(victim.id);
  return victim?.id;
};

/** Sets the standby group's warm pool to a static size at the start (the operator's configuration). */
const setStaticWarmPool = async (world: SimWorld, parts: BaselineParts, size: number): Promise<void> => {
  for (const g of world.cloud.allGroups()) {
    if (!world.standbyGroups.has(g.id) || g.warmPool === undefined) continue;
    // Size = max(MinSize, MaxGroupPreparedCapacity − desired): both at `size` keep it at `size` whatever the desired capacity.
    await parts.api().putWarmPool(g.id, { ...g.warmPool, minSize: size, maxGroupPreparedCapacity: size });
  }
};

/** Raises a primary group's standby group by one through its scaling policy (atomic: ExecutePolicy). */
const raiseStandby = async (world: SimWorld, parts: BaselineParts, victim: InstanceId): Promise<void> => {
  const group = world.meta.get(victim)?.groupId;
  const standby = group === undefined ? undefined : world.standbyOf.get(group);
  if (standby !== undefined) await parts.api().changeDesiredCapacity(standby, 1);
};

interface BaselineSpec {
  readonly name: string;
  readonly description: string;
  readonly features: PlatformFeatures;
  readonly knob?: number;
  readonly maintenance: 'terminate-first' | 'launch-before-terminate';
  start?(world: SimWorld, parts: BaselineParts): Promise<void>;
  onWarning?(world: SimWorld, parts: BaselineParts, id: InstanceId): Promise<void>;
  /**
   * A careful operator's termination handler treats an interruptible Capacity Reservation's warning like a Spot
   * warning (same two minutes, same handler), and turns an AWS Health scheduled change into a maintenance
   * request due by its start time. The naive references do neither.
   */
  readonly handlesOtherSignals?: boolean;
}

const makeBaseline = (spec: BaselineSpec): SimStrategy => {
  const parts: BaselineParts = new BaselineParts(() => strategy);
  const strategy: SimStrategy = {
    name: spec.name,
    description: spec.description,
    features: spec.features,
    ...(spec.knob !== undefined ? { knob: spec.knob } : {}),
    async onStart(world) {
      parts.start(world);
      await spec.start?.(world, parts);
    },
    async onLifecycleHook(world, e) {
      await parts.onLifecycleHook(world, e);
    },
    ...(spec.onWarning !== undefined
      ? {
          async onWarning(world: SimWorld, id: InstanceId) {
            parts.handlerInvocations += 1;
            await spec.onWarning?.(world, parts, id);
          },
        }
      : {}),
    async onRequest(world, request) {
      if (spec.maintenance === 'terminate-first') await parts.terminateFirst(world, request);
      else parts.enqueue(request);
    },
    async onCapacityReservationWarning(world, id) {
      if (spec.onWarning === undefined || spec.handlesOtherSignals !== true) return;
      parts.handlerInvocations += 1;
      await spec.onWarning(world, parts, id);
    },
    async onScheduledMaintenance(world, id, startAt) {
      if (spec.handlesOtherSignals !== true) return;
      parts.handlerInvocations += 1;
      const groupId = world.meta.get(id)?.groupId;
      if (groupId === undefined) return;
      parts.enqueue({
        requestId: `maintenance-${id}-${startAt}` as InterruptionRequest['requestId'],
        selector: { kind: 'instance', instanceId: id },
        reason: 'AWS Health scheduled change',
        notBefore: world.now(),
        deadline: startAt,
        mode: 'terminate',
        requestedAt: world.now(),
      });
    },
    async onStep(world) {
      await parts.completeDrained(world);
      if (spec.maintenance === 'launch-before-terminate') await parts.admitQueued(world);
    },
    requestCounts: () => parts.requestCounts(),
    softwareBill: (world) => parts.bill(world, spec.onWarning !== undefined),
  };
  return strategy;
};

/** `none`: no manager — Auto Scaling replaces an instance after it is gone; maintenance terminate-first. */
export const createNoneStrategy = (): SimStrategy =>
  makeBaseline({
    name: 'none',
    description: 'no manager: Auto Scaling replaces an instance only after it is gone',
    features: DEFAULTS,
    maintenance: 'terminate-first',
  });

/** `reactive`: a termination handler that launches a same-size Spot replacement on the warning (DetachInstances without decrement); maintenance terminate-first. */
export const createReactiveStrategy = (): SimStrategy =>
  makeBaseline({
    name: 'reactive',
    description: 'launch a same-size Spot replacement on the warning; terminate-first maintenance (the naive reference)',
    features: DEFAULTS,
    maintenance: 'terminate-first',
    async onWarning(_world, parts, id) {
      await parts.api().detachInstance(id);
    },
  });

/**
 * `asg-native`: what AWS gives with no extra software — Capacity Rebalancing, the instance maintenance
 * policy's launch-before-terminate for voluntary replacements (queued against the disruption budget), and a
 * static warm pool on the standby group, raised by one on each warning (an EventBridge rule running the
 * standby group's scaling policy). Knob: the warm pool size.
 */
export const createAsgNativeStrategy = (warmPoolSize: number): SimStrategy =>
  makeBaseline({
    name: 'asg-native',
    handlesOtherSignals: true,
    description: `Capacity Rebalancing, launch-before-terminate maintenance, static warm pool of ${warmPoolSize} raised by one per warning`,
    features: CAREFUL,
    knob: warmPoolSize,
    maintenance: 'launch-before-terminate',
    start: (world, parts) => setStaticWarmPool(world, parts, warmPoolSize),
    onWarning: (world, parts, id) => raiseStandby(world, parts, id),
  });

/**
 * `warm-reactive`: a termination handler wired to the standby group — on the warning it brings one warm
 * instance into service, of the victim's shape (a stopped warm instance of another type is retyped first),
 * plus launch-before-terminate maintenance. Knob: the static warm pool size.
 */
export const createWarmReactiveStrategy = (warmPoolSize: number): SimStrategy =>
  makeBaseline({
    name: 'warm-reactive',
    handlesOtherSignals: true,
    description: `on the warning start one warm standby instance of the victim's shape; static warm pool of ${warmPoolSize}; launch-before-terminate maintenance`,
    features: CAREFUL,
    knob: warmPoolSize,
    maintenance: 'launch-before-terminate',
    start: (world, parts) => setStaticWarmPool(world, parts, warmPoolSize),
    async onWarning(world, parts, id) {
      const group = world.meta.get(id)?.groupId;
      const standby = group === undefined ? undefined : world.standbyOf.get(group);
      const victimType = world.instance(id)?.instanceType;
      if (standby === undefined || victimType === undefined) return;
      const pool = await parts.api().describeWarmPool(standby);
      const stopped = (pool?.instances ?? []).filter((i) => i.lifecycleState === 'Warmed:Stopped');
      // Auto Scaling starts the largest warm instance first (world rule); make sure one has the victim's shape.
      if (stopped.length > 0 && !stopped.some((i) => i.instanceType === victimType)) {
        const largest = [...stopped].sort(
          (a, b) =>
            (world.catalog.get(b.instanceType)?.resources.vcpu ?? 0) - (world.catalog.get(a.instanceType)?.resources.vcpu ?? 0) || a.id.localeCompare(b.id),
        )[0];
        if (largest !== undefined) {
          try {
            await parts.api().retypeStoppedInstance(largest.id, victimType);
          } catch {
            // Refused (no longer stopped): counted by the world; start it as it is.
          }
        }
      }
      await parts.api().changeDesiredCapacity(standby, 1);
    },
  });

/**
 * `static-headroom`: N always-running spare Spot instances per primary group (desired capacity raised by N
 * at the start); a workload whose host is going away moves to a spare. Launch-before-terminate maintenance.
 * The standby group's warm pool is emptied: a careful operator does not pay for capacity nothing draws from.
 */
export const createStaticHeadroomStrategy = (sparesPerGroup: number): SimStrategy =>
  makeBaseline({
    name: 'static-headroom',
    handlesOtherSignals: true,
    description: `${sparesPerGroup} always-running spare instance(s) per primary group; launch-before-terminate maintenance`,
    features: CAREFUL,
    knob: sparesPerGroup,
    maintenance: 'launch-before-terminate',
    async start(world, parts) {
      await setStaticWarmPool(world, parts, 0);
      for (const g of world.cloud.allGroups()) {
        if (world.standbyGroups.has(g.id) || sparesPerGroup === 0) continue;
        const max = Math.max(g.maxSize, g.desiredCapacity + sparesPerGroup);
        world.cloud.putGroup({ ...g, maxSize: max });
        await parts.api().changeDesiredCapacity(g.id, sparesPerGroup);
      }
    },
  });
