import type {
  GroupId, InstanceCatalog, InstanceId, InstanceState, InstanceTypeSpec, ManagedInstance, WarmPoolView,
} from '../../core/domain';
import type { CapacityGateway, GroupDescription, WarmPoolDescription } from '../../ports/capacity-gateway';
import type { Clock } from '../../ports/clock';
import type { InstanceFilter, InstanceGateway } from '../../ports/instance-gateway';
import { CallJournal, CallLog } from './call-log';
import { InMemoryCloudError, InstanceNotStoppedError } from './cloud-errors';

export type CloudOperation = keyof InstanceGateway | keyof CapacityGateway;

/** Calls that change instances, groups, warm pools or lifecycle actions. */
export const CLOUD_MUTATING: ReadonlySet<CloudOperation> = new Set<CloudOperation>([
  'retypeStoppedInstance', 'startInstances', 'stopInstances', 'terminateInstances', 'tagInstances',
  'putWarmPool', 'changeDesiredCapacity', 'completeLifecycleAction', 'recordLifecycleActionHeartbeat', 'terminateInstanceInGroup',
]);

/** An instance as the cloud holds it: the managed view plus its tags. */
export interface CloudInstance extends ManagedInstance {
  readonly tags: Readonly<Record<string, string>>;
}

export interface CloudGroup {
  readonly id: GroupId;
  readonly desiredCapacity: number;
  readonly minSize: number;
  readonly maxSize: number;
  readonly availabilityZones: readonly string[];
  readonly tags: Readonly<Record<string, string>>;
  readonly warmPool?: WarmPoolView;
}

export interface LifecycleActionRecord {
  readonly groupId: GroupId;
  readonly instanceId: InstanceId;
  readonly hookName: string;
  readonly token: string;
  readonly result?: 'CONTINUE' | 'ABANDON';
}

export interface InMemoryCloudState {
  readonly catalog?: readonly InstanceTypeSpec[];
  readonly groups?: readonly CloudGroup[];
  readonly instances?: readonly (ManagedInstance & { readonly tags?: Readonly<Record<string, string>> })[];
}

/**
 * A small simulated EC2 + Auto Scaling that implements InstanceGateway and CapacityGateway.
 *
 * It keeps AWS's refusals that matter to spotwise: the type of a non-stopped instance cannot be changed
 * (IncorrectInstanceState); a Spot instance cannot be stopped or hibernated (Auto Scaling launches Spot
 * as one-time requests: UnsupportedOperation); desired capacity must stay within [min, max]
 * (ValidationError). State changes are instant (stop → stopped, start → running): the simulator that
 * needs pending/stopping phases drives them with `setInstanceState`.
 */
export class InMemoryCloud implements InstanceGateway, CapacityGateway {
  readonly log: CallLog<CloudOperation>;
  /** Lifecycle actions completed, in order (heartbeats are in `heartbeats`). */
  readonly completedLifecycleActions: LifecycleActionRecord[] = [];
  readonly heartbeats: LifecycleActionRecord[] = [];
  private readonly catalog = new Map<string, InstanceTypeSpec>();
  private readonly groups = new Map<GroupId, CloudGroup>();
  private readonly instances = new Map<InstanceId, CloudInstance>();
  private readonly clock: Clock | undefined;

  constructor(state: InMemoryCloudState = {}, opts: { readonly journal?: CallJournal; readonly clock?: Clock } = {}) {
    this.log = new CallLog('cloud', CLOUD_MUTATING, opts.journal);
    this.clock = opts.clock;
    for (const spec of state.catalog ?? []) this.catalog.set(spec.name, spec);
    for (const g of state.groups ?? []) this.putGroup(g);
    for (const i of state.instances ?? []) this.putInstance(i);
  }

  // --- state set-up and inspection (not part of the ports; not recorded) ---

  putGroup(group: CloudGroup): void {
    this.groups.set(group.id, structuredClone(group));
  }

