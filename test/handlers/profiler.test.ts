import { describe, expect, it } from 'vitest';
import { MetricName } from '../../lambda/contracts/metrics';
import { instanceId, reservationId, type MetricSample } from '../../lambda/core/domain';
import { overCommitment, poolInvariantViolations } from '../../lambda/core/pool/resource-pool';
import { FallbackPredictor } from '../../lambda/core/predict/fallback-predictor';
import { newProfile, openRestartWindow } from '../../lambda/core/profile/behaviour-profile';
import { allocationOf, makeHandler, readsMetricsThisTick, type ProfilerDeps } from '../../lambda/handlers/profiler';
import fc from 'fast-check';
import { ScriptedPredictor } from '../../lambda/sim/memory';
import { PoolOverCommitError } from '../../lambda/ports/state-store';
import { fixture } from '../events/event-fixtures';
import { FIXTURE_INSTANCES, GROUP, NOW, OTHER, STANDBY, WARM, buildWorld, knownForecast, type World } from './world';

const tick = (groupName: string = GROUP) => ({ source: 'spotwise', 'detail-type': 'Profile Tick', detail: { groupName } });
const SERVING = [...Object.values(FIXTURE_INSTANCES), OTHER];

const samples = (from: number, minutes: number, s: Omit<MetricSample, 'at'>): MetricSample[] =>
  Array.from({ length: minutes }, (_, m) => ({ at: from + m * 60_000, ...s }));

const profilerWorld = async (
  opts: Parameters<typeof buildWorld>[0] & { predictor?: ProfilerDeps['predictor'] } = {},
): Promise<World & { deps: ProfilerDeps }> => {
  const w = await buildWorld(opts);
  for (const id of SERVING)
    w.ports.metrics.addSamples(id, samples(NOW - 90 * 60_000, 90, { cpuPercent: 40, cpuMaxPercent: 70, memoryGiB: 3, networkMbps: 50, diskIops: 100 }));
  const deps: ProfilerDeps = {
    ...w.deps,
    metricsReader: w.ports.metrics,
    predictor: opts.predictor ?? new FallbackPredictor(),
    profiler: { windowMinutes: 60, halfLifeMs: 86_400_000 },
  };
  return { ...w, deps };
};

/** OTHER's profile (an m5.xlarge of GROUP) from before a restart 40 minutes ago, long enough for its window to close on this tick. */
const restartedOther = () => {
  const restartedAt = NOW - 40 * 60_000;
  const base = newProfile({
    instanceId: OTHER,
    groupId: GROUP,
    instanceType: 'm5.xlarge',
    vcpus: 4,
    jobType: 'web',
    launchedAt: NOW - 86_400_000,
    now: restartedAt - 60_000,
  });
  return { restartedAt, base };
};

