import { beforeAll, describe, expect, it } from 'vitest';
import { instanceId } from '../../../lambda/core/domain';
import { BUNDLED_DATA_DIR } from '../../../lambda/sim/bundled-data';
import { SimulatedCloud } from '../../../lambda/sim/engine/simulated-cloud';
import { SimWorld, type StrategyHooks } from '../../../lambda/sim/engine/sim-world';
import { InstanceNotStoppedError } from '../../../lambda/sim/memory';
import { prepareSimulation, type PreparedSimulation } from '../../../lambda/sim/prepare-simulation';
import { STOPPED_STORAGE_USD_PER_HOUR } from '../../../lambda/sim/price-table';
import { runStrategy } from '../../../lambda/sim/run-strategy';
import { GROUP_IDS } from '../../../lambda/sim/sample-fleet';
import { createNoneStrategy, createReactiveStrategy } from '../../../lambda/sim/strategies/baseline-strategies';
import { loadTraces, type TraceSeries } from '../../../lambda/sim/traces/load-traces';

let traces: TraceSeries[];
beforeAll(() => {
  traces = loadTraces(BUNDLED_DATA_DIR);
});

const quiet = (): PreparedSimulation =>
  prepareSimulation({ seed: 1, hours: 1, instances: 4, traces, checkInvariants: true, interruption: { rateScale: 0 }, requests: { meanHoursBetweenWaves: 0 } });

/** One burst that reclaims every instance of the first web instance's pool, 10 minutes in, without early rebalance. */
const withBurst = (setup: PreparedSimulation): PreparedSimulation => {
  const victim = setup.sample.fleet.groups[0]!.instances[0]!;
  return { ...setup, bursts: [{ id: 'test#0', instanceType: victim.instanceType, availabilityZone: victim.availabilityZone, at: setup.sample.startAt + 600_000, reclaimShare: 1, seed: 7 }] };
};

const noHooks: StrategyHooks = { name: 'test' };