  putInstance(instance: ManagedInstance & { readonly tags?: Readonly<Record<string, string>> }): void {
    this.instances.set(instance.id, { ...instance, tags: { ...(instance.tags ?? {}) } });
  }

  putInstanceType(spec: InstanceTypeSpec): void {
    this.catalog.set(spec.name, spec);
  }

  /** Moves an instance to a state directly (the simulator's interruptions, pending → running, ...). */
  setInstanceState(id: InstanceId, state: InstanceState): void {
    const i = this.mustGet(id, 'setting state');
    this.instances.set(id, { ...i, state });
  }

  /** Moves an instance between a group's warm pool and its in-service instances. */
  setWarm(id: InstanceId, warm: boolean): void {
    const i = this.mustGet(id, 'moving to/from the warm pool');
    this.instances.set(id, { ...i, warm });
  }

  instance(id: InstanceId): CloudInstance | undefined {
    const i = this.instances.get(id);
    return i === undefined ? undefined : { ...i, tags: { ...i.tags } };
  }

  group(id: GroupId): CloudGroup | undefined {
    const g = this.groups.get(id);
    return g === undefined ? undefined : structuredClone(g);
  }

  allInstances(): CloudInstance[] {
    return [...this.instances.values()].map((i) => ({ ...i, tags: { ...i.tags } }));
  }

  allGroups(): CloudGroup[] {
    return [...this.groups.values()].map((g) => structuredClone(g));
  }

  // --- InstanceGateway ---

  /** Terminated instances are left out (spotwise asks only for live ones; AWS keeps them visible ~1 h). */
  async describeInstances(filter: InstanceFilter): Promise<ManagedInstance[]> {
    this.log.record('describeInstances', [filter]);
    const ids = filter.instanceIds === undefined ? undefined : new Set<string>(filter.instanceIds);
    const groups = filter.groupIds === undefined ? undefined : new Set<string>(filter.groupIds);
    return [...this.instances.values()]
      .filter((i) => i.state !== 'terminated')
      .filter((i) => ids === undefined || ids.has(i.id))
      .filter((i) => groups === undefined || groups.has(i.groupId))
      .filter((i) => filter.tag === undefined || i.tags[filter.tag.key] === filter.tag.value)
      .map(({ tags: _tags, ...managed }) => managed);
  }

  /** Types the catalog does not know are left out (the caller decides whether that is fatal). */
  async describeInstanceTypes(names: readonly string[]): Promise<InstanceCatalog> {
    this.log.record('describeInstanceTypes', [names]);
    const out = new Map<string, InstanceTypeSpec>();
    for (const n of names) {
      const spec = this.catalog.get(n);
      if (spec !== undefined) out.set(n, spec);
    }
    return out;
  }

  async retypeStoppedInstance(id: InstanceId, instanceType: string): Promise<void> {
    this.log.record('retypeStoppedInstance', [id, instanceType]);
    const i = this.mustGet(id, `changing the type to ${instanceType}`);
    if (i.state !== 'stopped') throw new InstanceNotStoppedError(id, i.state);
    if (!this.catalog.has(instanceType)) {
      throw new InMemoryCloudError('InvalidParameterValue', `changing the type of ${id}: unknown instance type ${JSON.stringify(instanceType)}`);
    }
    this.instances.set(id, { ...i, instanceType });
  }

  async startInstances(ids: readonly InstanceId[]): Promise<void> {
    this.log.record('startInstances', [ids]);
    const found = ids.map((id) => this.mustGet(id, 'starting'));
    for (const i of found) {
      if (i.state !== 'stopped' && i.state !== 'running' && i.state !== 'pending') {
        throw new InMemoryCloudError('IncorrectInstanceState', `starting ${i.id}: the instance is ${i.state}`);
      }
    }
    for (const i of found) {
      if (i.state === 'stopped') this.instances.set(i.id, { ...i, state: 'running', launchedAt: this.clock?.now() ?? i.launchedAt });
    }
  }

