import { AsyncLocalStorage } from 'node:async_hooks';
import type {
  GroupId,
  InstanceCatalog,
  InstanceId,
  InstanceState,
  InstanceTypeSpec,
  InterruptionRequest,
  ManagedInstance,
  ShapingPolicy,
} from '../../core/domain';
import { allowedDisruptions } from '../../core/budget/disruption-budget';
import { lookupInstanceType } from '../../core/resources/catalog';
import { InMemoryCloud } from '../memory';
import { SPOT_WARNING_LEAD_SECONDS } from '../../contracts/events';
import { EC2_THROTTLE_BUDGETS, TokenBucket } from '../api-throttle';
import { catchUpVcpu, restartHorizonMinutes, warmUpMultiplier } from '../post-restart-demand';
import { hourlyCost, STOPPED_STORAGE_USD_PER_HOUR } from '../price-table';
import { coldReadySeconds, warmPoolFillSeconds } from '../replacement-timings';
import { groupLetter, makeInstanceId, type SampleFleet } from '../sample-fleet';
import type { SpotAdvisor } from '../spot-advisor';
import { EventQueue } from './event-queue';
import type {
  DeliveryContext,
  Episode,
  EpisodeKind,
  InstanceMeta,
  LifecycleHookEvent,
  LifecycleHookSettings,
  PlatformFeatures,
  RestartPeak,
  SimEvent,
  SimWorkload,
  StrategyHooks,
  TimelinePoint,
  WorldParams,
  WorldTotals,
} from './sim-types';

/**
 * The simulated world one strategy runs in: EC2 instances and Auto Scaling groups (state kept in the
 * in-memory cloud fake, timings and platform rules added here), the workloads the instances serve, and the
 * accounting of demand, capacity and cost.
 *
 * The world only executes what a strategy asks; its own rules are AWS's, the same for every strategy
 * (each rule names its source):
 * - Instance states take time (EC2 User Guide, "Amazon EC2 instance state changes"): pending → running,
 *   stopping → stopped (`stopSeconds`), shutting-down → terminated (`terminateSeconds`). A call that needs
 *   a state (a retype needs `stopped`) is refused while the state is not reached, and counted in
 *   `failedActions`.
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
 * - Every EC2 and Auto Scaling call goes through EC2's token buckets (DESIGN.md §1); a throttled call
 *   takes effect when the bucket allows (the SDK's adaptive retry), and the caller waits for it.
 * - The notices of one step reach the strategy concurrently: `post` starts each delivery without waiting,
 *   so Lambda-style handlers interleave at every await. A desired-capacity or warm-pool write computed from
 *   a value another writer changed since it was read is counted in `staleCapacityWrites`.
 *
 * The application (the same for every strategy): each workload runs on one instance at a time. When its
 * instance is going away (a Spot warning, a drain, a termination) it is moved to a free, ready instance of
 * its group or of the group's standby group — preferring one at least as large as its home type, then the
 * earliest ready. A move is a cut-over: the workload restarts on the new host and pays its post-restart
 * demand there (warm-up and catch-up), warm starts included. A workload on a standby instance moves back to
 * an idle instance of its primary group once its post-restart window has passed.
 *
 * Episodes: every loss or move of a workload's host opens an episode; it stays open until the workload has
 * run for the restart horizon on a host that covers its home type. All unserved demand in that time is the
 * episode's, and its recovery time ends with the last unserved minute it caused.
 */

const EPS = 1e-9;

export class SimWorld {
  readonly cloud: InMemoryCloud;
  readonly catalog: InstanceCatalog;
  readonly queue = new EventQueue<SimEvent>();
  readonly meta = new Map<InstanceId, InstanceMeta>();
  readonly workloads: SimWorkload[];
  readonly episodes: Episode[] = [];
  /** Every (re)start of a workload during the run, with its post-restart peak. */
  readonly restartPeaks: RestartPeak[] = [];
  readonly timeline: TimelinePoint[] = [];
  readonly totals: WorldTotals = {
    unservedVcpuMinutes: 0,
    unservedGibMinutes: 0,
    demandVcpuMinutes: 0,
    servedVcpuMinutes: 0,
    costUsd: 0,
    spotCostUsd: 0,
    onDemandCostUsd: 0,
    storageCostUsd: 0,
    allOnDemandCostUsd: 0,
    spotInterruptions: 0,
    voluntaryInterruptions: 0,
    budgetViolations: 0,
    overCommits: 0,
    coldLaunches: 0,
    warmStarts: 0,
    rebalanceRecommendations: 0,
    warnings: 0,
    failedActions: 0,
    healthCheckReplacements: 0,
    staleCapacityWrites: 0,
    standbyInstanceHours: 0,
    idleStandbyInstanceHours: 0,
    steadyUnservedVcpuMinutes: 0,
    deliveryFailures: 0,
    capacityReservationReclaims: 0,
    maintenanceStops: 0,
  };
  readonly buckets: { launch: TokenBucket; mutating: TokenBucket; describe: TokenBucket };
  /** Pool (type@az) → time until which launches into it fail (it was just reclaimed). */
  readonly exhaustedUntil = new Map<string, number>();
  readonly policies: ReadonlyMap<GroupId, ShapingPolicy>;
  readonly standbyOf: ReadonlyMap<GroupId, GroupId>;
  readonly standbyGroups: ReadonlySet<GroupId>;
  /** The instance type each group launches (the first of its mixed types; the standby's launch template). */
  readonly launchTypes: ReadonlyMap<GroupId, readonly string[]>;
  private readonly nextOrdinal = new Map<GroupId, number>();
  private current: number;
  /** Lifecycle hooks on the managed groups (the same for every strategy, see run-strategy.ts). */
  lifecycleHooks?: LifecycleHookSettings;
  private platform: PlatformFeatures = { capacityRebalance: false, maintenancePolicy: 'terminate-and-launch' };

  get features(): PlatformFeatures {
    return this.platform;
  }

  /** Switches the strategy's platform features on: Capacity Rebalancing shows on the primary groups' descriptions too. */
  set features(features: PlatformFeatures) {
    this.platform = features;
    for (const g of this.cloud.allGroups()) {
      if (!this.standbyGroups.has(g.id)) this.cloud.putGroup({ ...g, capacityRebalance: features.capacityRebalance });
    }
  }
  private hookSeq = 0;
  private stateSeq = 0;
  readonly startAt: number;
  readonly endAt: number;
  /** Version of each group's desired capacity and warm pool: bumped by every change, whoever makes it. */
  readonly desiredVersion = new Map<GroupId, number>();
  readonly warmPoolVersion = new Map<GroupId, number>();
  readonly delivery = new AsyncLocalStorage<DeliveryContext>();
  private readonly inFlight = new Set<Promise<void>>();
  private waiters: { at: number; resolve: () => void }[] = [];
  /** The first delivery failures (for the report's notes). */
  readonly deliveryErrors: string[] = [];
  private readonly restartHorizonMs: number;

