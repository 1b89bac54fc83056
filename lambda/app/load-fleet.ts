import {
  UNKNOWN_JOB_TYPE,
  type FleetView,
  type Forecast,
  type GroupId,
  type GroupView,
  type InstanceCatalog,
  type InstanceId,
  type InstanceTypeSpec,
  type ManagedInstance,
  type PoolSignalHistory,
  type Resources,
  type SpotPool,
} from '../core/domain';
import { DEFAULT_PRIOR_MONTHLY_RATE, estimatePoolRisk, poolSignalKey } from '../core/staging/pool-risk';
import { createPool } from '../core/pool/resource-pool';
import { scaleResources, sumResources, ZERO_RESOURCES } from '../core/resources/resources';
import type { CapacityGateway, GroupDescription, WarmPoolDescription } from '../ports/capacity-gateway';
import type { Clock } from '../ports/clock';
import type { InstanceGateway } from '../ports/instance-gateway';
import type { ForecastStore, PoolLedger, PoolSignalStore, WarmClaimStore } from '../ports/state-store';
import { POLICY_TAG, type ManagedGroupSettings, type ManagedGroups } from './managed-groups';

export interface FleetPorts {
  readonly instances: InstanceGateway;
  readonly capacity: CapacityGateway;
  /** Reads only: pools, forecasts, the warm claims and (when asked) the pools' Spot signals. */
  readonly state: Pick<PoolLedger, 'getPool'> &
    Pick<ForecastStore, 'getForecasts'> &
    Pick<PoolSignalStore, 'getPoolSignals'> &
    Pick<WarmClaimStore, 'getWarmClaims'>;
}

/**
 * The clock the pools' interruption risk is estimated by (their signals' exposure runs to now). Every handler's
 * ports have one; without it the pools get their Advisor prior alone, and a warning says so.
 */
export type FleetReadPorts = FleetPorts & { readonly clock?: Clock };

/**
 * The prior of a Spot pool's interruption risk when no Advisor figure is given for its type: the Advisor's top
 * bucket (core/staging/pool-risk.ts). The Spot Instance Advisor feed is not read inside Lambda; the group's own
 * warnings and rebalance recommendations move each pool's estimate from there.
 */
export const DEFAULT_SPOT_POOL_PRIOR = DEFAULT_PRIOR_MONTHLY_RATE;

/** Pool budget of a group discovered by tag (no configured capacity): its instances' shapes plus this share. */
export const DISCOVERED_POOL_HEADROOM = 0.25;

export interface LoadFleetOptions {
  /** Which groups to load (default: every configured group). */
  readonly groupIds?: readonly GroupId[];
  /**
   * Per pool, the Spot Instance Advisor's monthly reclaim share of its type (0..1): the prior of its interruption
   * risk (default DEFAULT_SPOT_POOL_PRIOR). The simulator passes its Advisor data.
   */
  readonly spotPoolPrior?: (instanceType: string, availabilityZone: string) => number;
  /**
   * Whose stored forecasts to read (default: every member's). The notice path passes noticeForecastScope:
   * the planners it runs read only a few forecasts, and reading the whole group's would make each notice's
   * reads grow with the group.
   */
  readonly forecastScope?: ForecastScope;
  /**
   * Read each group's stored Spot pool signals to estimate pool risk (default false: every pool gets its prior).
   * Only staging reads the risk (lambda/core/staging/compute-exposure.ts), so only the profiler asks; the notice,
   * coordinator and executor paths skip the read.
   */
  readonly readPoolSignals?: boolean;
  /**
   * Read the live claims on each warm pool's instances (default false). Only a rebalance recommendation's staging and a
   * profile tick's staging decide by them (plan-rebalance.ts, plan-staging.ts), so only those loads ask: a warning,
   * lifecycle or state-change notice, the coordinator and the executor skip the Query.
   */
  readonly readWarmClaims?: boolean;
  /**
   * Build the members from Auto Scaling's view (one DescribeAutoScalingGroups lists every member with its type,
   * zone and lifecycle state; DescribeWarmPool the warm ones) and describe in EC2 only these instances, plus the
   * members that view cannot settle (see membersFromAutoScaling). Default: every member is described in EC2, which
   * pages through DescribeInstances 1,000 at a time. The notice path passes the noticed instance: its reads then
   * stay constant in the group's size (a 10,000-instance group is 10 pages one after another).
   */
  readonly describeOnly?: readonly InstanceId[];
}

