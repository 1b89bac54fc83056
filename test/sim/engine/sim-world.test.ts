import { beforeAll, describe, expect, it } from 'vitest';
import { instanceId } from '../../../lambda/core/domain';
import { BUNDLED_DATA_DIR } from '../../../lambda/sim/bundled-data';
import { SimMetricsReader } from '../../../lambda/sim/engine/sim-metrics-reader';
import { SimulatedCloud } from '../../../lambda/sim/engine/simulated-cloud';
import type { StrategyHooks } from '../../../lambda/sim/engine/sim-types';
import { InstanceNotStoppedError } from '../../../lambda/sim/memory';
import { prepareSimulation, type PreparedSimulation } from '../../../lambda/sim/prepare-simulation';
import { runStrategy, WORLD_LIFECYCLE_HOOKS } from '../../../lambda/sim/run-strategy';
import { GROUP_IDS } from '../../../lambda/sim/sample-fleet';
import { createAsgNativeStrategy, createNoneStrategy, createReactiveStrategy } from '../../../lambda/sim/strategies/baseline-strategies';
import { loadTraces, type TraceSeries } from '../../../lambda/data/traces/load-traces';
import { advance, newWorld, noHooks, quiet as quietWorld, runningStandbyMember, withBurst } from './world-fixtures';

let traces: TraceSeries[];
beforeAll(() => {
  traces = loadTraces(BUNDLED_DATA_DIR);
});

const quiet = (): PreparedSimulation => quietWorld(traces);

