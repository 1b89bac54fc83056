import type { GroupId, InstanceId, ManagedInstance } from '../../core/domain';
import { coldReadySeconds, warmPoolFillSeconds } from '../replacement-timings';
import type { SimInstances, Tenant } from './sim-instances';
import type { SimLifecycleHooks } from './sim-lifecycle-hooks';
import type { PlatformFeatures, StrategyHooks } from './sim-types';
import type { WorldContext } from './world-context';

/**
 * The Auto Scaling groups of the simulated world: they keep their desired capacity and warm pools, the same rules for
 * every strategy (each names its source):
 * - Health checks (Auto Scaling User Guide, "Health checks for instances in an Auto Scaling group"): an
 *   In-Service member that is stopping, stopped or hibernated fails the EC2 status check and is replaced,
 *   unless it is in Standby. Counted in `healthCheckReplacements`.
 * - A member the cloud reclaimed is noticed at the next health check (`asgDetectionSeconds`) and
 *   replaced — from the warm pool when the group has one, else by a cold launch into the pool chosen
 *   like a mixed-instances group with capacity-optimized allocation. A Spot replacement is a new
 *   instance with a new id.
 * - Warm-pool refill (Auto Scaling User Guide, "Warm pools"): the pool is kept at
 *   max(MinSize, MaxGroupPreparedCapacity − desired).
 * - Platform features a strategy switches on (`PlatformFeatures`): Capacity Rebalancing (launch on a
 *   rebalance recommendation, terminate the at-risk instance once the new one is in service), lifecycle
 *   hooks, and a target-tracking scale-in policy on the standby group.
 */
export class SimAutoScaling {
  private platform: PlatformFeatures = { capacityRebalance: false, maintenancePolicy: 'terminate-and-launch' };

  constructor(
    private readonly ctx: WorldContext,
    private readonly instances: SimInstances,
    private readonly lifecycleHooks: SimLifecycleHooks,
    private readonly tenant: Tenant,
  ) {}

  private now(): number {
    return this.ctx.clock.now();
  }

  get features(): PlatformFeatures {
    return this.platform;
  }

  /** Switches the strategy's platform features on: Capacity Rebalancing shows on the primary groups' descriptions too. */
  set features(features: PlatformFeatures) {
    this.platform = features;
    for (const g of this.ctx.cloud.groupViews()) {
      if (!this.ctx.fleet.standbyGroups.has(g.id)) this.ctx.cloud.putGroup({ ...g, capacityRebalance: features.capacityRebalance });
    }
  }

  /** Sets a group's desired capacity (any writer: a strategy, Auto Scaling itself) and bumps its version. */
  setDesired(groupId: GroupId, desiredCapacity: number): void {
    const g = this.ctx.cloud.groupView(groupId);
    if (g === undefined || g.desiredCapacity === desiredCapacity) return;
    this.ctx.cloud.putGroup({ ...g, desiredCapacity });
    this.ctx.deliveries.desiredChanged(groupId);
  }

  /** Chooses where a primary group's cold launch goes (capacity-optimized allocation, see the class comment). */
  chooseLaunchPool(groupId: GroupId): { type: string; az: string } | undefined {
    const { fleet } = this.ctx;
    const types = fleet.launchTypes.get(groupId) ?? [];
    const azs = fleet.sample.cloud.groups?.find((g) => g.id === groupId)?.availabilityZones ?? [];
    const members = this.instances.instances().filter((i) => i.groupId === groupId && !i.warm && this.instances.isAlive(i.id));
    const azOrder = [...azs].sort(
      (a, b) => members.filter((m) => m.availabilityZone === a).length - members.filter((m) => m.availabilityZone === b).length || a.localeCompare(b),
    );
    for (const az of azOrder) {
      const candidates = types
        .filter((t) => this.instances.poolOpen(t, az))
        .sort(
          (a, b) =>
            (fleet.advisor.entries.get(a)?.bucket ?? 9) - (fleet.advisor.entries.get(b)?.bucket ?? 9) ||
            members.filter((m) => m.instanceType === a && m.availabilityZone === az).length -
              members.filter((m) => m.instanceType === b && m.availabilityZone === az).length ||
            a.localeCompare(b),
        );
      const type = candidates[0];
      if (type !== undefined) return { type, az };
    }
    return undefined;
  }

