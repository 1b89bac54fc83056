import { describe, expect, it } from 'vitest';
import type { StrategyHooks } from '../../../lambda/sim/engine/sim-types';
import { SimulatedCloud } from '../../../lambda/sim/engine/simulated-cloud';
import { WORLD_LIFECYCLE_HOOKS } from '../../../lambda/sim/run-strategy';
import { GROUP_IDS } from '../../../lambda/sim/sample-fleet';
import { advance, newWorld, noHooks, quietOnBundledTraces } from './world-fixtures';

const quiet = quietOnBundledTraces();

describe('SimLifecycleHooks: Pending:Wait and Terminating:Wait', () => {
  it('holds a termination in Terminating:Wait under terminate-and-launch: no replacement until it is gone', async () => {
    const setup = quiet();
    const { world } = newWorld(setup);
    world.lifecycleHooks = WORLD_LIFECYCLE_HOOKS;
    const seen: string[] = [];
    const hooks: StrategyHooks = { name: 'test', onLifecycleHook: async (_w, e) => void seen.push(`${e.transition}:${e.instanceId}`) };
    const cloud = new SimulatedCloud(world, () => hooks);
    const victim = setup.sample.fleet.groups[0]!.instances[0]!.id;
    const membersBefore = world.instances().filter((i) => i.groupId === GROUP_IDS.web).length;
    await cloud.terminateInstanceInGroup(victim, { decrementDesiredCapacity: false });
    await world.settle();
    expect(world.instance(victim)?.state).toBe('running');
    expect(seen).toEqual([`terminate:${victim}`]);
    expect(world.instances().filter((i) => i.groupId === GROUP_IDS.web)).toHaveLength(membersBefore);
    const token = world.meta.get(victim)!.terminating!.token;
    world.setNow(world.now() + 299_000);
    world.expireLifecycleHook(victim, token, hooks);
    expect(world.instance(victim)?.state).toBe('running');
    world.setNow(world.now() + 1_000);
    world.expireLifecycleHook(victim, token, hooks);
    expect(world.instance(victim)?.state).toBe('shutting-down');
    world.reconcile(hooks);
    expect(world.instances().filter((i) => i.groupId === GROUP_IDS.web)).toHaveLength(membersBefore + 1);
  });

  it('the application drains on Terminating:Wait whoever completes the hook: a completed hook waits for the workload to move, or the timeout', async () => {
    const setup = quiet();
    const { world } = newWorld(setup);
    world.lifecycleHooks = WORLD_LIFECYCLE_HOOKS;
    const cloud = new SimulatedCloud(world, () => noHooks);
    const victim = setup.sample.fleet.groups[0]!.instances[0]!.id;
    // A standby member comes up to take the load (terminate-and-launch replaces the victim only once it is gone).
    await cloud.setDesiredCapacity(GROUP_IDS.standby, 1);
    await cloud.terminateInstanceInGroup(victim, { decrementDesiredCapacity: false });
    await world.settle();
    expect(world.isIdle(victim)).toBe(false);
    const token = world.meta.get(victim)!.terminating!.token;
    // The strategy completes its hook at once: the instance keeps serving while its workload still has no new host.
    world.completeLifecycleHook(victim, token, noHooks);
    expect(world.instance(victim)?.state).toBe('running');
    // The replacement comes up, the workload moves, and the vacated instance goes.
    for (let k = 0; k < 60 && !world.isIdle(victim); k++) {
      await advance(world, 10);
      // The newcomer's bootstrap completes its launch hook.
      for (const m of world.meta.values()) if (m.launching !== undefined) world.completeLifecycleHook(m.id, m.launching.token, noHooks);
      world.placeWorkloads(noHooks);
    }
    expect(world.isIdle(victim)).toBe(true);
    world.settleDrains(noHooks);
    expect(world.instance(victim)?.state).toBe('shutting-down');
    // A member whose workload never finds a new host goes at the hook's timeout all the same.
    const stuck = setup.sample.fleet.groups[0]!.instances[1]!.id;
    await cloud.terminateInstanceInGroup(stuck, { decrementDesiredCapacity: true });
    await world.settle();
    const stuckToken = world.meta.get(stuck)!.terminating!.token;
    world.completeLifecycleHook(stuck, stuckToken, noHooks);
    world.workloads.forEach((w) => {
      if (w.host === stuck) w.next = undefined;
    });
    expect(world.instance(stuck)?.state).toBe('running');
    world.setNow(world.meta.get(stuck)!.terminating!.until);
    world.expireLifecycleHook(stuck, stuckToken, noHooks);
    expect(world.instance(stuck)?.state).toBe('shutting-down');
  });

  it('refuses, as Auto Scaling does, completing or extending an action that is over: completed already, or timed out', async () => {
    const setup = quiet();
    const { world } = newWorld(setup);
    world.lifecycleHooks = WORLD_LIFECYCLE_HOOKS;
    const cloud = new SimulatedCloud(world, () => noHooks);
    const [victim, other] = [setup.sample.fleet.groups[0]!.instances[0]!.id, setup.sample.fleet.groups[0]!.instances[1]!.id];
    await cloud.terminateInstanceInGroup(victim, { decrementDesiredCapacity: false });
    await cloud.terminateInstanceInGroup(other, { decrementDesiredCapacity: false });
    await world.settle();
    const action = (id: typeof victim) => ({
      groupId: GROUP_IDS.web,
      instanceId: id,
      hookName: 'spotwise-terminate',
      token: world.meta.get(id)!.terminating!.token,
    });
    const first = action(victim);
    const failedBefore = world.totals.failedActions;
    await cloud.recordLifecycleActionHeartbeat(first);
    await cloud.completeLifecycleAction({ ...first, result: 'CONTINUE' });
    await expect(cloud.completeLifecycleAction({ ...first, result: 'CONTINUE' })).rejects.toThrow(`No active Lifecycle Action found with token ${first.token}`);
    await expect(cloud.recordLifecycleActionHeartbeat(first)).rejects.toMatchObject({ name: 'LifecycleActionNotActiveError', code: 'ValidationError' });
    // The other hook times out: Auto Scaling applies its default result, and a late completion is refused too.
    const late = action(other);
    world.setNow(world.meta.get(other)!.terminating!.until);
    world.expireLifecycleHook(other, late.token, noHooks);
    await expect(cloud.completeLifecycleAction({ ...late, result: 'CONTINUE' })).rejects.toMatchObject({ name: 'LifecycleActionNotActiveError' });
    expect(world.totals.failedActions - failedBefore).toBe(3);
  });
});
