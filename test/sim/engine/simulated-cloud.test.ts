import { describe, expect, it } from 'vitest';
import type { InstanceId } from '../../../lambda/core/domain';
import type { SimWorld } from '../../../lambda/sim/engine/sim-world';
import { InstanceNotStoppedError } from '../../../lambda/sim/memory';
import { GROUP_IDS } from '../../../lambda/sim/sample-fleet';
import { advance, newWorld, noHooks, quietOnBundledTraces, runningStandbyMember } from './world-fixtures';

const quietWorld = quietOnBundledTraces();

/**
 * A concurrent delivery that reads an instance's state at every turn of the microtask queue while other deliveries
 * run: as the world sees it, and as DescribeInstances reports it to a strategy.
 */
const watchStates = (world: SimWorld, id: InstanceId, turns = 40): Set<string> => {
  const seen = new Set<string>();
  world.post(async () => {
    for (let k = 0; k < turns; k++) {
      seen.add(`world ${world.instance(id)?.state}`);
      const [described] = await world.cloud.describeInstances({ instanceIds: [id] });
      seen.add(`described ${described?.state}`);
    }
  });
  return seen;
};

describe('SimulatedCloud: one record of instance state, changed in time', () => {
  it('a stop under way is never read as stopped: the instance is running, then stopping, for the world and for DescribeInstances', async () => {
    const { world, cloud } = newWorld(quietWorld());
    const id = await runningStandbyMember(world, cloud);
    world.post(() => cloud.stopInstances([id]));
    const seen = watchStates(world, id);
    await world.drain();
    expect(seen).toEqual(new Set(['world running', 'described running', 'world stopping', 'described stopping']));
    expect(world.instance(id)?.state).toBe('stopping');
  });

  it('a start of a stopped warm instance is never read as running before it has booted', async () => {
    const { world, cloud } = newWorld(quietWorld());
    const warm = world.instances().find((i) => i.groupId === GROUP_IDS.standby && i.warm && i.state === 'stopped');
    if (warm === undefined) throw new Error('no stopped warm instance');
    world.post(() => cloud.startInstances([warm.id]));
    const seen = watchStates(world, warm.id);
    await world.drain();
    expect(seen).toEqual(new Set(['world stopped', 'described stopped', 'world pending', 'described pending']));
    expect(world.instance(warm.id)?.state).toBe('pending');
  });

  it('a start under way does not bring back an instance another delivery terminated meanwhile', async () => {
    const { world, cloud } = newWorld(quietWorld());
    const warm = world.instances().find((i) => i.groupId === GROUP_IDS.standby && i.warm && i.state === 'stopped');
    if (warm === undefined) throw new Error('no stopped warm instance');
    world.post(() => cloud.startInstances([warm.id]));
    // A second delivery terminates the instance as soon as the cloud has taken the start call.
    let terminatedAt: string | undefined;
    world.post(async () => {
      for (let k = 0; k < 40 && world.cloud.log.count('startInstances') === 0; k++) await Promise.resolve();
      terminatedAt = world.instance(warm.id)?.state;
      world.terminate(warm.id, noHooks, 'api');
    });
    await world.drain();
    expect(terminatedAt).toBe('stopped');
    expect(world.instance(warm.id)?.state).toBe('shutting-down');
  });

  it('a refused call leaves every state as it was and is counted once', async () => {
    const { world, cloud } = newWorld(quietWorld());
    const spot = world.instances().find((i) => i.lifecycle === 'spot' && i.state === 'running');
    const standby = await runningStandbyMember(world, cloud);
    if (spot === undefined) throw new Error('no running Spot instance');
    const failedBefore = world.totals.failedActions;
    await expect(cloud.stopInstances([standby, spot.id])).rejects.toThrow(/cannot be stopped/);
    expect(world.instance(standby)?.state).toBe('running');
    expect(world.instance(spot.id)?.state).toBe('running');
    expect(world.totals.failedActions).toBe(failedBefore + 1);
  });

  it('TerminateInstanceInAutoScalingGroup on an instance already shutting down lets it reach terminated in its own time, and tells the strategy', async () => {
    const states: string[] = [];
    const { world, cloud } = newWorld(quietWorld());
    const victim = world.instances().find((i) => i.groupId === GROUP_IDS.web && i.state === 'running')!.id;
    world.terminate(victim, noHooks, 'api');
    const hooks = { name: 'test', onInstanceState: async (_w: SimWorld, id: InstanceId, s: string) => void (id === victim && states.push(s)) };
    await cloud.terminateInstanceInGroup(victim, { decrementDesiredCapacity: false });
    expect(world.instance(victim)?.state).toBe('shutting-down');
    expect((await world.cloud.describeInstances({ instanceIds: [victim] })).map((i) => i.state)).toEqual(['shutting-down']);
    world.setNow(world.now() + world.params.timings.terminateSeconds * 1000);
    world.reachState(victim, 'terminated', hooks);
    await world.drain();
    expect(world.instance(victim)?.state).toBe('terminated');
    expect(states).toEqual(['terminated']);
  });
});

