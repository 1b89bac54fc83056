import { describe, expect, it } from 'vitest';
import { parseSpotwiseConfig } from '../../lambda/contracts/config';
import { groupId } from '../../lambda/core/domain';
import { DEFAULT_SPOT_POOL_PRIOR, loadFleet, membersFromAutoScaling, noticeForecastScope, resolveManagedGroup } from '../../lambda/app/load-fleet';
import { instanceId, STANDBY_MARK_TAG, type FleetView, type InstanceId } from '../../lambda/core/domain';
import type { GroupDescription, WarmPoolDescription } from '../../lambda/ports/capacity-gateway';
import { planNoticeResponse } from '../../lambda/core/planner/plan-notice';
import { hourlyRateOfMonthly, STAGING_HORIZON_HOURS } from '../../lambda/core/staging/pool-risk';
import type { Notice } from '../../lambda/core/domain';
import { PRIMARY_GROUP } from '../../bench/fleet/synthetic-fleet';
import { buildNoticeWorld } from '../../bench/notice-world';
import { effectiveDryRun, relatedGroups, toManagedGroups } from '../../lambda/app/managed-groups';
import { FIXTURE_INSTANCES, GROUP, OTHER, STANDBY, WARM, buildWorld, configInput } from '../handlers/world';

const BENCH_NOW = Date.UTC(2026, 0, 12, 9, 0, 0);

/** One notice of every kind a reduced snapshot serves, about instance `id`. */
const noticesOf = (id: InstanceId, now: number): Notice[] => [
  { kind: 'spot-interruption-warning', eventId: `w-${id}`, at: now, instanceId: id, action: 'terminate', deadline: now + 120_000 },
  { kind: 'rebalance-recommendation', eventId: `r-${id}`, at: now, instanceId: id },
  { kind: 'capacity-reservation-interruption-warning', eventId: `c-${id}`, at: now, instanceId: id, deadline: now + 120_000 },
  {
    kind: 'lifecycle-terminate',
    eventId: `t-${id}`,
    at: now,
    instanceId: id,
    groupId: PRIMARY_GROUP,
    hookName: 'spotwise-terminate',
    token: 'tok',
    destination: 'EC2',
  } as Notice,
  { kind: 'state-change', eventId: `s-${id}`, at: now, instanceId: id, state: 'running' },
];