  async stopInstances(ids: readonly InstanceId[], options: { readonly hibernate?: boolean } = {}): Promise<void> {
    this.log.record('stopInstances', [ids, options]);
    const found = ids.map((id) => this.mustGet(id, options.hibernate ? 'hibernating' : 'stopping'));
    for (const i of found) {
      if (i.lifecycle === 'spot') {
        throw new InMemoryCloudError('UnsupportedOperation', `stopping ${i.id}: a Spot instance launched by Auto Scaling cannot be stopped or hibernated`);
      }
      if (i.state === 'terminated' || i.state === 'shutting-down') {
        throw new InMemoryCloudError('IncorrectInstanceState', `stopping ${i.id}: the instance is ${i.state}`);
      }
    }
    for (const i of found) this.instances.set(i.id, { ...i, state: 'stopped' });
  }

  async terminateInstances(ids: readonly InstanceId[]): Promise<void> {
    this.log.record('terminateInstances', [ids]);
    const found = ids.map((id) => this.mustGet(id, 'terminating'));
    for (const i of found) this.instances.set(i.id, { ...i, state: 'terminated' });
  }

  async tagInstances(ids: readonly InstanceId[], tags: Readonly<Record<string, string>>): Promise<void> {
    this.log.record('tagInstances', [ids, tags]);
    const found = ids.map((id) => this.mustGet(id, 'tagging'));
    for (const i of found) this.instances.set(i.id, { ...i, tags: { ...i.tags, ...tags } });
  }

  // --- CapacityGateway ---

  /** Unknown group names are left out, as DescribeAutoScalingGroups does. Warm-pool instances are not listed. */
  async describeGroups(ids: readonly GroupId[]): Promise<GroupDescription[]> {
    this.log.record('describeGroups', [ids]);
    return ids.flatMap((id) => {
      const g = this.groups.get(id);
      if (g === undefined) return [];
      const members = [...this.instances.values()].filter((i) => i.groupId === id && !i.warm && i.state !== 'terminated');
      return [{
        id: g.id,
        desiredCapacity: g.desiredCapacity,
        minSize: g.minSize,
        maxSize: g.maxSize,
        availabilityZones: [...g.availabilityZones],
        tags: { ...g.tags },
        instances: members.map((i) => ({ id: i.id, instanceType: i.instanceType, availabilityZone: i.availabilityZone, lifecycle: i.lifecycle, warm: false })),
      }];
    });
  }

  async findGroupOfInstance(id: InstanceId): Promise<GroupId | undefined> {
    this.log.record('findGroupOfInstance', [id]);
    const i = this.instances.get(id);
    if (i === undefined || i.state === 'terminated' || !this.groups.has(i.groupId)) return undefined;
    return i.groupId;
  }

  async describeWarmPool(id: GroupId): Promise<WarmPoolDescription | undefined> {
    this.log.record('describeWarmPool', [id]);
    const g = this.groups.get(id);
    if (g?.warmPool === undefined) return undefined;
    const warm = [...this.instances.values()].filter((i) => i.groupId === id && i.warm && i.state !== 'terminated');
    return {
      ...g.warmPool,
      instances: warm.map((i) => ({
        id: i.id,
        instanceType: i.instanceType,
        availabilityZone: i.availabilityZone,
        // Auto Scaling's warm-pool lifecycle states (Warmed:Stopped, Warmed:Running, ...).
        lifecycleState: `Warmed:${i.state === 'stopped' ? 'Stopped' : i.state === 'running' ? 'Running' : 'Pending'}`,
      })),
    };
  }

