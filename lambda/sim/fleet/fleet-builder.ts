import { DEFAULT_MANAGED_TAG_KEY, DEFAULT_MANAGED_TAG_VALUE } from '../../contracts/env';
import {
  DIMENSIONS,
  instanceId,
  type Dimension,
  type DimensionForecast,
  type Forecast,
  type GroupId,
  type InstanceCatalog,
  type InstanceId,
  type InstanceState,
  type InstanceTypeSpec,
  type ManagedInstance,
  type Resources,
} from '../../core/domain';
import { lookupInstanceType, toCatalog } from '../../core/resources/catalog';
import { sumResources } from '../../core/resources/resources';
import { ASG_NAME_TAG } from '../../adapters/ec2-instance-gateway';
import { createInMemoryPorts, type CloudGroup, type CloudInstance, type InMemoryCloudState, type InMemoryPorts, type InMemoryStateStore } from '../memory';

/**
 * Fleets for the in-memory fakes, built one way for the simulator's sample fleet, the benchmarks' synthetic fleets
 * and the handler tests' worlds: Auto Scaling groups and their members as the in-memory cloud holds them, the
 * catalog they are priced from, and the state the profiler would have stored (pool budgets, allocations, forecasts).
 */

/** EC2-like instance ids: "i-0", the group's prefix, then the member's number in hex, 17 characters after "i-". */
export const makeInstanceId = (prefix: string, n: number): InstanceId => instanceId(`i-0${prefix}${n.toString(16).padStart(16 - prefix.length, '0')}`);

/** Ids 1…count of a group's members (see makeInstanceId). */
export const makeInstanceIds = (prefix: string, count: number): InstanceId[] => Array.from({ length: count }, (_, k) => makeInstanceId(prefix, k + 1));

/**
 * Where the k-th member (from 0) of a mixed-instances group runs: round-robin over its types, then over its AZs, as
 * capacity-optimized allocation over several Spot pools spreads a group.
 */
export const spreadSlot = (
  k: number,
  types: readonly string[],
  azs: readonly string[],
): { readonly instanceType: string; readonly availabilityZone: string } => ({
  instanceType: types[k % types.length] as string,
  availabilityZone: azs[Math.floor(k / types.length) % azs.length] as string,
});

/**
 * A forecast as the profiler stores one from an instance's own history: two minutes of downtime, a 30-minute
 * post-restart window, confidence 0.8.
 */
export const historyForecast = (id: InstanceId, madeAt: number, quantiles: (d: Dimension) => { readonly p50: number; readonly p90: number }): Forecast => ({
  kind: 'known',
  instanceId: id,
  madeAt,
  downtimeSeconds: 120,
  windowMinutes: 30,
  dims: Object.fromEntries(
    DIMENSIONS.map((d): [Dimension, DimensionForecast] => {
      const { p50, p90 } = quantiles(d);
      return [d, { p50, p90, basis: 'instance-history', confidence: 0.8 }];
    }),
  ) as Record<Dimension, DimensionForecast>,
});

/** An Auto Scaling group; `tags` are its own (the managed tag is added when the fleet uses it). */
export interface GroupInput extends Omit<CloudGroup, 'tags'> {
  readonly tags?: Readonly<Record<string, string>>;
}

export interface MemberInput {
  readonly id: InstanceId;
  readonly groupId: GroupId;
  readonly instanceType: string;
  readonly availabilityZone: string;
  readonly launchedAt: number;
  readonly priority: number;
  readonly jobType: string;
  /** Default 'spot'. */
  readonly lifecycle?: ManagedInstance['lifecycle'];
  /** Default 'running'. */
  readonly state?: InstanceState;
}

/** Stopped, initialised On-Demand instances in a group's warm pool, spread round-robin over `azs`. */
export interface WarmMembersInput {
  readonly groupId: GroupId;
  readonly ids: readonly InstanceId[];
  readonly instanceType: string;
  readonly azs: readonly string[];
  readonly launchedAt: number;
  readonly priority: number;
  /** Default 'standby'. */
  readonly jobType?: string;
}

/** A group's pool as the profiler writes it: its budget, and what its members are allocated (none by default). */
export interface PoolSeed {
  readonly groupId: GroupId;
  readonly capacity: Resources;
  readonly allocations?: ReadonlyMap<InstanceId, Resources>;
}

/** What the profiler would have stored for a fleet. */
export interface FleetState {
  readonly pools: readonly PoolSeed[];
  readonly forecasts: readonly Forecast[];
}

export interface FleetBuilderOptions {
  readonly catalog: readonly InstanceTypeSpec[];
  /**
   * Tag every group and member `spotwise:managed=true`, as a deployment that finds its groups by tag has them.
   * Default false: the group names are in the configuration, and members carry only the tag Auto Scaling itself
   * puts on them (aws:autoscaling:groupName, which the instance gateway reads the group from).
   */
  readonly managedTag?: boolean;
}

