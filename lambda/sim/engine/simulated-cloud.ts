import type { GroupId, InstanceCatalog, InstanceId, InstanceState, ManagedInstance, WarmPoolView } from '../../core/domain';
import type { CapacityGateway, GroupDescription, WarmPoolDescription } from '../../ports/capacity-gateway';
import type { InstanceFilter, InstanceGateway } from '../../ports/instance-gateway';
import { InMemoryCloudError, LifecycleActionNotActiveError } from '../memory';
import { monitoringOf, type StrategyHooks } from './sim-types';
import type { SimWorld } from './sim-world';

type Bucket = 'launch' | 'mutating' | 'describe';

/**
 * The EC2 and Auto Scaling APIs as every strategy sees them inside the simulator (spotwise's handlers
 * through their ports, the baselines directly). Each call:
 * - takes a token from EC2's bucket for its kind (DESIGN.md §1) and, when throttled, waits in simulated
 *   time until the bucket allows it (the SDK's adaptive retry), so the caller is delayed, not failed;
 * - is checked by the in-memory cloud fake, which keeps AWS's refusals (retyping an instance that is not
 *   `stopped`, starting one that is `stopping`, stopping Spot, desired capacity outside [min, max]); a
 *   refusal is counted in the world's `failedActions` and thrown to the caller, never silently fixed;
 * - then the world applies what takes time: a stop leaves the instance `stopping` for tens of seconds, a
 *   start becomes ready after the warm-start delay, desired-capacity changes launch or scale in (in the scaling
 *   activity the step's reconcile starts, after the step's calls: see changeDesiredCapacity).
 * Reads and writes of desired capacity and warm pools are recorded per delivery, so a write computed from
 * a value another writer changed since is counted as stale.
 *
 * Stopping or terminating an instance that serves a workload (not already being reclaimed) is a voluntary
 * disruption: the world checks it against the group's disruption budget (a violation is counted, never
 * prevented — the simulator measures, the strategies decide).
 */
export class SimulatedCloud implements InstanceGateway, CapacityGateway {
  constructor(
    private readonly world: SimWorld,
    private readonly hooks: () => StrategyHooks,
  ) {}

  /** Takes a token and waits until the call goes through; returns that time. */
  private async call(bucket: Bucket): Promise<number> {
    const at = this.world.buckets[bucket].take(this.world.now());
    if (at > this.world.now()) await this.world.waitUntil(at);
    return at;
  }