  /** In-service members as Auto Scaling counts them: reclaimed ones until the health check notices. */
  inServiceCount(groupId: GroupId): number {
    let n = 0;
    for (const i of this.ctx.cloud.instanceViews()) {
      if (i.groupId !== groupId || i.warm) continue;
      const m = this.instances.meta.get(i.id);
      if (m?.detached || m?.standby) continue;
      // An instance in Terminating:Wait still holds its slot when it is to be replaced once gone (terminate-and-launch);
      // a scale-in's does not (desired capacity was lowered for it). A member whose replacement is already launched (Capacity Rebalancing, launch-before-terminate) gives its slot to it.
      if (m?.replacementLaunched) continue;
      const holdsSlot = m?.terminating === undefined || m.replaceAfterTermination === true;
      if ((i.state === 'pending' || i.state === 'running' || i.state === 'stopping' || i.state === 'stopped') && holdsSlot) n += 1;
      else if (m?.goneAt !== undefined && m.goneAt + this.ctx.params.timings.asgDetectionSeconds * 1000 > this.now()) n += 1;
    }
    return n;
  }

  /** Brings every group to its desired capacity and warm pool size; runs the health checks first. */
  reconcile(hooks: StrategyHooks): void {
    this.healthCheck(hooks);
    for (const g of this.ctx.cloud.groupViews()) {
      let missing = g.desiredCapacity - this.inServiceCount(g.id);
      while (missing > 0) {
        const launched = this.launchOne(g.id, hooks);
        if (!launched) break;
        missing -= 1;
      }
      if (missing < 0) this.scaleIn(g.id, -missing, hooks);
      if (g.warmPool) this.reconcileWarmPool(g.id, hooks);
    }
  }

  /**
   * EC2 health checks: an In-Service member that has been stopping or stopped (or hibernated) for a health
   * check period is unhealthy, and Auto Scaling terminates and replaces it — unless it is in Standby.
   * (Auto Scaling User Guide: "instance is in any state other than running ... marked unhealthy".)
   */
  private healthCheck(hooks: StrategyHooks): void {
    const period = this.ctx.params.timings.asgDetectionSeconds * 1000;
    for (const i of this.ctx.cloud.instanceViews()) {
      if (i.warm || !(i.state === 'stopping' || i.state === 'stopped')) continue;
      const m = this.instances.meta.get(i.id);
      if (m === undefined || m.standby || m.detached || this.now() - m.stateSince < period) continue;
      this.ctx.totals.healthCheckReplacements += 1;
      this.instances.terminate(i.id, hooks, 'health-check');
    }
  }

  private warmMembers(groupId: GroupId): ManagedInstance[] {
    return this.instances.instances().filter((i) => i.groupId === groupId && i.warm && this.instances.isAlive(i.id));
  }

  private launchOne(groupId: GroupId, hooks: StrategyHooks): boolean {
    const group = this.ctx.cloud.groupView(groupId);
    if (group === undefined) return false;
    const { timings } = this.ctx.params;
    // Warm pool first: a stopped, initialised instance starts in ~21 s (Warmed:Running in ~2 s).
    const warm = this.warmMembers(groupId)
      .filter((i) => i.state === 'stopped' || i.state === 'running')
      .sort(
        (a, b) =>
          (a.state === 'running' ? 0 : 1) - (b.state === 'running' ? 0 : 1) ||
          this.instances.spec(b.id).resources.vcpu - this.instances.spec(a.id).resources.vcpu ||
          a.id.localeCompare(b.id),
      )[0];
    if (warm !== undefined) {
      const at = this.ctx.buckets.launch.take(this.now());
      const wasRunning = warm.state === 'running';
      this.ctx.cloud.setWarm(warm.id, false);
      this.instances.setState(warm.id, 'pending', hooks);
      const readyAt = at + (wasRunning ? timings.warmRunningSeconds : timings.warmStoppedSeconds) * 1000;
      this.instances.scheduleReady(warm.id, readyAt);
      this.ctx.totals.warmStarts += 1;
      this.lifecycleHooks.beginLaunch(warm.id, 'WarmPool', hooks);
      return true;
    }
    const { launchTypes, standbyGroups } = this.ctx.fleet;
    const isStandby = standbyGroups.has(groupId) || !launchTypes.get(groupId)?.length;
    const place = isStandby
      ? { type: launchTypes.get(groupId)?.[0] ?? 'm5.xlarge', az: group.availabilityZones[0] ?? 'us-east-1a' }
      : this.chooseLaunchPool(groupId);
    if (place === undefined) return false;
    const at = this.ctx.buckets.launch.take(this.now());
    const id = this.instances.createInstance(groupId, place.type, place.az, isStandby ? 'on-demand' : 'spot', false);
    this.ctx.deliveries.notify(hooks, (h, world) => h.onInstanceState?.(world, id, 'pending', 'pending'));
    this.instances.scheduleReady(id, at + coldReadySeconds(timings) * 1000);
    this.ctx.totals.coldLaunches += 1;
    this.lifecycleHooks.beginLaunch(id, 'EC2', hooks);
    return true;
  }