  async putWarmPool(id: GroupId, warmPool: WarmPoolView): Promise<void> {
    this.log.record('putWarmPool', [id, warmPool]);
    const g = this.mustGetGroup(id, 'putting the warm pool');
    if (!Number.isInteger(warmPool.minSize) || warmPool.minSize < 0) {
      throw new InMemoryCloudError('ValidationError', `putting the warm pool of ${id}: minSize must be a non-negative integer (got ${warmPool.minSize})`);
    }
    if (!Number.isInteger(warmPool.maxGroupPreparedCapacity) || warmPool.maxGroupPreparedCapacity < -1) {
      throw new InMemoryCloudError('ValidationError', `putting the warm pool of ${id}: maxGroupPreparedCapacity must be an integer ≥ -1 (got ${warmPool.maxGroupPreparedCapacity})`);
    }
    this.groups.set(id, { ...g, warmPool: { ...warmPool } });
  }

  /** ExecutePolicy of the +1 scale-out policy `by` times: applied to the desired capacity as it is then, clamped to [min, max]. */
  async changeDesiredCapacity(id: GroupId, by: number): Promise<void> {
    this.log.record('changeDesiredCapacity', [id, by]);
    this.mustGetGroup(id, 'raising desired capacity');
    if (!Number.isInteger(by) || by < 0) throw new InMemoryCloudError('ValidationError', `raising desired capacity of ${id} by ${by}: must be an integer ≥ 0`);
    // Each execution is its own call: another writer may act between them.
    for (let k = 0; k < by; k++) {
      await Promise.resolve();
      const now = this.mustGetGroup(id, 'raising desired capacity');
      this.groups.set(id, { ...now, desiredCapacity: Math.min(now.maxSize, now.desiredCapacity + 1) });
    }
  }

  async completeLifecycleAction(input: { readonly groupId: GroupId; readonly instanceId: InstanceId; readonly hookName: string; readonly token: string; readonly result: 'CONTINUE' | 'ABANDON' }): Promise<void> {
    this.log.record('completeLifecycleAction', [input]);
    this.mustGetGroup(input.groupId, `completing lifecycle action ${input.hookName}`);
    this.completedLifecycleActions.push({ ...input });
  }

  async recordLifecycleActionHeartbeat(input: { readonly groupId: GroupId; readonly instanceId: InstanceId; readonly hookName: string; readonly token: string }): Promise<void> {
    this.log.record('recordLifecycleActionHeartbeat', [input]);
    this.mustGetGroup(input.groupId, `recording a heartbeat for ${input.hookName}`);
    this.heartbeats.push({ ...input });
  }

  async terminateInstanceInGroup(id: InstanceId, options: { readonly decrementDesiredCapacity: boolean }): Promise<void> {
    this.log.record('terminateInstanceInGroup', [id, options]);
    const i = this.mustGet(id, 'terminating in its group');
    const g = this.mustGetGroup(i.groupId, `terminating ${id} in its group`);
    if (options.decrementDesiredCapacity) {
      if (g.desiredCapacity - 1 < g.minSize) {
        throw new InMemoryCloudError('ValidationError', `terminating ${id} and decrementing ${g.id}: desired capacity ${g.desiredCapacity - 1} would be below min size ${g.minSize}`);
      }
      this.groups.set(g.id, { ...g, desiredCapacity: g.desiredCapacity - 1 });
    }
    this.instances.set(id, { ...i, state: 'terminated' });
  }

  private mustGet(id: InstanceId, doing: string): CloudInstance {
    const i = this.instances.get(id);
    if (i === undefined) throw new InMemoryCloudError('InvalidInstanceID.NotFound', `${doing} ${id}: no such instance`);
    return i;
  }

  private mustGetGroup(id: GroupId, doing: string): CloudGroup {
    const g = this.groups.get(id);
    if (g === undefined) throw new InMemoryCloudError('ValidationError', `${doing}: no Auto Scaling group named ${JSON.stringify(id)}`);
    return g;
  }
}

InMemoryCloud satisfies new (state?: InMemoryCloudState) => InstanceGateway & CapacityGateway;
