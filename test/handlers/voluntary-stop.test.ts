import { describe, expect, it } from 'vitest';
import { MetricName } from '../../lambda/contracts/metrics';
import { instanceId, reservationId, STANDBY_MARK_TAG, type Plan } from '../../lambda/core/domain';
import { FallbackPredictor } from '../../lambda/core/predict/fallback-predictor';
import { makeHandler as makeProfiler } from '../../lambda/handlers/profiler';
import { makeHandler as makeCoordinator } from '../../lambda/handlers/coordinator';
import { executePlan } from '../../lambda/app/execute-plan';
import { makeHandler as makeExecutor } from '../../lambda/handlers/executor';
import { makeHandler as makeNotice } from '../../lambda/handlers/notice';
import { interruptionDueEvent } from '../../lambda/events';
import type { StateTransition } from '../../lambda/sim/memory/in-memory-cloud';
import { fixture } from '../events/event-fixtures';
import { FIXTURE_INSTANCES, GROUP, NOW, OTHER, buildWorld, configInput, knownForecast, type World, addRequestVictim } from './world';

/**
 * Voluntary stops against an in-memory cloud that behaves like AWS: a stop leaves the instance `stopping` for 45 s,
 * a start `pending` for 20 s, and an In-Service member stopping or stopped for 60 s is replaced by the EC2 health check.
 */
const TIMINGS = { stopSeconds: 45, startSeconds: 20, healthCheckSeconds: 60 };
const SIBLING = instanceId('i-0dddddddddddddd01');

/** A real EC2 state-change notification (the NTH sample) for one of the cloud's state changes. */
const stateChangeEvent = (t: StateTransition, n: number): Record<string, unknown> => {
  const raw = fixture('ec2-instance-state-change-notification__aws-nth.json');
  return {
    ...raw,
    id: `7bf73129-1428-4cd3-a780-${String(n).padStart(12, '0')}`,
    time: new Date(t.at).toISOString().replace('.000Z', 'Z'),
    resources: [`arn:aws:ec2:us-east-1:123456789012:instance/${t.instanceId}`],
    detail: { 'instance-id': t.instanceId, state: t.state },
  };
};

/** Lets time pass and delivers every state change the cloud made meanwhile (as the stack's rule filters them). */
const passTime = async (w: World, ms: number, delivered: { n: number }, acted = new Set(['running', 'stopped'])): Promise<unknown[]> => {
  w.ports.clock.advance(ms);
  const results: unknown[] = [];
  for (const t of w.ports.cloud.settle()) {
    if (!acted.has(t.state)) continue;
    delivered.n += 1;
    results.push(await makeNotice(w.deps)(stateChangeEvent(t, delivered.n)));
  }
  return results;
};

/** The fixture world, without the warm standby (so the load of a Spot victim must go to a resized sibling). */
const resizeWorld = async (): Promise<World> => {
  const w = await buildWorld({
    config: {
      groups: [{ name: GROUP, policy: 'web', capacity: { vcpu: 32, memory_gib: 128, network_mbps: 100_000, disk_iops: 200_000 } }],
      standby_groups: [],
      policies: [{ ...configInput().policies[0], allow_stop_modify_start: true }],
    },
  });
  // The fixture world's pending instance would fill the disruption budget (max_unavailable 1).
  w.ports.cloud.setInstanceState(FIXTURE_INSTANCES.stateChange, 'running');
  w.ports.cloud.putInstance({
    id: SIBLING,
    groupId: GROUP,
    instanceType: 'm5.large',
    availabilityZone: 'us-west-2b',
    lifecycle: 'on-demand',
    state: 'running',
    launchedAt: NOW - 86_400_000,
    warm: false,
    priority: 50,
    jobType: 'web',
    tags: { 'aws:autoscaling:groupName': GROUP },
  });
  w.ports.stateStore.seedForecasts([knownForecast(SIBLING, { vcpu: 1, memoryGiB: 4, networkMbps: 100, diskIops: 200 })]);
  w.ports.cloud.useAsyncStates(TIMINGS);
  w.ports.clearCalls();
  return w;
};