describe('the simulated world', () => {
  it('replaces a reclaimed instance only after the health check (none) and recovers later than on the warning (reactive)', async () => {
    const setup = withBurst(quiet());
    const none = await runStrategy(setup, createNoneStrategy());
    const reactive = await runStrategy(setup, createReactiveStrategy());
    expect(none.totals.spotInterruptions).toBeGreaterThanOrEqual(1);
    expect(reactive.totals.spotInterruptions).toBe(none.totals.spotInterruptions);
    const recovery = (r: typeof none) => r.episodes.filter((e) => e.kind === 'spot').map((e) => ((e.end ?? Infinity) - e.start) / 1000);
    const t = setup.world.timings;
    // none: health check + cold launch + application warm-up, at least.
    for (const s of recovery(none)) expect(s).toBeGreaterThanOrEqual(t.asgDetectionSeconds + t.coldLaunchSeconds + t.appWarmUpSeconds - 120 - setup.world.stepSeconds);
    expect(Math.max(...recovery(reactive))).toBeLessThan(Math.min(...recovery(none)));
    expect(none.totals.unservedVcpuMinutes).toBeGreaterThan(reactive.totals.unservedVcpuMinutes);
  });

  it('brings a stopped warm instance into service in the warm-start time when the standby group grows', async () => {
    const setup = quiet();
    const world = new SimWorld(setup.sample, setup.advisor, setup.world, setup.hours);
    const cloud = new SimulatedCloud(world, () => noHooks);
    await cloud.setDesiredCapacity(GROUP_IDS.standby, 1);
    const started = world.instances().filter((i) => i.groupId === GROUP_IDS.standby && !i.warm);
    expect(started).toHaveLength(1);
    expect(started[0]!.state).toBe('pending');
    const due = world.queue.popDue(world.now() + setup.world.timings.warmStoppedSeconds * 1000);
    expect(due?.event).toEqual({ kind: 'ready', instanceId: started[0]!.id });
    expect(due!.at - world.now()).toBe(setup.world.timings.warmStoppedSeconds * 1000);
    expect(world.totals.warmStarts).toBe(1);
  });

  it('keeps AWS refusals: a running instance cannot be retyped', async () => {
    const setup = quiet();
    const world = new SimWorld(setup.sample, setup.advisor, setup.world, setup.hours);
    const cloud = new SimulatedCloud(world, () => noHooks);
    const running = setup.sample.fleet.groups[0]!.instances[0]!.id;
    await expect(cloud.retypeStoppedInstance(running, 'm5.xlarge')).rejects.toBeInstanceOf(InstanceNotStoppedError);
    const warm = setup.sample.fleet.groups[2]!.instances[0]!.id;
    await cloud.retypeStoppedInstance(warm, 'm5.2xlarge');
    expect(world.instance(warm)?.instanceType).toBe('m5.2xlarge');
  });

  it('throttles launches past the burst of five', async () => {
    const setup = quiet();
    const world = new SimWorld(setup.sample, setup.advisor, setup.world, setup.hours);
    for (let k = 0; k < 8; k++) world.buckets.launch.take(world.now());
    expect(world.buckets.launch.throttled).toBe(3);
  });

  it('charges stopped warm instances storage only', () => {
    const setup = quiet();
    const world = new SimWorld(setup.sample, setup.advisor, setup.world, setup.hours);
    world.accountStep();
    const step = setup.world.stepSeconds / 3600;
    const running = setup.sample.fleet.groups.filter((g) => g.role === 'primary').flatMap((g) => g.instances);
    const warm = setup.sample.fleet.groups[2]!.instances.length;
    const expected = running.reduce((s, i) => s + (setup.sample.fleet.catalog.get(i.instanceType)!.spotHourlyUsd ?? 0) * step, 0) + warm * STOPPED_STORAGE_USD_PER_HOUR * step;
    expect(world.totals.costUsd).toBeCloseTo(expected, 12);
  });

  it('holds an Auto Scaling termination in Terminating:Wait until the terminate hook is completed (spotwise deployed)', async () => {
    const setup = quiet();
    const world = new SimWorld(setup.sample, setup.advisor, setup.world, setup.hours);
    world.lifecycleHooks = { launchHook: 'spotwise-launch', terminateHook: 'spotwise-terminate', heartbeatTimeoutSeconds: 300 };
    const seen: string[] = [];
    const hooks: StrategyHooks = { name: 'test', onLifecycleHook: async (_w, e) => void seen.push(`${e.transition}:${e.instanceId}:${e.token}`) };
    const cloud = new SimulatedCloud(world, () => hooks);
    const victim = setup.sample.fleet.groups[0]!.instances[0]!.id;
    await cloud.terminateInstanceInGroup(victim, { decrementDesiredCapacity: false });
    expect(world.instance(victim)?.state).toBe('running');
    expect(world.meta.get(victim)?.terminating).toBeDefined();
    expect(world.totals.voluntaryInterruptions).toBe(1);
    // Auto Scaling replaces it meanwhile (the replacement's launch hook fires too).
    expect(seen.filter((x) => x.startsWith('terminate:'))).toEqual([`terminate:${victim}:${world.meta.get(victim)!.terminating!.token}`]);
    expect(seen.filter((x) => x.startsWith('launch:'))).toHaveLength(1);
    const token = world.meta.get(victim)!.terminating!.token;
    await cloud.completeLifecycleAction({ groupId: GROUP_IDS.web, instanceId: victim, hookName: 'spotwise-terminate', token, result: 'CONTINUE' });
    expect(world.instance(victim)?.state).toBe('terminated');
  });

  it('lets a terminate hook time out into CONTINUE after the heartbeat timeout', async () => {
    const setup = quiet();
    const world = new SimWorld(setup.sample, setup.advisor, setup.world, setup.hours);
    world.lifecycleHooks = { launchHook: 'spotwise-launch', terminateHook: 'spotwise-terminate', heartbeatTimeoutSeconds: 300 };
    const cloud = new SimulatedCloud(world, () => noHooks);
    const victim = setup.sample.fleet.groups[0]!.instances[1]!.id;
    await cloud.terminateInstanceInGroup(victim, { decrementDesiredCapacity: false });
    const token = world.meta.get(victim)!.terminating!.token;
    world.setNow(world.now() + 299_000);
    await world.expireLifecycleHook(victim, token, noHooks);
    expect(world.instance(victim)?.state).toBe('running');
    world.setNow(world.now() + 1_000);
    await world.expireLifecycleHook(victim, token, noHooks);
    expect(world.instance(victim)?.state).toBe('terminated');
  });

  it('detects an instance claimed by two workloads', () => {
    const setup = quiet();
    const world = new SimWorld(setup.sample, setup.advisor, setup.world, setup.hours);
    world.checkInvariants();
    world.workloads[1]!.host = world.workloads[0]!.host;
    expect(() => world.checkInvariants()).toThrow(/claimed by workloads/);
    world.workloads[1]!.host = instanceId('i-0ffffffffffffffff');
    expect(() => world.checkInvariants()).toThrow();
  });
});