/**
 * The one Auto Scaling lifecycle state whose EC2 state is certain: InService is running (a member stopped outside
 * Standby fails its health check). Pending:Wait and Terminating:Wait members are running in EC2 while their hook
 * holds them, Pending and Terminating ones may not be yet or any more: EC2 describes those, so the view says what EC2 says.
 */
const IN_SERVICE = 'InService';
/**
 * Auto Scaling's lifecycle states of a member out of service through EnterStandby: Standby, and EnteringStandby, the
 * load balancer still draining it (no new requests reach it; it is on its way out of service).
 */
const STANDBY_STATES: ReadonlySet<string> = new Set(['Standby', 'EnteringStandby']);
/** Whether Auto Scaling's lifecycle state says the member is out of service through EnterStandby (STANDBY_STATES). */
export const inStandbyState = (lifecycleState: string | undefined): boolean => STANDBY_STATES.has(lifecycleState ?? '');
/**
 * Settled warm-pool lifecycle states and the EC2 state behind each (Warmed:Hibernated is stopped with its memory
 * saved); warm instances still pending or terminating are described in EC2.
 */
const WARM_STATES: Readonly<Record<string, ManagedInstance['state']>> = {
  'Warmed:Stopped': 'stopped',
  'Warmed:Hibernated': 'stopped',
  'Warmed:Running': 'running',
};

/**
 * The members of one group as Auto Scaling sees them, and the ids only EC2 can settle. A member is settled when its
 * group launches one purchase option (a pure Spot or pure On-Demand group: its lifecycle is the group's) and its
 * lifecycle state says its EC2 state (InService; Warmed:Stopped, Warmed:Hibernated, Warmed:Running); Pending,
 * Terminating, Standby, Detaching and other states, and every member of a group that launches both Spot and
 * On-Demand, are left to EC2. A settled member has the group policy's
 * priority, an unknown job type and no launch time (0): the notice planners read neither for a sibling.
 */
export const membersFromAutoScaling = (
  d: GroupDescription,
  warm: WarmPoolDescription | undefined,
  s: ManagedGroupSettings,
): { readonly members: readonly ManagedInstance[]; readonly unsettled: readonly InstanceId[] } => {
  const members: ManagedInstance[] = [];
  const unsettled: InstanceId[] = [];
  const settled = (
    i: { readonly id: InstanceId; readonly instanceType: string; readonly availabilityZone: string },
    lifecycle: ManagedInstance['lifecycle'],
    state: ManagedInstance['state'],
    isWarm: boolean,
  ): ManagedInstance => ({
    id: i.id,
    groupId: d.id,
    instanceType: i.instanceType,
    availabilityZone: i.availabilityZone,
    lifecycle,
    state,
    launchedAt: 0,
    warm: isWarm,
    priority: s.policy.priority,
    jobType: UNKNOWN_JOB_TYPE,
  });
  for (const i of d.instances) {
    if (i.warm) continue; // the warm pool's description lists them (below)
    if (d.mixedPurchase === true || i.lifecycleState !== IN_SERVICE) unsettled.push(i.id);
    else members.push(settled(i, i.lifecycle, 'running', false));
  }
  // Warm pools hold On-Demand instances only (Auto Scaling refuses a warm pool on a group with Spot).
  for (const i of warm?.instances ?? []) {
    const state = WARM_STATES[i.lifecycleState];
    if (d.mixedPurchase === true || state === undefined) unsettled.push(i.id);
    else members.push(settled(i, 'on-demand', state, true));
  }
  return { members, unsettled };
};

/** Selects the instances whose stored forecast the snapshot must carry. */
export type ForecastScope = (instance: ManagedInstance, settings: ManagedGroupSettings) => boolean;

/**
 * The forecasts a notice's planners read (lambda/core/planner): the noticed instance's own (reserving its
 * post-restart demand, a lifecycle hand-over), and those of the On-Demand siblings that absorb-load may
 * restart for it — stopped ones (start, or retype then start) and, where the policy allows stop → modify →
 * start, running ones. Running Spot siblings are sized from their type and the pool's allocations, warm
 * instances from their type: their forecasts are never read on this path. So in a Spot group without
 * stop → modify → start the notice reads one forecast, whatever the group's size.
 */
export const noticeForecastScope =
  (noticed: InstanceId): ForecastScope =>
  (i, s) =>
    i.id === noticed || (!i.warm && i.lifecycle === 'on-demand' && (i.state === 'stopped' || (i.state === 'running' && s.policy.allowStopModifyStart)));

