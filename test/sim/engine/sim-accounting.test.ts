import { beforeAll, describe, expect, it } from 'vitest';
import { groupId, instanceId, type InstanceId, type InstanceState, type ManagedInstance } from '../../../lambda/core/domain';
import { lookupInstanceType } from '../../../lambda/core/resources/catalog';
import { BUNDLED_DATA_DIR } from '../../../lambda/sim/bundled-data';
import { emptyTotals, SimAccounting, type AccountedApplication, type AccountedInstances } from '../../../lambda/sim/engine/sim-accounting';
import type { InstanceMeta, SimWorkload, WorldTotals } from '../../../lambda/sim/engine/sim-types';
import { fleetFacts } from '../../../lambda/sim/engine/world-context';
import { InMemoryCloud, ManualClock } from '../../../lambda/sim/memory';
import type { PreparedSimulation } from '../../../lambda/sim/prepare-simulation';
import { restartHorizonMinutes } from '../../../lambda/sim/post-restart-demand';
import { STOPPED_STORAGE_USD_PER_HOUR } from '../../../lambda/sim/price-table';
import { GROUP_IDS } from '../../../lambda/sim/sample-fleet';
import { loadTraces } from '../../../lambda/data/traces/load-traces';
import { newWorld, noHooks, quiet } from './world-fixtures';

let setup: PreparedSimulation;
beforeAll(() => {
  setup = quiet(loadTraces(BUNDLED_DATA_DIR));
});

const STEP_HOURS = 10 / 3600;
const STEP_MINUTES = 10 / 60;

const member = (id: string, group: string, instanceType: string, lifecycle: 'spot' | 'on-demand', state: InstanceState, warm = false): ManagedInstance => ({
  id: instanceId(id),
  groupId: groupId(group),
  instanceType,
  availabilityZone: 'us-east-1a',
  lifecycle,
  state,
  launchedAt: 0,
  warm,
  priority: 50,
  jobType: 'web',
});

/**
 * One accounting over a cloud holding exactly `instances`, with workloads whose demand the test sets: `serving` are
 * the instances that serve, `demand` each workload's demand, `hibernating` the stops that are hibernations.
 */
const accountingOf = (
  instances: readonly ManagedInstance[],
  workloads: SimWorkload[] = [],
  opts: {
    serving?: readonly string[];
    demand?: Record<string, { vcpu: number; memoryGiB: number }>;
    hibernating?: readonly string[];
    checkInvariants?: boolean;
  } = {},
) => {
  const catalog = setup.sample.fleet.catalog;
  const clock = new ManualClock(setup.sample.startAt);
  const cloud = new InMemoryCloud({ catalog: [...catalog.values()], groups: setup.sample.cloud.groups ?? [], instances });
  const meta = new Map<InstanceId, InstanceMeta>();
  for (const i of instances) {
    meta.set(i.id, {
      id: i.id,
      groupId: i.groupId,
      stateSince: 0,
      draining: false,
      replacementLaunched: false,
      voluntary: false,
      ...(opts.hibernating?.includes(i.id) ? { hibernating: true } : {}),
    });
  }
  const serving = new Set<string>(opts.serving ?? []);
  const spec = (id: InstanceId) => lookupInstanceType(catalog, cloud.instance(id)!.instanceType);
  const ec2: AccountedInstances = {
    meta,
    isAlive: (id) => !['terminated', 'shutting-down', undefined].includes(cloud.instance(id)?.state),
    isServing: (id) => serving.has(id),
    spec,
  };
  const app: AccountedApplication = {
    workloads,
    workloadDemand: (w) => opts.demand?.[w.id] ?? { vcpu: 0, memoryGiB: 0 },
    workloadCapacity: (w) => (w.host !== undefined && serving.has(w.host) ? spec(w.host).resources : { vcpu: 0, memoryGiB: 0 }),
    isIdle: (id) => !workloads.some((w) => w.host === id || w.next === id),
  };
  const totals: WorldTotals = emptyTotals();
  const params = { ...setup.world, checkInvariants: opts.checkInvariants === true };
  const accounting = new SimAccounting(
    { clock, startAt: setup.sample.startAt, cloud, fleet: fleetFacts(setup.sample, setup.advisor), params, totals },
    ec2,
    app,
  );
  const step = (n = 1): void => {
    for (let k = 0; k < n; k++) {
      accounting.accountStep();
      clock.set(clock.now() + setup.world.stepSeconds * 1000);
    }
  };
  return { accounting, totals, clock, cloud, serving, step };
};