describe('profiler handler', () => {
  it('one batched read and one batched prediction for the whole group; profiles, forecasts and allocations stored', async () => {
    const predictor = new ScriptedPredictor((i) => knownForecast(i.profile.instanceId, { vcpu: 1, memoryGiB: 3, networkMbps: 60, diskIops: 150 }, i.now));
    const w = await profilerWorld({ predictor });
    const result = await makeHandler(w.deps)(tick());
    expect(result).toMatchObject({ status: 'planned', noticeKind: 'profile-tick', dryRun: false, succeeded: true });
    expect(w.ports.metrics.log.count('read')).toBe(1);
    const [targets, window] = w.ports.metrics.log.callsTo('read')[0]?.args as [{ instanceId: string }[], { start: number; end: number }];
    expect(targets.map((t) => t.instanceId).sort()).toEqual([...SERVING].sort());
    // A 60-minute window ending three whole minutes before now (CloudWatch fills the last minutes late).
    expect(window.end - window.start).toBe(60 * 60_000);
    expect(window.end).toBeLessThanOrEqual(NOW - 3 * 60_000);
    expect(predictor.log.count('predict')).toBe(1);
    expect((predictor.log.callsTo('predict')[0]?.args[0] as unknown[]).length).toBe(SERVING.length);
    const profiles = await w.ports.stateStore.getProfiles(SERVING);
    expect(profiles.size).toBe(SERVING.length);
    expect(profiles.get(OTHER)?.samplesSeen).toBe(60);
    const forecasts = await w.ports.stateStore.getForecasts(SERVING);
    expect(forecasts.get(OTHER)?.madeAt).toBe(NOW);
    const pool = w.ports.stateStore.poolSnapshot(GROUP);
    // Allocation: steady p90 per dimension (0.4 × 4 vCPU = 1.6 for the m5.xlarge), rounded up to the
    // histogram bucket's bound, on the pool grid.
    expect(pool?.allocations.get(OTHER)?.vcpu).toBeGreaterThanOrEqual(1.6);
    expect(pool?.allocations.get(OTHER)?.vcpu).toBeLessThanOrEqual(1.8);
    expect(pool?.allocations.size).toBe(SERVING.length);
    expect(w.ports.publisher.plans()).toMatchObject([{ handler: 'profiler', noticeKind: 'profile-tick' }]);
    expect(w.telemetry.total(MetricName.profilesUpdated, { GroupName: GROUP })).toBe(SERVING.length);
    expect(w.telemetry.total(MetricName.poolCapacityVcpu, { GroupName: GROUP })).toBe(32);
  });

  it('reads overlapping windows without counting a minute twice', async () => {
    const w = await profilerWorld();
    const handle = makeHandler(w.deps);
    await handle(tick());
    w.ports.clock.advance(5 * 60_000);
    w.ports.metrics.addSamples(OTHER, samples(NOW, 5, { cpuPercent: 50, memoryGiB: 3, networkMbps: 50, diskIops: 100 }));
    await handle(tick());
    expect((await w.ports.stateStore.getProfiles([OTHER])).get(OTHER)?.samplesSeen).toBe(65);
  });

  it('reads CloudWatch once per metrics period; ticks in between read only instances without a profile', async () => {
    const w = await profilerWorld();
    const deps: ProfilerDeps = { ...w.deps, profiler: { ...w.deps.profiler, metricsEveryMinutes: 20, rateMinutes: 5 } };
    const handle = makeHandler(deps);
    // Align the clock to the first tick of a 20-minute read period.
    w.ports.clock.advance(20 * 60_000 - (NOW % (20 * 60_000)));
    await handle(tick());
    expect(w.ports.metrics.log.count('read')).toBe(1);
    // Three more ticks within the same period: profiles exist, so nothing is read (CloudWatch bills per metric requested).
    for (let i = 0; i < 3; i += 1) {
      w.ports.clock.advance(5 * 60_000);
      await handle(tick());
    }
    expect(w.ports.metrics.log.count('read')).toBe(1);
    expect(w.ports.publisher.plans()).toHaveLength(4); // every tick still predicts and stages
    // The next period's first tick reads everyone again.
    w.ports.clock.advance(5 * 60_000);
    await handle(tick());
    expect(w.ports.metrics.log.count('read')).toBe(2);
    const [targets] = w.ports.metrics.log.callsTo('read')[1]?.args as [{ instanceId: string }[]];
    expect(targets.map((t) => t.instanceId).sort()).toEqual([...SERVING].sort());
  });

  it('a standby group reads CloudWatch on every tick (few members; giving them back needs fresh data)', async () => {
    const w = await profilerWorld();
    const member = WARM[0]!;
    // One warm instance in service: the standby group's only serving member.
    w.ports.cloud.setWarm(member, false);
    w.ports.cloud.setInstanceState(member, 'running');
    w.ports.cloud.putGroup({ ...w.ports.cloud.group(STANDBY)!, desiredCapacity: 1 });
    w.ports.metrics.addSamples(member, samples(NOW - 90 * 60_000, 110, { cpuPercent: 30, cpuMaxPercent: 40, memoryGiB: 3, networkMbps: 10, diskIops: 10 }));
    const deps: ProfilerDeps = { ...w.deps, profiler: { ...w.deps.profiler, metricsEveryMinutes: 20, rateMinutes: 5 } };
    const handle = makeHandler(deps);
    w.ports.clock.advance(20 * 60_000 - (NOW % (20 * 60_000)));
    for (let i = 0; i < 4; i += 1) {
      await handle(tick(STANDBY));
      w.ports.clock.advance(5 * 60_000);
    }
    expect(w.ports.metrics.log.count('read')).toBe(4);
    expect(w.ports.metrics.log.callsTo('read').map((c) => (c.args[0] as { instanceId: string }[]).map((t) => t.instanceId))).toEqual([
      [member],
      [member],
      [member],
      [member],
    ]);
  });

  it('readsMetricsThisTick: ticks every rate minutes read exactly once per metrics period', () => {
    expect(readsMetricsThisTick(0, { windowMinutes: 60, halfLifeMs: 1 })).toBe(true);
    expect(readsMetricsThisTick(7 * 60_000, { windowMinutes: 60, halfLifeMs: 1, metricsEveryMinutes: 5, rateMinutes: 5 })).toBe(true);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 15 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 10_000_000 }), (rate, k, offsetSeconds) => {
        const every = rate * k;
        const start = 1_700_000_000_000 + offsetSeconds * 1000;
        const settings = { windowMinutes: 1440, halfLifeMs: 1, metricsEveryMinutes: every, rateMinutes: rate };
        const periods = new Map<number, number>();
        for (let t = 0; t < 4 * k; t += 1) {
          const now = start + t * rate * 60_000;
          if (readsMetricsThisTick(now, settings)) periods.set(Math.floor(now / (every * 60_000)), (periods.get(Math.floor(now / (every * 60_000))) ?? 0) + 1);
        }
        for (const count of periods.values()) expect(count).toBe(1);
        // Every read period the ticks passed through (4 × k ticks span 4 periods) had its read.
        expect(periods.size).toBeGreaterThanOrEqual(3);
      }),
    );
  });

  it('dry-run: learns (profiles, forecasts) but changes neither the pool nor the fleet', async () => {
    const w = await profilerWorld({ dryRun: true });
    const result = await makeHandler(w.deps)(tick());
    expect(result).toMatchObject({ status: 'planned', dryRun: true });
    expect(w.ports.mutatingCalls()).toEqual([]);
    expect((await w.ports.stateStore.getProfiles(SERVING)).size).toBe(SERVING.length);
    expect(w.ports.publisher.plans()).toMatchObject([{ dryRun: true }]);
  });

  it('a failing model falls back to the statistical predictor and says so', async () => {
    const w = await profilerWorld({
      predictor: async () => {
        throw new Error('model.json missing');
      },
    });
    await makeHandler(w.deps)(tick());
    const forecasts = await w.ports.stateStore.getForecasts(SERVING);
    expect(forecasts.size).toBe(SERVING.length);
    expect(w.telemetry.logsAt('error')).toMatchObject([{ message: expect.stringContaining('statistical fallback'), fields: { error: 'model.json missing' } }]);
  });

  it('creates the pool from configuration when the store has none', async () => {
    const w = await profilerWorld({ seedState: false });
    await makeHandler(w.deps)(tick());
    expect(w.ports.stateStore.poolSnapshot(GROUP)?.capacity).toEqual({ vcpu: 32, memoryGiB: 128, networkMbps: 100_000, diskIops: 200_000 });
  });

  it('a tick for a group spotwise does not manage is ignored (the fixture names web-asg)', async () => {
    const w = await profilerWorld();
    expect(await makeHandler(w.deps)(fixture('spotwise-profile-tick.json'))).toMatchObject({
      status: 'ignored',
      reason: 'group web-asg is not managed by spotwise',
    });
    expect(w.ports.metrics.log.count('read')).toBe(0);
  });

  it('a malformed tick is dropped and counted', async () => {
    const w = await profilerWorld();
    expect(await makeHandler(w.deps)({ source: 'spotwise', 'detail-type': 'Profile Tick', detail: {} })).toMatchObject({ status: 'malformed' });
    expect(w.telemetry.total(MetricName.malformedEvents)).toBe(1);
  });

  it('profiler.half_life_hours reaches every profile it updates: one stored with the default, one a restart window made', async () => {
    const w = await profilerWorld();
    const sixHours = 6 * 3_600_000;
    const { base } = restartedOther();
    w.ports.stateStore.seedProfiles([base]);
    expect(base.steady.vcpu.halfLifeMs).toBe(86_400_000);
    await makeHandler({ ...w.deps, profiler: { ...w.deps.profiler, halfLifeMs: sixHours } })(tick());
    const profiles = await w.ports.stateStore.getProfiles(SERVING);
    expect(profiles.size).toBe(SERVING.length);
    for (const p of profiles.values()) {
      const histograms = [p.steady.vcpu, p.steady.memoryGiB, p.steady.networkMbps, p.steady.diskIops, p.cpuPerCore, p.connections];
      expect(histograms.map((h) => h.halfLifeMs)).toEqual(histograms.map(() => sixHours));
    }
    // The stored one kept what it had learned (its samples were folded on top of it).
    expect(profiles.get(OTHER)?.samplesSeen).toBeGreaterThan(0);
  });

  it('closes a restart window that has run its course and reports the error of the forecast held before the interruption', async () => {
    const w = await profilerWorld();
    const { restartedAt, base } = restartedOther();
    // Before the interruption spotwise held p90 2 vCPU (recorded when the window opened). The stored forecast
    // (3 vCPU) was made during the window, after the restart: it is not the one to judge. The instance then
    // used 40 % of 4 = 1.6 vCPU, so the error is |1.6 - 2| / 1.6, divided by the observed peak.
    const forecastBefore = { vcpu: 2, memoryGiB: 8, networkMbps: 100, diskIops: 200 };
    w.ports.stateStore.seedProfiles([openRestartWindow(base, { interruptedAt: restartedAt - 120_000, restartedAt, forecastBefore })]);
    expect((await w.ports.stateStore.getForecasts([OTHER])).get(OTHER)).toMatchObject({ kind: 'known', dims: { vcpu: { p90: 3 } } });
    await makeHandler(w.deps)(tick());
    const profile = (await w.ports.stateStore.getProfiles([OTHER])).get(OTHER);
    expect(profile?.openRestart).toBeUndefined();
    expect(profile?.restarts).toHaveLength(1);
    expect(w.telemetry.total(MetricName.observedPostRestartVcpu, { GroupName: GROUP })).toBeCloseTo(1.6, 5);
    expect(w.telemetry.total(MetricName.forecastBeforeRestartVcpuP90, { GroupName: GROUP })).toBe(2);
    expect(w.telemetry.total(MetricName.predictionErrorRatio, { GroupName: GROUP })).toBeCloseTo(Math.abs(1.6 - 2) / 1.6, 5);
    // 1.6 of 4 vCPU and 3 of 16 GiB: the restart fitted its host.
    expect(w.telemetry.total(MetricName.restartsSaturated, { GroupName: GROUP })).toBe(0);
  });

  it("an inherited window whose load never arrived is counted, not compared with the victim's forecast", async () => {
    const w = await profilerWorld();
    const { restartedAt, base } = restartedOther();
    // The replacement inherited a victim that ran 3 vCPU and 12 GiB with a p90 of 6 vCPU held for its restart, but
    // the load started elsewhere: the window shows an idle machine (5 % of 4 vCPU, 0.5 GiB).
    const forecastBefore = { vcpu: 6, memoryGiB: 14, networkMbps: 100, diskIops: 200 };
    const opened = openRestartWindow(base, { interruptedAt: restartedAt - 120_000, restartedAt, forecastBefore });
    const window = opened.openRestart!;
    w.ports.stateStore.seedProfiles([
      {
        ...opened,
        openRestart: { ...window, from: instanceId('i-0victim000000001'), steadyBefore: { vcpu: 3, memoryGiB: 12, networkMbps: 50, diskIops: 100 } },
      },
    ]);
    w.ports.metrics.clearSamples(OTHER);
    w.ports.metrics.addSamples(OTHER, samples(NOW - 90 * 60_000, 90, { cpuPercent: 5, cpuMaxPercent: 5, memoryGiB: 0.5, networkMbps: 1, diskIops: 3 }));
    await makeHandler(w.deps)(tick());
    const profile = (await w.ports.stateStore.getProfiles([OTHER])).get(OTHER);
    expect(profile?.openRestart).toBeUndefined();
    expect(profile?.restarts.at(-1)?.steadyBefore.vcpu).toBe(0);
    expect(w.telemetry.total(MetricName.restartWindowsWithoutLoad, { GroupName: GROUP })).toBe(1);
    // |0.2 − 6| / 0.2 would have read as an error of 2,900 %.
    expect(w.telemetry.total(MetricName.predictionErrorRatio, { GroupName: GROUP })).toBe(0);
    expect(w.telemetry.total(MetricName.observedPostRestartVcpu, { GroupName: GROUP })).toBe(0);
  });

  it("a window whose CPU filled its host records the cycle as saturated (a lower bound), from the instance type's capacity", async () => {
    const w = await profilerWorld();
    const { restartedAt, base } = restartedOther();
    w.ports.stateStore.seedProfiles([openRestartWindow(base, { interruptedAt: restartedAt - 120_000, restartedAt })]);
    w.ports.metrics.clearSamples(OTHER);
    w.ports.metrics.addSamples(OTHER, samples(NOW - 90 * 60_000, 90, { cpuPercent: 100, cpuMaxPercent: 100, memoryGiB: 3, networkMbps: 50, diskIops: 100 }));
    await makeHandler(w.deps)(tick());
    const cycle = (await w.ports.stateStore.getProfiles([OTHER])).get(OTHER)?.restarts[0];
    expect(cycle?.peakAfter.vcpu).toBe(4);
    // m5.xlarge has 16 GiB: 3 GiB is far from it.
    expect(cycle?.saturated).toEqual(['vcpu']);
    expect(cycle?.hostCapacity).toEqual({ vcpu: 4, memoryGiB: 16 });
    expect(w.telemetry.total(MetricName.restartsSaturated, { GroupName: GROUP })).toBe(1);
  });

  it('reports the oldest profile age every tick, and 0 for a group with nothing serving (the stale alarm treats silence as a stopped profiler)', async () => {
    const ages = (w: World): number[] =>
      w.telemetry.flushed.filter((m) => m.name === MetricName.profileAgeSeconds && m.dimensions.GroupName === GROUP).map((m) => m.value);
    const busy = await profilerWorld();
    await makeHandler(busy.deps)(tick());
    expect(ages(busy)).toHaveLength(1);
    expect(ages(busy)[0]).toBeGreaterThan(0);
    const empty = await profilerWorld();
    for (const id of SERVING) empty.ports.cloud.setInstanceState(id, 'terminated');
    await makeHandler(empty.deps)(tick());
    expect(ages(empty)).toEqual([0]);
  });

  it('a window opened with no forecast known reports the observed peak and no prediction error', async () => {
    const w = await profilerWorld();
    const { restartedAt, base } = restartedOther();
    w.ports.stateStore.seedProfiles([openRestartWindow(base, { interruptedAt: restartedAt - 120_000, restartedAt })]);
    await makeHandler(w.deps)(tick());
    expect(w.telemetry.total(MetricName.observedPostRestartVcpu, { GroupName: GROUP })).toBeCloseTo(1.6, 5);
    expect(w.telemetry.total(MetricName.forecastBeforeRestartVcpuP90, { GroupName: GROUP })).toBe(0);
    expect(w.telemetry.total(MetricName.predictionErrorRatio, { GroupName: GROUP })).toBe(0);
  });

  it('preemption: a pool over its eviction threshold requests the eviction of lower-priority instances', async () => {
    const w = await profilerWorld({
      config: {
        groups: [{ name: GROUP, policy: 'web', capacity: { vcpu: 6, memory_gib: 128, network_mbps: 100_000, disk_iops: 200_000 }, standby: 'my-asg-standby' }],
        policies: [{ policy_name: 'web', priority: 'high', behavior: { eviction_threshold: 0.5, preemption_enabled: true } }],
      },
    });
    w.ports.cloud.putInstance({ ...w.ports.cloud.instance(OTHER)!, priority: 10 });
    await makeHandler(w.deps)(tick());
    const requests = w.ports.stateStore.allRequests();
    expect(requests.length).toBeGreaterThanOrEqual(1);
    expect(requests[0]).toMatchObject({ status: 'pending', request: { selector: { kind: 'instance', instanceId: OTHER } } });
  });
});