  private scaleIn(groupId: GroupId, count: number, hooks: StrategyHooks): void {
    const group = this.ctx.cloud.groupView(groupId);
    const { meta } = this.instances;
    const idle = this.instances
      .instances()
      .filter(
        (i) =>
          i.groupId === groupId &&
          !i.warm &&
          (i.state === 'running' || i.state === 'pending') &&
          this.tenant.isIdle(i.id) &&
          !meta.get(i.id)?.terminating &&
          !meta.get(i.id)?.detached &&
          !meta.get(i.id)?.standby,
      )
      .sort((a, b) => b.launchedAt - a.launchedAt || a.id.localeCompare(b.id))
      .slice(0, count);
    for (const i of idle) this.scaleInInstance(i.id, group?.warmPool?.reuseOnScaleIn === true, hooks);
  }

  /** Takes one member out of service: back into the warm pool, stopped (reuse on scale-in), or terminated. */
  private scaleInInstance(id: InstanceId, reuse: boolean, hooks: StrategyHooks): void {
    const i = this.ctx.cloud.instanceView(id);
    if (i === undefined) return;
    if (reuse && i.lifecycle === 'on-demand') {
      this.ctx.cloud.setWarm(id, true);
      const m = this.instances.meta.get(id);
      if (m) m.readyAt = undefined;
      this.instances.beginStop(id, false, hooks);
    } else if (!this.lifecycleHooks.beginTerminate(id, hooks)) {
      this.instances.terminate(id, hooks, 'scale-in');
    }
  }

  private reconcileWarmPool(groupId: GroupId, hooks: StrategyHooks): void {
    const group = this.ctx.cloud.groupView(groupId);
    const wp = group?.warmPool;
    if (group === undefined || wp === undefined) return;
    // Auto Scaling: warm pool size = max(MinSize, MaxGroupPreparedCapacity − desired); −1 means the group's max size.
    const prepared = wp.maxGroupPreparedCapacity === -1 ? group.maxSize : wp.maxGroupPreparedCapacity;
    const target = Math.max(wp.minSize, prepared - group.desiredCapacity);
    const members = this.warmMembers(groupId);
    if (members.length < target) {
      for (let k = members.length; k < target; k++) {
        const type = this.ctx.fleet.launchTypes.get(groupId)?.[0] ?? 'm5.xlarge';
        const az = group.availabilityZones[k % Math.max(1, group.availabilityZones.length)] ?? 'us-east-1a';
        const at = this.ctx.buckets.launch.take(this.now());
        const id = this.instances.createInstance(groupId, type, az, 'on-demand', true);
        this.ctx.queue.push(at + warmPoolFillSeconds(this.ctx.params.timings) * 1000, { kind: 'warm-filled', instanceId: id });
      }
    } else if (members.length > target) {
      const extra = members
        .sort((a, b) => (a.state === 'stopped' ? 0 : 1) - (b.state === 'stopped' ? 0 : 1) || b.launchedAt - a.launchedAt)
        .slice(0, members.length - target);
      for (const i of extra) this.instances.terminate(i.id, hooks, 'warm pool shrink');
    }
  }

