import { beforeAll, describe, expect, it } from 'vitest';
import type { InstanceId } from '../../../lambda/core/domain';
import { BUNDLED_DATA_DIR } from '../../../lambda/sim/bundled-data';
import type { SimWorld } from '../../../lambda/sim/engine/sim-world';
import { GROUP_IDS } from '../../../lambda/sim/sample-fleet';
import { loadTraces, type TraceSeries } from '../../../lambda/data/traces/load-traces';
import { newWorld, noHooks, quiet, runningStandbyMember } from './world-fixtures';

let traces: TraceSeries[];
beforeAll(() => {
  traces = loadTraces(BUNDLED_DATA_DIR);
});

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
    const { world, cloud } = newWorld(quiet(traces));
    const id = await runningStandbyMember(world, cloud);
    world.post(() => cloud.stopInstances([id]));
    const seen = watchStates(world, id);
    await world.drain();
    expect(seen).toEqual(new Set(['world running', 'described running', 'world stopping', 'described stopping']));
    expect(world.instance(id)?.state).toBe('stopping');
  });

  it('a start of a stopped warm instance is never read as running before it has booted', async () => {
    const { world, cloud } = newWorld(quiet(traces));
    const warm = world.instances().find((i) => i.groupId === GROUP_IDS.standby && i.warm && i.state === 'stopped');
    if (warm === undefined) throw new Error('no stopped warm instance');
    world.post(() => cloud.startInstances([warm.id]));
    const seen = watchStates(world, warm.id);
    await world.drain();
    expect(seen).toEqual(new Set(['world stopped', 'described stopped', 'world pending', 'described pending']));
    expect(world.instance(warm.id)?.state).toBe('pending');
  });

  it('a refused call leaves every state as it was and is counted once', async () => {
    const { world, cloud } = newWorld(quiet(traces));
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
    const { world, cloud } = newWorld(quiet(traces));
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
