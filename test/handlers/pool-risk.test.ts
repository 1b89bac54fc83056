import { describe, expect, it } from 'vitest';
import { instanceId, type MetricSample, type PoolSignal } from '../../lambda/core/domain';
import { FallbackPredictor } from '../../lambda/core/predict/fallback-predictor';
import { loadFleet } from '../../lambda/app/load-fleet';
import { makeHandler as makeNoticeHandler } from '../../lambda/handlers/notice';
import { makeHandler as makeProfiler, type ProfilerDeps } from '../../lambda/handlers/profiler';
import { fixture } from '../events/event-fixtures';
import { FIXTURE_INSTANCES, GROUP, NOW, OTHER, STANDBY, buildWorld } from './world';

const MINUTE = 60_000;
const tick = (groupName: string) => ({ source: 'spotwise', 'detail-type': 'Profile Tick', detail: { groupName } });
const samples = (from: number, minutes: number): MetricSample[] =>
  Array.from({ length: minutes }, (_, m) => ({ at: from + m * MINUTE, cpuPercent: 40, cpuMaxPercent: 70, memoryGiB: 3, networkMbps: 50, diskIops: 100 }));
/** Ten more Spot m5.large in us-west-2a: the pool the Karpenter sample's instance is in. */
const EXTRA = Array.from({ length: 10 }, (_, k) => instanceId(`i-0ddddddddddddd${String(k).padStart(3, '0')}`));

/**
 * The handler world with a larger m5.large/us-west-2a pool (13 instances), room for staging (standby budget and
 * size), no configured warm-pool floor, and `warnings` Spot warnings recorded against that pool half an hour ago.
 */
const world = async (warnings: number) => {
  const w = await buildWorld({ config: { standby_groups: [{ name: STANDBY, warm_pool: { min_size: 0 } }] } });
  const template = w.ports.cloud.instance(FIXTURE_INSTANCES.docs);
  if (template === undefined) throw new Error('the world has no docs instance');
  for (const id of EXTRA) w.ports.cloud.putInstance({ ...template, id });
  const group = w.ports.cloud.group(GROUP);
  const standby = w.ports.cloud.group(STANDBY);
  if (group === undefined || standby === undefined) throw new Error('the world has no groups');
  w.ports.cloud.putGroup({ ...group, desiredCapacity: 15, maxSize: 30 });
  w.ports.cloud.putGroup({ ...standby, maxSize: 20 });
  await w.ports.stateStore.putPoolCapacity(STANDBY, { vcpu: 64, memoryGiB: 256, networkMbps: 200_000, diskIops: 400_000 });
  for (const id of [...Object.values(FIXTURE_INSTANCES), OTHER, ...EXTRA]) w.ports.metrics.addSamples(id, samples(NOW - 90 * MINUTE, 90));
  for (let k = 0; k < warnings; k += 1) {
    const signal: PoolSignal = {
      instanceType: 'm5.large',
      availabilityZone: 'us-west-2a',
      signal: 'spot-warning',
      instanceId: EXTRA[k % EXTRA.length] ?? EXTRA[0]!,
      eventId: `w-${k}`,
      at: NOW - 30 * MINUTE + k * 1_000,
    };
    await w.ports.stateStore.recordPoolSignal(GROUP, signal);
  }
  const deps: ProfilerDeps = {
    ...w.deps,
    metricsReader: w.ports.metrics,
    predictor: new FallbackPredictor(),
    profiler: { windowMinutes: 60, halfLifeMs: 86_400_000 },
  };
  return { ...w, deps };
};

/** The warm pool minSize after the standby group's profile tick (the tick that stages its warm pool). */
const stagedMinSize = async (warnings: number) => {
  const w = await world(warnings);
  const result = await makeProfiler(w.deps)(tick(STANDBY));
  expect(result).toMatchObject({ status: 'planned', succeeded: true });
  // What Auto Scaling holds after the tick: the plan's put-warm-pool, or the minSize it left unchanged.
  return { minSize: (await w.ports.cloud.describeWarmPool(STANDBY))?.minSize ?? 0, w };
};

