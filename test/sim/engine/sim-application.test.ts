import { describe, expect, it } from 'vitest';
import { prepareSimulation, type PreparedSimulation } from '../../../lambda/sim/prepare-simulation';
import { GROUP_IDS } from '../../../lambda/sim/sample-fleet';
import { advance, newWorld, noHooks, quietOnBundledTraces, bundledTraces, runningStandbyMember } from './world-fixtures';

const traces = bundledTraces();
const quiet = quietOnBundledTraces();

describe('SimApplication: one host at a time', () => {
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

  it('opens an episode for each lost host, named by its cause; a reclaim of a host the workload had already left makes its move a Spot interruption', async () => {
    const setup = quiet();
    const { world, cloud } = newWorld(setup);
    const standbyId = await runningStandbyMember(world, cloud);
    const [moved, reclaimed, disrupted] = world.workloads;
    const hosts = world.workloads.map((w) => w.host!);
    // A move ahead of a drain: a cut-over to the free standby member.
    world.markDraining(hosts[0]!);
    world.placeWorkloads(noHooks);
    expect(moved!.host).toBe(standbyId);
    const episode = moved!.episode!;
    expect(episode).toMatchObject({ kind: 'move', fromHost: hosts[0], start: world.now() });
    // A Spot reclaim after its warning.
    world.doom(hosts[1]!);
    world.terminate(hosts[1]!, noHooks, 'reclaim');
    expect(reclaimed).toMatchObject({ host: undefined, startedAt: undefined, lostAt: world.now(), lastHost: hosts[1] });
    expect(reclaimed!.episode).toMatchObject({ kind: 'spot', fromHost: hosts[1], start: world.now() });
    // A voluntary disruption (a maintenance request's termination).
    world.recordVoluntaryDisruption(hosts[2]!);
    world.terminate(hosts[2]!, noHooks, 'api');
    expect(disrupted!.episode).toMatchObject({ kind: 'voluntary', fromHost: hosts[2] });
    expect(world.totals.voluntaryInterruptions).toBe(1);
    // The host the moved workload left is reclaimed after all: its move was a Spot interruption.
    world.terminate(hosts[0]!, noHooks, 'reclaim');
    expect(episode.kind).toBe('spot');
    expect(moved!.host).toBe(standbyId);
    // A second loss inside an open episode stays in it.
    world.terminate(standbyId, noHooks, 'api');
    expect(moved!.episode).toBe(episode);
    expect(world.episodes.filter((e) => e.workloadId === moved!.id)).toHaveLength(1);
  });

  it("charges a voluntary disruption to the budget of the group whose load it disrupts: a standby host's load is its home group's", async () => {
    const setup = quiet();
    const { world, cloud } = newWorld(setup);
    const standbyId = await runningStandbyMember(world, cloud);
    const w = world.workloads[0]!;
    const home = w.groupId;
    const allowed = setup.sample.fleet.groups.find((g) => g.id === home)!.policy.disruptionBudget.maxUnavailable;
    expect(allowed).toBe(1);
    world.markDraining(w.host!);
    world.placeWorkloads(noHooks);
    expect(w.host).toBe(standbyId);
    world.settleDrains(noHooks);
    expect(w.episode?.kind).toBe('move'); // a move is no voluntary disruption: nothing of the home group is in flight
    expect(world.voluntaryInFlight(home)).toBe(0);
    // Returning the standby member while it serves the load: one disruption of the home group's load, within its budget of 1.
    world.recordVoluntaryDisruption(standbyId);
    expect(world.voluntaryInFlight(home)).toBe(1);
    expect(world.voluntaryInFlight(GROUP_IDS.standby)).toBe(0);
    expect(world.totals.budgetViolations).toBe(0);
    // A second disruption of the home group's loads while that one is in flight exceeds it.
    const sibling = world.workloads.find((x) => x.groupId === home && x.id !== w.id && x.host !== undefined)!;
    world.recordVoluntaryDisruption(sibling.host!);
    expect(world.totals.budgetViolations).toBe(1);
    expect(world.totals.voluntaryInterruptions).toBe(2);
  });

  it('moves a workload from a standby instance back to an idle member of its primary group once its post-restart window has passed', async () => {
    const setup = quiet();
    const { world, cloud } = newWorld(setup);
    const standbyId = await runningStandbyMember(world, cloud);
    const w = world.workloads[0]!;
    world.markDraining(w.host!);
    world.placeWorkloads(noHooks);
    expect(w.host).toBe(standbyId);
    // The drained host goes; its group launches a replacement, idle once it serves.
    world.settleDrains(noHooks);
    const windowSeconds = (setup.sample.fleet.groups.find((g) => g.id === w.groupId)!.policy.postRestartWindowMinutes ?? 30) * 60;
    await advance(world, windowSeconds - 60);
    world.placeWorkloads(noHooks);
    expect(w.host).toBe(standbyId);
    await advance(world, 60);
    world.placeWorkloads(noHooks);
    expect(world.instance(w.host!)?.groupId).toBe(w.groupId);
    expect(w.startedAt).toBe(world.now());
    expect(world.isIdle(standbyId)).toBe(true);
  });
});

describe('mixed priorities (--best-effort-share, --targeted-requests)', () => {
  const mixed = (): PreparedSimulation =>
    prepareSimulation({
      seed: 3,
      hours: 1,
      instances: 6,
      traces: traces(),
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