describe('SimulatedCloud: refusals, throttling and concurrent writers', () => {
  it('refuses a retype before the instance is stopped, counts the refusal, and accepts it once stopped', async () => {
    const setup = quietWorld();
    const { world, cloud } = newWorld(setup);
    const id = await runningStandbyMember(world, cloud);
    await cloud.stopInstances([id]);
    expect(world.instance(id)?.state).toBe('stopping');
    await expect(cloud.retypeStoppedInstance(id, 'm5.2xlarge')).rejects.toBeInstanceOf(InstanceNotStoppedError);
    await expect(cloud.startInstances([id])).rejects.toThrow(/stopping/);
    expect(world.totals.failedActions).toBe(2);
    await advance(world, setup.world.timings.stopSeconds);
    expect(world.instance(id)?.state).toBe('stopped');
    await cloud.retypeStoppedInstance(id, 'm5.2xlarge');
    expect(world.instance(id)?.instanceType).toBe('m5.2xlarge');
    expect(world.totals.failedActions).toBe(2);
  });

  it('counts one stale write when two concurrent deliveries each read desired capacity and write +1', async () => {
    const setup = quietWorld();
    const { world, cloud } = newWorld(setup);
    const before = world.cloud.group(GROUP_IDS.standby)!.desiredCapacity;
    for (let k = 0; k < 2; k++) {
      world.post(async () => {
        const [g] = await cloud.describeGroups([GROUP_IDS.standby]);
        await cloud.setDesiredCapacity(GROUP_IDS.standby, g!.desiredCapacity + 1);
      });
    }
    await world.drain();
    expect(world.totals.staleCapacityWrites).toBe(1);
    // The lost update AWS would make: both wrote before + 1.
    expect(world.cloud.group(GROUP_IDS.standby)!.desiredCapacity).toBe(before + 1);
  });

  it('keeps every change of concurrent ExecutePolicy adjustments (no stale write)', async () => {
    const setup = quietWorld();
    const { world, cloud } = newWorld(setup);
    const before = world.cloud.group(GROUP_IDS.standby)!.desiredCapacity;
    for (let k = 0; k < 3; k++) world.post(() => cloud.changeDesiredCapacity(GROUP_IDS.standby, 1));
    await world.drain();
    expect(world.totals.staleCapacityWrites).toBe(0);
    expect(world.cloud.group(GROUP_IDS.standby)!.desiredCapacity).toBe(before + 3);
  });

  it('makes a throttled call wait in simulated time until the bucket has a token again', async () => {
    const setup = quietWorld();
    const { world, cloud } = newWorld(setup);
    for (let k = 0; k < 50; k++) world.buckets.mutating.take(world.now());
    let done = false;
    world.post(async () => {
      await cloud.tagInstances([setup.sample.fleet.groups[0]!.instances[0]!.id], { a: 'b' });
      done = true;
    });
    await world.settle();
    expect(done).toBe(false);
    world.setNow(world.now() + 200);
    await world.settle();
    expect(done).toBe(true);
    expect(world.buckets.mutating.throttled).toBe(1);
  });
});
