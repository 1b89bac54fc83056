import type { GroupId, InstanceId, InstanceState, InstanceTypeSpec, ManagedInstance } from '../../core/domain';
import { lookupInstanceType } from '../../core/resources/catalog';
import { SPOT_WARNING_LEAD_SECONDS } from '../../contracts/events';
import { groupLetter, makeInstanceId } from '../sample-fleet';
import type { InstanceMeta, StrategyHooks } from './sim-types';
import type { WorldContext } from './world-context';

/** What the platform needs of the application running on its instances. */
export interface Tenant {
  /** No workload runs on the instance or is moving to it. */
  isIdle(id: InstanceId): boolean;
  /** The instance stopped serving (stopping, shutting down): the workloads on it, or moving to it, lose it. */
  loseHost(id: InstanceId): void;
  /** The cloud reclaimed the instance: workloads that moved off it ahead of the reclaim were interrupted by it all the same. */
  hostReclaimed(id: InstanceId): void;
}

/** Why an instance is terminated. */
export type TerminationCause = 'reclaim' | 'scale-in' | 'warm pool shrink' | 'drained' | 'api' | 'health-check';

/**
 * The EC2 instances of the simulated world. Their state is the in-memory cloud's (the one record of it); what the
 * cloud fake does not keep is kept here per instance (`meta`: when it serves, when it was warned, whether it drains,
 * its lifecycle-hook waits) and in the timed events that move it on.
 *
 * Instance states take time (EC2 User Guide, "Amazon EC2 instance state changes"): pending → running,
 * stopping → stopped (`stopSeconds`), shutting-down → terminated (`terminateSeconds`). A call that needs
 * a state (a retype needs `stopped`) is refused while the state is not reached, and counted in
 * `failedActions`. Every change is told to the strategy as an EC2 state-change notification.
 */
export class SimInstances {
  readonly meta = new Map<InstanceId, InstanceMeta>();
  /** Expected ready time of pending instances (from their 'ready' event). */
  private readonly pendingReady = new Map<InstanceId, number>();
  /** Pool (type@az) → time until which launches into it fail (it was just reclaimed). */
  private readonly exhaustedUntil = new Map<string, number>();
  private readonly nextOrdinal = new Map<GroupId, number>();
  private stateSeq = 0;

  constructor(
    private readonly ctx: WorldContext,
    private readonly tenant: Tenant,
  ) {
    for (const i of ctx.cloud.instanceViews()) {
      this.meta.set(i.id, {
        id: i.id,
        groupId: i.groupId,
        draining: false,
        replacementLaunched: false,
        voluntary: false,
        stateSince: ctx.startAt - 1,
        ...(i.state === 'running' && !i.warm ? { readyAt: ctx.startAt - 1 } : {}),
      });
      const n = this.nextOrdinal.get(i.groupId) ?? 0;
      this.nextOrdinal.set(i.groupId, n + 1);
    }
  }

  private now(): number {
    return this.ctx.clock.now();
  }

  /** An instance as the cloud holds it (the one record of its state: the world keeps no copy). */
  instance(id: InstanceId): ManagedInstance | undefined {
    return this.ctx.cloud.instanceView(id);
  }

  instances(): ManagedInstance[] {
    return [...this.ctx.cloud.instanceViews()];
  }

  spec(id: InstanceId): InstanceTypeSpec {
    const i = this.ctx.cloud.instanceView(id);
    if (i === undefined) throw new Error(`simulator: unknown instance ${id}`);
    return lookupInstanceType(this.ctx.fleet.catalog, i.instanceType);
  }

  isAlive(id: InstanceId): boolean {
    const s = this.ctx.cloud.instanceView(id)?.state;
    return s !== undefined && s !== 'terminated' && s !== 'shutting-down';
  }

  isServing(id: InstanceId): boolean {
    const i = this.ctx.cloud.instanceView(id);
    const m = this.meta.get(id);
    return i !== undefined && i.state === 'running' && !i.warm && m?.readyAt !== undefined && m.readyAt <= this.now();
  }

  /** When the instance serves, or is expected to (a pending one, from its 'ready' event); Infinity when neither. */
  readyTime(id: InstanceId): number {
    const m = this.meta.get(id);
    if (m?.readyAt !== undefined) return m.readyAt;
    return this.pendingReady.get(id) ?? Infinity;
  }

  /** When a pending instance is expected to be ready, if it is. */
  expectedReadyAt(id: InstanceId): number | undefined {
    return this.pendingReady.get(id);
  }