  /**
   * The standby group's target-tracking scale-in (when the strategy's features have it): members idle for
   * `standbyScaleInIdleMinutes` go back to the warm pool, desired capacity lowered by as many.
   */
  scaleInIdleStandby(hooks: StrategyHooks): void {
    const idleMinutes = this.features.standbyScaleInIdleMinutes;
    if (idleMinutes === undefined) return;
    for (const g of this.ctx.cloud.groupViews()) {
      if (!this.ctx.fleet.standbyGroups.has(g.id)) continue;
      const members = this.instances.instances().filter((i) => i.groupId === g.id && !i.warm && i.state === 'running');
      let shrink = 0;
      for (const i of members) {
        const m = this.instances.meta.get(i.id);
        if (m === undefined) continue;
        if (!this.tenant.isIdle(i.id)) {
          m.idleSince = undefined;
          continue;
        }
        m.idleSince ??= this.now();
        if (this.now() - m.idleSince >= idleMinutes * 60_000) shrink += 1;
      }
      shrink = Math.min(shrink, g.desiredCapacity - g.minSize);
      if (shrink > 0) {
        this.ctx.buckets.mutating.take(this.now());
        this.setDesired(g.id, g.desiredCapacity - shrink);
        this.reconcile(hooks);
      }
    }
  }

  /**
   * Capacity Rebalancing's launch (and the instance maintenance policy's launch-before-terminate): Auto Scaling
   * launches a replacement at once and terminates the at-risk member once the replacement serves. The desired
   * capacity does not change — the group briefly runs one member more than desired (Auto Scaling may exceed its
   * maximum size by up to 10 % for it) — and the leaving member no longer holds a slot, so the replacement is
   * launched by the ordinary reconcile. Returns false when the group has no room even with that 10 %.
   */
  launchReplacementFor(victim: InstanceId, hooks: StrategyHooks): boolean {
    const m = this.instances.meta.get(victim);
    if (m === undefined || m.replacementLaunched || !this.instances.isAlive(victim)) return false;
    const g = this.ctx.cloud.groupView(m.groupId);
    if (g === undefined) return false;
    let members = 0;
    for (const i of this.ctx.cloud.instanceViews()) {
      const o = this.instances.meta.get(i.id);
      if (i.groupId === g.id && !i.warm && this.instances.isAlive(i.id) && !o?.detached && !o?.standby) members += 1;
    }
    if (members + 1 > g.maxSize + Math.floor(g.maxSize / 10)) return false;
    m.replacementLaunched = true;
    this.reconcile(hooks);
    return true;
  }

  /**
   * DetachInstances without decrement: the instance leaves the group (it runs on until it is reclaimed or
   * terminated, no longer a member) and Auto Scaling launches a replacement for its slot at once.
   */
  detach(id: InstanceId, hooks: StrategyHooks): void {
    const m = this.instances.meta.get(id);
    if (m === undefined || m.detached || !this.instances.isAlive(id)) return;
    m.detached = true;
    this.reconcile(hooks);
  }

  /** Asks the application to move the instance's workload away; the instance is terminated once vacated. */
  markDraining(id: InstanceId): void {
    const m = this.instances.meta.get(id);
    if (m) m.draining = true;
  }

  /**
   * Retires vacated instances that were draining (Capacity Rebalancing terminates them once the replacement
   * serves), and those whose terminate hook was completed while their workload was still moving.
   */
  settleDrains(hooks: StrategyHooks): void {
    for (const m of this.instances.meta.values()) {
      if (m.hookCompleted === true && m.terminating !== undefined && this.instances.isAlive(m.id) && this.tenant.isIdle(m.id)) {
        this.instances.terminate(m.id, hooks, 'drained');
        continue;
      }
      if (!m.draining || !this.instances.isAlive(m.id) || !this.tenant.isIdle(m.id) || this.instances.instance(m.id)?.warm || m.terminating !== undefined)
        continue;
      if (!this.lifecycleHooks.beginTerminate(m.id, hooks)) this.instances.terminate(m.id, hooks, 'drained');
    }
  }
}