  constructor(
    readonly sample: SampleFleet,
    readonly advisor: SpotAdvisor,
    readonly params: WorldParams,
    readonly hours: number,
  ) {
    this.startAt = sample.startAt;
    this.current = sample.startAt;
    this.endAt = sample.startAt + Math.round(hours * 3_600_000);
    this.catalog = sample.fleet.catalog;
    this.cloud = new InMemoryCloud(sample.cloud);
    this.buckets = {
      launch: new TokenBucket(EC2_THROTTLE_BUDGETS.launch, this.startAt),
      mutating: new TokenBucket(EC2_THROTTLE_BUDGETS.mutating, this.startAt),
      describe: new TokenBucket(EC2_THROTTLE_BUDGETS.describe, this.startAt),
    };
    this.policies = new Map(sample.fleet.groups.map((g) => [g.id, g.policy]));
    this.standbyOf = new Map(sample.fleet.groups.flatMap((g) => (g.standbyGroupId ? [[g.id, g.standbyGroupId] as const] : [])));
    this.standbyGroups = new Set(sample.fleet.groups.filter((g) => g.role === 'standby').map((g) => g.id));
    this.launchTypes = new Map(sample.fleet.groups.map((g) => [g.id, [...new Set(g.instances.map((i) => i.instanceType))].sort()]));
    for (const i of this.cloud.instanceViews()) {
      this.meta.set(i.id, {
        id: i.id,
        groupId: i.groupId,
        draining: false,
        replacementLaunched: false,
        voluntary: false,
        stateSince: this.startAt - 1,
        ...(i.state === 'running' && !i.warm ? { readyAt: this.startAt - 1 } : {}),
      });
      const n = this.nextOrdinal.get(i.groupId) ?? 0;
      this.nextOrdinal.set(i.groupId, n + 1);
    }
    this.workloads = sample.workloads.map((w) => ({
      id: w.instanceId,
      groupId: w.groupId,
      homeType: w.homeType,
      home: lookupInstanceType(this.catalog, w.homeType).resources,
      demand: w.demand,
      host: w.instanceId,
      startedAt: this.startAt - 24 * 3_600_000,
      downtimeMinutes: 0,
      ...(params.workloadPriorities?.has(w.instanceId) ? { priority: params.workloadPriorities.get(w.instanceId) as number } : {}),
    }));
    for (const w of this.workloads) if (w.priority !== undefined && w.host !== undefined) this.tagPriority(w.host, w.priority);
    this.restartHorizonMs = restartHorizonMinutes(params.postRestart) * 60_000;
  }

  now(): number {
    return this.current;
  }

  setNow(at: number): void {
    this.current = at;
  }

  // ------------------------------------------------------------------ concurrency and time

  /**
   * Starts a strategy's reaction (an EventBridge delivery to a Lambda function) without waiting for it.
   * Deliveries run concurrently; each has its own context for stale-write accounting. A delivery that
   * throws is counted (Lambda would retry or dead-letter it; the run goes on).
   */
  post(work: () => Promise<void>): void {
    const ctx: DeliveryContext = { desiredSeen: new Map(), warmPoolSeen: new Map() };
    const p: Promise<void> = this.delivery
      .run(ctx, work)
      .catch((error: unknown) => {
        this.totals.deliveryFailures += 1;
        if (this.deliveryErrors.length < 20) this.deliveryErrors.push(`${new Date(this.current).toISOString()} ${(error as Error).message}`);
      })
      .finally(() => {
        this.inFlight.delete(p);
      });
    this.inFlight.add(p);
  }

  /** Deliveries still running (waiting for a throttled call or a later time). */
  get deliveriesInFlight(): number {
    return this.inFlight.size;
  }

