import { describe, expect, it } from 'vitest';
import { MetricName } from '../../lambda/contracts/metrics';
import { instanceId, requestId } from '../../lambda/core/domain';
import { interruptionDueEvent } from '../../lambda/events';
import { makeHandler as makeCoordinator } from '../../lambda/handlers/coordinator';
import { makeHandler as makeExecutor } from '../../lambda/handlers/executor';
import { fixture } from '../events/event-fixtures';
import { FIXTURE_INSTANCES, GROUP, buildWorld, type World, addRequestVictim } from './world';

/** The fixture's request time, and the on-demand instance it names (added to the world's group). */
const REQ_NOW = Date.parse('2024-05-01T12:00:00Z');
const VICTIM = instanceId('i-0a1b2c3d4e5f60718');
const REQUEST_ID = requestId('patch-2024-05-01-web');

const requestWorld = async (opts: Parameters<typeof buildWorld>[0] & { poolVcpu?: number } = {}): Promise<World> => {
  const w = await buildWorld(opts);
  w.ports.clock.set(REQ_NOW);
  // The world's pending instance would use up the disruption budget (maxUnavailable 1): it is running here.
  w.ports.cloud.setInstanceState(FIXTURE_INSTANCES.stateChange, 'running');
  addRequestVictim(w, REQ_NOW, { forecast: opts.seedState !== false });
  if (opts.seedState !== false) {
    await w.ports.stateStore.putPoolCapacity(GROUP, { vcpu: opts.poolVcpu ?? 32, memoryGiB: 128, networkMbps: 100_000, diskIops: 200_000 });
  }
  w.ports.clearCalls();
  return w;
};

const requestEvent = () => fixture('spotwise-interruption-requested-instance.json');
/** What the stack's retry schedule sends (an EventBridge scheduled rule without input). */
const trigger = {
  version: '0',
  id: 'c1a0e2b4-0000-4000-8000-000000000001',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: '2024-05-01T12:05:00Z',
  region: 'us-east-1',
  resources: ['arn:aws:events:us-east-1:123456789012:rule/retry'],
  detail: {},
};

describe('coordinator handler', () => {
  it("admits the request: reserves the victim's post-restart demand, schedules it at notBefore, records it", async () => {
    const w = await requestWorld();
    const result = await makeCoordinator(w.deps)(requestEvent());
    expect(result).toMatchObject({ status: 'planned', noticeKind: 'interruption-request', succeeded: true });
    expect(w.ports.scheduler.pending()).toMatchObject([{ requestId: REQUEST_ID, instanceId: VICTIM, at: Date.parse('2024-05-01T12:05:00Z'), mode: 'stop' }]);
    const held = w.ports.stateStore.allReservations();
    expect(held).toMatchObject([{ instanceId: VICTIM }]);
    expect(w.ports.stateStore.allRequests()).toMatchObject([{ status: 'scheduled', victim: VICTIM, reservationId: held[0]?.id }]);
    expect(w.telemetry.total(MetricName.interruptionsScheduled)).toBe(1);
    expect(w.ports.journal.sequence().indexOf('stateStore.reserve')).toBeLessThan(w.ports.journal.sequence().indexOf('scheduler.schedule'));
  });

  it('a redelivered or repeated request has one effect', async () => {
    const w = await requestWorld();
    const handle = makeCoordinator(w.deps);
    await handle(requestEvent());
    const calls = w.ports.mutatingCalls().length;
    expect(await handle(requestEvent())).toMatchObject({ status: 'duplicate' });
    expect(await handle({ ...requestEvent(), id: 'another-event-same-request' })).toMatchObject({ status: 'duplicate' });
    expect(w.ports.mutatingCalls()).toHaveLength(calls);
  });

  it('defers when the disruption budget has no room (an instance still pending counts as unavailable)', async () => {
    const w = await requestWorld();
    w.ports.cloud.setInstanceState(FIXTURE_INSTANCES.stateChange, 'pending');
    await makeCoordinator(w.deps)(requestEvent());
    expect(w.ports.stateStore.allRequests()).toMatchObject([{ status: 'deferred', note: expect.stringContaining('disruption-budget-exhausted') }]);
    expect(w.ports.stateStore.allReservations()).toEqual([]);
  });

  it('defers with the reason and shortfall when the reservation does not fit, then admits on a later retry', async () => {
    const w = await requestWorld({ poolVcpu: 2 });
    const handle = makeCoordinator(w.deps);
    await handle(requestEvent());
    const [deferred] = w.ports.stateStore.allRequests();
    expect(deferred).toMatchObject({ status: 'deferred', retryAt: REQ_NOW + 5 * 60_000, note: expect.stringContaining('reservation-does-not-fit') });
    expect(w.ports.scheduler.pending()).toEqual([]);
    expect(w.telemetry.total(MetricName.deferrals, { Reason: 'reservation-does-not-fit' })).toBe(1);

    // Capacity is added; five minutes later any invocation (here a scheduled trigger) retries it.
    await w.ports.stateStore.putPoolCapacity(GROUP, { vcpu: 32, memoryGiB: 128, networkMbps: 100_000, diskIops: 200_000 });
    w.ports.clock.advance(5 * 60_000);
    expect(await handle(trigger)).toEqual({ status: 'ignored', reason: 'trigger', eventId: trigger.id });
    expect(w.telemetry.total(MetricName.ignoredEvents)).toBe(0);
    expect(w.ports.stateStore.allRequests()).toMatchObject([{ status: 'scheduled' }]);
    expect(w.ports.scheduler.pending()).toHaveLength(1);
  });

  it('dry-run: plans and publishes, schedules and records nothing', async () => {
    const w = await requestWorld({ dryRun: true });
    expect(await makeCoordinator(w.deps)(requestEvent())).toMatchObject({ status: 'planned', dryRun: true });
    expect(w.ports.mutatingCalls()).toEqual([]);
    expect(w.ports.publisher.plans()).toMatchObject([{ handler: 'coordinator', dryRun: true }]);
  });

  it('a request for a group spotwise does not manage is refused with a reason', async () => {
    const w = await requestWorld();
    expect(await makeCoordinator(w.deps)(fixture('spotwise-interruption-requested-group.json'))).toMatchObject({ status: 'planned' });
    expect(w.ports.stateStore.allRequests()).toMatchObject([{ status: 'refused' }]);
    expect(w.ports.scheduler.pending()).toEqual([]);
  });

  it('a malformed request is dropped and counted', async () => {
    const w = await requestWorld();
    const bad = { ...requestEvent(), detail: { reason: 'x', instanceId: 'i-0a1b2c3d4e5f60718', groupName: 'both' } };
    expect(await makeCoordinator(w.deps)(bad)).toMatchObject({
      status: 'malformed',
      errors: expect.stringContaining('give exactly one of instanceId or groupName'),
    });
    expect(w.telemetry.total(MetricName.malformedEvents)).toBe(1);
  });
});

