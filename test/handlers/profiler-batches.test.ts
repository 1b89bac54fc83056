import { describe, expect, it } from 'vitest';
import { MetricName } from '../../lambda/contracts/metrics';
import { instanceId, reservationId, type InstanceId, type MetricSample } from '../../lambda/core/domain';
import { poolInvariantViolations } from '../../lambda/core/pool/resource-pool';
import { FallbackPredictor } from '../../lambda/core/predict/fallback-predictor';
import { makeHandler, PROFILE_BATCH_SIZE, type ProfilerDeps } from '../../lambda/handlers/profiler';
import { FIXTURE_INSTANCES, GROUP, NOW, OTHER, STANDBY, buildWorld } from './world';

/**
 * A tick profiles its group a batch at a time; the batching must not change what the tick stores or plans.
 * The same world — a primary group of 25 serving instances with varied demand in a pool too small for all
 * of them (allocations capped by fair share), an interrupted victim whose reservation a replacement takes over
 * (restart lineage), instances with and without stored profiles — ticked with batches of 4 and with one
 * batch for the whole group.
 */
const MINUTE = 60_000;
const VICTIM = FIXTURE_INSTANCES.karpenter;
const NEWCOMER = instanceId('i-0ddddddddddddddd1');
const RESERVATION = reservationId('request:req-roll:i-0123456789');
const EXTRA = Array.from({ length: 20 }, (_, k) => instanceId(`i-0eeeeeeeeeeeee${String(k).padStart(3, '0')}`));

const samples = (from: number, minutes: number, cpuPercent: number, memoryGiB: number): MetricSample[] =>
  Array.from({ length: minutes }, (_, m) => ({
    at: from + m * MINUTE,
    cpuPercent,
    cpuMaxPercent: Math.min(100, cpuPercent * 1.5),
    memoryGiB,
    networkMbps: 20 + m,
    diskIops: 50,
  }));

const tick = (groupName: string) => ({ source: 'spotwise', 'detail-type': 'Profile Tick', detail: { groupName } });

const world = async (batchSize: number) => {
  const config = {
    groups: [{ name: GROUP, policy: 'web', capacity: { vcpu: 28, memory_gib: 200, network_mbps: 100_000, disk_iops: 200_000 }, standby: STANDBY }],
  };
  const w = await buildWorld({ config });
  for (const id of EXTRA) w.ports.cloud.putInstance({ ...w.ports.cloud.instance(FIXTURE_INSTANCES.docs)!, id, tags: { 'aws:autoscaling:groupName': GROUP } });
  const serving = [...Object.values(FIXTURE_INSTANCES), OTHER, ...EXTRA];
  serving.forEach((id, k) => w.ports.metrics.addSamples(id, samples(NOW - 90 * MINUTE, 90, 10 + ((k * 17) % 80), 1 + (k % 6))));
  const deps: ProfilerDeps = {
    ...w.deps,
    metricsReader: w.ports.metrics,
    predictor: new FallbackPredictor(),
    profiler: { windowMinutes: 60, halfLifeMs: 86_400_000, batchSize },
  };
  const handle = makeHandler(deps);
  // First tick: every profile new. Then the victim is interrupted with its demand reserved, a replacement
  // launches (an m5.2xlarge with no profile and no metrics yet: wanted at its full shape, more than the pool has left), five more minutes of data arrive for some, and the group ticks again.
  await handle(tick(GROUP));
  const outcome = await w.ports.stateStore.reserve({
    id: RESERVATION,
    groupId: GROUP,
    instanceId: VICTIM,
    amount: { vcpu: 1.5, memoryGiB: 4, networkMbps: 100, diskIops: 200 },
    createdAt: NOW,
    expiresAt: NOW + 3_600_000,
    reason: 'request req-roll',
    priority: 90,
  });
  expect(outcome.kind).toBe('reserved');
  w.ports.clock.advance(5 * MINUTE);
  w.ports.cloud.putInstance({ ...w.ports.cloud.instance(VICTIM)!, state: 'terminated' });
  w.ports.cloud.putInstance({ ...w.ports.cloud.instance(FIXTURE_INSTANCES.docs)!, id: NEWCOMER, instanceType: 'm5.2xlarge', launchedAt: NOW + 4 * MINUTE });
  for (const id of EXTRA.slice(0, 9)) w.ports.metrics.addSamples(id, samples(NOW - 3 * MINUTE, 5, 95, 7));
  w.ports.metrics.log.calls.length = 0;
  await handle(tick(GROUP));
  await handle(tick(STANDBY));
  const ids: InstanceId[] = [...serving, NEWCOMER];
  return {
    reads: w.ports.metrics.log.callsTo('read').map((c) => (c.args[0] as unknown[]).length),
    profiles: await w.ports.stateStore.getProfiles(ids),
    forecasts: await w.ports.stateStore.getForecasts(ids),
    pool: w.ports.stateStore.poolSnapshot(GROUP)!,
    standbyPool: w.ports.stateStore.poolSnapshot(STANDBY),
    requests: w.ports.stateStore.allRequests(),
    plans: w.ports.publisher.plans(),
    updated: w.telemetry.total(MetricName.profilesUpdated, { GroupName: GROUP }),
    capped: w.telemetry
      .logsAt('warn')
      .filter((l) => l.message.startsWith('allocation capped'))
      .map((l) => l.fields['instanceId']),
    errors: w.telemetry.logsAt('error'),
  };
};

describe('profiler tick in batches', () => {
  it('batches of 4 store the same profiles, forecasts and pool and plan the same actions as one batch for the whole group', async () => {
    const batched = await world(4);
    const whole = await world(PROFILE_BATCH_SIZE);
    // The second group tick read its 25 serving instances (24 with data, the newcomer none) in ceil(25 / 4) reads of at most 4.
    expect(batched.reads).toEqual([4, 4, 4, 4, 4, 4, 1]);
    expect(whole.reads).toEqual([25]);
    expect(batched.errors).toEqual([]);
    expect(batched.profiles.size).toBe(26);
    expect(batched.profiles).toEqual(whole.profiles);
    expect(batched.forecasts.size).toBe(26);
    expect(batched.forecasts).toEqual(whole.forecasts);
    // The refresh: the replacement took over the reservation, fair share capped some allocations, nothing over-committed.
    expect(poolInvariantViolations(batched.pool)).toEqual([]);
    expect(batched.pool.reservations.has(RESERVATION)).toBe(false);
    expect(batched.pool.allocations.has(NEWCOMER)).toBe(true);
    expect(batched.capped.length).toBeGreaterThan(0);
    expect(batched.capped).toEqual(whole.capped);
    expect(batched.pool).toEqual(whole.pool);
    expect(batched.standbyPool).toEqual(whole.standbyPool);
    expect(batched.requests).toEqual(whole.requests);
    // The plans each tick executed, lineage hand-over included.
    expect(batched.plans.map((p) => p.plan.actions.map((a) => a.kind))).toContainEqual(expect.arrayContaining(['inherit-profile']));
    expect(batched.plans).toEqual(whole.plans);
    expect(batched.updated).toBe(whole.updated);
  });

  it('a batch size that is not a positive integer is refused, naming the setting and value', async () => {
    const w = await buildWorld();
    const deps: ProfilerDeps = {
      ...w.deps,
      metricsReader: w.ports.metrics,
      predictor: new FallbackPredictor(),
      profiler: { windowMinutes: 60, halfLifeMs: 86_400_000, batchSize: 0 },
    };
    await expect(makeHandler(deps)(tick(GROUP))).rejects.toThrow('profiler.batchSize must be a positive integer (got 0)');
  });
});
