import type { GroupId, InstanceCatalog, InstanceId, ManagedInstance, WarmPoolView } from '../../core/domain';
import type { CapacityGateway, GroupDescription, WarmPoolDescription } from '../../ports/capacity-gateway';
import type { InstanceFilter, InstanceGateway } from '../../ports/instance-gateway';
import type { SimWorld, StrategyHooks } from './sim-world';

/**
 * The EC2 and Auto Scaling ports as spotwise's handlers see them inside the simulator. Every call goes to
 * the in-memory cloud fake (which keeps AWS's refusals: retyping a running instance, stopping Spot,
 * desired capacity outside [min, max]) and is charged to EC2's token buckets (throttled calls take
 * effect when the bucket allows, as with the SDK's adaptive retry); then the world applies what takes
 * time — starts become ready after the warm-start delay, desired-capacity changes launch or scale in,
 * terminations take the instance's workload with them.
 *
 * A call that stops or terminates an instance still serving a workload is a *voluntary disruption*:
 * the world checks it against the group's disruption budget (a violation is counted, never prevented —
 * the simulator measures, the handlers must decide).
 */
export class SimulatedCloud implements InstanceGateway, CapacityGateway {
  constructor(
    private readonly world: SimWorld,
    private readonly hooks: () => StrategyHooks,
  ) {}

  private describe(): void {
    this.world.buckets.describe.take(this.world.now());
  }

  private mutate(): number {
    return this.world.buckets.mutating.take(this.world.now());
  }

  async describeInstances(filter: InstanceFilter): Promise<ManagedInstance[]> {
    this.describe();
    return this.world.cloud.describeInstances(filter);
  }

  async describeInstanceTypes(names: readonly string[]): Promise<InstanceCatalog> {
    this.describe();
    return this.world.cloud.describeInstanceTypes(names);
  }

  async retypeStoppedInstance(id: InstanceId, instanceType: string): Promise<void> {
    this.mutate();
    await this.world.cloud.retypeStoppedInstance(id, instanceType);
    this.world.refresh(id);
  }

  async startInstances(ids: readonly InstanceId[]): Promise<void> {
    const at = this.world.buckets.launch.take(this.world.now());
    const before = ids.map((id) => this.world.instance(id));
    await this.world.cloud.startInstances(ids);
    for (const [k, id] of ids.entries()) {
      const was = before[k];
      if (was?.state !== 'stopped') continue;
      // The fake starts instantly; the world adds the boot time of an initialised, stopped instance.
      this.world.cloud.setInstanceState(id, 'stopped');
      this.world.refresh(id);
      await this.world.setState(id, 'pending', this.hooks());
      this.world.scheduleReady(id, at + this.world.params.timings.warmStoppedSeconds * 1000);
    }
  }

  async stopInstances(ids: readonly InstanceId[], options?: { readonly hibernate?: boolean }): Promise<void> {
    this.mutate();
    const before = ids.map((id) => this.world.instance(id));
    this.noteVoluntary(ids);
    await this.world.cloud.stopInstances(ids, options);
    for (const [k, id] of ids.entries()) {
      const was = before[k];
      if (was === undefined) continue;
      this.world.cloud.setInstanceState(id, was.state);
      this.world.refresh(id);
      const m = this.world.meta.get(id);
      if (m) m.readyAt = undefined;
      await this.world.setState(id, 'stopped', this.hooks());
      this.world.loseHost(id);
    }
  }

  async terminateInstances(ids: readonly InstanceId[]): Promise<void> {
    this.mutate();
    this.noteVoluntary(ids);
    for (const id of ids) if (this.world.instance(id) === undefined) await this.world.cloud.terminateInstances([id]); // unknown id: the fake's error
    for (const id of ids) await this.world.terminate(id, this.hooks(), 'api');
  }

  async tagInstances(ids: readonly InstanceId[], tags: Readonly<Record<string, string>>): Promise<void> {
    this.mutate();
    await this.world.cloud.tagInstances(ids, tags);
  }

  async describeGroups(ids: readonly GroupId[]): Promise<GroupDescription[]> {
    this.describe();
    return this.world.cloud.describeGroups(ids);
  }

  async findGroupOfInstance(id: InstanceId): Promise<GroupId | undefined> {
    this.describe();
    return this.world.cloud.findGroupOfInstance(id);
  }

  async describeWarmPool(id: GroupId): Promise<WarmPoolDescription | undefined> {
    this.describe();
    return this.world.cloud.describeWarmPool(id);
  }

  async putWarmPool(id: GroupId, warmPool: WarmPoolView): Promise<void> {
    this.mutate();
    await this.world.cloud.putWarmPool(id, warmPool);
    await this.world.reconcile(this.hooks());
  }

  async setDesiredCapacity(id: GroupId, desiredCapacity: number): Promise<void> {
    this.mutate();
    await this.world.cloud.setDesiredCapacity(id, desiredCapacity);
    await this.world.reconcile(this.hooks());
  }

  async completeLifecycleAction(input: Parameters<CapacityGateway['completeLifecycleAction']>[0]): Promise<void> {
    this.mutate();
    await this.world.cloud.completeLifecycleAction(input);
    await this.world.completeLifecycleHook(input.instanceId, input.token, this.hooks());
  }

  async recordLifecycleActionHeartbeat(input: Parameters<CapacityGateway['recordLifecycleActionHeartbeat']>[0]): Promise<void> {
    this.mutate();
    await this.world.cloud.recordLifecycleActionHeartbeat(input);
    this.world.heartbeatLifecycleHook(input.instanceId, input.token);
  }

  /**
   * With a terminate lifecycle hook the instance first waits in Terminating:Wait (and spotwise hears of
   * it); it goes when the hook is completed. Without one it goes at once. Either way Auto Scaling launches
   * a replacement unless desired capacity was decremented.
   */
  async terminateInstanceInGroup(id: InstanceId, options: { readonly decrementDesiredCapacity: boolean }): Promise<void> {
    this.mutate();
    const i = this.world.instance(id);
    const g = i === undefined ? undefined : this.world.cloud.group(i.groupId);
    if (i === undefined || g === undefined || !this.world.isAlive(id) || this.world.lifecycleHooks === undefined) {
      this.noteVoluntary([id]);
      await this.world.cloud.terminateInstanceInGroup(id, options); // the fake's refusals (unknown id, below min size)
      await this.world.terminate(id, this.hooks(), 'api');
    } else {
      if (options.decrementDesiredCapacity) {
        if (g.desiredCapacity - 1 < g.minSize) await this.world.cloud.terminateInstanceInGroup(id, options); // refuses, naming the sizes
        this.world.cloud.putGroup({ ...g, desiredCapacity: g.desiredCapacity - 1 });
      }
      this.noteVoluntary([id]);
      await this.world.beginTerminateHook(id, this.hooks());
    }
    await this.world.reconcile(this.hooks());
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