/** A workload at home on `host` (an m5.large: 2 vCPU, 8 GiB) since long before the run. */
const workload = (id: string, host: string | undefined, over: Partial<SimWorkload> = {}): SimWorkload => ({
  id,
  groupId: GROUP_IDS.web,
  homeType: 'm5.large',
  home: lookupInstanceType(setup.sample.fleet.catalog, 'm5.large').resources,
  demand: setup.sample.workloads[0]!.demand,
  ...(host !== undefined ? { host: instanceId(host) } : {}),
  startedAt: setup.sample.startAt - 24 * 3_600_000,
  downtimeMinutes: 0,
  ...over,
});

describe('SimAccounting: what one step costs', () => {
  it('bills what EC2 bills: running at its price, stopped at its storage, a hibernation at running price until stopped, nothing pending or going', () => {
    const catalog = setup.sample.fleet.catalog;
    const { totals, step } = accountingOf(
      [
        member('i-0a000000000000001', 'web', 'm5.large', 'spot', 'running'),
        member('i-0c000000000000001', 'standby', 'm5.xlarge', 'on-demand', 'running'),
        member('i-0c000000000000002', 'standby', 'm5.xlarge', 'on-demand', 'stopped', true),
        member('i-0c000000000000003', 'standby', 'm5.xlarge', 'on-demand', 'stopping'),
        member('i-0c000000000000004', 'standby', 'm5.xlarge', 'on-demand', 'stopping'),
        member('i-0a000000000000002', 'web', 'm5.large', 'spot', 'pending'),
        member('i-0a000000000000003', 'web', 'm5.large', 'spot', 'shutting-down'),
        member('i-0a000000000000004', 'web', 'm5.large', 'spot', 'terminated'),
      ],
      [],
      { hibernating: ['i-0c000000000000004'] },
    );
    step();
    const spot = catalog.get('m5.large')!.spotHourlyUsd! * STEP_HOURS;
    const onDemand = catalog.get('m5.xlarge')!.onDemandHourlyUsd * STEP_HOURS;
    const storage = STOPPED_STORAGE_USD_PER_HOUR * STEP_HOURS;
    expect(totals.spotCostUsd).toBeCloseTo(spot, 15);
    // The running standby member and the hibernating one.
    expect(totals.onDemandCostUsd).toBeCloseTo(2 * onDemand, 15);
    // By type: every catalog type is there from the start, only the one that ran On-Demand has spent anything.
    expect(Object.keys(totals.onDemandCostByType).sort()).toEqual([...catalog.keys()].sort());
    expect(totals.onDemandCostByType['m5.xlarge']).toBeCloseTo(2 * onDemand, 15);
    expect(Object.entries(totals.onDemandCostByType).filter(([type, usd]) => type !== 'm5.xlarge' && usd !== 0)).toEqual([]);
    // Spot by type: only the running Spot member (pending, shutting-down and terminated ones are not billed), its hours too.
    expect(Object.keys(totals.spotCostByType).sort()).toEqual([...catalog.keys()].sort());
    expect(Object.keys(totals.spotHoursByType).sort()).toEqual([...catalog.keys()].sort());
    expect(totals.spotCostByType['m5.large']).toBeCloseTo(spot, 15);
    expect(totals.spotHoursByType['m5.large']).toBeCloseTo(STEP_HOURS, 15);
    expect(Object.entries(totals.spotCostByType).filter(([type, usd]) => type !== 'm5.large' && usd !== 0)).toEqual([]);
    expect(Object.entries(totals.spotHoursByType).filter(([type, h]) => type !== 'm5.large' && h !== 0)).toEqual([]);
    // The stopped warm instance and the one stopping without hibernation.
    expect(totals.storageCostUsd).toBeCloseTo(2 * storage, 15);
    expect(totals.costUsd).toBeCloseTo(spot + 2 * onDemand + 2 * storage, 15);
  });

  it('counts running standby members in standby hours, the idle ones in idle standby hours too; warm members in neither', () => {
    const { totals, step } = accountingOf(
      [
        member('i-0c000000000000001', 'standby', 'm5.xlarge', 'on-demand', 'running'),
        member('i-0c000000000000002', 'standby', 'm5.xlarge', 'on-demand', 'running'),
        member('i-0c000000000000003', 'standby', 'm5.xlarge', 'on-demand', 'running', true),
        member('i-0a000000000000001', 'web', 'm5.large', 'spot', 'running'),
      ],
      [workload('w1', 'i-0c000000000000001')],
      { serving: ['i-0c000000000000001', 'i-0c000000000000002', 'i-0a000000000000001'] },
    );
    step(3);
    expect(totals.standbyInstanceHours).toBeCloseTo(2 * 3 * STEP_HOURS, 15);
    expect(totals.idleStandbyInstanceHours).toBeCloseTo(3 * STEP_HOURS, 15);
  });

  it('accounts what a host cannot serve as unserved, steady outside an episode; prices the home fleet all On-Demand', () => {
    const host = 'i-0a000000000000001';
    const { totals, step } = accountingOf([member(host, 'web', 'm5.large', 'spot', 'running')], [workload('w1', host)], {
      serving: [host],
      demand: { w1: { vcpu: 3, memoryGiB: 9 } },
    });
    step(6);
    expect(totals.demandVcpuMinutes).toBeCloseTo(3 * 6 * STEP_MINUTES, 12);
    expect(totals.servedVcpuMinutes).toBeCloseTo(2 * 6 * STEP_MINUTES, 12);
    expect(totals.unservedVcpuMinutes).toBeCloseTo(6 * STEP_MINUTES, 12);
    expect(totals.unservedGibMinutes).toBeCloseTo(6 * STEP_MINUTES, 12);
    expect(totals.steadyUnservedVcpuMinutes).toBeCloseTo(totals.unservedVcpuMinutes, 12);
    expect(totals.allOnDemandCostUsd).toBeCloseTo(setup.sample.fleet.catalog.get('m5.large')!.onDemandHourlyUsd * 6 * STEP_HOURS, 15);
  });

  it('gives an episode its unserved demand, restores it after a minute fully served, and closes it after a restart horizon on a covering host', () => {
    const host = 'i-0a000000000000001';
    const startAt = setup.sample.startAt;
    const w = workload('w1', host, { startedAt: startAt });
    w.episode = { kind: 'spot', workloadId: 'w1', groupId: GROUP_IDS.web, start: startAt - 60_000, unservedVcpuMinutes: 0, unservedGibMinutes: 0 };
    const episode = w.episode;
    const { totals, step, serving } = accountingOf([member(host, 'web', 'm5.large', 'spot', 'running')], [w], {
      demand: { w1: { vcpu: 1, memoryGiB: 2 } },
    });
    // Two steps with the host not serving yet: all demand unserved, in the episode, none of it steady.
    step(2);
    expect(episode.unservedVcpuMinutes).toBeCloseTo(2 * STEP_MINUTES, 12);
    expect(episode.unservedGibMinutes).toBeCloseTo(4 * STEP_MINUTES, 12);
    expect(episode.lastUnservedEnd).toBe(startAt + 20_000);
    expect(totals.steadyUnservedVcpuMinutes).toBe(0);
    serving.add(host);
    // Restored once a whole minute has been fully served (six 10-second steps), from the start of that minute.
    step(5);
    expect(episode.restoredAt).toBeUndefined();
    step(1);
    expect(episode.restoredAt).toBe(startAt + 20_000);
    // Closed at the end of the step in which it has run a restart horizon on its (covering) host.
    const horizonSteps = (restartHorizonMinutes(setup.world.postRestart) * 60) / setup.world.stepSeconds;
    step(horizonSteps - 9);
    expect(episode.end).toBeUndefined();
    step(1);
    expect(episode.end).toBe(startAt + horizonSteps * 10_000);
    expect(w.episode).toBeUndefined();
    expect(episode.unservedVcpuMinutes).toBeCloseTo(2 * STEP_MINUTES, 12);
  });

  it('keeps an episode open while its host is smaller than the home type', () => {
    const host = 'i-0b000000000000001';
    const startAt = setup.sample.startAt;
    const w = workload('w1', host, { startedAt: startAt, homeType: 'c5.xlarge', home: lookupInstanceType(setup.sample.fleet.catalog, 'c5.xlarge').resources });
    w.episode = { kind: 'move', workloadId: 'w1', groupId: GROUP_IDS.web, start: startAt, unservedVcpuMinutes: 0, unservedGibMinutes: 0 };
    const { step } = accountingOf([member(host, 'web', 'c5.large', 'spot', 'running')], [w], { serving: [host], demand: { w1: { vcpu: 1, memoryGiB: 1 } } });
    step((restartHorizonMinutes(setup.world.postRestart) * 60) / setup.world.stepSeconds + 5);
    expect(w.episode?.end).toBeUndefined();
    expect(w.episode?.restoredAt).toBe(startAt);
  });

  it("tracks a restart's demand peak over the restart horizon, then lets it go", () => {
    const host = 'i-0a000000000000001';
    const startAt = setup.sample.startAt;
    const w = workload('w1', host, { startedAt: startAt });
    const peak = { workloadId: 'w1', startedAt: startAt, peakVcpu: 0, peakMemoryGiB: 0 };
    w.restart = peak;
    const demand = { w1: { vcpu: 1.5, memoryGiB: 3 } };
    const { step } = accountingOf([member(host, 'web', 'm5.large', 'spot', 'running')], [w], { serving: [host], demand });
    step(1);
    demand.w1 = { vcpu: 0.5, memoryGiB: 6 };
    step(1);
    expect(peak).toMatchObject({ peakVcpu: 1.5, peakMemoryGiB: 6 });
    demand.w1 = { vcpu: 9, memoryGiB: 9 };
    step((restartHorizonMinutes(setup.world.postRestart) * 60) / setup.world.stepSeconds);
    expect(w.restart).toBeUndefined();
    expect(peak.peakVcpu).toBe(9);
  });

  it('sums each step into 5-minute timeline points', () => {
    const host = 'i-0a000000000000001';
    const { accounting, step } = accountingOf([member(host, 'web', 'm5.large', 'spot', 'running')], [workload('w1', host)], {
      serving: [host],
      demand: { w1: { vcpu: 3, memoryGiB: 1 } },
    });
    step(31);
    expect(accounting.timeline.map((p) => ({ ...p }))).toEqual([
      { at: setup.sample.startAt, demandVcpu: 90, capacityVcpu: 60, unservedVcpu: 30, costUsd: expect.any(Number), samples: 30 },
      { at: setup.sample.startAt + 300_000, demandVcpu: 3, capacityVcpu: 2, unservedVcpu: 1, costUsd: expect.any(Number), samples: 1 },
    ]);
    expect(accounting.timeline[0]!.costUsd).toBeCloseTo(30 * setup.sample.fleet.catalog.get('m5.large')!.spotHourlyUsd! * STEP_HOURS, 15);
  });
});

