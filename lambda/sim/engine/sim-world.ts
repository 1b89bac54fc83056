import type {
  GroupId, InstanceCatalog, InstanceId, InstanceState, InstanceTypeSpec, ManagedInstance, Resources, ShapingPolicy,
} from '../../core/domain';
import { allowedDisruptions } from '../../core/budget/disruption-budget';
import { lookupInstanceType } from '../../core/resources/catalog';
import { InMemoryCloud } from '../memory';
import { SPOT_WARNING_LEAD_SECONDS } from '../../contracts/events';
import { EC2_THROTTLE_BUDGETS, TokenBucket } from '../api-throttle';
import type { PoolBurst } from '../interruption-model';
import { catchUpVcpu, warmUpMultiplier, type PostRestartModel } from '../post-restart-demand';
import { hourlyCost } from '../price-table';
import { coldReadySeconds, warmPoolFillSeconds, type ReplacementTimings } from '../replacement-timings';
import { groupLetter, makeInstanceId, type SampleFleet } from '../sample-fleet';
import type { SpotAdvisor } from '../spot-advisor';
import type { DemandTrace } from '../workload-demand';
import { EventQueue } from './event-queue';

/**
 * The simulated world one strategy runs in: EC2 instances and Auto Scaling groups (state kept in the
 * in-memory cloud fake, timings added here), the workloads the instances serve, and the accounting of
 * demand, capacity and cost.
 *
 * Behaviour common to every strategy (the "platform" and the "application"):
 * - Auto Scaling keeps each group at its desired capacity: a member the cloud reclaimed is noticed at the
 *   next health check (`asgDetectionSeconds`) and replaced — from the warm pool when the group has one,
 *   else by a cold launch into the pool chosen like a mixed-instances group with capacity-optimized
 *   allocation (balance AZs, then the type with the lowest Spot Advisor interruption bucket, never a pool
 *   that was just reclaimed). Groups scale in only idle members (busy ones are scale-in protected);
 *   the standby group's own scaling policy scales in a member idle for `standbyIdleScaleInMinutes`, back
 *   into its warm pool (reuse on scale-in).
 * - Each workload runs on one instance. When its instance is going away (a Spot warning, a drain) it is
 *   moved to a free instance of its group or of the group's standby group as soon as one is ready —
 *   preferring one at least as large as its home type, then the earliest ready. A move while the old
 *   instance still serves is graceful: the old one keeps serving beside the new one for
 *   `handoverOverlapMinutes` (blue/green) unless it is reclaimed first. A workload on a standby instance
 *   moves back to an idle instance of its primary group once its post-restart window has passed.
 * - Every start of a workload on a fresh instance follows the post-restart model (warm-up, and catch-up
 *   of the work missed during an outage).
 */

export type SimEvent =
  | { readonly kind: 'rebalance-pool'; readonly burst: PoolBurst }
  | { readonly kind: 'burst'; readonly burst: PoolBurst }
  | { readonly kind: 'warning'; readonly instanceId: InstanceId; readonly burstId: string }
  | { readonly kind: 'reclaim'; readonly instanceId: InstanceId; readonly burstId: string }
  | { readonly kind: 'ready'; readonly instanceId: InstanceId }
  | { readonly kind: 'warm-filled'; readonly instanceId: InstanceId }
  | { readonly kind: 'hook-timeout'; readonly instanceId: InstanceId; readonly token: string }
  | { readonly kind: 'strategy'; readonly name: string; readonly payload?: unknown };

/**
 * Auto Scaling lifecycle hooks, as the spotwise stack installs them on managed groups (lib/lifecycle-hooks.ts:
 * 5-minute heartbeat timeout, CONTINUE by default). Only the spotwise world has them: the baselines run
 * without spotwise deployed.
 */
export interface LifecycleHookSettings {
  readonly launchHook: string;
  readonly terminateHook: string;
  readonly heartbeatTimeoutSeconds: number;
}

export interface LifecycleHookEvent {
  readonly transition: 'launch' | 'terminate';
  readonly instanceId: InstanceId;
  readonly groupId: GroupId;
  readonly hookName: string;
  readonly token: string;
  readonly origin: 'EC2' | 'AutoScalingGroup' | 'WarmPool';
  readonly destination: 'EC2' | 'AutoScalingGroup' | 'WarmPool';
}