describe('stop → modify → start of a running sibling against asynchronous AWS states', () => {
  it('as one plan (stop, retype, start) it cannot work: the retype and the compensating start are refused, and the health check replaces the sibling', async () => {
    const w = await resizeWorld();
    const plan: Plan = {
      actions: [
        { kind: 'interrupt-instance', groupId: GROUP, instanceId: SIBLING, mode: 'stop', reason: 'resize' },
        { kind: 'retype-stopped-instance', groupId: GROUP, instanceId: SIBLING, fromType: 'm5.large', toType: 'm5.xlarge', reason: 'resize' },
        { kind: 'start-instance', groupId: GROUP, instanceId: SIBLING, reason: 'resize' },
      ],
      events: [],
    };
    const report = await executePlan(plan, { ...w.deps.ports }, { dryRun: false });
    expect(report.succeeded).toBe(false);
    expect(report.outcomes.map((o) => o.kind)).toEqual(['done', 'failed', 'skipped']);
    expect(report.compensations.map((o) => o.kind)).toEqual(['failed']);
    expect(w.ports.cloud.refusedCalls).toBe(2);
    await passTime(w, 120_000, { n: 0 }, new Set());
    expect(w.ports.cloud.healthCheckReplacements).toBe(1);
    expect(w.ports.cloud.instance(SIBLING)?.state).toBe('terminated');
  });

  it('through Standby and the stopped state change it ends retyped, running and in service, with no refused call and no replacement', async () => {
    const w = await resizeWorld();
    const delivered = { n: 0 };
    const warned = await makeNotice(w.deps)(fixture('ec2-spot-instance-interruption-warning__karpenter.json'));
    expect(warned).toMatchObject({
      status: 'planned',
      succeeded: true,
      actions: ['reserve', 'reserve', 'enter-standby', 'interrupt-instance', 'record-pool-signal'],
    });
    expect(w.ports.cloud.instance(SIBLING)?.state).toBe('stopping');
    expect(w.ports.cloud.inStandby(SIBLING)).toBe(true);
    expect(w.ports.cloud.group(GROUP)?.desiredCapacity).toBe(4);
    const order = w.ports.cloud.log.calls.map((c) => c.operation).filter((op) => op === 'enterStandby' || op === 'stopInstances');
    expect(order).toEqual(['enterStandby', 'stopInstances']);

    // 45 s later the sibling is stopped: the notice handler continues with the retype and the start.
    const [onStopped] = await passTime(w, 45_000, delivered);
    expect(onStopped).toMatchObject({ status: 'planned', actions: ['retype-stopped-instance', 'start-instance'], succeeded: true });
    expect(w.ports.cloud.instance(SIBLING)).toMatchObject({ state: 'pending', instanceType: 'm5.xlarge' });

    // Running again: its reservation becomes its allocation and it goes back in service.
    const [onRunning] = await passTime(w, 20_000, delivered);
    expect(onRunning).toMatchObject({ status: 'planned', actions: ['hand-over', 'exit-standby', 'open-restart-window'], succeeded: true });
    expect(w.ports.cloud.inStandby(SIBLING)).toBe(false);
    expect(w.ports.cloud.group(GROUP)?.desiredCapacity).toBe(5);

    await passTime(w, 600_000, delivered);
    expect(w.ports.cloud.instance(SIBLING)).toMatchObject({ state: 'running', instanceType: 'm5.xlarge' });
    expect(w.ports.cloud.refusedCalls).toBe(0);
    expect(w.ports.cloud.healthCheckReplacements).toBe(0);
    const pool = await w.ports.stateStore.getPool(GROUP);
    expect(pool?.allocations.get(SIBLING)).toMatchObject({ vcpu: 1, memoryGiB: 4 });
    expect([...(pool?.reservations.keys() ?? [])].some((id) => id.startsWith('sibling:'))).toBe(false);
  });

  it('a redelivered stopped event after the start plans nothing (the sibling has moved on)', async () => {
    const w = await resizeWorld();
    const delivered = { n: 0 };
    await makeNotice(w.deps)(fixture('ec2-spot-instance-interruption-warning__karpenter.json'));
    await passTime(w, 45_000, delivered);
    const late = stateChangeEvent({ instanceId: SIBLING, state: 'stopped', at: NOW + 45_000 }, 99);
    expect(await makeNotice(w.deps)(late)).toMatchObject({ status: 'planned', actions: ['noop'], succeeded: true });
    expect(w.ports.cloud.log.count('startInstances')).toBe(1);
    expect(w.ports.cloud.refusedCalls).toBe(0);
  });
});