describe('the simulated world: AWS semantics', () => {
  it('replaces a reclaimed instance only after the health check (none) and recovers later than on the warning (reactive)', async () => {
    const setup = withBurst(quiet());
    const none = await runStrategy(setup, createNoneStrategy());
    const reactive = await runStrategy(setup, createReactiveStrategy());
    expect(none.totals.spotInterruptions).toBeGreaterThanOrEqual(1);
    expect(reactive.totals.spotInterruptions).toBe(none.totals.spotInterruptions);
    expect(none.totals.unservedVcpuMinutes).toBeGreaterThan(reactive.totals.unservedVcpuMinutes);
  });

  it('brings a stopped warm instance into service in the warm-start time when the standby group grows', async () => {
    const setup = quiet();
    const { world, cloud } = newWorld(setup);
    await cloud.setDesiredCapacity(GROUP_IDS.standby, 1);
    const started = world.instances().filter((i) => i.groupId === GROUP_IDS.standby && !i.warm);
    expect(started).toHaveLength(1);
    expect(started[0]!.state).toBe('pending');
    const due = world.queue.popDue(world.now() + setup.world.timings.warmStoppedSeconds * 1000);
    expect(due?.event).toEqual({ kind: 'ready', instanceId: started[0]!.id });
    expect(world.totals.warmStarts).toBe(1);
  });

  it('refuses a retype before the instance is stopped, counts the refusal, and accepts it once stopped', async () => {
    const setup = quiet();
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

  it('counts one stale write when two concurrent deliveries each read desired capacity and write +1', async () => {
    const setup = quiet();
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
    const setup = quiet();
    const { world, cloud } = newWorld(setup);
    const before = world.cloud.group(GROUP_IDS.standby)!.desiredCapacity;
    for (let k = 0; k < 3; k++) world.post(() => cloud.changeDesiredCapacity(GROUP_IDS.standby, 1));
    await world.drain();
    expect(world.totals.staleCapacityWrites).toBe(0);
    expect(world.cloud.group(GROUP_IDS.standby)!.desiredCapacity).toBe(before + 3);
  });

  it('makes a throttled call wait in simulated time until the bucket has a token again', async () => {
    const setup = quiet();
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

  it('hides a CloudWatch datapoint until 1–3 minutes after its minute', async () => {
    let now = 0;
    const reader = new SimMetricsReader(180, () => now);
    const id = instanceId('i-0aaaaaaaaaaaaaaaa');
    reader.record(id, { at: 0, cpuPercent: 10, cpuMaxPercent: 10, networkMbps: 0, diskIops: 0 });
    const read = async () =>
      (await reader.read([{ instanceId: id, instanceType: 'm5.large', vcpus: 2, memoryGiB: 8, agent: false }], { start: -60_000, end: 60_000 })).samples.get(
        id,
      )!.length;
    now = 60_000 + 59_999;
    expect(await read()).toBe(0);
    now = SimMetricsReader.availableAt(id, 0);
    expect(await read()).toBe(1);
    expect(now).toBeGreaterThanOrEqual(120_000);
    expect(now).toBeLessThanOrEqual(240_000);
  });

  it('detects an instance claimed by two workloads', () => {
    const setup = quiet();
    const { world } = newWorld(setup);
    world.checkInvariants();
    world.workloads[1]!.host = world.workloads[0]!.host;
    expect(() => world.checkInvariants()).toThrow(/claimed by workloads/);
    world.workloads[1]!.host = instanceId('i-0ffffffffffffffff');
    expect(() => world.checkInvariants()).toThrow();
  });
});

describe('the simulated world: one host at a time, every shortfall in an episode', () => {
  it('attributes all unserved demand to episodes, including the post-restart peak after a cut-over', async () => {
    const setup = withBurst(quiet(), 600);
    for (const strategy of [createNoneStrategy(), createAsgNativeStrategy(2)]) {
      const run = await runStrategy(setup, strategy);
      const inEpisodes = run.episodes.reduce((s, e) => s + e.unservedVcpuMinutes, 0);
      expect(run.totals.steadyUnservedVcpuMinutes).toBe(0);
      expect(inEpisodes).toBeCloseTo(run.totals.unservedVcpuMinutes, 9);
      for (const e of run.episodes) if (e.unservedVcpuMinutes > 0) expect(e.lastUnservedEnd).toBeGreaterThan(e.start);
    }
  });

  it('makes a workload pay its post-restart demand on a warm cut-over, served by the new host alone', async () => {
    const setup = quiet();
    const { world, cloud } = newWorld(setup);
    const standbyId = await runningStandbyMember(world, cloud);
    const w = world.workloads[0]!;
    const oldHost = w.host!;
    const steady = world.workloadDemand(w, world.now());
    world.markDraining(oldHost);
    world.placeWorkloads(noHooks);
    expect(w.host).toBe(standbyId);
    expect(w.startedAt).toBe(world.now());
    expect(world.workloadCapacity(w).vcpu).toBe(world.spec(standbyId).resources.vcpu);
    const after = world.workloadDemand(w, world.now());
    // The model's first-minute multiplier, its excess scaled by this workload's own variation (drawn from the seed).
    const variation = setup.world.postRestartVariation?.get(w.id) ?? 1;
    expect(variation).not.toBe(1);
    expect(after.vcpu).toBeCloseTo(steady.vcpu * (1 + (setup.world.postRestart.cpuCurve[0]! - 1) * variation), 9);
    expect(w.episode?.kind).toBe('move');
    expect(w.episode?.fromHost).toBe(oldHost);
  });
});

describe('mixed priorities (--best-effort-share, --targeted-requests)', () => {
  const mixed = (): PreparedSimulation =>
    prepareSimulation({
      seed: 3,
      hours: 1,
      instances: 6,
      traces,
      checkInvariants: true,
      interruption: { rateScale: 0 },
      priorities: { bestEffortShare: 0.5, targetedShare: 1 },
    });

  it('draws the best-effort workloads and the targeted requests from the seed, the same every time', () => {
    const a = mixed();
    const b = mixed();
    expect([...a.world.workloadPriorities!]).toEqual([...b.world.workloadPriorities!]);
    expect([...a.world.workloadPriorities!.values()].sort()).toContain(10);
    expect(new Set(a.world.workloadPriorities!.values()).size).toBeGreaterThan(1);
    expect([...(a.targetedRequests ?? [])]).toEqual(a.requests.map((r) => r.requestId));
    expect(quiet().world.workloadPriorities).toBeUndefined();
  });

  it("tags each workload's host with its priority and targets the top-priority serving member", async () => {
    const setup = mixed();
    const { world } = newWorld(setup);
    for (const w of world.workloads) expect(world.instance(w.host!)?.priority).toBe(w.priority);
    const low = world.workloads.find((w) => w.priority === 10)!;
    const group = low.groupId;
    const top = world
      .instances()
      .filter((i) => i.groupId === group && world.workloads.some((w) => w.host === i.id))
      .sort((a, b) => b.priority - a.priority || a.id.localeCompare(b.id))[0]!;
    const request = {
      requestId: 'r' as never,
      selector: { kind: 'group' as const, groupId: group, maxPriority: 100 },
      reason: 'patch',
      notBefore: world.now(),
      deadline: world.now() + 3_600_000,
      mode: 'terminate' as const,
      requestedAt: world.now(),
    };
    expect(world.targetRequest(request).selector).toEqual({ kind: 'instance', instanceId: top.id });
    expect(world.targetRequest({ ...request, selector: { kind: 'instance', instanceId: top.id } })).toEqual({
      ...request,
      selector: { kind: 'instance', instanceId: top.id },
    });
  });

  it('the priority tag moves with the workload to its new host when its old one is terminated', async () => {
    const setup = mixed();
    const { world, cloud } = newWorld(setup);
    const low = world.workloads.find((w) => w.priority === 10)!;
    const old = low.host!;
    await cloud.setDesiredCapacity(GROUP_IDS.standby, 1);
    await cloud.terminateInstanceInGroup(old, { decrementDesiredCapacity: false });
    for (let k = 0; k < 90 && (low.host === undefined || low.host === old); k++) {
      await advance(world, 10);
      world.placeWorkloads(noHooks);
    }
    expect(low.host).toBeDefined();
    expect(low.host).not.toBe(old);
    expect(world.instance(low.host!)?.priority).toBe(10);
  });
});
