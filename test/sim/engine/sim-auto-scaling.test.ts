import { describe, expect, it } from 'vitest';
import { GROUP_IDS } from '../../../lambda/sim/sample-fleet';
import { advance, newWorld, noHooks, quietOnBundledTraces, runningStandbyMember } from './world-fixtures';

const quiet = quietOnBundledTraces();

describe('SimAutoScaling: groups as Auto Scaling keeps them', () => {
  it('brings a stopped warm instance into service in the warm-start time when the standby group grows', async () => {
    const setup = quiet();
    const { world, cloud } = newWorld(setup);
    const preparedAt = new Map(world.instances().map((i) => [i.id, i.launchedAt] as const));
    await advance(world, 600);
    await cloud.setDesiredCapacity(GROUP_IDS.standby, 1);
    // The call only sets desired capacity; the scaling activity starts after the step's calls (its reconcile).
    expect(world.instances().filter((i) => i.groupId === GROUP_IDS.standby && !i.warm)).toEqual([]);
    world.reconcile(noHooks);
    const started = world.instances().filter((i) => i.groupId === GROUP_IDS.standby && !i.warm);
    expect(started).toHaveLength(1);
    expect(started[0]!.state).toBe('pending');
    // EC2's LaunchTime is the last launch: a stopped warm instance's start resets it (not its preparation time).
    expect(started[0]!.launchedAt).toBe(world.now());
    expect(preparedAt.get(started[0]!.id)).toBeLessThan(world.now());
    const due = world.queue.popDue(world.now() + setup.world.timings.warmStoppedSeconds * 1000);
    expect(due?.event).toEqual({ kind: 'ready', instanceId: started[0]!.id });
    expect(world.totals.warmStarts).toBe(1);
  });

  it('a retype sent right after a scale-out reaches the warm instance before the scaling activity picks one (ExecutePolicy returns first)', async () => {
    const setup = quiet();
    const { world, cloud } = newWorld(setup);
    await advance(world, 600);
    const warm = world.instances().filter((i) => i.groupId === GROUP_IDS.standby && i.warm && i.state === 'stopped');
    expect(warm.length).toBeGreaterThan(0);
    await cloud.changeDesiredCapacity(GROUP_IDS.standby, 1);
    // Another handler of the same step retypes a stopped warm instance: EC2 accepts it, the instance is still stopped.
    await cloud.retypeStoppedInstance(warm[0]!.id, 'm5.2xlarge');
    world.reconcile(noHooks);
    const started = world.instances().filter((i) => i.groupId === GROUP_IDS.standby && !i.warm);
    expect(started.map((i) => [i.id, i.instanceType])).toEqual([[warm[0]!.id, 'm5.2xlarge']]);
    expect(world.totals.failedActions).toBe(0);
  });

  it('replaces an In-Service member that stays stopped past a health-check period, but not one in Standby', async () => {
    const setup = quiet();
    const { world, cloud } = newWorld(setup);
    const id = await runningStandbyMember(world, cloud);
    await cloud.stopInstances([id]);
    await advance(world, setup.world.timings.asgDetectionSeconds + 10);
    expect(world.totals.healthCheckReplacements).toBe(1);
    expect(world.isAlive(id)).toBe(false);
    // Desired capacity is still 1: Auto Scaling launched a replacement with a new id.
    const members = world.instances().filter((i) => i.groupId === GROUP_IDS.standby && !i.warm && world.isAlive(i.id));
    expect(members.map((i) => i.id)).not.toContain(id);
    expect(members).toHaveLength(1);

    const other = members[0]!.id;
    await advance(world, 30);
    world.meta.get(other)!.standby = true;
    await cloud.stopInstances([other]);
    await advance(world, setup.world.timings.asgDetectionSeconds * 3);
    expect(world.totals.healthCheckReplacements).toBe(1);
    expect(world.instance(other)?.state).toBe('stopped');
  });

  it("reports a strategy's Capacity Rebalancing on the primary groups' descriptions (CapacityRebalance), never on the standby group", async () => {
    const { world, cloud } = newWorld(quiet());
    const flags = async () =>
      Object.fromEntries((await cloud.describeGroups(world.cloud.allGroups().map((g) => g.id))).map((g) => [g.id, g.capacityRebalance]));
    expect(Object.values(await flags()).every((v) => v === false)).toBe(true);
    world.features = { capacityRebalance: true, maintenancePolicy: 'launch-before-terminate' };
    const on = await flags();
    for (const g of world.cloud.allGroups()) expect(on[g.id]).toBe(!world.standbyGroups.has(g.id));
    expect(Object.values(on)).toContain(true);
  });

  it('launches the replacement first under launch-before-terminate', async () => {
    const setup = quiet();
    const { world, cloud } = newWorld(setup);
    world.features = { capacityRebalance: false, maintenancePolicy: 'launch-before-terminate' };
    const victim = setup.sample.fleet.groups[0]!.instances[0]!.id;
    const desired = world.cloud.group(GROUP_IDS.web)!.desiredCapacity;
    await cloud.terminateInstanceInGroup(victim, { decrementDesiredCapacity: false });
    expect(world.instance(victim)?.state).toBe('running');
    expect(world.meta.get(victim)?.draining).toBe(true);
    // Desired capacity is unchanged (the group runs one member more than desired for a while); a replacement is launched.
    expect(world.cloud.group(GROUP_IDS.web)!.desiredCapacity).toBe(desired);
    const members = world.instances().filter((i) => i.groupId === GROUP_IDS.web && !i.warm && (i.state === 'pending' || i.state === 'running'));
    expect(members).toHaveLength(desired + 1);
    expect(world.inServiceCount(GROUP_IDS.web)).toBe(desired);
    // Once the victim has gone, the group is back at desired with the replacement in its slot, and nothing is scaled in.
    world.terminate(victim, noHooks, 'drained');
    world.reconcile(noHooks);
    expect(world.cloud.group(GROUP_IDS.web)!.desiredCapacity).toBe(desired);
    expect(world.instances().filter((i) => i.groupId === GROUP_IDS.web && !i.warm && (i.state === 'pending' || i.state === 'running'))).toHaveLength(desired);
  });
});