export interface LoadedFleet {
  readonly fleet: FleetView;
  /** Groups whose pool is not in the store yet: built here from configuration (the profiler persists it). */
  readonly poolsNotStored: readonly GroupId[];
  /** Things worth logging: unknown groups, types missing from the catalog. */
  readonly warnings: readonly string[];
}

/**
 * Resolves the managed group an instance belongs to (EC2 events carry no group): the cached
 * CapacityGateway lookup, then the configuration — or, with `group_tag`, the group's own tags.
 * Undefined when the instance is in no group spotwise manages.
 */
export const resolveManagedGroup = async (
  ports: Pick<FleetPorts, 'capacity'>,
  managed: ManagedGroups,
  id: GroupId,
): Promise<ManagedGroupSettings | undefined> => {
  const configured = managed.groups.get(id);
  if (configured !== undefined) return configured;
  if (managed.groupTag === undefined) return undefined;
  const [description] = await ports.capacity.describeGroups([id]);
  if (description === undefined || description.tags[managed.groupTag.key] !== managed.groupTag.value) return undefined;
  const named = description.tags[POLICY_TAG];
  const policy = (named !== undefined ? managed.policies.get(named) : undefined) ?? [...managed.policies.values()][0];
  return policy === undefined ? undefined : { id, role: 'primary', policy };
};

/**
 * Builds the FleetView the planner decides on (a snapshot: the planner never fetches) from the ports:
 * groups and warm pools from Auto Scaling, instances from EC2 (warm ones marked from the warm pool),
 * the type catalog, stored pools and forecasts. Reads only. Batched: one describe of all groups, one
 * DescribeInstances, one catalog lookup, one forecast read (of the instances `forecastScope` selects);
 * one warm-pool and one pool read per group, one read of the warm claims per warm pool when asked. Reads that do
 * not depend on each other run concurrently: groups, warm pools, instances and pools together, then the catalog, the
 * forecasts and the warm claims.
 */