  /** Resolves when simulated time reaches `at` (a throttled call waits here). */
  waitUntil(at: number): Promise<void> {
    if (at <= this.current) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.push({ at, resolve });
    });
  }

  /**
   * Lets every delivery run until each has finished or waits for a later time: releases the waiters that are
   * due, then yields to the event loop (all pending promise continuations run before a macrotask does).
   */
  async settle(): Promise<void> {
    for (let round = 0; round < 100; round++) {
      const due = this.waiters.filter((w) => w.at <= this.current);
      this.waiters = this.waiters.filter((w) => w.at > this.current);
      for (const w of due) w.resolve();
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (!this.waiters.some((w) => w.at <= this.current)) return;
    }
  }

  /** Waits for every delivery to finish, moving time to each waiter's due time (end of a run, tests). */
  async drain(): Promise<void> {
    await this.settle();
    while (this.inFlight.size > 0 && this.waiters.length > 0) {
      const next = Math.min(...this.waiters.map((w) => w.at));
      if (next > this.current) this.current = next;
      await this.settle();
    }
    await Promise.all([...this.inFlight]);
  }

  /** The calling delivery's context, if the call comes from a delivery. */
  deliveryContext(): DeliveryContext | undefined {
    return this.delivery.getStore();
  }

  /** Records that the calling delivery read a group's desired capacity / warm pool (DescribeAutoScalingGroups, DescribeWarmPool). */
  noteRead(groupId: GroupId, what: 'desired' | 'warm-pool'): void {
    const ctx = this.deliveryContext();
    if (ctx === undefined) return;
    if (what === 'desired') ctx.desiredSeen.set(groupId, this.desiredVersion.get(groupId) ?? 0);
    else ctx.warmPoolSeen.set(groupId, this.warmPoolVersion.get(groupId) ?? 0);
  }

  /**
   * A write of a group's desired capacity / warm pool by the calling delivery (`apply` makes the change):
   * stale when the delivery read the value and someone changed it since. The delivery then knows the value
   * it wrote.
   */
  noteWrite(groupId: GroupId, what: 'desired' | 'warm-pool', apply: () => void): void {
    const ctx = this.deliveryContext();
    const versions = what === 'desired' ? this.desiredVersion : this.warmPoolVersion;
    const seen = ctx === undefined ? undefined : what === 'desired' ? ctx.desiredSeen : ctx.warmPoolSeen;
    const read = seen?.get(groupId);
    if (read !== undefined && read !== (versions.get(groupId) ?? 0)) this.totals.staleCapacityWrites += 1;
    apply();
    seen?.set(groupId, versions.get(groupId) ?? 0);
  }

  /** A group's warm pool changed (PutWarmPool): bumps its version. */
  bumpWarmPoolVersion(groupId: GroupId): void {
    this.warmPoolVersion.set(groupId, (this.warmPoolVersion.get(groupId) ?? 0) + 1);
  }

  /** Sets a group's desired capacity (any writer: a strategy, Auto Scaling itself) and bumps its version. */
  setDesired(groupId: GroupId, desiredCapacity: number): void {
    const g = this.cloud.group(groupId);
    if (g === undefined || g.desiredCapacity === desiredCapacity) return;
    this.cloud.putGroup({ ...g, desiredCapacity });
    this.desiredVersion.set(groupId, (this.desiredVersion.get(groupId) ?? 0) + 1);
  }

  /** Tells the strategy something happened (an EC2 or Auto Scaling event through EventBridge): a concurrent delivery. */
  private notify(hooks: StrategyHooks, call: (h: StrategyHooks) => Promise<void> | undefined): void {
    this.post(async () => {
      await call(hooks);
    });
  }

  // ------------------------------------------------------------------ instance state

  /** An instance as the cloud holds it (the one record of its state: the world keeps no copy). */
  instance(id: InstanceId): ManagedInstance | undefined {
    return this.cloud.instanceView(id);
  }

  instances(): ManagedInstance[] {
    return [...this.cloud.instanceViews()];
  }

  spec(id: InstanceId): InstanceTypeSpec {
    const i = this.cloud.instanceView(id);
    if (i === undefined) throw new Error(`simulator: unknown instance ${id}`);
    return lookupInstanceType(this.catalog, i.instanceType);
  }

  isAlive(id: InstanceId): boolean {
    const s = this.cloud.instanceView(id)?.state;
    return s !== undefined && s !== 'terminated' && s !== 'shutting-down';
  }

  isServing(id: InstanceId): boolean {
    const i = this.cloud.instanceView(id);
    const m = this.meta.get(id);
    return i !== undefined && i.state === 'running' && !i.warm && m?.readyAt !== undefined && m.readyAt <= this.current;
  }

  /** Changes an instance's state in the cloud fake and tells the strategy (EC2 state-change notification). */
  setState(id: InstanceId, state: InstanceState, hooks: StrategyHooks): void {
    const before = this.cloud.instanceView(id)?.state;
    if (before === undefined || before === state) return;
    this.cloud.setInstanceState(id, state);
    const m = this.meta.get(id);
    // stopping → stopped is one stretch out of service for the health check.
    if (m && !(before === 'stopping' && state === 'stopped')) m.stateSince = this.current;
    this.notify(hooks, (h) => h.onInstanceState?.(this, id, state, before));
  }

  /**
   * StopInstances accepted: the instance is `stopping` now (its workload is gone at once) and `stopped`
   * after `stopSeconds` (hibernation: `hibernateSeconds`). A retype or start before then is refused.
   */
  beginStop(id: InstanceId, hibernate: boolean, hooks: StrategyHooks): void {
    const m = this.meta.get(id);
    if (m === undefined || !this.isAlive(id)) return;
    m.readyAt = undefined;
    m.hibernating = hibernate;
    this.setState(id, 'stopping', hooks);
    this.loseHost(id);
    const seconds = hibernate ? this.params.timings.hibernateSeconds : this.params.timings.stopSeconds;
    this.stateSeq += 1;
    this.queue.push(this.current + seconds * 1000, { kind: 'state-reached', instanceId: id, state: 'stopped', seq: this.stateSeq });
  }

  /** A scheduled state change is due (stopping → stopped, shutting-down → terminated). */
  reachState(id: InstanceId, state: 'stopped' | 'terminated', hooks: StrategyHooks): void {
    const i = this.cloud.instanceView(id);
    if (i === undefined) return;
    if (state === 'stopped' && i.state !== 'stopping') return;
    if (state === 'terminated' && i.state !== 'shutting-down') return;
    const m = this.meta.get(id);
    if (m) m.hibernating = false;
    this.setState(id, state, hooks);
  }

  /** Creates an instance record (a launch); it starts 'pending'. */
  createInstance(groupId: GroupId, type: string, az: string, lifecycle: 'spot' | 'on-demand', warm: boolean): InstanceId {
    const n = (this.nextOrdinal.get(groupId) ?? 0) + 1;
    this.nextOrdinal.set(groupId, n);
    const id = makeInstanceId(groupLetter(groupId), n + 0x1000);
    const policy = this.policies.get(groupId);
    this.cloud.putInstance({
      id,
      groupId,
      instanceType: type,
      availabilityZone: az,
      lifecycle,
      state: 'pending',
      launchedAt: this.current,
      warm,
      priority: policy?.priority ?? 50,
      jobType: this.sample.workloads.find((w) => w.groupId === groupId)?.jobType ?? 'standby',
      tags: { 'spotwise:managed': 'true', 'aws:autoscaling:groupName': groupId },
    });
    this.meta.set(id, { id, groupId, draining: false, replacementLaunched: false, voluntary: false, stateSince: this.current });
    return id;
  }

  // ------------------------------------------------------------------ Auto Scaling

  private poolKey(type: string, az: string): string {
    return `${type}@${az}`;
  }

  /** Chooses where a primary group's cold launch goes (capacity-optimized allocation, see the class comment). */
  chooseLaunchPool(groupId: GroupId): { type: string; az: string } | undefined {
    const types = this.launchTypes.get(groupId) ?? [];
    const azs = this.sample.cloud.groups?.find((g) => g.id === groupId)?.availabilityZones ?? [];
    const members = this.instances().filter((i) => i.groupId === groupId && !i.warm && this.isAlive(i.id));
    const open = (type: string, az: string): boolean => (this.exhaustedUntil.get(this.poolKey(type, az)) ?? -Infinity) <= this.current;
    const azOrder = [...azs].sort(
      (a, b) => members.filter((m) => m.availabilityZone === a).length - members.filter((m) => m.availabilityZone === b).length || a.localeCompare(b),
    );
    for (const az of azOrder) {
      const candidates = types
        .filter((t) => open(t, az))
        .sort(
          (a, b) =>
            (this.advisor.entries.get(a)?.bucket ?? 9) - (this.advisor.entries.get(b)?.bucket ?? 9) ||
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
    for (const i of this.cloud.instanceViews()) {
      if (i.groupId !== groupId || i.warm) continue;
      const m = this.meta.get(i.id);
      if (m?.detached || m?.standby) continue;
      // An instance in Terminating:Wait still holds its slot when it is to be replaced once gone (terminate-and-launch);
      // a scale-in's does not (desired capacity was lowered for it). A member whose replacement is already launched (Capacity Rebalancing, launch-before-terminate) gives its slot to it.
      if (m?.replacementLaunched) continue;
      const holdsSlot = m?.terminating === undefined || m.replaceAfterTermination === true;
      if ((i.state === 'pending' || i.state === 'running' || i.state === 'stopping' || i.state === 'stopped') && holdsSlot) n += 1;
      else if (m?.goneAt !== undefined && m.goneAt + this.params.timings.asgDetectionSeconds * 1000 > this.current) n += 1;
    }
    return n;
  }

  isIdle(id: InstanceId): boolean {
    return !this.workloads.some((w) => w.host === id || w.next === id);
  }

  /** Brings every group to its desired capacity and warm pool size; runs the health checks first. */
  reconcile(hooks: StrategyHooks): void {
    this.healthCheck(hooks);
    for (const g of this.cloud.allGroups()) {
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
    const period = this.params.timings.asgDetectionSeconds * 1000;
    for (const i of this.cloud.instanceViews()) {
      if (i.warm || !(i.state === 'stopping' || i.state === 'stopped')) continue;
      const m = this.meta.get(i.id);
      if (m === undefined || m.standby || m.detached || this.current - m.stateSince < period) continue;
      this.totals.healthCheckReplacements += 1;
      this.terminate(i.id, hooks, 'health-check');
    }
  }

  private warmMembers(groupId: GroupId): ManagedInstance[] {
    return this.instances().filter((i) => i.groupId === groupId && i.warm && this.isAlive(i.id));
  }

  private launchOne(groupId: GroupId, hooks: StrategyHooks): boolean {
    const group = this.cloud.group(groupId);
    if (group === undefined) return false;
    // Warm pool first: a stopped, initialised instance starts in ~21 s (Warmed:Running in ~2 s).
    const warm = this.warmMembers(groupId)
      .filter((i) => i.state === 'stopped' || i.state === 'running')
      .sort(
        (a, b) =>
          (a.state === 'running' ? 0 : 1) - (b.state === 'running' ? 0 : 1) ||
          this.spec(b.id).resources.vcpu - this.spec(a.id).resources.vcpu ||
          a.id.localeCompare(b.id),
      )[0];
    if (warm !== undefined) {
      const at = this.buckets.launch.take(this.current);
      const wasRunning = warm.state === 'running';
      this.cloud.setWarm(warm.id, false);
      this.setState(warm.id, 'pending', hooks);
      const readyAt = at + (wasRunning ? this.params.timings.warmRunningSeconds : this.params.timings.warmStoppedSeconds) * 1000;
      this.scheduleReady(warm.id, readyAt);
      this.totals.warmStarts += 1;
      this.beginLaunchHook(warm.id, 'WarmPool', hooks);
      return true;
    }
    const isStandby = this.standbyGroups.has(groupId) || !this.launchTypes.get(groupId)?.length;
    const place = isStandby
      ? { type: this.launchTypes.get(groupId)?.[0] ?? 'm5.xlarge', az: group.availabilityZones[0] ?? 'us-east-1a' }
      : this.chooseLaunchPool(groupId);
    if (place === undefined) return false;
    const at = this.buckets.launch.take(this.current);
    const id = this.createInstance(groupId, place.type, place.az, isStandby ? 'on-demand' : 'spot', false);
    this.notify(hooks, (h) => h.onInstanceState?.(this, id, 'pending', 'pending'));
    this.scheduleReady(id, at + coldReadySeconds(this.params.timings) * 1000);
    this.totals.coldLaunches += 1;
    this.beginLaunchHook(id, 'EC2', hooks);
    return true;
  }

  private scaleIn(groupId: GroupId, count: number, hooks: StrategyHooks): void {
    const group = this.cloud.group(groupId);
    const idle = this.instances()
      .filter(
        (i) =>
          i.groupId === groupId &&
          !i.warm &&
          (i.state === 'running' || i.state === 'pending') &&
          this.isIdle(i.id) &&
          !this.meta.get(i.id)?.terminating &&
          !this.meta.get(i.id)?.detached &&
          !this.meta.get(i.id)?.standby,
      )
      .sort((a, b) => b.launchedAt - a.launchedAt || a.id.localeCompare(b.id))
      .slice(0, count);
    for (const i of idle) this.scaleInInstance(i.id, group?.warmPool?.reuseOnScaleIn === true, hooks);
  }

  /** Takes one member out of service: back into the warm pool, stopped (reuse on scale-in), or terminated. */
  private scaleInInstance(id: InstanceId, reuse: boolean, hooks: StrategyHooks): void {
    const i = this.cloud.instanceView(id);
    if (i === undefined) return;
    if (reuse && i.lifecycle === 'on-demand') {
      this.cloud.setWarm(id, true);
      const m = this.meta.get(id);
      if (m) m.readyAt = undefined;
      this.beginStop(id, false, hooks);
    } else if (!this.beginTerminateHook(id, hooks)) {
      this.terminate(id, hooks, 'scale-in');
    }
  }

  private reconcileWarmPool(groupId: GroupId, hooks: StrategyHooks): void {
    const group = this.cloud.group(groupId);
    const wp = group?.warmPool;
    if (group === undefined || wp === undefined) return;
    // Auto Scaling: warm pool size = max(MinSize, MaxGroupPreparedCapacity − desired); −1 means the group's max size.
    const prepared = wp.maxGroupPreparedCapacity === -1 ? group.maxSize : wp.maxGroupPreparedCapacity;
    const target = Math.max(wp.minSize, prepared - group.desiredCapacity);
    const members = this.warmMembers(groupId);
    if (members.length < target) {
      for (let k = members.length; k < target; k++) {
        const type = this.launchTypes.get(groupId)?.[0] ?? 'm5.xlarge';
        const az = group.availabilityZones[k % Math.max(1, group.availabilityZones.length)] ?? 'us-east-1a';
        const at = this.buckets.launch.take(this.current);
        const id = this.createInstance(groupId, type, az, 'on-demand', true);
        this.queue.push(at + warmPoolFillSeconds(this.params.timings) * 1000, { kind: 'warm-filled', instanceId: id });
      }
    } else if (members.length > target) {
      const extra = members
        .sort((a, b) => (a.state === 'stopped' ? 0 : 1) - (b.state === 'stopped' ? 0 : 1) || b.launchedAt - a.launchedAt)
        .slice(0, members.length - target);
      for (const i of extra) this.terminate(i.id, hooks, 'warm pool shrink');
    }
  }

  /**
   * The standby group's target-tracking scale-in (when the strategy's features have it): members idle for
   * `standbyScaleInIdleMinutes` go back to the warm pool, desired capacity lowered by as many.
   */
  scaleInIdleStandby(hooks: StrategyHooks): void {
    const idleMinutes = this.features.standbyScaleInIdleMinutes;
    if (idleMinutes === undefined) return;
    for (const g of this.cloud.allGroups()) {
      if (!this.standbyGroups.has(g.id)) continue;
      const members = this.instances().filter((i) => i.groupId === g.id && !i.warm && i.state === 'running');
      let shrink = 0;
      for (const i of members) {
        const m = this.meta.get(i.id);
        if (m === undefined) continue;
        if (!this.isIdle(i.id)) {
          m.idleSince = undefined;
          continue;
        }
        m.idleSince ??= this.current;
        if (this.current - m.idleSince >= idleMinutes * 60_000) shrink += 1;
      }
      shrink = Math.min(shrink, g.desiredCapacity - g.minSize);
      if (shrink > 0) {
        this.buckets.mutating.take(this.current);
        this.setDesired(g.id, g.desiredCapacity - shrink);
        this.reconcile(hooks);
      }
    }
  }

  // ------------------------------------------------------------------ lifecycle hooks

  private nextToken(): string {
    this.hookSeq += 1;
    return `sim-token-${this.hookSeq.toString(16).padStart(8, '0')}`;
  }

  private beginLaunchHook(id: InstanceId, origin: 'EC2' | 'WarmPool', hooks: StrategyHooks): void {
    const settings = this.lifecycleHooks;
    const m = this.meta.get(id);
    if (settings === undefined || m === undefined) return;
    const token = this.nextToken();
    const until = this.current + settings.heartbeatTimeoutSeconds * 1000;
    m.launching = { token, until };
    this.queue.push(until, { kind: 'hook-timeout', instanceId: id, token });
    const event: LifecycleHookEvent = {
      transition: 'launch',
      instanceId: id,
      groupId: m.groupId,
      hookName: settings.launchHook,
      token,
      origin,
      destination: 'AutoScalingGroup',
    };
    this.notify(hooks, (h) => h.onLifecycleHook?.(this, event));
  }

  /**
   * An Auto Scaling termination with a terminate hook: the instance waits in Terminating:Wait — still
   * running, its workload already looking for a new home — until the hook is completed or times out.
   * Returns false when there is no hook (terminate at once).
   */
  beginTerminateHook(id: InstanceId, hooks: StrategyHooks): boolean {
    const settings = this.lifecycleHooks;
    const m = this.meta.get(id);
    if (settings === undefined || m === undefined || !this.isAlive(id) || m.terminating !== undefined) return m?.terminating !== undefined;
    const token = this.nextToken();
    const until = this.current + settings.heartbeatTimeoutSeconds * 1000;
    m.terminating = { token, until };
    this.queue.push(until, { kind: 'hook-timeout', instanceId: id, token });
    const event: LifecycleHookEvent = {
      transition: 'terminate',
      instanceId: id,
      groupId: m.groupId,
      hookName: settings.terminateHook,
      token,
      origin: 'AutoScalingGroup',
      destination: 'EC2',
    };
    this.notify(hooks, (h) => h.onLifecycleHook?.(this, event));
    return true;
  }

  /** CompleteLifecycleAction (or the heartbeat timeout's default CONTINUE). Unknown tokens are ignored. */
  completeLifecycleHook(id: InstanceId, token: string, hooks: StrategyHooks): void {
    const m = this.meta.get(id);
    if (m === undefined) return;
    if (m.launching?.token === token) {
      m.launching = undefined;
      const readyAt = this.pendingReady.get(id);
      if (readyAt !== undefined && readyAt <= this.current) this.markReady(id, this.current, hooks);
    } else if (m.terminating?.token === token) {
      // Every world's application drains on Terminating:Wait, whoever completes the hook: the instance goes
      // once its workload has moved to another host (settleDrains), or when the hook's timeout is reached.
      if (this.isAlive(id) && !this.isIdle(id) && m.terminating.until > this.current) {
        m.hookCompleted = true;
        return;
      }
      this.terminate(id, hooks, 'api');
    }
  }

  /** A heartbeat pushes the hook's timeout out by another heartbeat period. */
  heartbeatLifecycleHook(id: InstanceId, token: string): void {
    const m = this.meta.get(id);
    const settings = this.lifecycleHooks;
    if (m === undefined || settings === undefined) return;
    const until = this.current + settings.heartbeatTimeoutSeconds * 1000;
    if (m.launching?.token === token) m.launching = { token, until };
    else if (m.terminating?.token === token) m.terminating = { token, until };
    else return;
    this.queue.push(until, { kind: 'hook-timeout', instanceId: id, token });
  }

  /** A hook's timeout event: CONTINUE unless it was completed or extended meanwhile. */
  expireLifecycleHook(id: InstanceId, token: string, hooks: StrategyHooks): void {
    const m = this.meta.get(id);
    const hook = m?.launching?.token === token ? m.launching : m?.terminating?.token === token ? m.terminating : undefined;
    if (hook === undefined || hook.until > this.current) return;
    this.completeLifecycleHook(id, token, hooks);
  }

  // ------------------------------------------------------------------ losing instances

  /**
   * Terminates an instance now (reclaim, scale-in, health check, a strategy's call): it is `shutting-down`
   * at once (its workload is gone) and `terminated` `terminateSeconds` later.
   */
  terminate(id: InstanceId, hooks: StrategyHooks, why: 'reclaim' | 'scale-in' | 'warm pool shrink' | 'drained' | 'api' | 'health-check'): void {
    if (!this.isAlive(id)) return;
    const m = this.meta.get(id);
    if (m) {
      m.terminating = undefined;
      m.launching = undefined;
      // Auto Scaling learns of a reclaim at its next health check; a termination it made or was asked for, at once.
      m.goneAt = why === 'reclaim' ? this.current : this.current - this.params.timings.asgDetectionSeconds * 1000;
      m.readyAt = undefined;
    }
    this.setState(id, 'shutting-down', hooks);
    this.stateSeq += 1;
    this.queue.push(this.current + this.params.timings.terminateSeconds * 1000, {
      kind: 'state-reached',
      instanceId: id,
      state: 'terminated',
      seq: this.stateSeq,
    });
    this.pendingReady.delete(id);
    if (why === 'reclaim') {
      // Workloads that moved off this instance ahead of its reclaim were still interrupted by it.
      for (const e of this.episodes) if (e.fromHost === id && e.kind === 'move') e.kind = 'spot';
    }
    this.loseHost(id);
  }

  /** The workloads on a lost instance lose their host (an outage unless a successor is already serving). */
  loseHost(id: InstanceId): void {
    for (const w of this.workloads) {
      if (w.next === id) w.next = undefined;
      if (w.host !== id) continue;
      w.host = undefined;
      w.startedAt = undefined;
      w.restart = undefined;
      w.lastHost = id;
      w.lostAt = this.current;
      const m = this.meta.get(id);
      this.openEpisode(w, m?.voluntary ? 'voluntary' : m?.doomedAt !== undefined ? 'spot' : 'move', id);
    }
  }

  private openEpisode(w: SimWorkload, kind: EpisodeKind, fromHost: InstanceId | undefined): void {
    if (w.episode !== undefined) {
      // A second loss inside an open episode stays in it; a Spot or voluntary cause outranks a move.
      if (w.episode.kind === 'move' && kind !== 'move') w.episode.kind = kind;
      return;
    }
    w.episode = {
      kind,
      workloadId: w.id,
      groupId: w.groupId,
      start: this.current,
      unservedVcpuMinutes: 0,
      unservedGibMinutes: 0,
      ...(fromHost !== undefined ? { fromHost } : {}),
    };
    this.episodes.push(w.episode);
  }

  /** The running primary instance an event picks (`pick` in [0, 1)), by id order; undefined when none runs. */
  pickRunningPrimary(pick: number): InstanceId | undefined {
    const candidates = this.instances()
      .filter(
        (i) =>
          !this.standbyGroups.has(i.groupId) &&
          !i.warm &&
          i.state === 'running' &&
          this.meta.get(i.id)?.doomedAt === undefined &&
          !this.meta.get(i.id)?.detached,
      )
      .map((i) => i.id)
      .sort();
    return candidates[Math.min(candidates.length - 1, Math.floor(pick * candidates.length))];
  }

  /** A Spot warning: the instance is reclaimed SPOT_WARNING_LEAD_SECONDS later. */
  doom(id: InstanceId): number {
    const m = this.meta.get(id);
    const reclaimAt = this.current + SPOT_WARNING_LEAD_SECONDS * 1000;
    if (m) m.doomedAt = reclaimAt;
    return reclaimAt;
  }

  markExhausted(type: string, az: string, until: number): void {
    this.exhaustedUntil.set(this.poolKey(type, az), until);
  }

  // ------------------------------------------------------------------ platform actions on a strategy's request

  /**
   * Capacity Rebalancing's launch (and the instance maintenance policy's launch-before-terminate): Auto Scaling
   * launches a replacement at once and terminates the at-risk member once the replacement serves. The desired
   * capacity does not change — the group briefly runs one member more than desired (Auto Scaling may exceed its
   * maximum size by up to 10 % for it) — and the leaving member no longer holds a slot, so the replacement is
   * launched by the ordinary reconcile. Returns false when the group has no room even with that 10 %.
   */
  launchReplacementFor(victim: InstanceId, hooks: StrategyHooks): boolean {
    const m = this.meta.get(victim);
    if (m === undefined || m.replacementLaunched || !this.isAlive(victim)) return false;
    const g = this.cloud.group(m.groupId);
    if (g === undefined) return false;
    let members = 0;
    for (const i of this.cloud.instanceViews()) {
      const o = this.meta.get(i.id);
      if (i.groupId === g.id && !i.warm && this.isAlive(i.id) && !o?.detached && !o?.standby) members += 1;
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
    const m = this.meta.get(id);
    if (m === undefined || m.detached || !this.isAlive(id)) return;
    m.detached = true;
    this.reconcile(hooks);
  }

  /** Asks the application to move the instance's workload away; the instance is terminated once vacated. */
  markDraining(id: InstanceId): void {
    const m = this.meta.get(id);
    if (m) m.draining = true;
  }

  /** Voluntary disruption bookkeeping: counts a budget violation when the group's budget had no room. */
  recordVoluntaryDisruption(id: InstanceId): void {
    const i = this.cloud.instanceView(id);
    const m = this.meta.get(id);
    if (i === undefined || m === undefined || m.voluntary) return;
    const policy = this.policies.get(i.groupId);
    const inFlight = this.voluntaryInFlight(i.groupId);
    const allowed = policy ? allowedDisruptions(policy.disruptionBudget, this.groupSize(i.groupId)) : 0;
    if (inFlight + 1 > allowed) this.totals.budgetViolations += 1;
    m.voluntary = true;
    this.totals.voluntaryInterruptions += 1;
  }

  /** Members running or starting (what a disruption budget is a share of). */
  groupSize(groupId: GroupId): number {
    return this.instances().filter((x) => x.groupId === groupId && !x.warm && (x.state === 'running' || x.state === 'pending')).length;
  }

  /** Voluntary disruptions of a group whose workload has not recovered yet. */
  voluntaryInFlight(groupId: GroupId): number {
    return (
      this.episodes.filter((e) => e.kind === 'voluntary' && e.groupId === groupId && e.restoredAt === undefined && e.end === undefined).length +
      [...this.meta.values()].filter(
        (m) => m.groupId === groupId && m.voluntary && this.isAlive(m.id) && !this.workloads.some((w) => w.episode?.fromHost === m.id),
      ).length
    );
  }

  // ------------------------------------------------------------------ the application: placing workloads

  private needsHost(w: SimWorkload): boolean {
    if (w.next !== undefined) return false;
    if (w.host === undefined) return true;
    const m = this.meta.get(w.host);
    return m?.doomedAt !== undefined || m?.draining === true || m?.voluntary === true || m?.terminating !== undefined;
  }

  /** Free instances a workload may use: its group's and its standby group's, alive, not warm, unclaimed. */
  private freeHosts(w: SimWorkload): ManagedInstance[] {
    const groups = new Set<GroupId>([w.groupId]);
    const standby = this.standbyOf.get(w.groupId);
    if (standby) groups.add(standby);
    return this.instances().filter((i) => {
      if (!groups.has(i.groupId) || i.warm || !(i.state === 'pending' || i.state === 'running')) return false;
      const m = this.meta.get(i.id);
      if (m === undefined || m.doomedAt !== undefined || m.draining || m.voluntary || m.terminating !== undefined || m.detached || m.standby) return false;
      return this.isIdle(i.id);
    });
  }

  private readyTime(id: InstanceId): number {
    const m = this.meta.get(id);
    if (m?.readyAt !== undefined) return m.readyAt;
    return this.pendingReady.get(id) ?? Infinity;
  }

  /** Expected ready time of pending instances (from their 'ready' event). */
  readonly pendingReady = new Map<InstanceId, number>();

  scheduleReady(id: InstanceId, at: number): void {
    this.pendingReady.set(id, at);
    this.queue.push(at, { kind: 'ready', instanceId: id });
  }

  /** A pending instance became ready (running, application up) at `at`. */
  markReady(id: InstanceId, at: number, hooks: StrategyHooks): void {
    const i = this.cloud.instanceView(id);
    const m = this.meta.get(id);
    if (i === undefined || m === undefined || i.state !== 'pending') {
      this.pendingReady.delete(id);
      return;
    }
    if (this.pendingReady.get(id) !== undefined && (this.pendingReady.get(id) ?? 0) > at) return; // a later start superseded this event
    if (m.launching !== undefined) {
      // Still in Pending:Wait: ready once the launch hook is completed (or times out).
      this.pendingReady.set(id, Math.max(at, m.launching.until));
      return;
    }
    this.pendingReady.delete(id);
    this.setState(id, 'running', hooks);
    if (!this.cloud.instanceView(id)?.warm) m.readyAt = at;
  }

  placeWorkloads(hooks: StrategyHooks): void {
    for (const w of this.workloads) {
      if (this.needsHost(w)) {
        const candidates = this.freeHosts(w);
        if (candidates.length > 0) {
          const covers = (i: ManagedInstance): boolean => {
            const r = this.spec(i.id).resources;
            return r.vcpu + EPS >= w.home.vcpu && r.memoryGiB + EPS >= w.home.memoryGiB;
          };
          candidates.sort(
            (a, b) =>
              Number(covers(b)) - Number(covers(a)) ||
              this.readyTime(a.id) - this.readyTime(b.id) ||
              this.spec(a.id).resources.vcpu - this.spec(b.id).resources.vcpu ||
              a.id.localeCompare(b.id),
          );
          w.next = candidates[0]?.id;
        }
      } else if (w.next === undefined && w.host !== undefined && this.instance(w.host)?.groupId !== w.groupId && w.startedAt !== undefined) {
        // On a standby instance: back to the primary group once the post-restart window has passed.
        const window = (this.policies.get(w.groupId)?.postRestartWindowMinutes ?? 30) * 60_000;
        if (this.current - w.startedAt >= window) {
          const home = this.instances().filter(
            (i) =>
              i.groupId === w.groupId &&
              this.isServing(i.id) &&
              this.isIdle(i.id) &&
              this.meta.get(i.id)?.doomedAt === undefined &&
              !this.meta.get(i.id)?.draining &&
              !this.meta.get(i.id)?.terminating,
          );
          home.sort((a, b) => a.id.localeCompare(b.id));
          if (home[0]) w.next = home[0].id;
        }
      }
      if (w.next !== undefined && this.isServing(w.next)) this.switchHost(w, hooks);
    }
  }

  /** Sets an instance's `spotwise:priority` tag (and the world's view of it). */
  private tagPriority(id: InstanceId, priority: number): void {
    if (this.cloud.instanceView(id) === undefined) return;
    this.cloud.setPriority(id, priority);
  }

  /**
   * A targeted request (`--targeted-requests`) names one instance when it is sent: the group's serving member with
   * the highest priority tag that hosts a workload and is not already being disrupted (ties by id) — the host an
   * operator patches by name. Without one, the request stays a group request.
   */
  targetRequest(request: InterruptionRequest): InterruptionRequest {
    if (request.selector.kind !== 'group') return request;
    const groupId = request.selector.groupId;
    const candidates = this.instances().filter((i) => {
      const m = this.meta.get(i.id);
      return i.groupId === groupId && this.isServing(i.id) && m?.doomedAt === undefined && !m?.voluntary && this.workloads.some((w) => w.host === i.id);
    });
    candidates.sort((a, b) => b.priority - a.priority || a.id.localeCompare(b.id));
    const top = candidates[0];
    return top === undefined ? request : { ...request, selector: { kind: 'instance', instanceId: top.id } };
  }

  /** A cut-over: the workload stops on its old host and restarts on the new one (one host at a time). */
  private switchHost(w: SimWorkload, hooks: StrategyHooks): void {
    const next = w.next as InstanceId;
    const old = w.host;
    w.next = undefined;
    if (old !== undefined && this.isServing(old)) {
      const m = this.meta.get(old);
      this.openEpisode(w, m?.voluntary ? 'voluntary' : m?.doomedAt !== undefined ? 'spot' : 'move', old);
      w.downtimeMinutes = 0;
    } else {
      w.downtimeMinutes = w.lostAt !== undefined ? (this.current - w.lostAt) / 60_000 : 0;
    }
    if (w.priority !== undefined) {
      // The job's priority tag moves with it: the old host (if it stays) is back at its group's priority.
      const oldGroup = old === undefined ? undefined : this.instance(old)?.groupId;
      if (old !== undefined && oldGroup !== undefined) this.tagPriority(old, this.policies.get(oldGroup)?.priority ?? 50);
      this.tagPriority(next, w.priority);
    }
    w.host = next;
    w.startedAt = this.current;
    w.lostAt = undefined;
    w.restart = { workloadId: w.id, startedAt: this.current, peakVcpu: 0, peakMemoryGiB: 0 };
    this.restartPeaks.push(w.restart);
    const payload = { workloadId: w.id, from: old, to: next, previousHost: old ?? w.lastHost };
    w.lastHost = undefined;
    this.notify(hooks, (h) => h.onEvent?.(this, 'workload-moved', payload));
  }

  /**
   * Retires vacated instances that were draining (Capacity Rebalancing terminates them once the replacement
   * serves), and those whose terminate hook was completed while their workload was still moving.
   */
  settleDrains(hooks: StrategyHooks): void {
    for (const m of this.meta.values()) {
      if (m.hookCompleted === true && m.terminating !== undefined && this.isAlive(m.id) && this.isIdle(m.id)) {
        this.terminate(m.id, hooks, 'drained');
        continue;
      }
      if (!m.draining || !this.isAlive(m.id) || !this.isIdle(m.id) || this.instance(m.id)?.warm || m.terminating !== undefined) continue;
      if (!this.beginTerminateHook(m.id, hooks)) this.terminate(m.id, hooks, 'drained');
    }
  }

  // ------------------------------------------------------------------ accounting

  /** Demand of a workload at `at` including the post-restart effects on its current host. */
  workloadDemand(w: SimWorkload, at: number): { vcpu: number; memoryGiB: number } {
    const minute = this.sample.historyMinutes + Math.floor((at - this.startAt) / 60_000);
    const i = Math.min(w.demand.minutes - 1, Math.max(0, minute));
    const baseCpu = w.demand.vcpu[i] ?? 0;
    const baseMem = w.demand.memoryGiB[i] ?? 0;
    if (w.host === undefined || w.startedAt === undefined) return { vcpu: baseCpu, memoryGiB: baseMem };
    const tau = (at - w.startedAt) / 60_000;
    const model = this.params.postRestart;
    const variation = this.params.postRestartVariation?.get(w.id) ?? 1;
    return {
      vcpu: baseCpu * (1 + (warmUpMultiplier(model, 'cpu', tau) - 1) * variation) + catchUpVcpu(model, baseCpu, w.downtimeMinutes, tau),
      memoryGiB: baseMem * (1 + (warmUpMultiplier(model, 'memory', tau) - 1) * variation),
    };
  }

  /** Serving capacity of a workload now: its host, if serving. */
  workloadCapacity(w: SimWorkload): { vcpu: number; memoryGiB: number } {
    if (w.host !== undefined && this.isServing(w.host)) {
      const r = this.spec(w.host).resources;
      return { vcpu: r.vcpu, memoryGiB: r.memoryGiB };
    }
    return { vcpu: 0, memoryGiB: 0 };
  }

  /** Closes a workload's episode once it has run a restart horizon on a host that covers its home type. */
  private maybeCloseEpisode(w: SimWorkload): void {
    const e = w.episode;
    if (e === undefined || w.host === undefined || w.startedAt === undefined || !this.isServing(w.host)) return;
    const r = this.spec(w.host).resources;
    const covers = r.vcpu + EPS >= w.home.vcpu && r.memoryGiB + EPS >= w.home.memoryGiB;
    if (!covers) return;
    if (this.current + this.params.stepSeconds * 1000 - w.startedAt < this.restartHorizonMs) return;
    e.end = this.current + this.params.stepSeconds * 1000;
    w.episode = undefined;
  }

  /** Accounts one step [now, now + step): demand, served, unserved, cost, episodes, standby use, timeline. */
  accountStep(): void {
    const stepMs = this.params.stepSeconds * 1000;
    const stepMin = this.params.stepSeconds / 60;
    const stepHours = this.params.stepSeconds / 3600;
    const t = this.current;
    let demandV = 0;
    let capV = 0;
    let unservedV = 0;
    let servedV = 0;
    for (const w of this.workloads) {
      const d = this.workloadDemand(w, t);
      const c = this.workloadCapacity(w);
      const uV = Math.max(0, d.vcpu - c.vcpu);
      const uM = Math.max(0, d.memoryGiB - c.memoryGiB);
      const sV = d.vcpu - uV;
      if (this.params.checkInvariants) {
        if (!(sV >= -EPS && sV <= c.vcpu + EPS && Math.abs(sV + uV - d.vcpu) < 1e-6))
          throw new Error(`invariant: served ${sV} + unserved ${uV} ≠ demand ${d.vcpu} (capacity ${c.vcpu}) for ${w.id} at ${t}`);
      }
      demandV += d.vcpu;
      capV += c.vcpu;
      unservedV += uV;
      servedV += sV;
      this.totals.unservedVcpuMinutes += uV * stepMin;
      this.totals.unservedGibMinutes += uM * stepMin;
      if (w.restart !== undefined) {
        if (t - w.restart.startedAt >= this.restartHorizonMs) w.restart = undefined;
        else {
          w.restart.peakVcpu = Math.max(w.restart.peakVcpu, d.vcpu);
          w.restart.peakMemoryGiB = Math.max(w.restart.peakMemoryGiB, d.memoryGiB);
        }
      }
      const e = w.episode;
      if (e !== undefined) {
        e.unservedVcpuMinutes += uV * stepMin;
        e.unservedGibMinutes += uM * stepMin;
        if (uV > EPS || uM > EPS) e.lastUnservedEnd = t + stepMs;
        if (e.restoredAt === undefined) {
          const served = w.host !== undefined && this.isServing(w.host) && uV <= EPS && uM <= EPS;
          if (!served) e.servedSince = undefined;
          else {
            e.servedSince ??= t;
            if (t + stepMs - e.servedSince >= 60_000) e.restoredAt = e.servedSince;
          }
        }
        this.maybeCloseEpisode(w);
      } else {
        this.totals.steadyUnservedVcpuMinutes += uV * stepMin;
      }
      this.totals.allOnDemandCostUsd += lookupInstanceType(this.catalog, w.homeType).onDemandHourlyUsd * stepHours;
    }
    this.totals.demandVcpuMinutes += demandV * stepMin;
    this.totals.servedVcpuMinutes += servedV * stepMin;
    let cost = 0;
    for (const i of this.cloud.instanceViews()) {
      if (i.state === 'terminated' || i.state === 'shutting-down' || i.state === 'pending') {
        // EC2 bills neither pending nor shutting-down nor terminated instances (EC2 User Guide, "Instance state" table).
        continue;
      }
      const spec = lookupInstanceType(this.catalog, i.instanceType);
      const hibernating = i.state === 'stopping' && this.meta.get(i.id)?.hibernating === true;
      if (i.state === 'running' || hibernating) {
        const c = hourlyCost(spec, i.lifecycle, 'running') * stepHours;
        cost += c;
        if (i.lifecycle === 'spot') this.totals.spotCostUsd += c;
        else this.totals.onDemandCostUsd += c;
      } else {
        const c = STOPPED_STORAGE_USD_PER_HOUR * stepHours;
        cost += c;
        this.totals.storageCostUsd += c;
      }
      if (this.standbyGroups.has(i.groupId) && !i.warm && i.state === 'running') {
        this.totals.standbyInstanceHours += stepHours;
        if (this.isIdle(i.id)) this.totals.idleStandbyInstanceHours += stepHours;
      }
    }
    this.totals.costUsd += cost;
    if (this.params.checkInvariants) this.checkInvariants();
    const bucketAt = t - ((t - this.startAt) % 300_000);
    let point = this.timeline[this.timeline.length - 1];
    if (point === undefined || point.at !== bucketAt) {
      point = { at: bucketAt, demandVcpu: 0, capacityVcpu: 0, unservedVcpu: 0, costUsd: 0, samples: 0 };
      this.timeline.push(point);
    }
    point.demandVcpu += demandV;
    point.capacityVcpu += capV;
    point.unservedVcpu += unservedV;
    point.costUsd += cost;
    point.samples += 1;
  }

  /** Conservation checks: one host per workload, no instance serving two workloads, every workload kept. */
  checkInvariants(): void {
    if (this.workloads.length !== this.sample.workloads.length)
      throw new Error(`invariant: ${this.workloads.length} workloads, expected ${this.sample.workloads.length}`);
    const claimed = new Map<InstanceId, string>();
    for (const w of this.workloads) {
      for (const id of [w.host, w.next]) {
        if (id === undefined) continue;
        const other = claimed.get(id);
        if (other !== undefined) throw new Error(`invariant: instance ${id} claimed by workloads ${other} and ${w.id}`);
        claimed.set(id, w.id);
        if (!this.isAlive(id)) throw new Error(`invariant: workload ${w.id} holds dead instance ${id}`);
      }
      if (w.host !== undefined && w.next === w.host) throw new Error(`invariant: workload ${w.id} has host = next`);
    }
    for (const g of this.cloud.allGroups()) {
      if (g.desiredCapacity < g.minSize || g.desiredCapacity > g.maxSize)
        throw new Error(`invariant: group ${g.id} desired ${g.desiredCapacity} outside [${g.minSize}, ${g.maxSize}]`);
    }
  }
}