/** Collects groups, members, pools and forecasts in the order added; `cloudState()` and `state()` hand them out. */
export class FleetBuilder {
  readonly catalogSpecs: readonly InstanceTypeSpec[];
  readonly catalog: InstanceCatalog;
  private readonly managedTags: Readonly<Record<string, string>>;
  private readonly groups: CloudGroup[] = [];
  private readonly instances: CloudInstance[] = [];
  private readonly pools: PoolSeed[] = [];
  private readonly forecasts: Forecast[] = [];

  constructor(opts: FleetBuilderOptions) {
    this.catalogSpecs = opts.catalog;
    this.catalog = toCatalog(opts.catalog);
    this.managedTags = opts.managedTag === true ? { [DEFAULT_MANAGED_TAG_KEY]: DEFAULT_MANAGED_TAG_VALUE } : {};
  }

  addGroup(g: GroupInput): this {
    this.groups.push({
      id: g.id,
      desiredCapacity: g.desiredCapacity,
      minSize: g.minSize,
      maxSize: g.maxSize,
      availabilityZones: g.availabilityZones,
      tags: { ...this.managedTags, ...g.tags },
      ...(g.warmPool !== undefined ? { warmPool: g.warmPool } : {}),
      ...(g.capacityRebalance !== undefined ? { capacityRebalance: g.capacityRebalance } : {}),
    });
    return this;
  }

  /** Adds a member in service (unless `state` says otherwise); returns it as the core sees it, without tags. */
  addMember(m: MemberInput): ManagedInstance {
    return this.add({
      id: m.id,
      groupId: m.groupId,
      instanceType: m.instanceType,
      availabilityZone: m.availabilityZone,
      lifecycle: m.lifecycle ?? 'spot',
      state: m.state ?? 'running',
      launchedAt: m.launchedAt,
      warm: false,
      priority: m.priority,
      jobType: m.jobType,
    });
  }

  addWarmMembers(w: WarmMembersInput): ManagedInstance[] {
    return w.ids.map((id, k) =>
      this.add({
        id,
        groupId: w.groupId,
        instanceType: w.instanceType,
        availabilityZone: w.azs[k % w.azs.length] as string,
        lifecycle: 'on-demand',
        state: 'stopped',
        launchedAt: w.launchedAt,
        warm: true,
        priority: w.priority,
        jobType: w.jobType ?? 'standby',
      }),
    );
  }

  /** The resources of an instance type of the catalog (throws for a type it does not price). */
  shapeOf(instanceType: string): Resources {
    return lookupInstanceType(this.catalog, instanceType).resources;
  }

  /** The members' resources summed: what a pool budget is sized from. */
  shapes(members: readonly ManagedInstance[]): Resources {
    return sumResources(members.map((m) => this.shapeOf(m.instanceType)));
  }

  setPool(pool: PoolSeed): this {
    this.pools.push(pool);
    return this;
  }

  addForecasts(forecasts: readonly Forecast[]): this {
    this.forecasts.push(...forecasts);
    return this;
  }

  /** Groups, members and catalog, ready for `new InMemoryCloud(...)` or `createInMemoryPorts({ cloud })`. */
  cloudState(): InMemoryCloudState {
    return { catalog: this.catalogSpecs, groups: [...this.groups], instances: [...this.instances] };
  }

  state(): FleetState {
    return { pools: [...this.pools], forecasts: [...this.forecasts] };
  }

  /** In-memory ports over the fleet, its state stored, every call log empty: seeding is not what is under test. */
  async createPorts(opts: { readonly now: number }): Promise<InMemoryPorts> {
    const ports = createInMemoryPorts({ cloud: this.cloudState(), now: opts.now });
    await seedFleetState(ports.stateStore, this.state());
    ports.clearCalls();
    return ports;
  }

  private add(i: ManagedInstance): ManagedInstance {
    this.instances.push({ ...i, tags: { ...this.managedTags, [ASG_NAME_TAG]: i.groupId } });
    return i;
  }
}

/**
 * Stores a fleet's state through the port, as the profiler writes it (so the store's own checks apply): each pool's
 * budget, then its allocations; the forecasts are seeded as they stand.
 */
export const seedFleetState = async (store: InMemoryStateStore, state: FleetState): Promise<void> => {
  for (const pool of state.pools) {
    await store.putPoolCapacity(pool.groupId, pool.capacity);
    if (pool.allocations !== undefined) await store.putAllocations(pool.groupId, pool.allocations);
  }
  store.seedForecasts(state.forecasts);
};