/** A requested stop's world: an On-Demand member of the fixture group to stop, the cloud on AWS-like timings. */
const REQ_NOW = Date.parse('2024-05-01T12:00:00Z');
const VICTIM = instanceId('i-0a1b2c3d4e5f60718');

const requestWorld = async (): Promise<World> => {
  const w = await buildWorld();
  w.ports.clock.set(REQ_NOW);
  w.ports.cloud.setInstanceState(FIXTURE_INSTANCES.stateChange, 'running');
  addRequestVictim(w, REQ_NOW);
  w.ports.cloud.useAsyncStates(TIMINGS);
  w.ports.clearCalls();
  return w;
};

const fireDue = async (w: World): Promise<unknown> => {
  await makeCoordinator(w.deps)(fixture('spotwise-interruption-requested-instance.json'));
  w.ports.clock.set(Date.parse('2024-05-01T12:05:00Z'));
  const [due] = w.ports.scheduler.takeDue(w.ports.clock.now());
  if (due === undefined) throw new Error('nothing was scheduled');
  return makeExecutor(w.deps)(JSON.parse(JSON.stringify(interruptionDueEvent(due))) as unknown);
};

describe('a voluntary stop requested of an Auto Scaling member against asynchronous AWS states', () => {
  it('ends stopped in Standby (desired capacity lowered by one), never replaced by the health check', async () => {
    const w = await requestWorld();
    expect(await fireDue(w)).toMatchObject({ status: 'planned', actions: ['enter-standby', 'interrupt-instance'], succeeded: true });
    expect(w.ports.cloud.log.calls.filter((c) => c.operation === 'enterStandby' || c.operation === 'stopInstances').map((c) => [c.operation, c.args])).toEqual([
      ['enterStandby', [GROUP, VICTIM, { decrementDesiredCapacity: true }]],
      ['stopInstances', [[VICTIM], {}]],
    ]);
    await passTime(w, 3_600_000, { n: 0 });
    expect(w.ports.cloud.instance(VICTIM)?.state).toBe('stopped');
    expect(w.ports.cloud.inStandby(VICTIM)).toBe(true);
    expect(w.ports.cloud.group(GROUP)?.desiredCapacity).toBe(4);
    expect(w.ports.cloud.refusedCalls).toBe(0);
    expect(w.ports.cloud.healthCheckReplacements).toBe(0);
    expect(w.ports.stateStore.allRequests()).toMatchObject([{ status: 'executed', victim: VICTIM }]);
  });

  it('why: behind a load balancer the member stays EnteringStandby for the deregistration delay, and the usual plan would stop it mid-drain', async () => {
    const w = await requestWorld();
    const web = w.ports.cloud.group(GROUP);
    if (web === undefined) throw new Error('fixture group missing');
    w.ports.cloud.putGroup({ ...web, loadBalanced: true });
    w.ports.cloud.useAsyncStates({ ...TIMINGS, deregistrationDelaySeconds: 300 });
    const stateOf = async (): Promise<string | undefined> =>
      (await w.ports.cloud.describeGroups([GROUP]))[0]?.instances.find((i) => i.id === VICTIM)?.lifecycleState;
    const report = await executePlan(
      {
        actions: [
          { kind: 'enter-standby', groupId: GROUP, instanceId: VICTIM, reason: 'r' },
          { kind: 'interrupt-instance', groupId: GROUP, instanceId: VICTIM, mode: 'stop', reason: 'r' },
        ],
        events: [],
      },
      { ...w.deps.ports },
      { dryRun: false },
    );
    expect(report.succeeded).toBe(true);
    expect(w.ports.cloud.drainsCutShort).toBe(1);
    expect(await stateOf()).toBe('EnteringStandby');
    await expect(w.ports.cloud.exitStandby(GROUP, VICTIM)).rejects.toThrow('the instance is not in Standby');
    w.ports.clock.advance(300_000);
    expect(await stateOf()).toBe('Standby');
  });

  it('in a group a load balancer serves, a stop request is deferred with the reason: no EnterStandby, no stop (the member would still be draining)', async () => {
    const w = await requestWorld();
    const web = w.ports.cloud.group(GROUP);
    if (web === undefined) throw new Error('fixture group missing');
    w.ports.cloud.putGroup({ ...web, loadBalanced: true });
    expect(await makeCoordinator(w.deps)(fixture('spotwise-interruption-requested-instance.json'))).toMatchObject({
      status: 'planned',
      actions: ['defer-interruption'],
    });
    const [stored] = w.ports.stateStore.allRequests();
    expect(stored).toMatchObject({ status: 'deferred' });
    expect(stored?.note).toContain(`${GROUP} is served by a load balancer: a member moved to Standby drains for the deregistration delay`);
    expect(w.ports.cloud.log.count('enterStandby') + w.ports.cloud.log.count('stopInstances')).toBe(0);
    expect(w.ports.cloud.instance(VICTIM)?.state).toBe('running');
    expect(w.ports.cloud.drainsCutShort).toBe(0);
  });

  it('started again within its reservation, it takes the reservation over and goes back in service', async () => {
    const w = await requestWorld();
    const delivered = { n: 0 };
    await fireDue(w);
    await passTime(w, 60_000, delivered);
    await w.ports.cloud.startInstances([VICTIM]);
    const [onRunning] = await passTime(w, 20_000, delivered);
    expect(onRunning).toMatchObject({ status: 'planned', actions: ['hand-over', 'exit-standby', 'open-restart-window'], succeeded: true });
    expect(w.ports.cloud.inStandby(VICTIM)).toBe(false);
    expect(w.ports.cloud.group(GROUP)?.desiredCapacity).toBe(5);
    expect(w.ports.cloud.healthCheckReplacements).toBe(0);
  });

  it('without Standby the same stop is undone by the health check (what the plan prevents)', async () => {
    const w = await requestWorld();
    const report = await executePlan(
      { actions: [{ kind: 'interrupt-instance', groupId: GROUP, instanceId: VICTIM, mode: 'stop', reason: 'bare stop' }], events: [] },
      { ...w.deps.ports },
      { dryRun: false },
    );
    expect(report.succeeded).toBe(true);
    await passTime(w, 120_000, { n: 0 }, new Set());
    expect(w.ports.cloud.healthCheckReplacements).toBe(1);
    expect(w.ports.cloud.instance(VICTIM)?.state).toBe('terminated');
  });

  it('a stop that fails after EnterStandby puts the member back in service (compensation) and deletes its mark', async () => {
    const w = await requestWorld();
    w.ports.cloud.log.failNext('stopInstances', new Error('RequestLimitExceeded'));
    expect(await fireDue(w)).toMatchObject({ succeeded: false });
    expect(w.ports.cloud.log.calls.map((c) => c.operation).filter((op) => /Standby|stopInstances|agInstances/.test(op))).toEqual([
      'tagInstances',
      'enterStandby',
      'stopInstances',
      'exitStandby',
      'untagInstances',
    ]);
    expect(w.ports.cloud.inStandby(VICTIM)).toBe(false);
    expect(w.ports.cloud.instance(VICTIM)?.state).toBe('running');
    expect(w.ports.cloud.instance(VICTIM)?.tags).not.toHaveProperty(STANDBY_MARK_TAG);
    expect(w.ports.cloud.group(GROUP)?.desiredCapacity).toBe(5);
  });

  it('EnterStandby refused after the mark was written: no stop, and the mark is deleted again', async () => {
    const w = await requestWorld();
    w.ports.cloud.log.failNext('enterStandby', new Error('ValidationError: the instance is not in InService'));
    expect(await fireDue(w)).toMatchObject({ succeeded: false });
    expect(w.ports.cloud.log.calls.map((c) => c.operation).filter((op) => /Standby|stopInstances|agInstances/.test(op))).toEqual([
      'tagInstances',
      'enterStandby',
      'untagInstances',
    ]);
    expect(w.ports.cloud.instance(VICTIM)).toMatchObject({ state: 'running' });
    expect(w.ports.cloud.instance(VICTIM)?.tags).not.toHaveProperty(STANDBY_MARK_TAG);
  });
});

