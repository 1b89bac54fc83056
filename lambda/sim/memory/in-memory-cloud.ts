import {
  STANDBY_MARK_TAG,
  type GroupId,
  type InstanceCatalog,
  type InstanceId,
  type InstanceState,
  type InstanceTypeSpec,
  type ManagedInstance,
  type WarmPoolView,
} from '../../core/domain';
import type { CapacityGateway, GroupDescription, WarmPoolDescription } from '../../ports/capacity-gateway';
import type { Clock } from '../../ports/clock';
import type { InstanceFilter, InstanceGateway } from '../../ports/instance-gateway';
import { CallJournal, CallLog } from './call-log';
import { InMemoryCloudError, InstanceNotStoppedError, LifecycleActionNotActiveError } from './cloud-errors';

export type CloudOperation = keyof InstanceGateway | keyof CapacityGateway;

/** Calls that change instances, groups, warm pools or lifecycle actions. */
export const CLOUD_MUTATING: ReadonlySet<CloudOperation> = new Set<CloudOperation>([
  'retypeStoppedInstance',
  'startInstances',
  'stopInstances',
  'terminateInstances',
  'tagInstances',
  'untagInstances',
  'putWarmPool',
  'changeDesiredCapacity',
  'completeLifecycleAction',
  'recordLifecycleActionHeartbeat',
  'terminateInstanceInGroup',
  'enterStandby',
  'exitStandby',
]);

/**
 * AWS's asynchronous instance states, for a cloud with a clock: StopInstances leaves the instance `stopping` for
 * `stopSeconds` (a hibernation `hibernateSeconds`), StartInstances leaves it `pending` for `startSeconds`, and an
 * In-Service member (not warm, not in Standby) that has been stopping or stopped for `healthCheckSeconds` fails the
 * EC2 health check: Auto Scaling terminates it and launches a replacement with a new id. In a group a load balancer
 * serves, EnterStandby leaves the member `EnteringStandby` for `deregistrationDelaySeconds` (the target group's
 * deregistration delay, 300 s unless given) while the load balancer drains it; a stop in that time cuts the drain
 * short (counted in `drainsCutShort`: its in-flight requests are lost).
 */
export interface AsyncStateTimings {
  readonly deregistrationDelaySeconds?: number;
  readonly stopSeconds: number;
  readonly hibernateSeconds?: number;
  readonly startSeconds: number;
  readonly healthCheckSeconds: number;
}

