import { describe, expect, it } from 'vitest';
import { parseSpotwiseConfig } from '../../lambda/contracts/config';
import { groupId } from '../../lambda/core/domain';
import { DEFAULT_SPOT_POOL_PROBABILITY, loadFleet, resolveManagedGroup } from '../../lambda/handlers/load-fleet';
import { effectiveDryRun, relatedGroups, toManagedGroups } from '../../lambda/handlers/managed-groups';
import { FIXTURE_INSTANCES, GROUP, OTHER, STANDBY, WARM, buildWorld, configInput } from './world';

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
    expect(primary?.spotPools).toEqual([
      { instanceType: 'm5.large', availabilityZone: 'us-west-2a', interruptionProbability: DEFAULT_SPOT_POOL_PROBABILITY },
      { instanceType: 'm5.large', availabilityZone: 'us-west-2b', interruptionProbability: DEFAULT_SPOT_POOL_PROBABILITY },
      { instanceType: 'm5.xlarge', availabilityZone: 'us-west-2a', interruptionProbability: DEFAULT_SPOT_POOL_PROBABILITY },
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
