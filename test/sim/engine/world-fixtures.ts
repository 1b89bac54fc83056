import type { InstanceId } from '../../../lambda/core/domain';
import type { StrategyHooks } from '../../../lambda/sim/engine/sim-types';
import { SimulatedCloud } from '../../../lambda/sim/engine/simulated-cloud';
import { SimWorld } from '../../../lambda/sim/engine/sim-world';
import { prepareSimulation, type PreparedSimulation } from '../../../lambda/sim/prepare-simulation';
import { GROUP_IDS } from '../../../lambda/sim/sample-fleet';
import { beforeAll } from 'vitest';
import { BUNDLED_DATA_DIR } from '../../../lambda/sim/bundled-data';
import { loadTraces, type TraceSeries } from '../../../lambda/data/traces/load-traces';

/** One hour, four Spot instances, no interruptions and no requests: a world that only changes when a test changes it. */
export const quiet = (traces: readonly TraceSeries[]): PreparedSimulation =>
  prepareSimulation({ seed: 1, hours: 1, instances: 4, traces, checkInvariants: true, interruption: { rateScale: 0 }, requests: { meanHoursBetweenWaves: 0 } });

/** The bundled traces, read once for the test file that calls this (in its beforeAll); the getter returns them. */
export const bundledTraces = (): (() => readonly TraceSeries[]) => {
  let traces: readonly TraceSeries[] = [];
  beforeAll(() => {
    traces = loadTraces(BUNDLED_DATA_DIR);
  });
  return () => traces;
};

/** `quiet` on the bundled traces, read once for the test file that calls this. */
export const quietOnBundledTraces = (): (() => PreparedSimulation) => {
  const traces = bundledTraces();
  return () => quiet(traces());
};

/**
 * One burst that reclaims every instance of the first web instance's pool, `minutesIn` minutes in (default 10), with a
 * rebalance recommendation `rebalanceLeadSeconds` before it (default: none early).
 */
export const withBurst = (setup: PreparedSimulation, rebalanceLeadSeconds?: number, minutesIn = 10): PreparedSimulation => {
  const victim = setup.sample.fleet.groups[0]!.instances[0]!;
  const at = setup.sample.startAt + minutesIn * 60_000;
  return {
    ...setup,
    bursts: [
      {
        id: 'test#0',
        instanceType: victim.instanceType,
        availabilityZone: victim.availabilityZone,
        at,
        reclaimShare: 1,
        seed: 7,
        ...(rebalanceLeadSeconds !== undefined ? { rebalanceAt: at - rebalanceLeadSeconds * 1000 } : {}),
      },
    ],
  };
};

export const noHooks: StrategyHooks = { name: 'test' };

export const newWorld = (setup: PreparedSimulation): { world: SimWorld; cloud: SimulatedCloud } => {
  const world = new SimWorld(setup.sample, setup.advisor, setup.world, setup.hours);
  return { world, cloud: new SimulatedCloud(world, () => noHooks) };
};

/** Moves time forward step by step, applying the world's own timed events (state changes, readiness). */
export const advance = async (world: SimWorld, seconds: number): Promise<void> => {
  const end = world.now() + seconds * 1000;
  while (world.now() < end) {
    world.setNow(Math.min(end, world.now() + 1000));
    await world.settle();
    for (let due = world.queue.popDue(world.now()); due !== undefined; due = world.queue.popDue(world.now())) {
      const ev = due.event;
      if (ev.kind === 'state-reached') world.reachState(ev.instanceId, ev.state, noHooks);
      else if (ev.kind === 'ready') world.markReady(ev.instanceId, due.at, noHooks);
      else if (ev.kind === 'warm-filled' && world.instance(ev.instanceId)?.state === 'pending') world.setState(ev.instanceId, 'stopped', noHooks);
    }
    world.reconcile(noHooks);
  }
};

/** Starts one standby member (from the warm pool) and waits until it serves. */
export const runningStandbyMember = async (world: SimWorld, cloud: SimulatedCloud): Promise<InstanceId> => {
  await cloud.setDesiredCapacity(GROUP_IDS.standby, 1);
  await advance(world, 30);
  const member = world.instances().find((i) => i.groupId === GROUP_IDS.standby && !i.warm && i.state === 'running');
  if (member === undefined) throw new Error('no running standby member');
  return member.id;
};