describe('executor handler', () => {
  const scheduleAndFire = async (w: World) => {
    await makeCoordinator(w.deps)(requestEvent());
    w.ports.clock.set(Date.parse('2024-05-01T12:05:00Z'));
    const [due] = w.ports.scheduler.takeDue(w.ports.clock.now());
    if (due === undefined) throw new Error('nothing was scheduled');
    // Exactly the input EventBridge Scheduler hands the executor, round-tripped through JSON.
    return JSON.parse(JSON.stringify(interruptionDueEvent(due))) as unknown;
  };

  it('re-checks and interrupts the victim at the scheduled time; the request is executed', async () => {
    const w = await requestWorld();
    const due = await scheduleAndFire(w);
    const result = await makeExecutor(w.deps)(due);
    expect(result).toMatchObject({ status: 'planned', noticeKind: 'interruption-due', actions: ['enter-standby', 'interrupt-instance'], succeeded: true });
    expect(w.ports.cloud.instance(VICTIM)?.state).toBe('stopped');
    // Moved to Standby before the stop: the EC2 health check leaves it alone.
    expect(w.ports.cloud.inStandby(VICTIM)).toBe(true);
    expect(w.ports.stateStore.allRequests()).toMatchObject([{ status: 'executed', victim: VICTIM }]);
    // The reservation stays: it is what the restart will take over.
    expect(w.ports.stateStore.allReservations()).toHaveLength(1);
  });

  it('a schedule delivered twice interrupts once', async () => {
    const w = await requestWorld();
    const due = await scheduleAndFire(w);
    const handle = makeExecutor(w.deps);
    await handle(due);
    expect(await handle(due)).toMatchObject({ status: 'duplicate' });
    expect(w.ports.cloud.log.count('stopInstances')).toBe(1);
  });

  it('a victim no longer running is not interrupted; its reservation is released and the request settled', async () => {
    const w = await requestWorld();
    const due = await scheduleAndFire(w);
    w.ports.cloud.setInstanceState(VICTIM, 'stopped');
    const result = await makeExecutor(w.deps)(due);
    expect(result).toMatchObject({ status: 'planned' });
    expect(w.ports.cloud.log.count('stopInstances')).toBe(0);
    expect(w.ports.stateStore.allRequests()).toMatchObject([{ status: 'refused', note: expect.stringContaining('no-eligible-victim') }]);
    expect(w.ports.stateStore.allReservations()).toEqual([]);
    expect(w.ports.publisher.plans().at(-1)?.plan.actions[0]).toMatchObject({ kind: 'release', reason: expect.stringContaining('abandoned') });
  });

  it.each([
    {
      how: 'reclaimed (terminated)',
      leave: (w: World, id: ReturnType<typeof instanceId>) => w.ports.cloud.setInstanceState(id, 'terminated'),
      note: 'is no longer a managed instance (reclaimed or replaced before its scheduled time)',
      stillCounted: false,
    },
    {
      how: 'held in Terminating:Wait by Auto Scaling',
      leave: (w: World, id: ReturnType<typeof instanceId>) => w.ports.cloud.holdInHook(id, 'Terminating:Wait'),
      note: 'is being terminated by Auto Scaling (leaving before its scheduled time)',
      stillCounted: true,
    },
    {
      how: 'stopped by someone else',
      leave: (w: World, id: ReturnType<typeof instanceId>) => w.ports.cloud.setInstanceState(id, 'stopped'),
      note: 'is stopped, not running (stopped before its scheduled time)',
      stillCounted: true,
    },
  ])('a group request whose victim is $how before its time is planned again for another member', async ({ leave, note, stillCounted }) => {
    const w = await requestWorld();
    const groupRequest = {
      ...requestEvent(),
      detail: {
        groupName: GROUP,
        maxPriority: 100,
        reason: 'kernel patch',
        mode: 'terminate',
        notBefore: '2024-05-01T12:05:00Z',
        deadline: '2024-05-01T18:00:00Z',
      },
    };
    const coordinator = makeCoordinator(w.deps);
    await coordinator(groupRequest);
    const [admitted] = w.ports.stateStore.allRequests();
    expect(admitted).toMatchObject({ status: 'scheduled' });
    const first = admitted!.victim!;
    w.ports.clock.set(Date.parse('2024-05-01T12:05:00Z'));
    const [due] = w.ports.scheduler.takeDue(w.ports.clock.now());
    // The victim leaves before the schedule fires, by something other than this request.
    leave(w, first);
    await makeExecutor(w.deps)(JSON.parse(JSON.stringify(interruptionDueEvent(due!))) as unknown);
    expect(w.ports.cloud.log.count('terminateInstanceInGroup') + w.ports.cloud.log.count('terminateInstances')).toBe(0);
    expect(w.ports.stateStore.allRequests()).toMatchObject([
      {
        status: 'deferred',
        retryAt: Date.parse('2024-05-01T12:10:00Z'),
        note: expect.stringContaining(`${first} ${note}: planned again`),
      },
    ]);

    w.ports.clock.set(Date.parse('2024-05-01T12:10:00Z'));
    if (stillCounted) {
      // A member still leaving (or stopped) is a disruption in flight: with a budget of one, the retry waits for it.
      await coordinator(trigger);
      expect(w.ports.stateStore.allRequests()).toMatchObject([{ status: 'deferred', note: expect.stringContaining('disruption-budget-exhausted') }]);
      w.ports.cloud.holdInHook(first, undefined);
      w.ports.cloud.setInstanceState(first, 'terminated');
      w.ports.clock.set(Date.parse('2024-05-01T12:15:00Z'));
    }
    // The coordinator's retry pass chooses another member and releases what the request held for the gone one.
    await coordinator(trigger);
    const [again] = w.ports.stateStore.allRequests();
    expect(again).toMatchObject({ status: 'scheduled' });
    expect(again!.victim).not.toBe(first);
    expect(w.ports.stateStore.allReservations().map((r) => r.instanceId)).toEqual([again!.victim]);
  });

  it('a request naming its instance is refused when that instance is gone: no other member may take it', async () => {
    const w = await requestWorld();
    const due = await scheduleAndFire(w);
    w.ports.cloud.setInstanceState(VICTIM, 'terminated');
    await makeExecutor(w.deps)(due);
    expect(w.ports.stateStore.allRequests()).toMatchObject([{ status: 'refused', note: expect.stringContaining(`${VICTIM} is no longer a managed instance`) }]);
  });

  it('a failing stop is reported, the request deferred for a retry, nothing thrown', async () => {
    const w = await requestWorld();
    const due = await scheduleAndFire(w);
    w.ports.cloud.log.failNext('stopInstances', new Error('RequestLimitExceeded'));
    expect(await makeExecutor(w.deps)(due)).toMatchObject({ status: 'planned', succeeded: false });
    expect(w.ports.stateStore.allRequests()).toMatchObject([{ status: 'deferred', note: expect.stringContaining('RequestLimitExceeded') }]);
    expect(w.telemetry.total(MetricName.actionFailures)).toBe(1);
  });

  it('dry-run: makes no mutating call', async () => {
    const w = await requestWorld();
    const due = await scheduleAndFire(w);
    w.ports.clearCalls();
    const dry = { ...w.deps, dryRun: true };
    expect(await makeExecutor(dry)(due)).toMatchObject({ status: 'planned', dryRun: true });
    expect(w.ports.mutatingCalls()).toEqual([]);
    expect(w.ports.cloud.instance(VICTIM)?.state).toBe('running');
  });

  it('the Interruption Due fixture for an unmanaged group is planned as a deferral, never an interruption', async () => {
    const w = await requestWorld();
    const result = await makeExecutor(w.deps)(fixture('spotwise-interruption-due.json'));
    expect(result).toMatchObject({ status: 'planned' });
    expect(result.status === 'planned' && result.actions).not.toContain('interrupt-instance');
  });
});
