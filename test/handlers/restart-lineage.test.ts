import { describe, expect, it } from 'vitest';
import { instanceId, type Action, type BehaviourProfile, type MetricSample } from '../../lambda/core/domain';
import { steadyQuantile } from '../../lambda/core/profile/behaviour-profile';
import { FallbackPredictor } from '../../lambda/core/predict/fallback-predictor';
import { toResources } from '../../lambda/core/resources/resources';
import { executePlan } from '../../lambda/app/execute-plan';
import { makeHandler as makeNotice } from '../../lambda/handlers/notice';
import { makeHandler as makeProfiler, type ProfilerDeps } from '../../lambda/handlers/profiler';
import { fixture } from '../events/event-fixtures';
import { FIXTURE_INSTANCES, GROUP, NOW, OTHER, buildWorld, type World } from './world';

const MIN = 60_000;
const VICTIM = FIXTURE_INSTANCES.karpenter;
const REPLACEMENT = instanceId('i-0ddddddddddddddd1');
const SERVING = [...Object.values(FIXTURE_INSTANCES), OTHER];
/** The group's policy window (policy default: 30 minutes). */
const WINDOW = 30;
/** Auto Scaling launches the replacement after the Spot instance is gone; it runs a minute later. */
const LAUNCHED = NOW + 4 * MIN;
const RUNNING = NOW + 5 * MIN;

const tick = { source: 'spotwise', 'detail-type': 'Profile Tick', detail: { groupName: GROUP } };
const warning = () => fixture('ec2-spot-instance-interruption-warning__karpenter.json');
const iso = (t: number): string => new Date(t).toISOString().replace('.000Z', 'Z');
const running = (id: string, at: number) => ({
  ...fixture('ec2-instance-state-change-notification__aws-nth.json'),
  id: `state-${id}-${at}`,
  time: iso(at),
  detail: { 'instance-id': id, state: 'running' },
});
const launchHook = (id: string, at: number) => {
  const raw = fixture('ec2-instance-launch-lifecycle-action__awsdocs-asg-ug-1.json');
  return { ...raw, id: `launch-${id}`, time: iso(at), detail: { ...(raw.detail as Record<string, unknown>), EC2InstanceId: id } };
};

const samples = (from: number, minutes: number, s: Omit<MetricSample, 'at'>): MetricSample[] =>
  Array.from({ length: minutes }, (_, m) => ({ at: from + m * MIN, ...s }));
/** What the replacement shows after its start: twice the victim's steady CPU, more memory (a restart's catch-up). */
const POST_RESTART = { cpuPercent: 80, cpuMaxPercent: 90, memoryGiB: 5, networkMbps: 80, diskIops: 150 };

const lineageWorld = async (opts: { readonly dryRun?: boolean } = {}): Promise<World & { deps: ProfilerDeps }> => {
  const w = await buildWorld(opts);
  for (const id of SERVING)
    w.ports.metrics.addSamples(id, samples(NOW - 90 * MIN, 90, { cpuPercent: 40, cpuMaxPercent: 70, memoryGiB: 3, networkMbps: 50, diskIops: 100 }));
  const deps: ProfilerDeps = {
    ...w.deps,
    metricsReader: w.ports.metrics,
    predictor: new FallbackPredictor(),
    profiler: { windowMinutes: 60, halfLifeMs: 86_400_000 },
  };
  return { ...w, deps };
};

const profileOf = async (w: World, id: string): Promise<BehaviourProfile | undefined> =>
  (await w.ports.stateStore.getProfiles([instanceId(id)])).get(instanceId(id));

/** The Spot warning reserves for the victim; the victim is reclaimed, and Auto Scaling launches a replacement under a new id. */
const reclaimAndReplace = async (w: World & { deps: ProfilerDeps }): Promise<BehaviourProfile> => {
  await makeProfiler(w.deps)(tick); // the profile spotwise holds for the victim before the warning
  const victim = await profileOf(w, VICTIM);
  if (victim === undefined) throw new Error('the victim has no profile');
  await makeNotice(w.deps)(warning());
  expect(w.ports.stateStore.allReservations().map((r) => r.instanceId)).toContain(VICTIM);
  w.ports.clock.set(NOW + 2 * MIN);
  w.ports.cloud.setInstanceState(VICTIM, 'terminated');
  w.ports.cloud.putInstance({
    id: REPLACEMENT,
    groupId: GROUP,
    instanceType: 'm5.large',
    availabilityZone: 'us-west-2a',
    lifecycle: 'spot',
    state: 'running',
    launchedAt: LAUNCHED,
    warm: false,
    priority: 90,
    jobType: 'web',
    tags: { 'aws:autoscaling:groupName': GROUP },
  });
  w.ports.metrics.addSamples(REPLACEMENT, samples(RUNNING, WINDOW + 20, POST_RESTART));
  return victim;
};