export interface InstanceMeta {
  readonly id: InstanceId;
  readonly groupId: GroupId;
  /** When it serves (running and the application ready); undefined while not serving. */
  readyAt?: number;
  goneAt?: number;
  /** Reclaim time announced by a Spot warning. */
  doomedAt?: number;
  /** The strategy wants its workload elsewhere (rebalance): moved away, then terminated. */
  draining: boolean;
  /** A replacement was already launched for it: when it goes, its group's desired capacity drops by one. */
  replacementLaunched: boolean;
  idleSince?: number;
  /** A voluntary disruption (priority interruption) took it: counted in flight until its workload recovers. */
  voluntary: boolean;
  /** In Terminating:Wait (terminate lifecycle hook): still running, its workload must move, gone on completion. */
  terminating?: { readonly token: string; readonly until: number };
  /** In Pending:Wait (launch lifecycle hook): not ready before the hook is completed or times out. */
  launching?: { readonly token: string; readonly until: number };
}

export type EpisodeKind = 'spot' | 'voluntary' | 'move';

export interface Episode {
  /** 'move' is upgraded to 'spot' when the instance it left is reclaimed later (a move ahead of a reclaim). */
  kind: EpisodeKind;
  /** The instance the workload lost or left. */
  readonly fromHost?: InstanceId;
  readonly workloadId: string;
  readonly groupId: GroupId;
  readonly start: number;
  unservedVcpuMinutes: number;
  unservedGibMinutes: number;
  fullyServedSince?: number;
  end?: number;
}

export interface SimWorkload {
  readonly id: string;
  readonly groupId: GroupId;
  readonly homeType: string;
  readonly home: Resources;
  readonly demand: DemandTrace;
  host?: InstanceId;
  next?: InstanceId;
  /** The instance it left in a graceful move, still serving beside the new one until `overlapUntil`. */
  overlapHost?: InstanceId;
  overlapUntil?: number;
  /** When it started on its current host (post-restart clock). */
  startedAt?: number;
  downtimeMinutes: number;
  /** When it lost its host without a successor in service (outage start). */
  lostAt?: number;
  episode?: Episode;
}

export interface WorldParams {
  readonly stepSeconds: number;
  readonly timings: ReplacementTimings;
  readonly postRestart: PostRestartModel;
  readonly poolExhaustedSeconds: number;
  readonly handoverOverlapMinutes: number;
  readonly standbyIdleScaleInMinutes: number;
  /** Check conservation invariants every step and throw on the first violation (tests). */
  readonly checkInvariants: boolean;
}

export interface TimelinePoint {
  readonly at: number;
  demandVcpu: number;
  capacityVcpu: number;
  unservedVcpu: number;
  costUsd: number;
  samples: number;
}

export interface WorldTotals {
  unservedVcpuMinutes: number;
  unservedGibMinutes: number;
  demandVcpuMinutes: number;
  servedVcpuMinutes: number;
  costUsd: number;
  spotInterruptions: number;
  voluntaryInterruptions: number;
  budgetViolations: number;
  overCommits: number;
  coldLaunches: number;
  warmStarts: number;
  rebalanceRecommendations: number;
  warnings: number;
}

/** Hooks a strategy implements; the world calls them as things happen. All may be async (handlers). */
export interface StrategyHooks {
  readonly name: string;
  onStart?(world: SimWorld): Promise<void>;
  onRebalanceRecommendation?(world: SimWorld, id: InstanceId): Promise<void>;
  onWarning?(world: SimWorld, id: InstanceId, reclaimAt: number): Promise<void>;
  onInstanceState?(world: SimWorld, id: InstanceId, state: InstanceState, previous: InstanceState): Promise<void>;
  onRequest?(world: SimWorld, request: import('../../core/domain').InterruptionRequest): Promise<void>;
  onStep?(world: SimWorld): Promise<void>;
  onEvent?(world: SimWorld, name: string, payload: unknown): Promise<void>;
  /** A lifecycle hook put an instance in Pending:Wait or Terminating:Wait (only with hooks installed). */
  onLifecycleHook?(world: SimWorld, event: LifecycleHookEvent): Promise<void>;
}

const EPS = 1e-9;