describe('loadFleet', () => {
  it('builds the snapshot: groups, warm instances from the warm pool, stored pools and forecasts, catalog', async () => {
    const w = await buildWorld();
    const { fleet, poolsNotStored, warnings } = await loadFleet(w.deps.ports, w.deps.managed);
    expect(warnings).toEqual([]);
    expect(poolsNotStored).toEqual([]);
    const primary = fleet.groups.find((g) => g.id === GROUP);
    const standby = fleet.groups.find((g) => g.id === STANDBY);
    expect(primary).toMatchObject({
      role: 'primary',
      standbyGroupId: STANDBY,
      desiredCapacity: 5,
      minSize: 1,
      maxSize: 10,
      policy: { policyName: 'web', priority: 90 },
    });
    expect(standby).toMatchObject({ role: 'standby', warmPool: { minSize: 2, poolState: 'Stopped' } });
    expect(standby?.instances.map((i) => [i.id, i.warm])).toEqual(WARM.map((id) => [id, true]));
    expect(primary?.instances.every((i) => !i.warm)).toBe(true);
    // The pending instance counts as a disruption in flight (unavailable right now).
    expect(primary?.disruptionsInFlight).toBe(1);
    // No pool has a signal yet: each is at the Advisor prior (the top bucket when no figure is given), per hour.
    const prior = -Math.expm1(-hourlyRateOfMonthly(DEFAULT_SPOT_POOL_PRIOR) * STAGING_HORIZON_HOURS);
    expect(primary?.spotPools).toEqual([
      { instanceType: 'm5.large', availabilityZone: 'us-west-2a', interruptionProbability: prior, riskSource: 'prior' },
      { instanceType: 'm5.large', availabilityZone: 'us-west-2b', interruptionProbability: prior, riskSource: 'prior' },
      { instanceType: 'm5.xlarge', availabilityZone: 'us-west-2a', interruptionProbability: prior, riskSource: 'prior' },
    ]);
    expect(primary?.pool.capacity.vcpu).toBe(32);
    expect([...fleet.catalog.keys()].sort()).toEqual(['m5.2xlarge', 'm5.large', 'm5.xlarge']);
    expect(fleet.forecasts.get(OTHER)?.kind).toBe('known');
  });

  it("carries the group's Capacity Rebalancing (DescribeAutoScalingGroups' CapacityRebalance) into its view", async () => {
    const w = await buildWorld();
    const web = w.ports.cloud.group(GROUP);
    if (web === undefined) throw new Error('fixture group missing');
    w.ports.cloud.putGroup({ ...web, capacityRebalance: true });
    const { fleet } = await loadFleet(w.deps.ports, w.deps.managed);
    expect(fleet.groups.find((g) => g.id === GROUP)?.capacityRebalance).toBe(true);
    expect(fleet.groups.find((g) => g.id === STANDBY)?.capacityRebalance).toBeUndefined();
  });

  it('marks a member a terminate hook holds (Terminating:Wait, running in EC2) as terminating, and counts it in flight', async () => {
    const w = await buildWorld();
    const victim = OTHER;
    w.ports.cloud.holdInHook(victim, 'Terminating:Wait');
    const described = await w.ports.cloud.describeGroups([GROUP]);
    expect(described[0]?.instances.find((i) => i.id === victim)?.lifecycleState).toBe('Terminating:Wait');
    for (const describeOnly of [undefined, [victim]]) {
      const { fleet } = await loadFleet(w.deps.ports, w.deps.managed, describeOnly === undefined ? {} : { describeOnly });
      const primary = fleet.groups.find((g) => g.id === GROUP);
      expect(primary?.instances.find((i) => i.id === victim)).toMatchObject({ state: 'running', terminating: true });
      expect(primary?.instances.filter((i) => i.terminating === true).map((i) => i.id)).toEqual([victim]);
      // The pending instance and the one leaving.
      expect(primary?.disruptionsInFlight).toBe(2);
    }
    w.ports.cloud.holdInHook(victim, undefined);
    const after = await loadFleet(w.deps.ports, w.deps.managed);
    expect(after.fleet.groups.find((g) => g.id === GROUP)?.instances.find((i) => i.id === victim)?.terminating).toBeUndefined();
  });

  it("marks a member in Standby (Auto Scaling's word: EC2 says running) and its standby mark, and counts it in flight", async () => {
    const w = await buildWorld();
    w.ports.cloud.setInstanceState(FIXTURE_INSTANCES.stateChange, 'running');
    await w.ports.cloud.enterStandby(GROUP, OTHER, { decrementDesiredCapacity: true });
    await w.ports.cloud.tagInstances([OTHER], { [STANDBY_MARK_TAG]: 'before stopping it: request q-1' });
    for (const describeOnly of [undefined, [OTHER]]) {
      const { fleet } = await loadFleet(w.deps.ports, w.deps.managed, describeOnly === undefined ? {} : { describeOnly });
      const primary = fleet.groups.find((g) => g.id === GROUP);
      expect(primary?.instances.find((i) => i.id === OTHER)).toMatchObject({
        state: 'running',
        inStandby: true,
        standbyMark: 'before stopping it: request q-1',
      });
      expect(primary?.instances.filter((i) => i.inStandby === true || i.standbyMark !== undefined).map((i) => i.id)).toEqual([OTHER]);
      expect(primary?.disruptionsInFlight).toBe(1);
    }
    await w.ports.cloud.exitStandby(GROUP, OTHER);
    const after = (await loadFleet(w.deps.ports, w.deps.managed)).fleet.groups.find((g) => g.id === GROUP);
    expect(after?.instances.find((i) => i.id === OTHER)).not.toHaveProperty('inStandby');
    expect(after?.disruptionsInFlight).toBe(0);
  });

  it('a member EnteringStandby (a load balancer draining it) is out of service too: in Standby for every decision, and in flight', async () => {
    const w = await buildWorld();
    w.ports.cloud.setInstanceState(FIXTURE_INSTANCES.stateChange, 'running');
    const capacity = w.deps.ports.capacity;
    // Auto Scaling's answer while the target group's deregistration delay runs (the in-memory cloud has no load balancer).
    const draining = Object.assign(Object.create(capacity) as typeof capacity, {
      describeGroups: async (ids: Parameters<typeof capacity.describeGroups>[0]) =>
        (await capacity.describeGroups(ids)).map((d) => ({
          ...d,
          instances: d.instances.map((i) => (i.id === OTHER ? { ...i, lifecycleState: 'EnteringStandby' } : i)),
        })),
    });
    const { fleet } = await loadFleet({ ...w.deps.ports, capacity: draining }, w.deps.managed);
    const primary = fleet.groups.find((g) => g.id === GROUP);
    expect(primary?.instances.find((i) => i.id === OTHER)).toMatchObject({ state: 'running', inStandby: true });
    expect(primary?.disruptionsInFlight).toBe(1);
  });

  it('reads only, in batches: one describe of all groups, one DescribeInstances, one catalog and one forecast read', async () => {
    const w = await buildWorld();
    await loadFleet(w.deps.ports, w.deps.managed);
    expect(w.ports.mutatingCalls()).toEqual([]);
    for (const op of ['describeGroups', 'describeInstances', 'describeInstanceTypes'] as const) expect(w.ports.cloud.log.count(op)).toBe(1);
    expect(w.ports.stateStore.log.count('getForecasts')).toBe(1);
  });

  it("reads the live claims on a warm pool's instances (one Query per group with a warm pool) into its view", async () => {
    const w = await buildWorld();
    const now = w.deps.ports.clock.now();
    const [w1, w2] = WARM;
    if (w1 === undefined || w2 === undefined) throw new Error('fixture warm instances missing');
    await w.ports.stateStore.claimWarmInstance({ groupId: STANDBY, instanceId: w1, victimId: OTHER, until: now + 60_000 }, now);
    await w.ports.stateStore.claimWarmInstance({ groupId: STANDBY, instanceId: w2, victimId: OTHER, until: now - 1 }, now - 2);
    // Not asked (a warning's load, the coordinator's, the executor's): no Query.
    expect((await loadFleet(w.deps.ports, w.deps.managed)).fleet.groups.find((g) => g.id === STANDBY)?.warmClaims).toBeUndefined();
    expect(w.ports.stateStore.log.callsTo('getWarmClaims')).toEqual([]);
    const { fleet } = await loadFleet(w.deps.ports, w.deps.managed, { readWarmClaims: true });
    expect(fleet.groups.find((g) => g.id === STANDBY)?.warmClaims).toEqual([{ groupId: STANDBY, instanceId: w1, victimId: OTHER, until: now + 60_000 }]);
    expect(fleet.groups.find((g) => g.id === GROUP)?.warmClaims).toBeUndefined();
    expect(w.ports.stateStore.log.callsTo('getWarmClaims').map((c) => c.args[0])).toEqual([STANDBY]);
  });

  it('without stored pools: pools from configuration (primary) and warm-instance shapes (standby), reported', async () => {
    const w = await buildWorld({ seedState: false });
    const { fleet, poolsNotStored } = await loadFleet(w.deps.ports, w.deps.managed);
    expect(poolsNotStored).toEqual([GROUP, STANDBY]);
    expect(fleet.groups.find((g) => g.id === GROUP)?.pool.capacity).toEqual({ vcpu: 32, memoryGiB: 128, networkMbps: 100_000, diskIops: 200_000 });
    expect(fleet.groups.find((g) => g.id === STANDBY)?.pool.capacity).toEqual({ vcpu: 4, memoryGiB: 16, networkMbps: 20_000, diskIops: 40_000 });
  });

  it('warns about groups Auto Scaling does not know and types missing from the catalog', async () => {
    const w = await buildWorld({ config: { groups: [...configInput().groups, { name: 'ghost', policy: 'web', capacity: { vcpu: 1, memory_gib: 1 } }] } });
    w.ports.cloud.putInstance({ ...w.ports.cloud.instance(OTHER)!, instanceType: 'x9.huge' });
    const { warnings } = await loadFleet(w.deps.ports, w.deps.managed);
    expect(warnings).toEqual(['Auto Scaling has no group named ghost', 'instance type x9.huge is not in the catalog: its instances cannot be sized']);
  });

  it('reads warm pools beside the group describe: a refusal for a group Auto Scaling does not know stays a warning, any other fails the load', async () => {
    const w = await buildWorld({ config: { groups: [...configInput().groups, { name: 'ghost', policy: 'web', capacity: { vcpu: 1, memory_gib: 1 } }] } });
    const refusing = (refused: string) => {
      const capacity = Object.create(w.ports.cloud) as typeof w.ports.cloud;
      capacity.describeWarmPool = async (id) => {
        if (id === refused) throw new Error(`ValidationError: AutoScalingGroup name not found - ${id}`);
        return w.ports.cloud.describeWarmPool(id);
      };
      return { ...w.deps.ports, capacity };
    };
    const { warnings, fleet } = await loadFleet(refusing('ghost'), w.deps.managed);
    expect(warnings).toEqual(['Auto Scaling has no group named ghost']);
    expect(fleet.groups.find((g) => g.id === STANDBY)?.warmPool?.minSize).toBe(2);
    await expect(loadFleet(refusing(STANDBY), w.deps.managed)).rejects.toThrow(`AutoScalingGroup name not found - ${STANDBY}`);
  });
});