export const loadFleet = async (ports: FleetReadPorts, managed: ManagedGroups, opts: LoadFleetOptions = {}): Promise<LoadedFleet> => {
  const warnings: string[] = [];
  const wanted = opts.groupIds ?? [...managed.groups.keys()];
  // Independent reads run concurrently: each is an AWS round trip, and the notice path has 120 s in all.
  const resolved = await Promise.all(wanted.map((id) => resolveManagedGroup(ports, managed, id)));
  const settings: ManagedGroupSettings[] = [];
  wanted.forEach((id, k) => {
    const s = resolved[k];
    if (s === undefined) warnings.push(`group ${id} is not managed by spotwise`);
    else settings.push(s);
  });
  const ids = settings.map((s) => s.id);
  // An untagged member's priority is its group policy's, for a group found by group_tag too (EC2 knows no policy).
  const priorities = new Map(settings.map((s) => [s.id, s.policy.priority] as const));
  const [described, warmPoolList, live, storedPools, storedSignals] = await Promise.all([
    ports.capacity.describeGroups(ids),
    // Settled, not awaited: Auto Scaling refuses DescribeWarmPool for a group it does not know, and such a
    // group is a warning (below), not a failed notice. Any other group's failure is rethrown.
    Promise.all(
      settings.map((s) =>
        ports.capacity.describeWarmPool(s.id).then(
          (wp) => ({ id: s.id, wp, error: undefined }),
          (error: unknown) => ({ id: s.id, wp: undefined, error }),
        ),
      ),
    ),
    ids.length === 0
      ? Promise.resolve([])
      : opts.describeOnly !== undefined
        ? ports.instances.describeInstances({ instanceIds: opts.describeOnly, groupIds: ids, priorities })
        : ports.instances.describeInstances({ groupIds: ids, priorities }),
    Promise.all(settings.map(async (s) => [s.id, await ports.state.getPool(s.id)] as const)),
    opts.readPoolSignals === true ? Promise.all(settings.map(async (s) => [s.id, await ports.state.getPoolSignals(s.id)] as const)) : Promise.resolve([]),
  ]);
  const signals = new Map(storedSignals);
  const now = ports.clock?.now();
  if (now === undefined && opts.readPoolSignals === true)
    warnings.push("no clock: Spot pool risks are the Advisor prior alone, without the groups' own signals");
  const descriptions = new Map(described.map((d) => [d.id, d] as const));
  for (const id of ids) if (!descriptions.has(id)) warnings.push(`Auto Scaling has no group named ${id}`);

  const warmPools = new Map<GroupId, WarmPoolDescription>();
  for (const { id, wp, error } of warmPoolList) {
    if (!descriptions.has(id)) continue;
    if (error !== undefined) throw error;
    if (wp !== undefined) warmPools.set(id, wp);
  }
  const warmIds = new Set<string>([...warmPools.values()].flatMap((w) => w.instances.map((i) => i.id)));
  const fromEc2 = async (): Promise<readonly ManagedInstance[]> => {
    if (opts.describeOnly === undefined) return live;
    // Members from Auto Scaling's view; EC2 describes the asked-for instances (read above) and the unsettled ones.
    const settledMembers: ManagedInstance[] = [];
    const unsettled: InstanceId[] = [];
    for (const s of settings) {
      const d = descriptions.get(s.id);
      if (d === undefined) continue;
      const view = membersFromAutoScaling(d, warmPools.get(s.id), s);
      settledMembers.push(...view.members);
      unsettled.push(...view.unsettled);
    }
    const described = new Set<string>(live.map((i) => i.id));
    const rest = [...new Set(unsettled)].filter((id) => !described.has(id));
    const more = rest.length === 0 ? [] : await ports.instances.describeInstances({ instanceIds: rest, priorities });
    // EC2's word wins where it spoke.
    const byId = new Map<string, ManagedInstance>(settledMembers.map((i) => [i.id, i] as const));
    for (const i of [...live, ...more]) byId.set(i.id, i);
    return [...byId.values()];
  };
  // Auto Scaling's word on leaving members: EC2 still says `running` for one a terminate hook holds.
  const terminatingIds = new Set<string>(
    [...descriptions.values()].flatMap((d) => d.instances.filter((i) => i.lifecycleState?.startsWith('Terminating') === true).map((i) => i.id)),
  );
  // Auto Scaling's word on members out of service: EC2 cannot tell a Standby member from one in service.
  const standbyIds = new Set<string>([...descriptions.values()].flatMap((d) => d.instances.filter((i) => inStandbyState(i.lifecycleState)).map((i) => i.id)));
  const instances = (await fromEc2()).map(({ inStandby: _reported, ...i }): ManagedInstance => ({
    ...i,
    warm: warmIds.has(i.id),
    ...(terminatingIds.has(i.id) ? { terminating: true } : {}),
    ...(standbyIds.has(i.id) ? { inStandby: true } : {}),
  }));

  const typeNames = new Set<string>(instances.map((i) => i.instanceType));
  for (const s of settings) for (const t of s.policy.allowedInstanceTypes) typeNames.add(t);
  const settingsOf = new Map(settings.map((s) => [s.id, s] as const));
  const scope = opts.forecastScope;
  const forecastIds = instances
    .filter((i) => {
      if (scope === undefined) return true;
      const s = settingsOf.get(i.groupId);
      return s !== undefined && scope(i, s);
    })
    .map((i) => i.id);
  // Claims on warm instances (which victim a rebalance recommendation staged each for): one Query per warm pool.
  const claimed = now === undefined || opts.readWarmClaims !== true ? [] : [...warmPools.keys()];
  const [catalog, forecasts, claims] = await Promise.all([
    ports.instances.describeInstanceTypes([...typeNames].sort()),
    forecastIds.length === 0 ? Promise.resolve(new Map<InstanceId, Forecast>()) : ports.state.getForecasts(forecastIds),
    Promise.all(claimed.map(async (id) => [id, await ports.state.getWarmClaims(id, now ?? 0)] as const)),
  ]);
  const warmClaims = new Map(claims);
  for (const t of [...new Set(instances.map((i) => i.instanceType))].sort()) {
    if (!catalog.has(t)) warnings.push(`instance type ${t} is not in the catalog: its instances cannot be sized`);
  }
  const pools = new Map(storedPools);

  const poolsNotStored: GroupId[] = [];
  const groups: GroupView[] = [];
  for (const s of settings) {
    const d = descriptions.get(s.id);
    if (d === undefined) continue;
    const members = instances.filter((i) => i.groupId === s.id);
    const stored = pools.get(s.id);
    if (stored === undefined) poolsNotStored.push(s.id);
    const pool = stored ?? createPool(s.id, poolCapacity(s, members, catalog));
    const wp = warmPools.get(s.id);
    groups.push({
      id: s.id,
      role: s.role,
      ...(s.standbyGroupId !== undefined ? { standbyGroupId: s.standbyGroupId } : {}),
      policy: s.policy,
      pool,
      instances: members,
      desiredCapacity: d.desiredCapacity,
      minSize: d.minSize,
      maxSize: d.maxSize,
      ...(d.capacityRebalance === true ? { capacityRebalance: true } : {}),
      ...(d.loadBalanced === true ? { loadBalanced: true } : {}),
      ...(wp !== undefined
        ? {
            warmPool: {
              minSize: wp.minSize,
              maxGroupPreparedCapacity: wp.maxGroupPreparedCapacity,
              poolState: wp.poolState,
              reuseOnScaleIn: wp.reuseOnScaleIn,
            },
          }
        : {}),
      ...(s.warmPool !== undefined ? { configuredWarmPool: s.warmPool } : {}),
      ...(warmClaims.has(s.id) ? { warmClaims: warmClaims.get(s.id) } : {}),
      spotPools: spotPoolsOf(members, signals.get(s.id) ?? [], now, opts.spotPoolPrior),
      disruptionsInFlight: disruptionsInFlight(members, d),
    });
  }
  return { fleet: { groups, catalog, forecasts }, poolsNotStored, warnings };
};