/**
 * A member spotwise stopped through Standby whose reservation is gone by the time it runs again: started by an
 * operator hours later (a request's reservation lasts its restart grace and post-restart window), or with its `running`
 * event never delivered. Before the standby mark it stayed in Standby, running, paid for and out of service.
 */
describe('a member spotwise moved to Standby, running again with no reservation held', () => {
  const tick = { source: 'spotwise', 'detail-type': 'Profile Tick', detail: { groupName: GROUP } };

  const stoppedWorld = async (): Promise<{ w: World; delivered: { n: number } }> => {
    const w = await requestWorld();
    await fireDue(w);
    const delivered = { n: 0 };
    // Three hours stopped: the request's reservation (restart grace + post-restart window) has expired.
    await passTime(w, 3 * 3_600_000, delivered);
    return { w, delivered };
  };

  const profiler = (w: World) =>
    makeProfiler({ ...w.deps, metricsReader: w.ports.metrics, predictor: new FallbackPredictor(), profiler: { windowMinutes: 60, halfLifeMs: 86_400_000 } });

  it('the stop wrote the mark before EnterStandby, and the mark stays while the member is stopped', async () => {
    const { w } = await stoppedWorld();
    expect(w.ports.cloud.log.calls.map((c) => c.operation).filter((op) => /Standby|stopInstances|agInstances/.test(op))).toEqual([
      'tagInstances',
      'enterStandby',
      'stopInstances',
    ]);
    expect(w.ports.cloud.instance(VICTIM)).toMatchObject({ state: 'stopped', tags: { [STANDBY_MARK_TAG]: expect.stringMatching(/^before stopping it/) } });
    expect(w.ports.cloud.inStandby(VICTIM)).toBe(true);
    const pool = await w.ports.stateStore.getPool(GROUP);
    expect([...(pool?.reservations.values() ?? [])].filter((r) => r.instanceId === VICTIM && r.expiresAt > w.ports.clock.now())).toEqual([]);
    // A profiler tick leaves a stopped member in Standby alone.
    expect(await profiler(w)(tick)).toMatchObject({ status: 'planned', succeeded: true, actions: expect.not.arrayContaining(['exit-standby']) });
    expect(w.ports.cloud.inStandby(VICTIM)).toBe(true);
  });

  it('an operator starts it: its running notice puts it back in service and deletes the mark', async () => {
    const { w, delivered } = await stoppedWorld();
    await w.ports.cloud.startInstances([VICTIM]);
    const [onRunning] = await passTime(w, 20_000, delivered);
    expect(onRunning).toMatchObject({ status: 'planned', actions: ['exit-standby', 'open-restart-window'], succeeded: true });
    expect(w.ports.cloud.inStandby(VICTIM)).toBe(false);
    expect(w.ports.cloud.group(GROUP)?.desiredCapacity).toBe(5);
    expect(w.ports.cloud.instance(VICTIM)?.tags).not.toHaveProperty(STANDBY_MARK_TAG);
    expect(w.ports.cloud.refusedCalls).toBe(0);
    expect(w.ports.cloud.healthCheckReplacements).toBe(0);
  });

  it('its running event never arrives: the next profiler tick puts it back in service', async () => {
    const { w, delivered } = await stoppedWorld();
    await w.ports.cloud.startInstances([VICTIM]);
    await passTime(w, 20_000, delivered, new Set());
    expect(w.ports.cloud.inStandby(VICTIM)).toBe(true);
    expect(await profiler(w)(tick)).toMatchObject({ status: 'planned', succeeded: true, actions: expect.arrayContaining(['exit-standby']) });
    // Counted on the tick that saw it running in Standby.
    expect(w.telemetry.total(MetricName.runningInStandby, { GroupName: GROUP })).toBe(1);
    expect(w.ports.cloud.inStandby(VICTIM)).toBe(false);
    expect(w.ports.cloud.group(GROUP)?.desiredCapacity).toBe(5);
    expect(w.ports.cloud.instance(VICTIM)?.tags).not.toHaveProperty(STANDBY_MARK_TAG);
    // The next tick has nothing left to do for it.
    const again = (await profiler(w)(tick)) as { readonly actions: readonly string[] };
    expect(again.actions).not.toContain('exit-standby');
    expect(again.actions).not.toContain('clear-standby-mark');
    expect(w.ports.cloud.refusedCalls).toBe(0);
  });

  it("an operator's own Standby member, running and unmarked, is never brought back", async () => {
    const w = await buildWorld();
    w.ports.cloud.setInstanceState(FIXTURE_INSTANCES.stateChange, 'running');
    await w.ports.cloud.enterStandby(GROUP, OTHER, { decrementDesiredCapacity: true });
    const result = (await profiler(w)(tick)) as { readonly actions: readonly string[] };
    expect(result.actions).not.toContain('exit-standby');
    expect(w.ports.cloud.inStandby(OTHER)).toBe(true);
    // Visible on the dashboard: one member running out of service.
    expect(w.telemetry.total(MetricName.runningInStandby, { GroupName: GROUP })).toBe(1);
    expect(w.ports.cloud.log.count('exitStandby')).toBe(0);
  });

  it('a mark left on a member in service (here: an operator ran exit-standby by hand) is deleted by the profiler tick', async () => {
    const { w } = await stoppedWorld();
    await w.ports.cloud.startInstances([VICTIM]);
    w.ports.clock.advance(20_000);
    w.ports.cloud.settle();
    await w.ports.cloud.exitStandby(GROUP, VICTIM);
    expect(w.ports.cloud.instance(VICTIM)?.tags).toHaveProperty(STANDBY_MARK_TAG);
    expect(await profiler(w)(tick)).toMatchObject({ succeeded: true, actions: expect.arrayContaining(['clear-standby-mark']) });
    expect(w.ports.cloud.instance(VICTIM)?.tags).not.toHaveProperty(STANDBY_MARK_TAG);
    expect(w.ports.cloud.log.count('exitStandby')).toBe(1);
  });
});