describe('managed groups', () => {
  const managed = () => toManagedGroups(parseSpotwiseConfig(configInput()));

  it('a standby group follows the policy of the primary it backs, unless one is named like it', () => {
    expect(managed().groups.get(STANDBY)?.policy.policyName).toBe('web');
    const own = toManagedGroups(
      parseSpotwiseConfig(
        configInput({
          policies: [
            { policy_name: 'web', priority: 'high' },
            { policy_name: STANDBY, priority: 'low' },
          ],
        }),
      ),
    );
    expect(own.groups.get(STANDBY)?.policy.priority).toBe(10);
  });

  it('related groups: the group, its standby and the primaries sharing it', () => {
    const m = toManagedGroups(
      parseSpotwiseConfig(
        configInput({
          groups: [
            { name: GROUP, policy: 'web', capacity: { vcpu: 1, memory_gib: 1 }, standby: STANDBY },
            { name: 'batch', policy: 'web', capacity: { vcpu: 1, memory_gib: 1 }, standby: STANDBY },
            { name: 'alone', policy: 'web', capacity: { vcpu: 1, memory_gib: 1 } },
          ],
        }),
      ),
    );
    expect(relatedGroups(m, GROUP)).toEqual([GROUP, STANDBY, groupId('batch')]);
    expect(relatedGroups(m, STANDBY)).toEqual([STANDBY, GROUP, groupId('batch')]);
    expect(relatedGroups(m, groupId('alone'))).toEqual(['alone']);
  });

  it.each([
    [false, false, false],
    [true, false, true],
    [false, true, true],
  ])('dry-run: deployment %s, policy %s → %s', (global, policy, expected) => {
    expect(effectiveDryRun(global, { ...managed().groups.get(GROUP)!.policy, dryRun: policy })).toBe(expected);
  });

  it('group_tag: a tagged group is managed with the policy its spotwise:policy tag names', async () => {
    const w = await buildWorld({
      seedState: false,
      config: {
        groups: [],
        standby_groups: [],
        group_tag: { key: 'team', value: 'spot' },
        policies: [
          { policy_name: 'web', priority: 'high' },
          { policy_name: 'cheap', priority: 'low' },
        ],
      },
    });
    w.ports.cloud.putGroup({ ...w.ports.cloud.group(GROUP)!, tags: { team: 'spot', 'spotwise:policy': 'cheap' } });
    expect(await resolveManagedGroup(w.deps.ports, w.deps.managed, GROUP)).toMatchObject({ id: GROUP, role: 'primary', policy: { policyName: 'cheap' } });
    expect(await resolveManagedGroup(w.deps.ports, w.deps.managed, STANDBY)).toBeUndefined();
    // Its pool: the shapes of its instances plus 25 % headroom (4 × m5.large + 1 × m5.xlarge = 12 vCPU → 15).
    const { fleet } = await loadFleet(w.deps.ports, w.deps.managed, { groupIds: [GROUP] });
    expect(fleet.groups[0]?.pool.capacity.vcpu).toBe(15);
    expect(fleet.groups[0]?.instances.map((i) => i.id)).toContain(FIXTURE_INSTANCES.karpenter);
    // EC2 is asked with the policy's priority for the group's untagged members ('cheap' is low: 10), which it cannot know.
    const [filter] = w.ports.cloud.log.callsTo('describeInstances').at(-1)?.args as [{ priorities?: ReadonlyMap<string, number> }];
    expect(filter.priorities).toEqual(new Map([[GROUP, 10]]));
  });
});