describe('SimAccounting: conservation checks', () => {
  const four = (): SimWorkload[] => setup.sample.workloads.map((w) => workload(w.instanceId, w.instanceId));
  const fleet = (): ManagedInstance[] => setup.sample.fleet.groups.flatMap((g) => g.instances);

  it('passes a world that keeps every workload on one live host of its own', () => {
    expect(() => accountingOf(fleet(), four(), { checkInvariants: true }).step()).not.toThrow();
  });

  it('names a workload lost, an instance claimed twice, a dead host, and a desired capacity out of bounds', () => {
    expect(() => accountingOf(fleet(), four().slice(1)).accounting.checkInvariants()).toThrow('invariant: 3 workloads, expected 4');
    const twice = four();
    twice[1]!.next = twice[0]!.host;
    expect(() => accountingOf(fleet(), twice).accounting.checkInvariants()).toThrow(/instance i-0a000000000000001 claimed by workloads/);
    const dead = fleet().map((i, k) => (k === 0 ? { ...i, state: 'shutting-down' as const } : i));
    expect(() => accountingOf(dead, four()).accounting.checkInvariants()).toThrow(/holds dead instance i-0a000000000000001/);
    const { accounting, cloud } = accountingOf(fleet(), four());
    cloud.putGroup({ ...cloud.group(GROUP_IDS.web)!, desiredCapacity: 9 });
    expect(() => accounting.checkInvariants()).toThrow('invariant: group web desired 9 outside [0, 4]');
  });
});