/** One EC2 state change, as an `EC2 Instance State-change Notification` would report it. */
export interface StateTransition {
  readonly instanceId: InstanceId;
  readonly state: InstanceState;
  readonly at: number;
}

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
  /** Capacity Rebalancing is on (reported as DescribeAutoScalingGroups' `CapacityRebalance`). */
  readonly capacityRebalance?: boolean;
  /** A load balancer target group is attached (reported as DescribeAutoScalingGroups' `TargetGroupARNs`). */
  readonly loadBalanced?: boolean;
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
 * (ValidationError); EnterStandby / ExitStandby follow Auto Scaling's rules (InService members only, min/max size).
 * By default state changes are instant (stop → stopped, start → running): the simulator that needs pending/stopping
 * phases drives them with `setInstanceState`. With `asyncStates` (and a clock) they take time as in AWS (see
 * AsyncStateTimings): a retype or start of a `stopping` instance is refused, and a stopped In-Service member is
 * replaced by the health check. Every refusal is counted in `refusedCalls`, every replacement in
 * `healthCheckReplacements`; `settle()` applies what is due at the clock's time and returns the state changes.
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
  /** Members in Auto Scaling's Standby lifecycle state. */
  private readonly standby = new Set<InstanceId>();
  /**
   * Members a lifecycle hook holds (Pending:Wait, Terminating:Wait) and whose hook has not been completed yet: set
   * with `holdInHook` by whoever models the hooks (the simulated world; a handler test), reported by
   * DescribeAutoScalingGroups as Auto Scaling reports them.
   */
  private readonly hookWaits = new Map<InstanceId, 'Pending:Wait' | 'Terminating:Wait'>();
  private timings: AsyncStateTimings | undefined;
  /** State changes due later (asynchronous mode): instance → the state it reaches and when. */
  private readonly due = new Map<InstanceId, { readonly state: 'stopped' | 'running'; readonly at: number }>();
  /** When each member left `running` (for the health check). */
  private readonly outOfServiceSince = new Map<InstanceId, number>();
  private readonly unreported: StateTransition[] = [];
  private replacements = 0;
  /** Calls refused as AWS would refuse them (wrong state, size limits, unknown ids, ...). */
  refusedCalls = 0;
  /** Members the EC2 health check found stopped or stopping and Auto Scaling replaced. */
  healthCheckReplacements = 0;
  /** Members a load balancer was still draining (EnteringStandby) when they were stopped: in-flight requests lost. */
  drainsCutShort = 0;
  /** Members EnterStandby moved out of a load balancer, and when its deregistration delay ends (asynchronous mode). */
  private readonly draining = new Map<InstanceId, number>();

  constructor(state: InMemoryCloudState = {}, opts: { readonly journal?: CallJournal; readonly clock?: Clock; readonly asyncStates?: AsyncStateTimings } = {}) {
    this.log = new CallLog('cloud', CLOUD_MUTATING, opts.journal);
    this.clock = opts.clock;
    if (opts.asyncStates !== undefined) this.useAsyncStates(opts.asyncStates);
    for (const spec of state.catalog ?? []) this.catalog.set(spec.name, spec);
    for (const g of state.groups ?? []) this.putGroup(g);
    for (const i of state.instances ?? []) this.putInstance(i);
  }

  // --- state set-up and inspection (not part of the ports; not recorded) ---

  /** Makes state changes take time from now on (needs the clock the cloud was built with). */
  useAsyncStates(timings: AsyncStateTimings): void {
    if (this.clock === undefined) throw new Error('asynchronous instance states need a clock: build the cloud with opts.clock');
    for (const [k, v] of Object.entries(timings)) {
      if (!(typeof v === 'number' && Number.isFinite(v) && v >= 0)) throw new RangeError(`asyncStates.${k} must be a number of seconds ≥ 0 (got ${String(v)})`);
    }
    this.timings = timings;
  }

  /**
   * Auto Scaling's lifecycle state of a (non-warm) member, as DescribeAutoScalingGroups reports it. A member stopped
   * outside Standby stays InService (Auto Scaling sees it only when its health check fails), as in AWS.
   */
  private lifecycleStateOf(i: CloudInstance): string {
    if (this.standby.has(i.id)) return this.isDraining(i.id) ? 'EnteringStandby' : 'Standby';
    const wait = this.hookWaits.get(i.id);
    if (wait !== undefined && (i.state === 'pending' || i.state === 'running')) return wait;
    if (i.state === 'pending') return 'Pending';
    if (i.state === 'shutting-down') return 'Terminating';
    return 'InService';
  }

  /**
   * A lifecycle hook holds the member (`Pending:Wait` on a launch, `Terminating:Wait` on a termination: still running
   * in EC2), or no longer does (undefined: the hook was completed or timed out). Not an API call; not recorded.
   */
  holdInHook(id: InstanceId, wait: 'Pending:Wait' | 'Terminating:Wait' | undefined): void {
    if (wait === undefined) this.hookWaits.delete(id);
    else this.hookWaits.set(id, wait);
  }

  /** Whether a load balancer is still draining the member after its EnterStandby (its lifecycle state EnteringStandby). */
  isDraining(id: InstanceId): boolean {
    const until = this.draining.get(id);
    return until !== undefined && this.now() < until;
  }

  /** Whether the member is in Auto Scaling's Standby lifecycle state. */
  inStandby(id: InstanceId): boolean {
    return this.standby.has(id);
  }

  /**
   * Applies every state change due at the clock's time (stopping → stopped, pending → running) and the health
   * check, and returns the state changes that happened since the last call, oldest first (each one an EC2
   * state-change notification a handler test can deliver).
   */
  settle(): StateTransition[] {
    this.advance();
    return this.unreported.splice(0);
  }

  putGroup(group: CloudGroup): void {
    this.groups.set(group.id, structuredClone(group));
  }

  putInstance(instance: ManagedInstance & { readonly tags?: Readonly<Record<string, string>> }): void {
    this.store({ ...instance, tags: { ...(instance.tags ?? {}) } });
  }

  putInstanceType(spec: InstanceTypeSpec): void {
    this.catalog.set(spec.name, spec);
  }

  /** Tags an instance with a priority (`spotwise:priority`), as an operator's job scheduler does for what runs there. */
  setPriority(id: InstanceId, priority: number): void {
    const i = this.mustGet(id, 'tagging its priority');
    this.store({ ...i, priority, tags: { ...(i.tags ?? {}), 'spotwise:priority': String(priority) } });
  }

  /**
   * Moves an instance to a state directly (the simulator's interruptions, pending → running, ...). A start from
   * `stopped` (to pending or running) at `startedAt` is a launch: EC2's LaunchTime is "the time that the instance was
   * last launched" (a warm pool's stopped instance coming into service, a sibling started after its retype).
   */
  setInstanceState(id: InstanceId, state: InstanceState, startedAt?: number): void {
    const i = this.mustGet(id, 'setting state');
    const starts = i.state === 'stopped' && (state === 'pending' || state === 'running') && startedAt !== undefined;
    this.store({ ...i, state, ...(starts ? { launchedAt: startedAt } : {}) });
  }

  private now(): number {
    return this.clock?.now() ?? 0;
  }

  /** Records a state change (asynchronous mode reports it through settle()). */
  private transition(id: InstanceId, state: InstanceState, at: number, over: Partial<CloudInstance> = {}): void {
    const i = this.instances.get(id);
    if (i === undefined) return;
    this.store({ ...i, ...over, state });
    if (state === 'running' || state === 'pending') this.outOfServiceSince.delete(id);
    else if (!this.outOfServiceSince.has(id)) this.outOfServiceSince.set(id, at);
    if (this.timings !== undefined) this.unreported.push({ instanceId: id, state, at });
  }

  /** What is due by now, in time order, then the health check (asynchronous mode only). */
  private advance(): void {
    const timings = this.timings;
    if (timings === undefined) return;
    const now = this.now();
    const ready = [...this.due.entries()].filter(([, d]) => d.at <= now).sort((a, b) => a[1].at - b[1].at || a[0].localeCompare(b[0]));
    for (const [id, d] of ready) {
      this.due.delete(id);
      this.transition(id, d.state, d.at);
    }
    const period = timings.healthCheckSeconds * 1000;
    for (const i of [...this.instances.values()]) {
      if (i.warm || this.standby.has(i.id) || !(i.state === 'stopping' || i.state === 'stopped') || !this.groups.has(i.groupId)) continue;
      const since = this.outOfServiceSince.get(i.id) ?? now;
      if (now - since < period) continue;
      // The EC2 health check marks it unhealthy; Auto Scaling terminates it and launches a replacement (new id).
      this.healthCheckReplacements += 1;
      this.due.delete(i.id);
      this.transition(i.id, 'terminated', since + period);
      this.replacements += 1;
      const id = `${i.id}-r${this.replacements}` as InstanceId;
      this.store({ ...i, id, state: 'pending', launchedAt: since + period, tags: { ...i.tags } });
      this.unreported.push({ instanceId: id, state: 'pending', at: since + period });
      this.due.set(id, { state: 'running', at: since + period + timings.startSeconds * 1000 });
    }
  }

  private refuse(error: InMemoryCloudError): InMemoryCloudError {
    this.refusedCalls += 1;
    return error;
  }

  /** Moves an instance between a group's warm pool and its in-service instances. */
  setWarm(id: InstanceId, warm: boolean): void {
    const i = this.mustGet(id, 'moving to/from the warm pool');
    this.store({ ...i, warm });
  }

  instance(id: InstanceId): CloudInstance | undefined {
    const i = this.instances.get(id);
    return i === undefined ? undefined : { ...i, tags: { ...i.tags } };
  }

  group(id: GroupId): CloudGroup | undefined {
    const g = this.groups.get(id);
    return g === undefined ? undefined : structuredClone(g);
  }

  /**
   * The stored record of an instance, not a copy, for a caller that reads often (the simulator, every step). Records
   * are replaced, never changed, by every write: a record a caller holds stays as it was when read.
   */
  instanceView(id: InstanceId): CloudInstance | undefined {
    return this.instances.get(id);
  }

  /** The stored records of every instance (see instanceView), oldest first, as a live iterator: it sees writes made while it runs. */
  instanceViews(): IterableIterator<CloudInstance> {
    return this.instances.values();
  }

  /** The stored record of a group, not a copy (see instanceView: replaced, never changed, by every write). */
  groupView(id: GroupId): CloudGroup | undefined {
    return this.groups.get(id);
  }

  /** The stored records of every group (see groupView), in the order they were added. */
  groupViews(): CloudGroup[] {
    return [...this.groups.values()];
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
    this.advance();
    const ids = filter.instanceIds === undefined ? undefined : new Set<string>(filter.instanceIds);
    const groups = filter.groupIds === undefined ? undefined : new Set<string>(filter.groupIds);
    return [...this.instances.values()]
      .filter((i) => i.state !== 'terminated')
      .filter((i) => ids === undefined || ids.has(i.id))
      .filter((i) => groups === undefined || groups.has(i.groupId))
      .filter((i) => filter.tag === undefined || i.tags[filter.tag.key] === filter.tag.value)
      .map(({ tags, standbyMark: _stored, ...managed }) => {
        // As EC2 reports it: the mark is a tag.
        const mark = tags[STANDBY_MARK_TAG];
        return mark === undefined ? managed : { ...managed, standbyMark: mark };
      });
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
    this.advance();
    const i = this.mustGet(id, `changing the type to ${instanceType}`);
    if (i.state !== 'stopped') throw this.refuse(new InstanceNotStoppedError(id, i.state));
    if (!this.catalog.has(instanceType)) {
      throw this.refuse(new InMemoryCloudError('InvalidParameterValue', `changing the type of ${id}: unknown instance type ${JSON.stringify(instanceType)}`));
    }
    this.store({ ...i, instanceType });
  }

  async startInstances(ids: readonly InstanceId[]): Promise<void> {
    this.log.record('startInstances', [ids]);
    this.advance();
    const found = ids.map((id) => this.mustGet(id, 'starting'));
    for (const i of found) {
      if (i.state !== 'stopped' && i.state !== 'running' && i.state !== 'pending') {
        throw this.refuse(new InMemoryCloudError('IncorrectInstanceState', `starting ${i.id}: the instance is ${i.state}`));
      }
    }
    for (const i of found) {
      if (i.state !== 'stopped') continue;
      const launchedAt = this.clock?.now() ?? i.launchedAt;
      if (this.timings === undefined) {
        this.store({ ...i, state: 'running', launchedAt });
        this.outOfServiceSince.delete(i.id);
      } else {
        this.transition(i.id, 'pending', this.now(), { launchedAt });
        this.due.set(i.id, { state: 'running', at: this.now() + this.timings.startSeconds * 1000 });
      }
    }
  }

  async stopInstances(ids: readonly InstanceId[], options: { readonly hibernate?: boolean } = {}): Promise<void> {
    this.log.record('stopInstances', [ids, options]);
    this.advance();
    const found = ids.map((id) => this.mustGet(id, options.hibernate ? 'hibernating' : 'stopping'));
    for (const i of found) {
      if (i.lifecycle === 'spot') {
        throw this.refuse(
          new InMemoryCloudError('UnsupportedOperation', `stopping ${i.id}: a Spot instance launched by Auto Scaling cannot be stopped or hibernated`),
        );
      }
      if (i.state === 'terminated' || i.state === 'shutting-down') {
        throw this.refuse(new InMemoryCloudError('IncorrectInstanceState', `stopping ${i.id}: the instance is ${i.state}`));
      }
    }
    for (const i of found) if (this.isDraining(i.id)) this.drainsCutShort += 1;
    for (const i of found) {
      if (this.timings === undefined) {
        this.store({ ...i, state: 'stopped' });
        if (!this.outOfServiceSince.has(i.id)) this.outOfServiceSince.set(i.id, this.now());
      } else if (i.state === 'running' || i.state === 'pending') {
        // StopInstances returns at once; the instance is stopping until the OS has shut down.
        const seconds = options.hibernate ? (this.timings.hibernateSeconds ?? this.timings.stopSeconds) : this.timings.stopSeconds;
        this.transition(i.id, 'stopping', this.now());
        this.due.set(i.id, { state: 'stopped', at: this.now() + seconds * 1000 });
      }
    }
  }

  async terminateInstances(ids: readonly InstanceId[]): Promise<void> {
    this.log.record('terminateInstances', [ids]);
    this.advance();
    const found = ids.map((id) => this.mustGet(id, 'terminating'));
    for (const i of found) this.store({ ...i, state: 'terminated' });
  }

  async tagInstances(ids: readonly InstanceId[], tags: Readonly<Record<string, string>>): Promise<void> {
    this.log.record('tagInstances', [ids, tags]);
    const found = ids.map((id) => this.mustGet(id, 'tagging'));
    for (const i of found) this.store({ ...i, tags: { ...i.tags, ...tags } });
  }

  async untagInstances(ids: readonly InstanceId[], keys: readonly string[]): Promise<void> {
    this.log.record('untagInstances', [ids, keys]);
    const found = ids.map((id) => this.mustGet(id, 'deleting tags of'));
    for (const i of found) this.store({ ...i, tags: Object.fromEntries(Object.entries(i.tags).filter(([k]) => !keys.includes(k))) });
  }

  // --- CapacityGateway ---

  /** Unknown group names are left out, as DescribeAutoScalingGroups does. Warm-pool instances are not listed. */
  async describeGroups(ids: readonly GroupId[]): Promise<GroupDescription[]> {
    this.log.record('describeGroups', [ids]);
    this.advance();
    return ids.flatMap((id) => {
      const g = this.groups.get(id);
      if (g === undefined) return [];
      const members = [...this.instances.values()].filter((i) => i.groupId === id && !i.warm && i.state !== 'terminated');
      return [
        {
          id: g.id,
          desiredCapacity: g.desiredCapacity,
          minSize: g.minSize,
          maxSize: g.maxSize,
          availabilityZones: [...g.availabilityZones],
          tags: { ...g.tags },
          instances: members.map((i) => ({
            id: i.id,
            instanceType: i.instanceType,
            availabilityZone: i.availabilityZone,
            lifecycle: i.lifecycle,
            warm: false,
            lifecycleState: this.lifecycleStateOf(i),
          })),
          mixedPurchase: new Set(members.map((i) => i.lifecycle)).size > 1,
          capacityRebalance: g.capacityRebalance === true,
          loadBalanced: g.loadBalanced === true,
        },
      ];
    });
  }

  async findGroupOfInstance(id: InstanceId): Promise<GroupId | undefined> {
    this.log.record('findGroupOfInstance', [id]);
    this.advance();
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
      throw new InMemoryCloudError(
        'ValidationError',
        `putting the warm pool of ${id}: maxGroupPreparedCapacity must be an integer ≥ -1 (got ${warmPool.maxGroupPreparedCapacity})`,
      );
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

  async completeLifecycleAction(input: {
    readonly groupId: GroupId;
    readonly instanceId: InstanceId;
    readonly hookName: string;
    readonly token: string;
    readonly result: 'CONTINUE' | 'ABANDON';
  }): Promise<void> {
    this.log.record('completeLifecycleAction', [input]);
    this.mustGetGroup(input.groupId, `completing lifecycle action ${input.hookName}`);
    this.refuseCompleted(input);
    this.completedLifecycleActions.push({ ...input });
  }

  async recordLifecycleActionHeartbeat(input: {
    readonly groupId: GroupId;
    readonly instanceId: InstanceId;
    readonly hookName: string;
    readonly token: string;
  }): Promise<void> {
    this.log.record('recordLifecycleActionHeartbeat', [input]);
    this.mustGetGroup(input.groupId, `recording a heartbeat for ${input.hookName}`);
    this.refuseCompleted(input);
    this.heartbeats.push({ ...input });
  }

  /** A completed action is not active any more: completing it again or extending it is refused, as by Auto Scaling. */
  private refuseCompleted(input: Pick<LifecycleActionRecord, 'instanceId' | 'hookName' | 'token'>): void {
    const done = this.completedLifecycleActions.some((a) => a.instanceId === input.instanceId && a.hookName === input.hookName && a.token === input.token);
    if (done) throw this.refuse(new LifecycleActionNotActiveError(input.instanceId, input.token));
  }

  async terminateInstanceInGroup(id: InstanceId, options: { readonly decrementDesiredCapacity: boolean }): Promise<void> {
    this.log.record('terminateInstanceInGroup', [id, options]);
    const i = this.mustGet(id, 'terminating in its group');
    const g = this.mustGetGroup(i.groupId, `terminating ${id} in its group`);
    if (options.decrementDesiredCapacity) {
      if (g.desiredCapacity - 1 < g.minSize) {
        throw this.refuse(
          new InMemoryCloudError(
            'ValidationError',
            `terminating ${id} and decrementing ${g.id}: desired capacity ${g.desiredCapacity - 1} would be below min size ${g.minSize}`,
          ),
        );
      }
      this.groups.set(g.id, { ...g, desiredCapacity: g.desiredCapacity - 1 });
    }
    this.store({ ...i, state: 'terminated' });
    this.standby.delete(id);
    this.draining.delete(id);
  }

  /**
   * EnterStandby: only an InService member (running, not warm, not already in Standby); with decrement, desired
   * capacity drops by one and may not go below min size (Auto Scaling's ValidationError).
   */
  async enterStandby(groupId: GroupId, id: InstanceId, options: { readonly decrementDesiredCapacity: boolean }): Promise<void> {
    this.log.record('enterStandby', [groupId, id, options]);
    this.advance();
    const i = this.mustGet(id, `moving to Standby in ${groupId}`);
    const g = this.mustGetGroup(groupId, `moving ${id} to Standby`);
    if (i.groupId !== groupId || i.warm || this.standby.has(id) || i.state !== 'running') {
      const where =
        i.groupId !== groupId
          ? `not a member of ${groupId}`
          : i.warm
            ? 'in the warm pool'
            : this.standby.has(id)
              ? 'already in Standby'
              : `${i.state}, not InService`;
      throw this.refuse(new InMemoryCloudError('ValidationError', `moving ${id} to Standby in ${groupId}: the instance is ${where}`));
    }
    if (options.decrementDesiredCapacity) {
      if (g.desiredCapacity - 1 < g.minSize) {
        throw this.refuse(
          new InMemoryCloudError(
            'ValidationError',
            `moving ${id} to Standby and decrementing ${groupId}: desired capacity ${g.desiredCapacity - 1} would be below min size ${g.minSize}`,
          ),
        );
      }
      this.groups.set(groupId, { ...g, desiredCapacity: g.desiredCapacity - 1 });
    }
    this.standby.add(id);
    if (g.loadBalanced === true && this.timings !== undefined) this.draining.set(id, this.now() + (this.timings.deregistrationDelaySeconds ?? 300) * 1000);
  }

  /** ExitStandby: only a member in Standby; desired capacity rises by one and may not exceed max size. */
  async exitStandby(groupId: GroupId, id: InstanceId): Promise<void> {
    this.log.record('exitStandby', [groupId, id]);
    this.advance();
    const i = this.mustGet(id, `returning from Standby in ${groupId}`);
    const g = this.mustGetGroup(groupId, `returning ${id} from Standby`);
    if (i.groupId !== groupId || !this.standby.has(id) || this.isDraining(id)) {
      throw this.refuse(new InMemoryCloudError('ValidationError', `returning ${id} from Standby in ${groupId}: the instance is not in Standby`));
    }
    if (g.desiredCapacity + 1 > g.maxSize) {
      throw this.refuse(
        new InMemoryCloudError(
          'ValidationError',
          `returning ${id} from Standby: desired capacity ${g.desiredCapacity + 1} of ${groupId} would exceed max size ${g.maxSize}`,
        ),
      );
    }
    this.groups.set(groupId, { ...g, desiredCapacity: g.desiredCapacity + 1 });
    this.standby.delete(id);
    this.draining.delete(id);
  }

  /**
   * Stores an instance record. Every record is built by this one literal, fields in one order, so that all records
   * share one hidden class: the simulator reads every record several times a step, and records spread at different
   * call sites take different hidden classes, which makes those reads megamorphic (about 7 % of a simulated run).
   */
  private store(i: CloudInstance): void {
    this.instances.set(i.id, {
      id: i.id,
      groupId: i.groupId,
      instanceType: i.instanceType,
      availabilityZone: i.availabilityZone,
      lifecycle: i.lifecycle,
      state: i.state,
      launchedAt: i.launchedAt,
      warm: i.warm,
      priority: i.priority,
      jobType: i.jobType,
      ...(i.detailedMonitoring !== undefined ? { detailedMonitoring: i.detailedMonitoring } : {}),
      tags: i.tags,
    });
  }

  private mustGet(id: InstanceId, doing: string): CloudInstance {
    const i = this.instances.get(id);
    if (i === undefined) throw this.refuse(new InMemoryCloudError('InvalidInstanceID.NotFound', `${doing} ${id}: no such instance`));
    return i;
  }

  private mustGetGroup(id: GroupId, doing: string): CloudGroup {
    const g = this.groups.get(id);
    if (g === undefined) throw this.refuse(new InMemoryCloudError('ValidationError', `${doing}: no Auto Scaling group named ${JSON.stringify(id)}`));
    return g;
  }
}

InMemoryCloud satisfies new (state?: InMemoryCloudState) => InstanceGateway & CapacityGateway;