/**
 * The notice path reads only the forecasts noticeForecastScope selects. That is safe only if every notice
 * plans exactly as it would with the whole group's forecasts: checked on a synthetic group with running and
 * stopped On-Demand siblings, with and without stop → modify → start, for each kind of notice the scope serves.
 */
describe('noticeForecastScope', () => {
  const fleetOf = async (allowStopModifyStart: boolean) => {
    const world = await buildNoticeWorld({
      instances: 60,
      now: BENCH_NOW,
      seed: 3,
      onDemandSiblings: 8,
      warmInstances: 0,
      headroom: 2,
      utilisation: { min: 0.8, max: 0.95 },
      policy: { allow_stop_modify_start: allowStopModifyStart },
    });
    // Without stop → modify → start, half the On-Demand siblings stopped (start and retype candidates);
    // with it, all running (stop → modify → start candidates). No warm pool and busy siblings: the load must go there.
    const siblings = world.fleet.primary.filter((i) => i.lifecycle === 'on-demand');
    siblings.slice(0, allowStopModifyStart ? 0 : 4).forEach((i) => world.ports.cloud.putInstance({ ...world.ports.cloud.instance(i.id)!, state: 'stopped' }));
    return world;
  };

  it('reads the noticed instance and its On-Demand siblings only (running ones only with stop → modify → start)', async () => {
    for (const allow of [false, true]) {
      const world = await fleetOf(allow);
      const victim = world.fleet.primary.find((i) => i.lifecycle === 'spot')!;
      const { fleet } = await loadFleet(world.deps.ports, world.deps.managed, {
        groupIds: relatedGroups(world.deps.managed, PRIMARY_GROUP),
        forecastScope: noticeForecastScope(victim.id),
      });
      const onDemand = world.fleet.primary.filter((i) => i.lifecycle === 'on-demand').map((i) => i.id);
      const expected = [victim.id, ...(allow ? onDemand : onDemand.slice(0, 4))].filter((id) => world.fleet.forecasts.some((f) => f.instanceId === id)).sort();
      expect([...fleet.forecasts.keys()].sort()).toEqual(expected);
    }
  });

  it.each([false, true])("plans every notice as with the whole group's forecasts (stop → modify → start %s)", async (allow) => {
    const world = await fleetOf(allow);
    const ids = relatedGroups(world.deps.managed, PRIMARY_GROUP);
    const full = (await loadFleet(world.deps.ports, world.deps.managed, { groupIds: ids })).fleet;
    const now = BENCH_NOW + 1_000;
    const victims = world.fleet.primary.filter((_, k) => k % 7 === 0);
    for (const v of victims) {
      const scoped = (await loadFleet(world.deps.ports, world.deps.managed, { groupIds: ids, forecastScope: noticeForecastScope(v.id) })).fleet;
      for (const n of noticesOf(v.id, now)) expect(planNoticeResponse(n, scoped, { now })).toEqual(planNoticeResponse(n, full, { now }));
    }
  });
});