describe('executing voluntary-stop plans (fail closed, compensations)', () => {
  it('a refused restart reservation skips EnterStandby and the stop: the member stays in service', async () => {
    const w = await resizeWorld();
    await w.ports.stateStore.putPoolCapacity(GROUP, { vcpu: 0.5, memoryGiB: 1, networkMbps: 10, diskIops: 10 });
    const plan: Plan = {
      actions: [
        {
          kind: 'reserve',
          reservation: {
            id: reservationId('sibling:e:i-0dddddddddddddd01:retype-to:m5.xlarge'),
            groupId: GROUP,
            instanceId: SIBLING,
            amount: { vcpu: 1, memoryGiB: 4, networkMbps: 100, diskIops: 200 },
            createdAt: NOW,
            expiresAt: NOW + 3_600_000,
            reason: 'r',
            priority: 50,
          },
        },
        { kind: 'enter-standby', groupId: GROUP, instanceId: SIBLING, reason: 'r' },
        { kind: 'interrupt-instance', groupId: GROUP, instanceId: SIBLING, mode: 'stop', reason: 'r' },
      ],
      events: [],
    };
    const report = await executePlan(plan, { ...w.deps.ports }, { dryRun: false });
    expect(report.outcomes.map((o) => (o.kind === 'skipped' ? `skipped: ${o.reason}` : o.kind))).toEqual([
      'refused',
      `skipped: fail closed: the reservation for ${SIBLING} was refused`,
      `skipped: fail closed: the reservation for ${SIBLING} was refused`,
    ]);
    expect(w.ports.cloud.inStandby(SIBLING)).toBe(false);
    expect(w.ports.cloud.instance(SIBLING)?.state).toBe('running');
  });

  it('a continuation whose retype fails still starts the stopped sibling (it must not stay stopped)', async () => {
    const w = await resizeWorld();
    await w.ports.cloud.enterStandby(GROUP, SIBLING, { decrementDesiredCapacity: true });
    await w.ports.cloud.stopInstances([SIBLING]);
    w.ports.clock.advance(45_000);
    w.ports.cloud.settle();
    w.ports.cloud.log.failNext('retypeStoppedInstance', new Error('InsufficientInstanceCapacity'));
    const report = await executePlan(
      {
        actions: [
          { kind: 'retype-stopped-instance', groupId: GROUP, instanceId: SIBLING, fromType: 'm5.large', toType: 'm5.xlarge', reason: 'r' },
          { kind: 'start-instance', groupId: GROUP, instanceId: SIBLING, reason: 'r' },
        ],
        events: [],
      },
      { ...w.deps.ports },
      { dryRun: false },
    );
    expect(report.outcomes.map((o) => o.kind)).toEqual(['failed', 'skipped']);
    expect(report.compensations).toMatchObject([{ kind: 'done', detail: 'compensation: restart after a failed step' }]);
    expect(w.ports.cloud.instance(SIBLING)).toMatchObject({ state: 'pending', instanceType: 'm5.large' });
  });
});