/** Profiler ticks every 5 minutes until the replacement's post-restart window has closed. */
const tickUntilClosed = async (w: World & { deps: ProfilerDeps }): Promise<BehaviourProfile> => {
  const handle = makeProfiler(w.deps);
  for (let t = RUNNING + 5 * MIN; t <= RUNNING + (WINDOW + 15) * MIN; t += 5 * MIN) {
    w.ports.clock.set(t);
    await handle(tick);
  }
  const p = await profileOf(w, REPLACEMENT);
  if (p === undefined) throw new Error('the replacement has no profile');
  return p;
};

const expectLearnedFrom = (replacement: BehaviourProfile, victim: BehaviourProfile): void => {
  expect(replacement.inheritedFrom).toBe(VICTIM);
  expect(replacement.openRestart).toBeUndefined();
  expect(replacement.restarts).toHaveLength(victim.restarts.length + 1);
  const cycle = replacement.restarts.at(-1);
  expect(cycle?.steadyBefore).toEqual(toResources(steadyQuantile(victim, 0.9)));
  expect(cycle?.steadyBefore.vcpu).toBeGreaterThan(0);
  expect(cycle?.interruptedAt).toBe(victim.lastSampleAt);
  // 80 % of the replacement's 2 vCPUs after the restart, against the victim's ~0.8 vCPU steady state.
  expect(cycle?.peakAfter.vcpu).toBeCloseTo(1.6, 6);
  expect(cycle?.unobserved).toBeUndefined();
};