export class SimWorld {
  readonly cloud: InMemoryCloud;
  readonly catalog: InstanceCatalog;
  readonly queue = new EventQueue<SimEvent>();
  readonly meta = new Map<InstanceId, InstanceMeta>();
  readonly workloads: SimWorkload[];
  readonly episodes: Episode[] = [];
  readonly timeline: TimelinePoint[] = [];
  readonly totals: WorldTotals = {
    unservedVcpuMinutes: 0, unservedGibMinutes: 0, demandVcpuMinutes: 0, servedVcpuMinutes: 0, costUsd: 0,
    spotInterruptions: 0, voluntaryInterruptions: 0, budgetViolations: 0, overCommits: 0, coldLaunches: 0, warmStarts: 0,
    rebalanceRecommendations: 0, warnings: 0,
  };
  readonly buckets: { launch: TokenBucket; mutating: TokenBucket; describe: TokenBucket };
  /** Pool (type@az) → time until which launches into it fail (it was just reclaimed). */
  readonly exhaustedUntil = new Map<string, number>();
  readonly policies: ReadonlyMap<GroupId, ShapingPolicy>;
  readonly standbyOf: ReadonlyMap<GroupId, GroupId>;
  /** The instance type each group launches (the first of its mixed types; the standby's launch template). */
  readonly launchTypes: ReadonlyMap<GroupId, readonly string[]>;
  private readonly nextOrdinal = new Map<GroupId, number>();
  private readonly byId = new Map<InstanceId, ManagedInstance>();
  private current: number;
  /** Lifecycle hooks on the managed groups, when spotwise is deployed (set by its strategy). */
  lifecycleHooks?: LifecycleHookSettings;
  private hookSeq = 0;
  readonly startAt: number;
  readonly endAt: number;

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
    this.launchTypes = new Map(sample.fleet.groups.map((g) => [g.id, [...new Set(g.instances.map((i) => i.instanceType))].sort()]));
    for (const i of this.cloud.allInstances()) {
      const { tags: _tags, ...managed } = i;
      this.byId.set(i.id, managed);
      this.meta.set(i.id, { id: i.id, groupId: i.groupId, draining: false, replacementLaunched: false, voluntary: false, ...(i.state === 'running' && !i.warm ? { readyAt: this.startAt - 1 } : {}) });
      const n = this.nextOrdinal.get(i.groupId) ?? 0;
      this.nextOrdinal.set(i.groupId, n + 1);
    }
    this.workloads = sample.workloads.map((w) => ({
      id: w.instanceId, groupId: w.groupId, homeType: w.homeType, home: lookupInstanceType(this.catalog, w.homeType).resources,
      demand: w.demand, host: w.instanceId, startedAt: this.startAt - 24 * 3_600_000, downtimeMinutes: 0,
    }));
  }

  now(): number {
    return this.current;
  }

  setNow(at: number): void {
    this.current = at;
  }

  // ------------------------------------------------------------------ instance state

  instance(id: InstanceId): ManagedInstance | undefined {
    return this.byId.get(id);
  }

  instances(): ManagedInstance[] {
    return [...this.byId.values()];
  }

  /** Re-reads an instance from the cloud fake after a port call changed it. */
  refresh(id: InstanceId): ManagedInstance | undefined {
    const i = this.cloud.instance(id);
    if (i === undefined) return undefined;
    const { tags: _tags, ...managed } = i;
    this.byId.set(id, managed);
    return managed;
  }

  spec(id: InstanceId): InstanceTypeSpec {
    const i = this.byId.get(id);
    if (i === undefined) throw new Error(`simulator: unknown instance ${id}`);
    return lookupInstanceType(this.catalog, i.instanceType);
  }

  isAlive(id: InstanceId): boolean {
    const s = this.byId.get(id)?.state;
    return s !== undefined && s !== 'terminated' && s !== 'shutting-down';
  }

  isServing(id: InstanceId): boolean {
    const i = this.byId.get(id);
    const m = this.meta.get(id);
    return i !== undefined && i.state === 'running' && !i.warm && m?.readyAt !== undefined && m.readyAt <= this.current;
  }

  /** Changes an instance's state in the cloud fake and tells the strategy (EC2 state-change notification). */
  async setState(id: InstanceId, state: InstanceState, hooks: StrategyHooks): Promise<void> {
    const before = this.byId.get(id)?.state;
    if (before === undefined || before === state) return;
    this.cloud.setInstanceState(id, state);
    this.refresh(id);
    await hooks.onInstanceState?.(this, id, state, before);
  }

  /** Creates an instance record (a launch); it starts 'pending'. */
  createInstance(groupId: GroupId, type: string, az: string, lifecycle: 'spot' | 'on-demand', warm: boolean): InstanceId {
    const n = (this.nextOrdinal.get(groupId) ?? 0) + 1;
    this.nextOrdinal.set(groupId, n);
    const id = makeInstanceId(groupLetter(groupId), n + 0x1000);
    const policy = this.policies.get(groupId);
    this.cloud.putInstance({
      id, groupId, instanceType: type, availabilityZone: az, lifecycle, state: 'pending', launchedAt: this.current, warm,
      priority: policy?.priority ?? 50, jobType: this.sample.workloads.find((w) => w.groupId === groupId)?.jobType ?? 'standby',
      tags: { 'spotwise:managed': 'true', 'aws:autoscaling:groupName': groupId },
    });
    this.refresh(id);
    this.meta.set(id, { id, groupId, draining: false, replacementLaunched: false, voluntary: false });
    return id;
  }

  // ------------------------------------------------------------------ Auto Scaling

  private poolKey(type: string, az: string): string {
    return `${type}@${az}`;
  }

  /** Chooses where a primary group's cold launch goes (see the class comment). */
  chooseLaunchPool(groupId: GroupId): { type: string; az: string } | undefined {
    const types = this.launchTypes.get(groupId) ?? [];
    const azs = this.sample.cloud.groups?.find((g) => g.id === groupId)?.availabilityZones ?? [];
    const members = this.instances().filter((i) => i.groupId === groupId && !i.warm && this.isAlive(i.id));
    const open = (type: string, az: string): boolean => (this.exhaustedUntil.get(this.poolKey(type, az)) ?? -Infinity) <= this.current;
    const azOrder = [...azs].sort((a, b) => members.filter((m) => m.availabilityZone === a).length - members.filter((m) => m.availabilityZone === b).length || a.localeCompare(b));
    for (const az of azOrder) {
      const candidates = types
        .filter((t) => open(t, az))
        .sort((a, b) => (this.advisor.entries.get(a)?.bucket ?? 9) - (this.advisor.entries.get(b)?.bucket ?? 9)
          || members.filter((m) => m.instanceType === a && m.availabilityZone === az).length - members.filter((m) => m.instanceType === b && m.availabilityZone === az).length
          || a.localeCompare(b));
      const type = candidates[0];
      if (type !== undefined) return { type, az };
    }
    return undefined;
  }

  /** In-service members as Auto Scaling counts them: reclaimed ones until the health check notices. */
  inServiceCount(groupId: GroupId): number {
    let n = 0;
    for (const i of this.byId.values()) {
      if (i.groupId !== groupId || i.warm) continue;
      const m = this.meta.get(i.id);
      // An instance in Terminating:Wait has left service already: Auto Scaling replaces it meanwhile.
      if ((i.state === 'pending' || i.state === 'running') && m?.terminating === undefined) n += 1;
      else if (m?.goneAt !== undefined && !m.replacementLaunched && m.goneAt + this.params.timings.asgDetectionSeconds * 1000 > this.current) n += 1;
    }
    return n;
  }

  private isIdle(id: InstanceId): boolean {
    return !this.workloads.some((w) => w.host === id || w.next === id || w.overlapHost === id);
  }

  /** Brings every group to its desired capacity and warm pool size. */
  async reconcile(hooks: StrategyHooks): Promise<void> {
    for (const g of this.cloud.allGroups()) {
      let missing = g.desiredCapacity - this.inServiceCount(g.id);
      while (missing > 0) {
        const launched = await this.launchOne(g.id, hooks);
        if (!launched) break;
        missing -= 1;
      }
      if (missing < 0) await this.scaleIn(g.id, -missing, hooks);
      if (g.warmPool) await this.reconcileWarmPool(g.id, hooks);
    }
  }

  private warmMembers(groupId: GroupId): ManagedInstance[] {
    return this.instances().filter((i) => i.groupId === groupId && i.warm && this.isAlive(i.id));
  }

  private async launchOne(groupId: GroupId, hooks: StrategyHooks): Promise<boolean> {
    const group = this.cloud.group(groupId);
    if (group === undefined) return false;
    // Warm pool first: a stopped, initialised instance starts in ~21 s (Warmed:Running in ~2 s).
    const warm = this.warmMembers(groupId)
      .filter((i) => i.state === 'stopped' || i.state === 'running')
      .sort((a, b) => (a.state === 'running' ? 0 : 1) - (b.state === 'running' ? 0 : 1) || this.spec(b.id).resources.vcpu - this.spec(a.id).resources.vcpu || a.id.localeCompare(b.id))[0];
    if (warm !== undefined) {
      const at = this.buckets.launch.take(this.current);
      const wasRunning = warm.state === 'running';
      this.cloud.setWarm(warm.id, false);
      this.refresh(warm.id);
      await this.setState(warm.id, 'pending', hooks);
      const readyAt = at + (wasRunning ? this.params.timings.warmRunningSeconds : this.params.timings.warmStoppedSeconds) * 1000;
      this.scheduleReady(warm.id, readyAt);
      this.totals.warmStarts += 1;
      await this.beginLaunchHook(warm.id, 'WarmPool', hooks);
      return true;
    }
    const isStandby = !this.launchTypes.get(groupId)?.length || this.sample.fleet.groups.find((x) => x.id === groupId)?.role === 'standby';
    const place = isStandby
      ? { type: this.launchTypes.get(groupId)?.[0] ?? 'm5.xlarge', az: group.availabilityZones[0] ?? 'us-east-1a' }
      : this.chooseLaunchPool(groupId);
    if (place === undefined) return false;
    const at = this.buckets.launch.take(this.current);
    const id = this.createInstance(groupId, place.type, place.az, isStandby ? 'on-demand' : 'spot', false);
    await hooks.onInstanceState?.(this, id, 'pending', 'pending');
    this.scheduleReady(id, at + coldReadySeconds(this.params.timings) * 1000);
    this.totals.coldLaunches += 1;
    await this.beginLaunchHook(id, 'EC2', hooks);
    return true;
  }

  private async scaleIn(groupId: GroupId, count: number, hooks: StrategyHooks): Promise<void> {
    const group = this.cloud.group(groupId);
    const idle = this.instances()
      .filter((i) => i.groupId === groupId && !i.warm && (i.state === 'running' || i.state === 'pending') && this.isIdle(i.id))
      .sort((a, b) => b.launchedAt - a.launchedAt || a.id.localeCompare(b.id))
      .slice(0, count);
    for (const i of idle) {
      if (group?.warmPool?.reuseOnScaleIn && i.lifecycle === 'on-demand') {
        // Back into the warm pool, stopped (reuse on scale-in).
        this.cloud.setWarm(i.id, true);
        this.refresh(i.id);
        const m = this.meta.get(i.id);
        if (m) m.readyAt = undefined;
        await this.setState(i.id, 'stopped', hooks);
      } else if (!(await this.beginTerminateHook(i.id, hooks))) {
        await this.terminate(i.id, hooks, 'scale-in');
      }
    }
  }

  private async reconcileWarmPool(groupId: GroupId, hooks: StrategyHooks): Promise<void> {
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
      const extra = members.sort((a, b) => (a.state === 'stopped' ? 0 : 1) - (b.state === 'stopped' ? 0 : 1) || b.launchedAt - a.launchedAt).slice(0, members.length - target);
      for (const i of extra) await this.terminate(i.id, hooks, 'warm pool shrink');
    }
  }

  // ------------------------------------------------------------------ lifecycle hooks

  private nextToken(): string {
    this.hookSeq += 1;
    return `sim-token-${this.hookSeq.toString(16).padStart(8, '0')}`;
  }

  private async beginLaunchHook(id: InstanceId, origin: 'EC2' | 'WarmPool', hooks: StrategyHooks): Promise<void> {
    const settings = this.lifecycleHooks;
    const m = this.meta.get(id);
    if (settings === undefined || m === undefined) return;
    const token = this.nextToken();
    const until = this.current + settings.heartbeatTimeoutSeconds * 1000;
    m.launching = { token, until };
    this.queue.push(until, { kind: 'hook-timeout', instanceId: id, token });
    await hooks.onLifecycleHook?.(this, { transition: 'launch', instanceId: id, groupId: m.groupId, hookName: settings.launchHook, token, origin, destination: 'AutoScalingGroup' });
  }

  /**
   * An Auto Scaling termination with a terminate hook: the instance waits in Terminating:Wait — still
   * running, its workload already looking for a new home — until the hook is completed or times out.
   * Returns false when there is no hook (terminate at once).
   */
  async beginTerminateHook(id: InstanceId, hooks: StrategyHooks): Promise<boolean> {
    const settings = this.lifecycleHooks;
    const m = this.meta.get(id);
    if (settings === undefined || m === undefined || !this.isAlive(id) || m.terminating !== undefined) return m?.terminating !== undefined;
    const token = this.nextToken();
    const until = this.current + settings.heartbeatTimeoutSeconds * 1000;
    m.terminating = { token, until };
    this.queue.push(until, { kind: 'hook-timeout', instanceId: id, token });
    await hooks.onLifecycleHook?.(this, { transition: 'terminate', instanceId: id, groupId: m.groupId, hookName: settings.terminateHook, token, origin: 'AutoScalingGroup', destination: 'EC2' });
    return true;
  }

  /** CompleteLifecycleAction (or the heartbeat timeout's default CONTINUE). Unknown tokens are ignored. */
  async completeLifecycleHook(id: InstanceId, token: string, hooks: StrategyHooks): Promise<void> {
    const m = this.meta.get(id);
    if (m === undefined) return;
    if (m.launching?.token === token) {
      m.launching = undefined;
      const readyAt = this.pendingReady.get(id);
      if (readyAt !== undefined && readyAt <= this.current) await this.markReady(id, this.current, hooks);
    } else if (m.terminating?.token === token) {
      await this.terminate(id, hooks, 'api');
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
  async expireLifecycleHook(id: InstanceId, token: string, hooks: StrategyHooks): Promise<void> {
    const m = this.meta.get(id);
    const hook = m?.launching?.token === token ? m.launching : m?.terminating?.token === token ? m.terminating : undefined;
    if (hook === undefined || hook.until > this.current) return;
    await this.completeLifecycleHook(id, token, hooks);
  }

  // ------------------------------------------------------------------ losing instances

  /** Terminates an instance now (reclaim, scale-in, a strategy's or a handler's call). */
  async terminate(id: InstanceId, hooks: StrategyHooks, why: 'reclaim' | 'scale-in' | 'warm pool shrink' | 'drained' | 'api'): Promise<void> {
    if (!this.isAlive(id)) return;
    const m = this.meta.get(id);
    if (m) {
      m.terminating = undefined;
      m.launching = undefined;
      // Auto Scaling learns of a reclaim at its next health check; a termination it made or was asked for, at once.
      m.goneAt = why === 'reclaim' ? this.current : this.current - this.params.timings.asgDetectionSeconds * 1000;
      m.readyAt = undefined;
    }
    await this.setState(id, 'terminated', hooks);
    if (why === 'reclaim') {
      // Workloads that moved off this instance ahead of its reclaim were still interrupted by it.
      for (const e of this.episodes) if (e.fromHost === id && e.kind === 'move') e.kind = 'spot';
    }
    this.loseHost(id);
    if (m?.replacementLaunched) {
      // The replacement is already counted in desired capacity: drop the victim's slot (detach with decrement).
      const g = this.cloud.group(m.groupId);
      if (g && g.desiredCapacity > g.minSize) this.cloud.putGroup({ ...g, desiredCapacity: g.desiredCapacity - 1 });
      m.replacementLaunched = false;
    }
  }

  /** The workloads on a lost instance lose their host (an outage unless a successor is already serving). */
  loseHost(id: InstanceId): void {
    for (const w of this.workloads) {
      if (w.overlapHost === id) {
        w.overlapHost = undefined;
        w.overlapUntil = undefined;
      }
      if (w.next === id) w.next = undefined;
      if (w.host !== id) continue;
      w.host = undefined;
      w.startedAt = undefined;
      w.lostAt = this.current;
      const m = this.meta.get(id);
      this.openEpisode(w, m?.voluntary ? 'voluntary' : m?.doomedAt !== undefined ? 'spot' : 'move', id);
    }
  }

  private openEpisode(w: SimWorkload, kind: EpisodeKind, fromHost: InstanceId | undefined): void {
    if (w.episode !== undefined) return;
    w.episode = { kind, workloadId: w.id, groupId: w.groupId, start: this.current, unservedVcpuMinutes: 0, unservedGibMinutes: 0, ...(fromHost !== undefined ? { fromHost } : {}) };
    this.episodes.push(w.episode);
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

  // ------------------------------------------------------------------ strategies' levers

  /** Launches a replacement for `victim` in its group now (desired + 1); the victim's slot goes when it does. */
  async launchReplacementFor(victim: InstanceId, hooks: StrategyHooks): Promise<void> {
    const m = this.meta.get(victim);
    if (m === undefined || m.replacementLaunched || !this.isAlive(victim)) return;
    const g = this.cloud.group(m.groupId);
    if (g === undefined || g.desiredCapacity + 1 > g.maxSize) return;
    this.buckets.mutating.take(this.current);
    this.cloud.putGroup({ ...g, desiredCapacity: g.desiredCapacity + 1 });
    m.replacementLaunched = true;
    await this.reconcile(hooks);
  }

  /** Asks the application to move the instance's workload away; the instance is terminated once vacated. */
  drain(id: InstanceId): void {
    const m = this.meta.get(id);
    if (m) m.draining = true;
  }

  /** Voluntary disruption bookkeeping: counts a budget violation when the group's budget had no room. */
  recordVoluntaryDisruption(id: InstanceId): void {
    const i = this.byId.get(id);
    const m = this.meta.get(id);
    if (i === undefined || m === undefined || m.voluntary) return;
    const policy = this.policies.get(i.groupId);
    const inFlight = this.voluntaryInFlight(i.groupId);
    const size = this.instances().filter((x) => x.groupId === i.groupId && !x.warm && (x.state === 'running' || x.state === 'pending')).length;
    const allowed = policy ? allowedDisruptions(policy.disruptionBudget, size) : 0;
    if (inFlight + 1 > allowed) this.totals.budgetViolations += 1;
    m.voluntary = true;
    this.totals.voluntaryInterruptions += 1;
  }

  /** Voluntary disruptions of a group whose workload has not recovered yet. */
  voluntaryInFlight(groupId: GroupId): number {
    return this.episodes.filter((e) => e.kind === 'voluntary' && e.groupId === groupId && e.end === undefined).length
      + [...this.meta.values()].filter((m) => m.groupId === groupId && m.voluntary && this.isAlive(m.id)).length;
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
      if (m === undefined || m.doomedAt !== undefined || m.draining || m.voluntary || m.terminating !== undefined) return false;
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
  async markReady(id: InstanceId, at: number, hooks: StrategyHooks): Promise<void> {
    const i = this.byId.get(id);
    const m = this.meta.get(id);
    if (i === undefined || m === undefined || i.state !== 'pending') {
      this.pendingReady.delete(id);
      return;
    }
    if (m.launching !== undefined) {
      // Still in Pending:Wait: ready once the launch hook is completed (or times out).
      this.pendingReady.set(id, Math.max(at, m.launching.until));
      return;
    }
    this.pendingReady.delete(id);
    await this.setState(id, 'running', hooks);
    if (!this.byId.get(id)?.warm) m.readyAt = at;
  }

  async placeWorkloads(hooks: StrategyHooks): Promise<void> {
    for (const w of this.workloads) {
      if (this.needsHost(w)) {
        const candidates = this.freeHosts(w);
        if (candidates.length > 0) {
          const covers = (i: ManagedInstance): boolean => {
            const r = this.spec(i.id).resources;
            return r.vcpu + EPS >= w.home.vcpu && r.memoryGiB + EPS >= w.home.memoryGiB;
          };
          candidates.sort((a, b) => Number(covers(b)) - Number(covers(a)) || this.readyTime(a.id) - this.readyTime(b.id) || this.spec(a.id).resources.vcpu - this.spec(b.id).resources.vcpu || a.id.localeCompare(b.id));
          w.next = candidates[0]?.id;
        }
      } else if (w.next === undefined && w.host !== undefined && this.instance(w.host)?.groupId !== w.groupId && w.startedAt !== undefined) {
        // On a standby instance: back to the primary group once the post-restart window has passed.
        const window = (this.policies.get(w.groupId)?.postRestartWindowMinutes ?? 30) * 60_000;
        if (this.current - w.startedAt >= window) {
          const home = this.instances().filter((i) => i.groupId === w.groupId && this.isServing(i.id) && this.isIdle(i.id) && this.meta.get(i.id)?.doomedAt === undefined && !this.meta.get(i.id)?.draining);
          home.sort((a, b) => a.id.localeCompare(b.id));
          if (home[0]) w.next = home[0].id;
        }
      }
      if (w.next !== undefined && this.isServing(w.next)) await this.switchHost(w, hooks);
    }
  }

  private async switchHost(w: SimWorkload, hooks: StrategyHooks): Promise<void> {
    const next = w.next as InstanceId;
    const old = w.host;
    w.next = undefined;
    if (old !== undefined && this.isServing(old)) {
      // Graceful: the old instance keeps serving beside the new one while it warms up.
      const m = this.meta.get(old);
      this.openEpisode(w, m?.voluntary ? 'voluntary' : m?.doomedAt !== undefined ? 'spot' : 'move', old);
      w.overlapHost = old;
      w.overlapUntil = this.current + this.params.handoverOverlapMinutes * 60_000;
      w.downtimeMinutes = 0;
    } else {
      w.downtimeMinutes = w.lostAt !== undefined ? (this.current - w.lostAt) / 60_000 : 0;
    }
    w.host = next;
    w.startedAt = this.current;
    w.lostAt = undefined;
    await hooks.onEvent?.(this, 'workload-moved', { workloadId: w.id, from: old, to: next });
  }

  /** Ends overlaps that are over and retires vacated instances that were draining. */
  async settleOverlaps(hooks: StrategyHooks): Promise<void> {
    for (const w of this.workloads) {
      if (w.overlapHost !== undefined && (w.overlapUntil ?? 0) <= this.current) {
        const old = w.overlapHost;
        w.overlapHost = undefined;
        w.overlapUntil = undefined;
        const m = this.meta.get(old);
        if (m?.draining) {
          // Vacated after a rebalance-driven move: terminate it, its slot already has the replacement.
          await this.terminate(old, hooks, 'drained');
        }
      }
    }
    for (const m of this.meta.values()) {
      if (m.draining && this.isAlive(m.id) && this.isIdle(m.id) && !this.instance(m.id)?.warm) await this.terminate(m.id, hooks, 'drained');
    }
  }

  /** The standby group's scaling policy: scale in members idle for `standbyIdleScaleInMinutes`. */
  async scaleInIdleStandby(hooks: StrategyHooks): Promise<void> {
    for (const g of this.cloud.allGroups()) {
      if (!g.warmPool) continue;
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
        if (this.current - m.idleSince >= this.params.standbyIdleScaleInMinutes * 60_000) shrink += 1;
      }
      if (shrink > 0 && g.desiredCapacity - shrink >= g.minSize) {
        this.buckets.mutating.take(this.current);
        this.cloud.putGroup({ ...g, desiredCapacity: g.desiredCapacity - shrink });
        await this.reconcile(hooks);
      }
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
    return {
      vcpu: baseCpu * warmUpMultiplier(model, 'cpu', tau) + catchUpVcpu(model, baseCpu, w.downtimeMinutes, tau),
      memoryGiB: baseMem * warmUpMultiplier(model, 'memory', tau),
    };
  }

  /** Serving capacity of a workload now: its host if serving, plus the overlapping old host. */
  workloadCapacity(w: SimWorkload): { vcpu: number; memoryGiB: number } {
    let vcpu = 0;
    let memoryGiB = 0;
    for (const id of [w.host, w.overlapHost]) {
      if (id !== undefined && this.isServing(id)) {
        const r = this.spec(id).resources;
        vcpu += r.vcpu;
        memoryGiB += r.memoryGiB;
      }
    }
    return { vcpu, memoryGiB };
  }

  /** Accounts one step [now, now + step): demand, served, unserved, cost, episodes, timeline. */
  accountStep(): void {
    const stepMin = this.params.stepSeconds / 60;
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
        if (!(sV >= -EPS && sV <= c.vcpu + EPS && Math.abs(sV + uV - d.vcpu) < 1e-6)) throw new Error(`invariant: served ${sV} + unserved ${uV} ≠ demand ${d.vcpu} (capacity ${c.vcpu}) for ${w.id} at ${t}`);
      }
      demandV += d.vcpu;
      capV += c.vcpu;
      unservedV += uV;
      servedV += sV;
      this.totals.unservedVcpuMinutes += uV * stepMin;
      this.totals.unservedGibMinutes += uM * stepMin;
      const e = w.episode;
      if (e !== undefined) {
        e.unservedVcpuMinutes += uV * stepMin;
        e.unservedGibMinutes += uM * stepMin;
        const served = w.host !== undefined && this.isServing(w.host) && uV <= EPS && uM <= EPS;
        if (!served) e.fullyServedSince = undefined;
        else {
          e.fullyServedSince ??= t;
          // Recovered once fully served for a whole minute.
          if (t + this.params.stepSeconds * 1000 - e.fullyServedSince >= 60_000) {
            e.end = e.fullyServedSince;
            w.episode = undefined;
          }
        }
      }
    }
    this.totals.demandVcpuMinutes += demandV * stepMin;
    this.totals.servedVcpuMinutes += servedV * stepMin;
    let cost = 0;
    for (const i of this.byId.values()) {
      if (i.state === 'terminated') continue;
      const spec = lookupInstanceType(this.catalog, i.instanceType);
      const billedRunning = i.state === 'running' || i.state === 'pending' || i.state === 'stopping' || i.state === 'shutting-down';
      cost += hourlyCost(spec, i.lifecycle, billedRunning ? 'running' : 'stopped') * (this.params.stepSeconds / 3600);
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
    if (this.workloads.length !== this.sample.workloads.length) throw new Error(`invariant: ${this.workloads.length} workloads, expected ${this.sample.workloads.length}`);
    const claimed = new Map<InstanceId, string>();
    for (const w of this.workloads) {
      for (const id of [w.host, w.next, w.overlapHost]) {
        if (id === undefined) continue;
        const other = claimed.get(id);
        if (other !== undefined) throw new Error(`invariant: instance ${id} claimed by workloads ${other} and ${w.id}`);
        claimed.set(id, w.id);
        if (!this.isAlive(id)) throw new Error(`invariant: workload ${w.id} holds dead instance ${id}`);
      }
      if (w.host !== undefined && w.next === w.host) throw new Error(`invariant: workload ${w.id} has host = next`);
    }
    for (const g of this.cloud.allGroups()) {
      if (g.desiredCapacity < g.minSize || g.desiredCapacity > g.maxSize) throw new Error(`invariant: group ${g.id} desired ${g.desiredCapacity} outside [${g.minSize}, ${g.maxSize}]`);
    }
  }

}
