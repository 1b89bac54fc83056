import { describe, expect, it } from 'vitest';
import { parseSpotwiseConfig } from '../../lambda/contracts/config';
import { groupId } from '../../lambda/core/domain';
import { DEFAULT_SPOT_POOL_PRIOR, loadFleet, noticeForecastScope, resolveManagedGroup } from '../../lambda/handlers/load-fleet';
import { planNoticeResponse } from '../../lambda/core/planner/plan-notice';
import { hourlyRateOfMonthly, STAGING_HORIZON_HOURS } from '../../lambda/core/staging/pool-risk';
import type { Notice } from '../../lambda/core/domain';
import { PRIMARY_GROUP } from '../../bench/fleet/synthetic-fleet';
import { buildNoticeWorld } from '../../bench/notice-world';
import { effectiveDryRun, relatedGroups, toManagedGroups } from '../../lambda/handlers/managed-groups';
import { FIXTURE_INSTANCES, GROUP, OTHER, STANDBY, WARM, buildWorld, configInput } from './world';

const BENCH_NOW = Date.UTC(2026, 0, 12, 9, 0, 0);

describe('loadFleet', () => {
  it('builds the snapshot: groups, warm instances from the warm pool, stored pools and forecasts, catalog', async () => {
    const w = await buildWorld();
    const { fleet, poolsNotStored, warnings } = await loadFleet(w.deps.ports, w.deps.managed);
    expect(warnings).toEqual([]);
    expect(poolsNotStored).toEqual([]);
    const primary = fleet.groups.find((g) => g.id === GROUP);
    const standby = fleet.groups.find((g) => g.id === STANDBY);
    expect(primary).toMatchObject({ role: 'primary', standbyGroupId: STANDBY, desiredCapacity: 5, minSize: 1, maxSize: 10, policy: { policyName: 'web', priority: 90 } });
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

  it('reads only, in batches: one describe of all groups, one DescribeInstances, one catalog and one forecast read', async () => {
    const w = await buildWorld();
    await loadFleet(w.deps.ports, w.deps.managed);
    expect(w.ports.mutatingCalls()).toEqual([]);
    for (const op of ['describeGroups', 'describeInstances', 'describeInstanceTypes'] as const) expect(w.ports.cloud.log.count(op)).toBe(1);
    expect(w.ports.stateStore.log.count('getForecasts')).toBe(1);
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
    const own = toManagedGroups(parseSpotwiseConfig(configInput({ policies: [{ policy_name: 'web', priority: 'high' }, { policy_name: STANDBY, priority: 'low' }] })));
    expect(own.groups.get(STANDBY)?.policy.priority).toBe(10);
  });

  it('related groups: the group, its standby and the primaries sharing it', () => {
    const m = toManagedGroups(parseSpotwiseConfig(configInput({
      groups: [
        { name: GROUP, policy: 'web', capacity: { vcpu: 1, memory_gib: 1 }, standby: STANDBY },
        { name: 'batch', policy: 'web', capacity: { vcpu: 1, memory_gib: 1 }, standby: STANDBY },
        { name: 'alone', policy: 'web', capacity: { vcpu: 1, memory_gib: 1 } },
      ],
    })));
    expect(relatedGroups(m, GROUP)).toEqual([GROUP, STANDBY, groupId('batch')]);
    expect(relatedGroups(m, STANDBY)).toEqual([STANDBY, GROUP, groupId('batch')]);
    expect(relatedGroups(m, groupId('alone'))).toEqual(['alone']);
  });

  it.each([[false, false, false], [true, false, true], [false, true, true]])('dry-run: deployment %s, policy %s → %s', (global, policy, expected) => {
    expect(effectiveDryRun(global, { ...managed().groups.get(GROUP)!.policy, dryRun: policy })).toBe(expected);
  });

  it('group_tag: a tagged group is managed with the policy its spotwise:policy tag names', async () => {
    const w = await buildWorld({ seedState: false, config: { groups: [], standby_groups: [], group_tag: { key: 'team', value: 'spot' }, policies: [{ policy_name: 'web', priority: 'high' }, { policy_name: 'cheap', priority: 'low' }] } });
    w.ports.cloud.putGroup({ ...w.ports.cloud.group(GROUP)!, tags: { team: 'spot', 'spotwise:policy': 'cheap' } });
    expect(await resolveManagedGroup(w.deps.ports, w.deps.managed, GROUP)).toMatchObject({ id: GROUP, role: 'primary', policy: { policyName: 'cheap' } });
    expect(await resolveManagedGroup(w.deps.ports, w.deps.managed, STANDBY)).toBeUndefined();
    // Its pool: the shapes of its instances plus 25 % headroom (4 × m5.large + 1 × m5.xlarge = 12 vCPU → 15).
    const { fleet } = await loadFleet(w.deps.ports, w.deps.managed, { groupIds: [GROUP] });
    expect(fleet.groups[0]?.pool.capacity.vcpu).toBe(15);
    expect(fleet.groups[0]?.instances.map((i) => i.id)).toContain(FIXTURE_INSTANCES.karpenter);
  });
});

/**
 * The notice path reads only the forecasts noticeForecastScope selects. That is safe only if every notice
 * plans exactly as it would with the whole group's forecasts: checked on a synthetic group with running and
 * stopped On-Demand siblings, with and without stop → modify → start, for each kind of notice the scope serves.
 */
describe('noticeForecastScope', () => {
  const fleetOf = async (allowStopModifyStart: boolean) => {
    const world = await buildNoticeWorld({ instances: 60, now: BENCH_NOW, seed: 3, onDemandSiblings: 8, warmInstances: 0, headroom: 2, utilisation: { min: 0.8, max: 0.95 }, policy: { allow_stop_modify_start: allowStopModifyStart } });
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
      const { fleet } = await loadFleet(world.deps.ports, world.deps.managed, { groupIds: relatedGroups(world.deps.managed, PRIMARY_GROUP), forecastScope: noticeForecastScope(victim.id) });
      const onDemand = world.fleet.primary.filter((i) => i.lifecycle === 'on-demand').map((i) => i.id);
      const expected = [victim.id, ...(allow ? onDemand : onDemand.slice(0, 4))].filter((id) => world.fleet.forecasts.some((f) => f.instanceId === id)).sort();
      expect([...fleet.forecasts.keys()].sort()).toEqual(expected);
    }
  });

  it.each([false, true])('plans every notice as with the whole group\'s forecasts (stop → modify → start %s)', async (allow) => {
    const world = await fleetOf(allow);
    const ids = relatedGroups(world.deps.managed, PRIMARY_GROUP);
    const full = (await loadFleet(world.deps.ports, world.deps.managed, { groupIds: ids })).fleet;
    const now = BENCH_NOW + 1_000;
    const victims = world.fleet.primary.filter((_, k) => k % 7 === 0);
    for (const v of victims) {
      const scoped = (await loadFleet(world.deps.ports, world.deps.managed, { groupIds: ids, forecastScope: noticeForecastScope(v.id) })).fleet;
      const notices: Notice[] = [
        { kind: 'spot-interruption-warning', eventId: `w-${v.id}`, at: now, instanceId: v.id, action: 'terminate', deadline: now + 120_000 },
        { kind: 'rebalance-recommendation', eventId: `r-${v.id}`, at: now, instanceId: v.id },
        { kind: 'capacity-reservation-interruption-warning', eventId: `c-${v.id}`, at: now, instanceId: v.id, deadline: now + 120_000 },
        { kind: 'lifecycle-terminate', eventId: `t-${v.id}`, at: now, instanceId: v.id, groupId: PRIMARY_GROUP, hookName: 'spotwise-terminate', token: 'tok', destination: 'EC2' } as Notice,
        { kind: 'state-change', eventId: `s-${v.id}`, at: now, instanceId: v.id, state: 'running' },
      ];
      for (const n of notices) expect(planNoticeResponse(n, scoped, { now })).toEqual(planNoticeResponse(n, full, { now }));
    }
  });
});