describe("restart lineage: a Spot replacement learns its victim's restart", () => {
  it('without a launch hook: the pool refresh hands the reservation over and the plan carries the lineage; the closed window is a full cycle', async () => {
    const w = await lineageWorld();
    const victim = await reclaimAndReplace(w);
    // The state change comes first: a new profile whose window has no steady state before.
    w.ports.clock.set(RUNNING + 10_000);
    await makeNotice(w.deps)(running(REPLACEMENT, RUNNING));
    expect((await profileOf(w, REPLACEMENT))?.openRestart?.steadyBefore.vcpu).toBe(0);

    w.ports.clock.set(RUNNING + 5 * MIN);
    await makeProfiler(w.deps)(tick);
    const plan = w.ports.publisher.plans().at(-1);
    const inherit = plan?.plan.actions.find((a) => a.kind === 'inherit-profile');
    expect(inherit).toMatchObject({
      kind: 'inherit-profile',
      groupId: GROUP,
      fromInstanceId: VICTIM,
      toInstanceId: REPLACEMENT,
      reservationId: expect.stringContaining(VICTIM),
      restartedAt: LAUNCHED,
      windowMinutes: WINDOW,
      heir: { instanceType: 'm5.large', vcpus: 2 },
    });
    const open = (await profileOf(w, REPLACEMENT))?.openRestart;
    expect(open).toMatchObject({ from: VICTIM, restartedAt: RUNNING, steadyBefore: toResources(steadyQuantile(victim, 0.9)) });
    expect(w.ports.stateStore.allReservations().map((r) => r.instanceId)).not.toContain(VICTIM);

    expectLearnedFrom(await tickUntilClosed(w), victim);
    // The closed window is a training case of the periodic retraining: the victim's model input, the replacement's peak.
    const learned = await w.ports.stateStore.listCycles(GROUP, 10);
    expect(learned).toHaveLength(1);
    expect(learned[0]).toMatchObject({ groupId: GROUP, instanceId: REPLACEMENT, restartedAt: RUNNING, windowMinutes: WINDOW });
    expect(learned[0]?.rows.vcpu?.peak).toBeCloseTo(1.6, 6);
    expect(learned[0]?.rows.vcpu?.scale).toBeCloseTo(steadyQuantile(victim, 0.9).vcpu ?? 0, 4);
    // Inherited once: the later ticks planned no lineage (the replacement holds an allocation now).
    const inherits = w.ports.publisher.plans().flatMap((p) => p.plan.actions.filter((a) => a.kind === 'inherit-profile'));
    expect(inherits).toHaveLength(1);
  });

  it('with a launch hook: the hand-over and the lineage are one plan; the state change that follows keeps the lineage window', async () => {
    const w = await lineageWorld();
    const victim = await reclaimAndReplace(w);
    w.ports.clock.set(LAUNCHED + 5_000);
    const result = await makeNotice(w.deps)(launchHook(REPLACEMENT, LAUNCHED));
    expect(result).toMatchObject({ status: 'planned', actions: ['hand-over', 'complete-lifecycle-action', 'inherit-profile'], succeeded: true });
    const inherited = await profileOf(w, REPLACEMENT);
    expect(inherited).toMatchObject({ inheritedFrom: VICTIM, instanceType: 'm5.large', vcpus: 2, openRestart: { from: VICTIM, restartedAt: LAUNCHED } });

    w.ports.clock.set(RUNNING + 10_000);
    await makeNotice(w.deps)(running(REPLACEMENT, RUNNING));
    expect((await profileOf(w, REPLACEMENT))?.openRestart).toEqual(inherited?.openRestart);

    expectLearnedFrom(await tickUntilClosed(w), victim);
  });

  it("a launch hook's newcomer not described yet: the victim's type stands in until the profiler sees the instance on its own type", async () => {
    const w = await lineageWorld();
    const victim = await reclaimAndReplace(w);
    // The snapshot does not list the newcomer yet (hidden here as terminated); it is then described on another type.
    const described = w.ports.cloud.instance(REPLACEMENT);
    if (described === undefined) throw new Error('no replacement');
    w.ports.cloud.setInstanceState(REPLACEMENT, 'terminated');
    w.ports.clock.set(LAUNCHED + 5_000);
    const result = await makeNotice(w.deps)(launchHook(REPLACEMENT, LAUNCHED));
    expect(result).toMatchObject({ actions: ['hand-over', 'complete-lifecycle-action', 'inherit-profile'] });
    const inherit = w.ports.publisher
      .plans()
      .at(-1)
      ?.plan.actions.find((a) => a.kind === 'inherit-profile');
    expect(inherit).not.toHaveProperty('heir');
    expect(await profileOf(w, REPLACEMENT)).toMatchObject({ instanceType: victim.instanceType, vcpus: victim.vcpus, inheritedFrom: VICTIM });

    w.ports.cloud.putInstance({ ...described, instanceType: 'm5.xlarge', state: 'running', tags: { 'aws:autoscaling:groupName': GROUP } });
    const p = await tickUntilClosed(w);
    expect(p).toMatchObject({ instanceType: 'm5.xlarge', vcpus: 4, inheritedFrom: VICTIM });
    // 80 % of the 4 vCPUs it really has, against the victim's steady state.
    expect(p.restarts.at(-1)?.peakAfter.vcpu).toBeCloseTo(3.2, 6);
    expect(p.restarts.at(-1)?.steadyBefore).toEqual(toResources(steadyQuantile(victim, 0.9)));
  });

  it('a redelivered lineage changes nothing, and a replacement with history of its own is never overwritten', async () => {
    const w = await lineageWorld();
    await reclaimAndReplace(w);
    w.ports.clock.set(LAUNCHED + 5_000);
    await makeNotice(w.deps)(launchHook(REPLACEMENT, LAUNCHED));
    const action = w.ports.publisher
      .plans()
      .at(-1)
      ?.plan.actions.find((a) => a.kind === 'inherit-profile') as Action;
    const before = await profileOf(w, REPLACEMENT);
    const writes = w.ports.stateStore.log.count('putProfiles');
    const again = await executePlan({ actions: [action], events: [] }, w.deps.ports, { dryRun: false });
    expect(again.outcomes).toMatchObject([{ kind: 'done', detail: `kept: already inherited from ${VICTIM}` }]);
    expect(await profileOf(w, REPLACEMENT)).toEqual(before);

    // OTHER has served for 90 minutes: its steady state is its own.
    const own = await profileOf(w, OTHER);
    const onto = await executePlan({ actions: [{ ...action, toInstanceId: OTHER } as Action], events: [] }, w.deps.ports, { dryRun: false });
    expect(onto.outcomes).toMatchObject([
      { kind: 'done', detail: `kept: ${OTHER} has been observed past its post-restart window: its steady state is its own` },
    ]);
    expect(await profileOf(w, OTHER)).toEqual(own);
    expect(w.ports.stateStore.log.count('putProfiles')).toBe(writes);
  });

  it('one heir per victim: a concurrent launch hook whose hand-over found the reservation gone inherits nothing, nor does a later newcomer', async () => {
    const w = await lineageWorld();
    await reclaimAndReplace(w);
    w.ports.clock.set(LAUNCHED + 5_000);
    await makeNotice(w.deps)(launchHook(REPLACEMENT, LAUNCHED));
    const plan = w.ports.publisher.plans().at(-1)?.plan;
    const handOver = plan?.actions.find((a) => a.kind === 'hand-over') as Action & { kind: 'hand-over' };
    const inherit = plan?.actions.find((a) => a.kind === 'inherit-profile') as Action & { kind: 'inherit-profile' };
    expect((await profileOf(w, VICTIM))?.inheritedBy).toBe(REPLACEMENT);
    // A second newcomer's hook, planned from the same snapshot, ran after the first: its hand-over found nothing.
    const second = instanceId('i-0ddddddddddddddd2');
    const raced = await executePlan(
      {
        actions: [
          { ...handOver, instanceId: second },
          { ...inherit, toInstanceId: second },
        ],
        events: [],
      },
      w.deps.ports,
      { dryRun: false },
    );
    expect(raced.outcomes.map((o) => (o.kind === 'done' ? o.detail : o.kind))).toEqual([
      'nothing to hand over (released, swept or already handed over)',
      `kept: reservation ${handOver.reservationId} was not handed to ${second} by this plan`,
    ]);
    // A newcomer that took another reservation of the same victim (a rebalance recommendation's) does not inherit it again.
    const other = await executePlan(
      { actions: [{ ...inherit, toInstanceId: second, reservationId: 'rebalance:e9:i-0123456789' as never }], events: [] },
      w.deps.ports,
      { dryRun: false },
    );
    expect(other.outcomes).toMatchObject([{ kind: 'done', detail: `kept: the lineage of ${VICTIM} already went to ${REPLACEMENT}` }]);
    expect(await profileOf(w, second)).toBeUndefined();
  });

  it('dry-run: the lineage is learned (profiles are learned in dry-run) while the fleet and the ledger are left alone', async () => {
    const w = await lineageWorld({ dryRun: true });
    await makeProfiler(w.deps)(tick);
    // The pool as a live spotwise left it before dry-run was switched on (a dry run stores no allocations).
    await w.ports.stateStore.putAllocations(GROUP, new Map(SERVING.map((id) => [id, { vcpu: 1, memoryGiB: 3, networkMbps: 50, diskIops: 100 }] as const)));
    // In dry-run the warning reserves nothing: seed the reservation the live run would hold.
    await w.ports.stateStore.reserve({
      id: 'spot:i-0123456789' as never,
      groupId: GROUP,
      instanceId: VICTIM,
      amount: { vcpu: 1, memoryGiB: 2, networkMbps: 10, diskIops: 10 },
      createdAt: NOW,
      expiresAt: NOW + 60 * MIN,
      reason: 'spot warning',
      priority: 90,
    });
    w.ports.cloud.setInstanceState(VICTIM, 'terminated');
    w.ports.cloud.putInstance({
      id: REPLACEMENT,
      groupId: GROUP,
      instanceType: 'm5.large',
      availabilityZone: 'us-west-2a',
      lifecycle: 'spot',
      state: 'running',
      launchedAt: LAUNCHED,
      warm: false,
      priority: 90,
      jobType: 'web',
      tags: { 'aws:autoscaling:groupName': GROUP },
    });
    w.ports.clearCalls();
    w.ports.clock.set(RUNNING + 5 * MIN);
    await makeProfiler(w.deps)(tick);
    expect(w.ports.mutatingCalls()).toEqual([]);
    expect(w.ports.stateStore.allReservations().map((r) => r.instanceId)).toEqual([VICTIM]);
    const outcome = w.ports.publisher.plans().at(-1);
    expect(outcome?.plan.actions.map((a) => a.kind)).toContain('inherit-profile');
    expect((await profileOf(w, REPLACEMENT))?.inheritedFrom).toBe(VICTIM);
  });

  it('dry-run: a lineage that follows a hand-over in the same plan is not carried out (dry-run skips the hand-over)', async () => {
    const w = await lineageWorld({ dryRun: true });
    await makeProfiler(w.deps)(tick);
    await w.ports.stateStore.reserve({
      id: 'spot:i-0123456789' as never,
      groupId: GROUP,
      instanceId: VICTIM,
      amount: { vcpu: 1, memoryGiB: 2, networkMbps: 10, diskIops: 10 },
      createdAt: NOW,
      expiresAt: NOW + 60 * MIN,
      reason: 'spot warning',
      priority: 90,
    });
    w.ports.cloud.setInstanceState(VICTIM, 'terminated');
    w.ports.clock.set(LAUNCHED + 5_000);
    const result = await makeNotice(w.deps)(launchHook(REPLACEMENT, LAUNCHED));
    expect(result).toMatchObject({ dryRun: true, actions: ['hand-over', 'complete-lifecycle-action', 'inherit-profile'] });
    expect(await profileOf(w, REPLACEMENT)).toBeUndefined();
    expect((await profileOf(w, VICTIM))?.inheritedBy).toBeUndefined();
  });
});