/**
 * The notice path builds members from Auto Scaling's view and describes in EC2 only the noticed instance and the
 * members that view cannot settle, so its reads stay constant in the group's size. Safe only if every notice plans
 * exactly as with the whole group described: checked on pure Spot groups (where the view settles every member).
 */
describe('members from Auto Scaling (describeOnly)', () => {
  const settings = { id: groupId('g'), role: 'primary' as const, policy: parseSpotwiseConfig(configInput()).policies[0] as never };
  const policyOf = () => toManagedGroups(parseSpotwiseConfig(configInput())).groups.get(GROUP)!;
  const member = (id: string, lifecycleState: string | undefined) => ({
    id: instanceId(id),
    instanceType: 'm5.large',
    availabilityZone: 'us-west-2a',
    lifecycle: 'spot' as const,
    warm: false,
    ...(lifecycleState !== undefined ? { lifecycleState } : {}),
  });
  const description = (instances: ReturnType<typeof member>[], mixedPurchase = false): GroupDescription => ({
    id: groupId('g'),
    desiredCapacity: instances.length,
    minSize: 0,
    maxSize: 10,
    instances,
    availabilityZones: ['us-west-2a'],
    tags: {},
    mixedPurchase,
  });

  it.each([['InService', 'running']] as const)("%s settles as EC2 state %s, with the policy's priority and no job type", (lifecycleState, state) => {
    const view = membersFromAutoScaling(description([member('i-1', lifecycleState)]), undefined, { ...settings, policy: policyOf().policy });
    expect(view.unsettled).toEqual([]);
    expect(view.members).toEqual([
      expect.objectContaining({ id: 'i-1', groupId: 'g', lifecycle: 'spot', state, warm: false, priority: 90, jobType: 'unknown', launchedAt: 0 }),
    ]);
  });

  it.each([
    // Pending:Wait and Terminating:Wait members run in EC2 while their hook holds them; Pending and Terminating ones may not yet or any more.
    ['Pending'],
    ['Pending:Wait'],
    ['Pending:Proceed'],
    ['Terminating'],
    ['Terminating:Wait'],
    ['Terminating:Proceed'],
    ['Standby'],
    ['EnteringStandby'],
    ['Detaching'],
    ['Quarantined'],
    [undefined],
  ])('%s is left to EC2 (its EC2 state is not certain)', (lifecycleState) => {
    const view = membersFromAutoScaling(description([member('i-1', lifecycleState), member('i-2', 'InService')]), undefined, {
      ...settings,
      policy: policyOf().policy,
    });
    expect(view.unsettled).toEqual(['i-1']);
    expect(view.members.map((m) => m.id)).toEqual(['i-2']);
  });

  it("a group launching both Spot and On-Demand leaves every member to EC2 (only EC2 knows each one's purchase option)", () => {
    const view = membersFromAutoScaling(description([member('i-1', 'InService'), member('i-2', 'InService')], true), undefined, {
      ...settings,
      policy: policyOf().policy,
    });
    expect(view).toEqual({ members: [], unsettled: ['i-1', 'i-2'] });
  });

  it("warm-pool members come from the warm pool's description, On-Demand, by their Warmed:* state", () => {
    const warm: WarmPoolDescription = {
      minSize: 1,
      maxGroupPreparedCapacity: -1,
      poolState: 'Stopped',
      reuseOnScaleIn: true,
      instances: [
        { id: instanceId('i-w1'), instanceType: 'm5.large', availabilityZone: 'us-west-2a', lifecycleState: 'Warmed:Stopped' },
        { id: instanceId('i-w2'), instanceType: 'm5.large', availabilityZone: 'us-west-2a', lifecycleState: 'Warmed:Running' },
        { id: instanceId('i-w3'), instanceType: 'm5.large', availabilityZone: 'us-west-2a', lifecycleState: 'Warmed:Pending:Wait' },
      ],
    };
    const view = membersFromAutoScaling(description([]), warm, { ...settings, policy: policyOf().policy });
    expect(view.members.map((m) => [m.id, m.state, m.warm, m.lifecycle])).toEqual([
      ['i-w1', 'stopped', true, 'on-demand'],
      ['i-w2', 'running', true, 'on-demand'],
    ]);
    expect(view.unsettled).toEqual(['i-w3']);
  });

  /** A pure Spot primary (no On-Demand siblings) with its standby group's warm pool: the notice world of the benchmark. */
  const pureSpot = () => buildNoticeWorld({ instances: 120, now: BENCH_NOW, seed: 5, warmInstances: 3, headroom: 2, utilisation: { min: 0.5, max: 0.9 } });
  /** Members' live facts, without what the view does not carry for a settled sibling (launch time, job type). */
  const facts = (f: FleetView) =>
    f.groups.map((g) => [g.id, g.instances.map((i) => [i.id, i.groupId, i.instanceType, i.availabilityZone, i.lifecycle, i.state, i.warm]).sort()]);

  it('describes in EC2 the noticed instance and the unsettled members only, and sees the same members as EC2 does', async () => {
    const world = await pureSpot();
    const ids = relatedGroups(world.deps.managed, PRIMARY_GROUP);
    const victim = world.fleet.primary.find((i) => i.lifecycle === 'spot')!;
    // One member in Standby: Auto Scaling's view cannot tell its EC2 state (running, stopping or stopped).
    const parked = world.fleet.primary.find((i) => i.id !== victim.id)!;
    await world.ports.cloud.enterStandby(PRIMARY_GROUP, parked.id, { decrementDesiredCapacity: false });
    const full = (await loadFleet(world.deps.ports, world.deps.managed, { groupIds: ids })).fleet;
    const before = world.ports.cloud.log.calls.length;
    const scoped = (await loadFleet(world.deps.ports, world.deps.managed, { groupIds: ids, describeOnly: [victim.id] })).fleet;
    const describes = world.ports.cloud.log.calls
      .slice(before)
      .filter((c) => c.operation === 'describeInstances')
      .map((c) => (c.args[0] as { instanceIds?: InstanceId[] }).instanceIds);
    expect(describes).toEqual([[victim.id], [parked.id]]);
    expect(facts(scoped)).toEqual(facts(full));
    // The noticed instance keeps all of EC2's facts.
    const v = scoped.groups.flatMap((g) => g.instances).find((i) => i.id === victim.id);
    expect(v).toEqual(full.groups.flatMap((g) => g.instances).find((i) => i.id === victim.id));
  });

  it('plans every notice of a pure Spot group as with every member described', async () => {
    const world = await pureSpot();
    const ids = relatedGroups(world.deps.managed, PRIMARY_GROUP);
    const full = (await loadFleet(world.deps.ports, world.deps.managed, { groupIds: ids })).fleet;
    const now = BENCH_NOW + 1_000;
    for (const v of world.fleet.primary.filter((_, k) => k % 11 === 0)) {
      const scoped = (await loadFleet(world.deps.ports, world.deps.managed, { groupIds: ids, describeOnly: [v.id], forecastScope: noticeForecastScope(v.id) }))
        .fleet;
      for (const n of noticesOf(v.id, now)) expect(planNoticeResponse(n, scoped, { now })).toEqual(planNoticeResponse(n, full, { now }));
    }
  });
});