  /** Changes an instance's state in the cloud fake and tells the strategy (EC2 state-change notification). */
  setState(id: InstanceId, state: InstanceState, hooks: StrategyHooks): void {
    const before = this.ctx.cloud.instanceView(id)?.state;
    if (before === undefined || before === state) return;
    // A start from stopped resets EC2's LaunchTime (the time the instance was last launched).
    this.ctx.cloud.setInstanceState(id, state, this.now());
    const m = this.meta.get(id);
    // stopping → stopped is one stretch out of service for the health check.
    if (m && !(before === 'stopping' && state === 'stopped')) m.stateSince = this.now();
    this.ctx.deliveries.notify(hooks, (h, world) => h.onInstanceState?.(world, id, state, before));
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
    this.tenant.loseHost(id);
    const seconds = hibernate ? this.ctx.params.timings.hibernateSeconds : this.ctx.params.timings.stopSeconds;
    this.stateSeq += 1;
    this.ctx.queue.push(this.now() + seconds * 1000, { kind: 'state-reached', instanceId: id, state: 'stopped', seq: this.stateSeq });
  }

  /** A scheduled state change is due (stopping → stopped, shutting-down → terminated). */
  reachState(id: InstanceId, state: 'stopped' | 'terminated', hooks: StrategyHooks): void {
    const i = this.ctx.cloud.instanceView(id);
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
    const policy = this.ctx.fleet.policies.get(groupId);
    this.ctx.cloud.putInstance({
      id,
      groupId,
      instanceType: type,
      availabilityZone: az,
      lifecycle,
      state: 'pending',
      launchedAt: this.now(),
      warm,
      priority: policy?.priority ?? 50,
      jobType: this.ctx.fleet.sample.workloads.find((w) => w.groupId === groupId)?.jobType ?? 'standby',
      tags: { 'spotwise:managed': 'true', 'aws:autoscaling:groupName': groupId },
    });
    this.meta.set(id, { id, groupId, draining: false, replacementLaunched: false, voluntary: false, stateSince: this.now() });
    return id;
  }

  scheduleReady(id: InstanceId, at: number): void {
    this.pendingReady.set(id, at);
    this.ctx.queue.push(at, { kind: 'ready', instanceId: id });
  }

  /** A pending instance became ready (running, application up) at `at`. */
  markReady(id: InstanceId, at: number, hooks: StrategyHooks): void {
    const i = this.ctx.cloud.instanceView(id);
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
    if (!this.ctx.cloud.instanceView(id)?.warm) m.readyAt = at;
  }

  /**
   * Terminates an instance now (reclaim, scale-in, health check, a strategy's call): it is `shutting-down`
   * at once (its workload is gone) and `terminated` `terminateSeconds` later.
   */
  terminate(id: InstanceId, hooks: StrategyHooks, why: TerminationCause): void {
    if (!this.isAlive(id)) return;
    const now = this.now();
    const m = this.meta.get(id);
    if (m) {
      m.terminating = undefined;
      m.launching = undefined;
      this.ctx.cloud.holdInHook(id, undefined);
      // Auto Scaling learns of a reclaim at its next health check; a termination it made or was asked for, at once.
      m.goneAt = why === 'reclaim' ? now : now - this.ctx.params.timings.asgDetectionSeconds * 1000;
      m.readyAt = undefined;
    }
    this.setState(id, 'shutting-down', hooks);
    this.stateSeq += 1;
    this.ctx.queue.push(now + this.ctx.params.timings.terminateSeconds * 1000, {
      kind: 'state-reached',
      instanceId: id,
      state: 'terminated',
      seq: this.stateSeq,
    });
    this.pendingReady.delete(id);
    if (why === 'reclaim') this.tenant.hostReclaimed(id);
    this.tenant.loseHost(id);
  }

  /** A Spot warning: the instance is reclaimed SPOT_WARNING_LEAD_SECONDS later. */
  doom(id: InstanceId): number {
    const m = this.meta.get(id);
    const reclaimAt = this.now() + SPOT_WARNING_LEAD_SECONDS * 1000;
    if (m) m.doomedAt = reclaimAt;
    return reclaimAt;
  }

  /** The running primary instance an event picks (`pick` in [0, 1)), by id order; undefined when none runs. */
  pickRunningPrimary(pick: number): InstanceId | undefined {
    const candidates = this.instances()
      .filter(
        (i) =>
          !this.ctx.fleet.standbyGroups.has(i.groupId) &&
          !i.warm &&
          i.state === 'running' &&
          this.meta.get(i.id)?.doomedAt === undefined &&
          !this.meta.get(i.id)?.detached,
      )
      .map((i) => i.id)
      .sort();
    return candidates[Math.min(candidates.length - 1, Math.floor(pick * candidates.length))];
  }

  /** Sets an instance's `spotwise:priority` tag (an operator's job scheduler tags where it runs its job). */
  tagPriority(id: InstanceId, priority: number): void {
    if (this.ctx.cloud.instanceView(id) === undefined) return;
    this.ctx.cloud.setPriority(id, priority);
  }

  /** Launches into the pool (type@az) fail until `until`: it was just reclaimed. */
  markExhausted(type: string, az: string, until: number): void {
    this.exhaustedUntil.set(poolKey(type, az), until);
  }

  /** Whether a launch into the pool can succeed now. */
  poolOpen(type: string, az: string): boolean {
    return (this.exhaustedUntil.get(poolKey(type, az)) ?? -Infinity) <= this.now();
  }
}

const poolKey = (type: string, az: string): string => `${type}@${az}`;