describe('SimAccounting in the world', () => {
  it('bills running Spot instances and stopped warm storage, not pending or shutting-down ones', () => {
    const { world } = newWorld(setup);
    world.accountStep();
    const step = setup.world.stepSeconds / 3600;
    const running = setup.sample.fleet.groups.filter((g) => g.role === 'primary').flatMap((g) => g.instances);
    const warm = setup.sample.fleet.groups[2]!.instances.length;
    const expected =
      running.reduce((s, i) => s + (setup.sample.fleet.catalog.get(i.instanceType)!.spotHourlyUsd ?? 0) * step, 0) + warm * STOPPED_STORAGE_USD_PER_HOUR * step;
    expect(world.totals.costUsd).toBeCloseTo(expected, 12);
    world.terminate(running[0]!.id, noHooks, 'api');
    const before = world.totals.costUsd;
    world.accountStep();
    expect(world.totals.costUsd - before).toBeCloseTo(expected - (setup.sample.fleet.catalog.get(running[0]!.instanceType)!.spotHourlyUsd ?? 0) * step, 12);
    expect(world.totals.allOnDemandCostUsd).toBeGreaterThan(world.totals.spotCostUsd);
  });

  it('detects an instance claimed by two workloads', () => {
    const { world } = newWorld(setup);
    world.checkInvariants();
    world.workloads[1]!.host = world.workloads[0]!.host;
    expect(() => world.checkInvariants()).toThrow(/claimed by workloads/);
    world.workloads[1]!.host = instanceId('i-0ffffffffffffffff');
    expect(() => world.checkInvariants()).toThrow();
  });
});