describe("profiler pool refresh: a replacement and its victim's reservation", () => {
  const NEWCOMER = instanceId('i-0ddddddddddddddd1');
  const VICTIM = FIXTURE_INSTANCES.karpenter;
  const RESERVATION = reservationId('request:req-roll:i-0123456789');
  const tight = (vcpu: number) => ({
    groups: [{ name: GROUP, policy: 'web', capacity: { vcpu, memory_gib: 128, network_mbps: 100_000, disk_iops: 200_000 }, standby: 'my-asg-standby' }],
  });

  /**
   * A small group with little headroom (the simulator's seed-3 case): one tick records every allocation,
   * then the victim is interrupted with its post-restart demand reserved, Auto Scaling launches a
   * replacement (an m5.large with no profile and no metrics yet: allocated its full 2 vCPU, fail closed),
   * and the next tick refreshes the pool.
   */
  const interruptedWorld = async (opts: { readonly capacityVcpu: number; readonly reserve: boolean }) => {
    const w = await profilerWorld({ config: tight(opts.capacityVcpu) });
    const handle = makeHandler(w.deps);
    await handle(tick());
    if (opts.reserve) {
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
    }
    w.ports.clock.advance(5 * 60_000);
    w.ports.cloud.putInstance({ ...w.ports.cloud.instance(VICTIM)!, state: 'terminated' });
    w.ports.cloud.putInstance({ ...w.ports.cloud.instance(FIXTURE_INSTANCES.docs)!, id: NEWCOMER, launchedAt: NOW + 4 * 60_000 });
    return { w, handle };
  };

  it('the replacement takes over the reservation instead of a second allocation; the pool is never written over-committed', async () => {
    const { w, handle } = await interruptedWorld({ capacityVcpu: 7.5, reserve: true });
    const seen: string[] = [];
    // Every pool state the store passes through during the tick, not only the last one.
    const putAllocations = w.ports.stateStore.putAllocations.bind(w.ports.stateStore);
    w.ports.stateStore.putAllocations = async (g, a) => {
      await putAllocations(g, a);
      seen.push(...poolInvariantViolations(w.ports.stateStore.poolSnapshot(g)!));
    };
    await handle(tick());
    const pool = w.ports.stateStore.poolSnapshot(GROUP)!;
    expect(seen).toEqual([]);
    expect(poolInvariantViolations(pool)).toEqual([]);
    expect(pool.reservations.has(RESERVATION)).toBe(false);
    expect(pool.allocations.has(VICTIM)).toBe(false);
    // Its own full shape (no data yet): at least the reserved 1.5 vCPU it took over.
    expect(pool.allocations.get(NEWCOMER)?.vcpu).toBe(2);
    expect(w.telemetry.logs.filter((l) => l.message.startsWith('replacement takes over'))).toMatchObject([
      { fields: { instanceId: NEWCOMER, reservationId: RESERVATION } },
    ]);
    expect(w.telemetry.logs.filter((l) => l.message.startsWith('allocation capped'))).toEqual([]);
  });

  it("the refresh is the plan's first action; a ledger refusing it (reservations made since the read) keeps the stored pool, says so, and staging goes on", async () => {
    const { w, handle } = await interruptedWorld({ capacityVcpu: 7.5, reserve: true });
    const before = w.ports.stateStore.poolSnapshot(GROUP)!;
    w.ports.stateStore.log.failNext('putAllocations', new PoolOverCommitError('vcpu over capacity; allocations not written'));
    const result = await handle(tick());
    expect(result).toMatchObject({ status: 'planned', succeeded: true });
    expect(result.status === 'planned' ? result.actions[0] : undefined).toBe('refresh-pool');
    const pool = w.ports.stateStore.poolSnapshot(GROUP)!;
    // Nothing of the refresh was written: the reservation is still held, the allocations are the ones read.
    expect(pool.reservations.has(RESERVATION)).toBe(true);
    expect([...pool.allocations]).toEqual([...before.allocations]);
    expect(w.telemetry.logsAt('warn').filter((l) => l.message === 'action skipped')).toMatchObject([
      { fields: { action: 'refresh-pool', reason: expect.stringContaining('the next tick recomputes') } },
    ]);
    // The next tick writes it.
    w.ports.clock.advance(5 * 60_000);
    await handle(tick());
    const written = w.ports.stateStore.poolSnapshot(GROUP)!;
    expect(written.reservations.has(RESERVATION)).toBe(false);
    // Plan Made carries the refresh with its allocations counted, not listed (EventBridge's 256 KB entry limit).
    expect(w.ports.publisher.plans().at(-1)?.plan.actions[0]).toMatchObject({
      kind: 'refresh-pool',
      allocations: written.allocations.size,
      handedOver: [{ reservationId: RESERVATION, instanceId: NEWCOMER }],
    });
  });

  it('with nothing to take over and no room, the allocation is capped at what fits: the pool is full, not over-committed, and says so', async () => {
    // 4 serving instances after the victim left, ~4.5 vCPU measured; 5.5 vCPU of capacity cannot also hold 2 for the newcomer.
    const { w, handle } = await interruptedWorld({ capacityVcpu: 5.5, reserve: false });
    await handle(tick());
    const pool = w.ports.stateStore.poolSnapshot(GROUP)!;
    expect(poolInvariantViolations(pool)).toEqual([]);
    expect(overCommitment(pool).vcpu).toBe(0);
    // One priority tier short of vCPU: fair share water-fills it, so the newcomer and the one sibling that
    // wants more than the level are both capped at the same level; the others get what they want.
    const capped = w.telemetry.logsAt('warn').filter((l) => l.message.startsWith('allocation capped'));
    expect(capped.map((l) => l.fields['instanceId']).sort()).toEqual([OTHER, NEWCOMER].sort());
    const newcomer = pool.allocations.get(NEWCOMER)!;
    expect(newcomer.vcpu).toBeLessThan(2);
    expect(pool.allocations.get(OTHER)?.vcpu).toBe(newcomer.vcpu);
    // Full on vCPU: whatever else asks for vCPU is refused until use falls.
    const committed = [...pool.allocations.values()].reduce((s, a) => s + a.vcpu, 0);
    expect(committed).toBe(5.5);
  });
});

describe('allocationOf', () => {
  it.each([['no profile: the whole shape (fail closed)', undefined, { vcpu: 2, memoryGiB: 8, networkMbps: 100, diskIops: 50 }]])(
    '%s',
    (_n, profile, expected) => {
      expect(allocationOf(profile, { vcpu: 2, memoryGiB: 8, networkMbps: 100, diskIops: 50 })).toEqual(expected);
    },
  );

  it('a dimension without data counts at the full shape; known ones at p90, never above the shape', () => {
    const p = newProfile({
      instanceId: instanceId('i-0000000000000001'),
      groupId: GROUP,
      instanceType: 'm5.large',
      vcpus: 2,
      jobType: 'web',
      launchedAt: 0,
      now: 0,
    });
    const a = allocationOf(p, { vcpu: 2, memoryGiB: 8, networkMbps: 100, diskIops: 50 });
    expect(a).toEqual({ vcpu: 2, memoryGiB: 8, networkMbps: 100, diskIops: 50 });
  });
});