/**
 * The pool budget when the store has none: the configured capacity; for a standby group or a group
 * discovered by tag, what its instances' types provide (plus headroom for a discovered primary).
 */
export const poolCapacity = (s: ManagedGroupSettings, members: readonly ManagedInstance[], catalog: InstanceCatalog): Resources => {
  if (s.capacity !== undefined) return s.capacity;
  const shapes = members
    .map((m) => catalog.get(m.instanceType))
    .filter((t): t is InstanceTypeSpec => t !== undefined)
    .map((t) => t.resources);
  const total = shapes.length === 0 ? ZERO_RESOURCES : sumResources(shapes);
  return s.role === 'standby' ? total : scaleResources(total, 1 + DISCOVERED_POOL_HEADROOM);
};

/**
 * The group's spot pools: every (type, AZ) running spot instances, with the probability that one of its
 * instances is reclaimed within the staging horizon — the Advisor prior updated by the pool's own signals
 * (core/staging/pool-risk.ts) — and which of the two it rests on.
 */
const spotPoolsOf = (
  members: readonly ManagedInstance[],
  histories: readonly PoolSignalHistory[],
  now: number | undefined,
  prior?: (t: string, az: string) => number,
): SpotPool[] => {
  const serving = new Map<string, ManagedInstance[]>();
  for (const i of members) {
    if (i.lifecycle !== 'spot' || i.warm) continue;
    const key = poolSignalKey(i);
    serving.set(key, [...(serving.get(key) ?? []), i]);
  }
  const history = new Map(histories.map((h) => [poolSignalKey(h), h] as const));
  return [...serving.values()]
    .map((instances): SpotPool => {
      const { instanceType, availabilityZone } = instances[0] as ManagedInstance;
      const h = now === undefined ? undefined : history.get(poolSignalKey({ instanceType, availabilityZone }));
      const risk = estimatePoolRisk({
        priorMonthlyRate: prior?.(instanceType, availabilityZone) ?? DEFAULT_SPOT_POOL_PRIOR,
        ...(h !== undefined ? { history: h } : {}),
        instances: instances.filter((i) => i.state === 'running' || i.state === 'pending').length,
        now: now ?? 0,
      });
      return { instanceType, availabilityZone, interruptionProbability: risk.probability, riskSource: risk.source };
    })
    .sort((a, b) => a.instanceType.localeCompare(b.instanceType) || a.availabilityZone.localeCompare(b.availabilityZone));
};

/**
 * Disruptions in flight, for the budget: in-service members (not warm) that are not running — stopping,
 * stopped, shutting down or still pending — are unavailable right now, whatever caused it; so is a member Auto
 * Scaling is terminating, though a hook holds it running (Terminating:Wait: a voluntary victim draining), and one in
 * Standby, though it runs (out of service: an operator's troubleshooting, or spotwise's voluntary stop on its way).
 */
const disruptionsInFlight = (members: readonly ManagedInstance[], d: GroupDescription): number => {
  const inService = new Set<string>(d.instances.filter((i) => !i.warm).map((i) => i.id));
  return members.filter((m) => !m.warm && inService.has(m.id) && (m.state !== 'running' || m.terminating === true || m.inStandby === true)).length;
};