  /** Runs the fake's check; a refusal is counted as a failed action and rethrown. */
  private async checked<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof InMemoryCloudError) this.world.totals.failedActions += 1;
      throw error;
    }
  }

  async describeInstances(filter: InstanceFilter): Promise<ManagedInstance[]> {
    await this.call('describe');
    const found = await this.world.cloud.describeInstances(filter);
    // Monitoring.State as the launch templates set it (WorldParams.monitoring).
    const detailedMonitoring = monitoringOf(this.world.params) === 'detailed';
    return found.map((i) => ({ ...i, detailedMonitoring }));
  }

  async describeInstanceTypes(names: readonly string[]): Promise<InstanceCatalog> {
    await this.call('describe');
    return this.world.cloud.describeInstanceTypes(names);
  }

  /**
   * Runs a fake call that changes instance states at once where the world makes the change itself, in time (a start
   * boots, a stop shuts down, a termination shuts down): the states are put back as they were before another delivery
   * can read them. Returns the states as they were. They are not put back again once the call returns: by then another
   * delivery may have changed them for good (terminated the instance, say).
   */
  private async keepingStates(ids: readonly InstanceId[], run: () => Promise<void>): Promise<ReadonlyMap<InstanceId, InstanceState>> {
    const before = new Map<InstanceId, InstanceState>();
    for (const id of ids) {
      const state = this.world.instance(id)?.state;
      if (state !== undefined) before.set(id, state);
    }
    // The fake makes its changes before its first await: putting the states back right after the call starts leaves no gap.
    const call = this.checked(run);
    for (const [id, state] of before) this.world.cloud.setInstanceState(id, state);
    await call;
    return before;
  }

  async retypeStoppedInstance(id: InstanceId, instanceType: string): Promise<void> {
    await this.call('mutating');
    await this.checked(() => this.world.cloud.retypeStoppedInstance(id, instanceType));
  }

  async startInstances(ids: readonly InstanceId[]): Promise<void> {
    const at = await this.call('launch');
    const before = await this.keepingStates(ids, () => this.world.cloud.startInstances(ids));
    for (const id of ids) {
      // Another delivery may have terminated it while the call was under way: a start does not bring it back.
      if (before.get(id) !== 'stopped' || this.world.instance(id)?.state !== 'stopped') continue;
      // The fake starts at once; the world adds the boot time of an initialised, stopped instance.
      this.world.setState(id, 'pending', this.hooks());
      this.world.scheduleReady(id, at + this.world.params.timings.warmStoppedSeconds * 1000);
    }
  }

  async stopInstances(ids: readonly InstanceId[], options?: { readonly hibernate?: boolean }): Promise<void> {
    await this.call('mutating');
    // The fake stops at once; the world keeps the instance `stopping` until its stop completes.
    const before = await this.keepingStates(ids, () => this.world.cloud.stopInstances(ids, options));
    this.noteVoluntary(ids);
    for (const id of ids) {
      const was = before.get(id);
      if (was === undefined || was === 'stopped' || was === 'stopping') continue;
      this.world.beginStop(id, options?.hibernate === true, this.hooks());
    }
  }

  async terminateInstances(ids: readonly InstanceId[]): Promise<void> {
    await this.call('mutating');
    for (const id of ids) if (this.world.instance(id) === undefined) await this.checked(() => this.world.cloud.terminateInstances([id])); // unknown id: the fake's error
    this.noteVoluntary(ids);
    for (const id of ids) this.world.terminate(id, this.hooks(), 'api');
  }

  async tagInstances(ids: readonly InstanceId[], tags: Readonly<Record<string, string>>): Promise<void> {
    await this.call('mutating');
    await this.checked(() => this.world.cloud.tagInstances(ids, tags));
  }

  async untagInstances(ids: readonly InstanceId[], keys: readonly string[]): Promise<void> {
    await this.call('mutating');
    await this.checked(() => this.world.cloud.untagInstances(ids, keys));
  }

  async describeGroups(ids: readonly GroupId[]): Promise<GroupDescription[]> {
    await this.call('describe');
    const out = await this.world.cloud.describeGroups(ids);
    for (const g of out) this.world.noteRead(g.id, 'desired');
    return out;
  }

  async findGroupOfInstance(id: InstanceId): Promise<GroupId | undefined> {
    await this.call('describe');
    return this.world.cloud.findGroupOfInstance(id);
  }

  async describeWarmPool(id: GroupId): Promise<WarmPoolDescription | undefined> {
    await this.call('describe');
    const out = await this.world.cloud.describeWarmPool(id);
    if (out !== undefined) this.world.noteRead(id, 'warm-pool');
    return out;
  }

  async putWarmPool(id: GroupId, warmPool: WarmPoolView): Promise<void> {
    await this.call('mutating');
    const before = this.world.cloud.group(id)?.warmPool;
    await this.checked(() => this.world.cloud.putWarmPool(id, warmPool));
    this.world.noteWrite(id, 'warm-pool', () => {
      if (JSON.stringify(before) !== JSON.stringify(this.world.cloud.group(id)?.warmPool)) this.world.bumpWarmPoolVersion(id);
    });
    this.world.reconcile(this.hooks());
  }

  async setDesiredCapacity(id: GroupId, desiredCapacity: number): Promise<void> {
    await this.call('mutating');
    const g = this.world.cloud.group(id);
    if (g === undefined || !Number.isInteger(desiredCapacity) || desiredCapacity < g.minSize || desiredCapacity > g.maxSize) {
      this.world.totals.failedActions += 1;
      throw new InMemoryCloudError(
        'ValidationError',
        `setting desired capacity of ${id} to ${desiredCapacity}: ${g === undefined ? 'no such group' : `must be an integer within [${g.minSize}, ${g.maxSize}]`}`,
      );
    }
    // The world's setter writes it and keeps the version every writer is judged against. The scaling activity starts
    // after the step's calls (see changeDesiredCapacity).
    this.world.noteWrite(id, 'desired', () => this.world.setDesired(id, desiredCapacity));
  }

  /**
   * ExecutePolicy on a simple scaling policy (ChangeInCapacity, HonorCooldown false): Auto Scaling applies
   * the adjustment to the desired capacity it holds, so concurrent callers never lose each other's change.
   * Clamped to [min, max] as Auto Scaling does.
   *
   * The call only sets desired capacity: Auto Scaling returns and then *initiates a scaling activity* (the API
   * reference's words; DescribeScalingActivities shows it in progress), so the instances it launches or takes from the
   * warm pool are chosen after the call, not inside it. The world starts that activity once the calls the step's
   * concurrent handlers make have gone through (the step's reconcile, same simulated second): a retype another handler
   * sends right after reaches EC2 before the warm instance is picked, as it would within the seconds an activity takes
   * to start in an account. Until then the simulator picked and started the warm instance inside this call.
   * PutWarmPool, Enter/ExitStandby and TerminateInstanceInAutoScalingGroup still reconcile inside the call.
   */
  async changeDesiredCapacity(id: GroupId, adjustment: number): Promise<void> {
    // One ExecutePolicy call per instance (a +1 simple scaling policy), each through the bucket.
    for (let k = 0; k < Math.max(1, Math.abs(adjustment)); k++) await this.call('mutating');
    const g = this.world.cloud.group(id);
    if (g === undefined) {
      this.world.totals.failedActions += 1;
      throw new InMemoryCloudError('ValidationError', `executing a scaling policy of ${id}: no Auto Scaling group named ${JSON.stringify(id)}`);
    }
    this.world.setDesired(id, Math.min(g.maxSize, Math.max(g.minSize, g.desiredCapacity + adjustment)));
  }

  async completeLifecycleAction(input: Parameters<CapacityGateway['completeLifecycleAction']>[0]): Promise<void> {
    await this.call('mutating');
    await this.checked(async () => this.refuseInactive(input));
    await this.checked(() => this.world.cloud.completeLifecycleAction(input));
    this.world.completeLifecycleHook(input.instanceId, input.token, this.hooks());
  }

  async recordLifecycleActionHeartbeat(input: Parameters<CapacityGateway['recordLifecycleActionHeartbeat']>[0]): Promise<void> {
    await this.call('mutating');
    await this.checked(async () => this.refuseInactive(input));
    await this.checked(() => this.world.cloud.recordLifecycleActionHeartbeat(input));
    this.world.heartbeatLifecycleHook(input.instanceId, input.token);
  }

  /** Auto Scaling's refusal of an action that timed out or was completed (the world's hooks know which are active). */
  private refuseInactive(input: { readonly instanceId: InstanceId; readonly token: string }): void {
    if (!this.world.lifecycleActionActive(input.instanceId, input.token)) throw new LifecycleActionNotActiveError(input.instanceId, input.token);
  }

  /**
   * With a terminate lifecycle hook the instance first waits in Terminating:Wait (and its strategy hears of
   * it); it goes when the hook is completed. Without one it goes at once. Either way Auto Scaling launches
   * a replacement unless desired capacity was decremented.
   */
  async terminateInstanceInGroup(id: InstanceId, options: { readonly decrementDesiredCapacity: boolean }): Promise<void> {
    await this.call('mutating');
    const i = this.world.instance(id);
    const g = i === undefined ? undefined : this.world.cloud.group(i.groupId);
    if (i === undefined || g === undefined || !this.world.isAlive(id)) {
      // The fake's refusals (unknown id, below min size); an instance already shutting down keeps going at the world's pace.
      await this.keepingStates([id], () => this.world.cloud.terminateInstanceInGroup(id, options));
      this.noteVoluntary([id]);
      this.world.terminate(id, this.hooks(), 'api');
    } else {
      if (options.decrementDesiredCapacity) {
        if (g.desiredCapacity - 1 < g.minSize) await this.checked(() => this.world.cloud.terminateInstanceInGroup(id, options)); // refuses, naming the sizes
        this.world.setDesired(g.id, g.desiredCapacity - 1);
      }
      this.noteVoluntary([id]);
      const m = this.world.meta.get(id);
      if (
        !options.decrementDesiredCapacity &&
        this.world.features.maintenancePolicy === 'launch-before-terminate' &&
        m !== undefined &&
        !m.replacementLaunched
      ) {
        // Launch before terminate: the replacement first; the member drains and goes once its workload has moved.
        if (this.world.launchReplacementFor(id, this.hooks())) this.world.markDraining(id);
        else if (!this.world.beginTerminateHook(id, this.hooks())) this.world.terminate(id, this.hooks(), 'api');
      } else {
        if (!options.decrementDesiredCapacity && m !== undefined) m.replaceAfterTermination = true;
        if (!this.world.beginTerminateHook(id, this.hooks())) this.world.terminate(id, this.hooks(), 'api');
      }
    }
    this.world.reconcile(this.hooks());
  }

  /**
   * EnterStandby: the member leaves service (the world neither counts it in service nor health-checks it); with
   * decrement Auto Scaling lowers desired capacity by one and launches nothing. The fake refuses what AWS refuses.
   */
  async enterStandby(groupId: GroupId, id: InstanceId, options: { readonly decrementDesiredCapacity: boolean }): Promise<void> {
    await this.call('mutating');
    await this.standbyChange(groupId, () => this.world.cloud.enterStandby(groupId, id, options));
    const m = this.world.meta.get(id);
    if (m !== undefined) m.standby = true;
    this.world.reconcile(this.hooks());
  }

  /** ExitStandby: the member is back in service and Auto Scaling raises desired capacity by one for it. */
  async exitStandby(groupId: GroupId, id: InstanceId): Promise<void> {
    await this.call('mutating');
    await this.standbyChange(groupId, () => this.world.cloud.exitStandby(groupId, id));
    const m = this.world.meta.get(id);
    if (m !== undefined) m.standby = false;
    this.world.reconcile(this.hooks());
  }

  /** Runs a Standby call on the fake (its refusals counted) and applies its desired-capacity change as Auto Scaling's own write. */
  private async standbyChange(groupId: GroupId, run: () => Promise<void>): Promise<void> {
    const before = this.world.cloud.group(groupId)?.desiredCapacity;
    await this.checked(run);
    const g = this.world.cloud.group(groupId);
    if (g === undefined || before === undefined || g.desiredCapacity === before) return;
    const after = g.desiredCapacity;
    this.world.cloud.putGroup({ ...g, desiredCapacity: before });
    this.world.setDesired(groupId, after);
  }

  /**
   * DetachInstances without decrement: the instance leaves the group (it keeps running until it is reclaimed
   * or terminated) and Auto Scaling launches a replacement at once. A termination handler's "replace now".
   */
  async detachInstance(id: InstanceId): Promise<void> {
    await this.call('mutating');
    if (this.world.instance(id) === undefined) await this.checked(() => this.world.cloud.terminateInstances([id])); // unknown id: the fake's error
    this.world.detach(id, this.hooks());
  }

  /** Stopping or terminating an instance that serves a workload, not already being reclaimed, is voluntary. */
  private noteVoluntary(ids: readonly InstanceId[]): void {
    for (const id of ids) {
      const i = this.world.instance(id);
      const m = this.world.meta.get(id);
      if (i === undefined || m === undefined || i.warm || m.doomedAt !== undefined || !this.world.isAlive(id)) continue;
      if (this.world.workloads.some((w) => w.host === id)) this.world.recordVoluntaryDisruption(id);
    }
  }
}

SimulatedCloud satisfies new (world: SimWorld, hooks: () => StrategyHooks) => InstanceGateway & CapacityGateway;