describe("interruption risk per Spot pool, learned from the group's own signals", () => {
  it('a real Spot warning (the Karpenter sample) is counted against its pool, also in dry-run', async () => {
    for (const dryRun of [false, true]) {
      const w = await buildWorld({ dryRun });
      await makeNoticeHandler(w.deps)(fixture('ec2-spot-instance-interruption-warning__karpenter.json'));
      expect(await w.ports.stateStore.getPoolSignals(GROUP)).toEqual([
        expect.objectContaining({ instanceType: 'm5.large', availabilityZone: 'us-west-2a', warnings: 1, rebalances: 0 }),
      ]);
    }
  });

  it('after a burst of warnings in one pool, the next profile tick stages more warm capacity than for the same pool kept quiet', async () => {
    const quiet = await stagedMinSize(0);
    const warned = await stagedMinSize(12);
    expect(quiet.minSize).toBeGreaterThanOrEqual(1);
    expect(warned.minSize).toBeGreaterThan(quiet.minSize);
    // The pools' figures say where they come from: the warned pool is observed, the others are their prior.
    const { fleet } = await loadFleet(warned.w.deps.ports, warned.w.deps.managed, { readPoolSignals: true });
    const pools = fleet.groups.find((g) => g.id === GROUP)?.spotPools ?? [];
    expect(pools.map((p) => [`${p.instanceType}@${p.availabilityZone}`, p.riskSource])).toEqual([
      ['m5.large@us-west-2a', 'observed'],
      ['m5.large@us-west-2b', 'prior'],
      ['m5.xlarge@us-west-2a', 'prior'],
    ]);
    const warnedPool = pools.find((p) => p.availabilityZone === 'us-west-2a' && p.instanceType === 'm5.large');
    const quietPool = pools.find((p) => p.availabilityZone === 'us-west-2b');
    expect(warnedPool?.interruptionProbability).toBeGreaterThan(100 * (quietPool?.interruptionProbability ?? 1));
  });

  it('without a clock (spotwise plan against a store) the pools get their prior alone, and a warning says so', async () => {
    const w = await world(12);
    const { clock: _, ...noClock } = w.deps.ports;
    const { fleet, warnings } = await loadFleet(noClock, w.deps.managed, { readPoolSignals: true });
    expect(warnings).toContain("no clock: Spot pool risks are the Advisor prior alone, without the groups' own signals");
    expect(fleet.groups.find((g) => g.id === GROUP)?.spotPools.map((p) => p.riskSource)).toEqual(['prior', 'prior', 'prior']);
  });

  it('only staging reads the signals: a snapshot for a notice, a request or a due interruption does not', async () => {
    const w = await world(12);
    const store = w.deps.ports.state as unknown as { log: { calls: { operation: string }[] } };
    store.log.calls.length = 0;
    const { fleet } = await loadFleet(w.deps.ports, w.deps.managed);
    expect(store.log.calls.map((c) => c.operation)).not.toContain('getPoolSignals');
    expect(fleet.groups.find((g) => g.id === GROUP)?.spotPools.map((p) => p.riskSource)).toEqual(['prior', 'prior', 'prior']);
  });

  it("the simulator's Advisor figures are the prior: a safer bucket gives a lower probability", async () => {
    const w = await world(0);
    const at = async (monthly: number) =>
      (await loadFleet(w.deps.ports, w.deps.managed, { spotPoolPrior: () => monthly })).fleet.groups.find((g) => g.id === GROUP)?.spotPools[0]
        ?.interruptionProbability ?? Number.NaN;
    expect(await at(0.025)).toBeCloseTo(-Math.expm1(Math.log1p(-0.025) / 730), 12);
    expect(await at(0.025)).toBeLessThan(await at(0.25));
  });
});
