import { describe, expect, it } from 'vitest';
import { MetricName } from '../../lambda/contracts/metrics';
import { instanceId, type ManagedInstance } from '../../lambda/core/domain';
import { interruptionDueEvent } from '../../lambda/events';
import { makeHandler as makeCoordinator } from '../../lambda/handlers/coordinator';
import { makeHandler as makeExecutor } from '../../lambda/handlers/executor';
import { makeHandler as makeNotice } from '../../lambda/handlers/notice';
import { fixture } from '../events/event-fixtures';
import { FIXTURE_INSTANCES, GROUP, STANDBY, buildWorld, knownForecast, type World } from './world';

/** The documented-shape fixtures' event time, and the instances they name. */
const EVENT_AT = Date.parse('2026-01-15T10:00:00Z');
const CR_INSTANCE = instanceId('i-0c4e8a2b6d1f3a5c7');
const HEALTH_INSTANCE = instanceId('i-0d5f9b3c7e2a4b6d8');
const CR_EVENT = () => fixture('ec2-capacity-reservation-instance-interruption-warning__documented-shape.json');
const HEALTH_EVENT = () => fixture('aws-health-ec2-instance-retirement-scheduled__documented-shape.json');

/** The handler world, 30 s after the fixtures' event time, with `ids` added to the managed group (forecasts known). */
const worldWith = async (ids: readonly { id: string; lifecycle: ManagedInstance['lifecycle'] }[]): Promise<World> => {
  const w = await buildWorld();
  w.ports.clock.set(EVENT_AT + 30_000);
  // The world's pending instance would use up the disruption budget (maxUnavailable 1): it runs here.
  w.ports.cloud.setInstanceState(FIXTURE_INSTANCES.stateChange, 'running');
  for (const { id, lifecycle } of ids) {
    w.ports.cloud.putInstance({
      id: instanceId(id),
      groupId: GROUP,
      instanceType: 'm5.large',
      availabilityZone: 'us-west-2a',
      lifecycle,
      state: 'running',
      launchedAt: EVENT_AT - 86_400_000,
      warm: false,
      priority: 90,
      jobType: 'web',
      tags: { 'aws:autoscaling:groupName': GROUP },
    });
    w.ports.stateStore.seedForecasts([knownForecast(id, { vcpu: 1.5, memoryGiB: 4, networkMbps: 100, diskIops: 200 }, EVENT_AT - 60_000)]);
  }
  w.ports.clearCalls();
  return w;
};

describe('notice handler: interruptible Capacity Reservation warning (documented shape)', () => {
  it('reserves the post-restart demand, brings warm standby capacity into service, publishes and counts the notice', async () => {
    const w = await worldWith([{ id: CR_INSTANCE, lifecycle: 'on-demand' }]);
    const result = await makeNotice(w.deps)(CR_EVENT());
    expect(result).toMatchObject({
      status: 'planned',
      noticeKind: 'capacity-reservation-interruption-warning',
      succeeded: true,
      actions: ['reserve', 'change-desired-capacity'],
    });
    expect(w.ports.stateStore.allReservations()).toMatchObject([
      { id: `warning:3f6c2a9e-5b1d-4e7a-9c0f-2d8b7a6e1c45:${CR_INSTANCE}`, instanceId: CR_INSTANCE },
    ]);
    expect(w.ports.cloud.log.callsTo('changeDesiredCapacity').map((c) => c.args)).toEqual([[STANDBY, 1]]);
    expect(w.ports.publisher.domainEvents().map((e) => e.kind)).toContain('reservation-made');
    expect(w.telemetry.total(MetricName.noticesHandled, { NoticeKind: 'capacity-reservation-interruption-warning' })).toBe(1);
  });

  it('an instance in no managed group is ignored and counted, nothing changed', async () => {
    const w = await worldWith([]);
    expect(await makeNotice(w.deps)(CR_EVENT())).toMatchObject({ status: 'ignored' });
    expect(w.ports.mutatingCalls()).toEqual([]);
  });
});

describe('coordinator handler: AWS Health scheduled maintenance (documented shape)', () => {
  it('the affected instance becomes a request: reserve, schedule a terminate, record it; the executor carries it out when due', async () => {
    const w = await worldWith([{ id: HEALTH_INSTANCE, lifecycle: 'spot' }]);
    const result = await makeCoordinator(w.deps)(HEALTH_EVENT());
    expect(result).toMatchObject({ status: 'planned', noticeKind: 'scheduled-maintenance', succeeded: true, actions: ['reserve', 'schedule-interruption'] });
    const [scheduled] = w.ports.scheduler.pending();
    expect(scheduled).toMatchObject({
      instanceId: HEALTH_INSTANCE,
      mode: 'terminate',
      requestId: expect.stringMatching(/^maint-[0-9a-f]{8}-i-0d5f9b3c7e2a4b6d8$/) as unknown,
    });
    expect(w.ports.stateStore.allRequests()).toMatchObject([
      { status: 'scheduled', victim: HEALTH_INSTANCE, request: { deadline: Date.parse('2026-01-29T10:00:00Z'), mode: 'terminate' } },
    ]);
    expect(w.ports.journal.sequence().indexOf('stateStore.reserve')).toBeLessThan(w.ports.journal.sequence().indexOf('scheduler.schedule'));
    expect(w.telemetry.total(MetricName.interruptionsScheduled)).toBe(1);

    // When the schedule fires, the executor re-checks and terminates the instance (Auto Scaling replaces it).
    if (scheduled === undefined) throw new Error('nothing scheduled');
    w.ports.clock.set(scheduled.at + 1_000);
    const [due] = w.ports.scheduler.takeDue(w.ports.clock.now());
    if (due === undefined) throw new Error('nothing due');
    const executed = await makeExecutor(w.deps)(JSON.parse(JSON.stringify(interruptionDueEvent(due))) as unknown);
    expect(executed).toMatchObject({ status: 'planned', noticeKind: 'interruption-due', actions: ['interrupt-instance'], succeeded: true });
    expect(w.ports.stateStore.allRequests()).toMatchObject([{ status: 'executed', victim: HEALTH_INSTANCE }]);
  });

  it('an updated delivery of the same Health event (new EventBridge id, same ARN) has no second effect', async () => {
    const w = await worldWith([{ id: HEALTH_INSTANCE, lifecycle: 'spot' }]);
    const handle = makeCoordinator(w.deps);
    await handle(HEALTH_EVENT());
    const calls = w.ports.mutatingCalls().length;
    expect(await handle(HEALTH_EVENT())).toMatchObject({ status: 'duplicate' });
    expect(await handle({ ...HEALTH_EVENT(), id: 'a-later-update-of-the-same-health-event' })).toMatchObject({ status: 'duplicate' });
    expect(w.ports.mutatingCalls()).toHaveLength(calls);
  });

  it('two instances of one group with a budget of one: one scheduled, the other deferred and recorded for a retry', async () => {
    const second = 'i-0e6a0c4d8f3b5c7e9';
    const w = await worldWith([
      { id: HEALTH_INSTANCE, lifecycle: 'spot' },
      { id: second, lifecycle: 'spot' },
    ]);
    const raw = HEALTH_EVENT();
    const event = { ...raw, detail: { ...(raw.detail as object), affectedEntities: [{ entityValue: HEALTH_INSTANCE }, { entityValue: second }] } };
    const result = await makeCoordinator(w.deps)(event);
    expect(result).toMatchObject({ status: 'planned', noticeKind: 'scheduled-maintenance' });
    expect(w.ports.scheduler.pending().map((s) => s.instanceId)).toEqual([HEALTH_INSTANCE]);
    const requests = w.ports.stateStore.allRequests().map((r) => [r.status, r.request.selector.kind === 'instance' ? r.request.selector.instanceId : '']);
    expect(requests).toEqual(
      expect.arrayContaining([
        ['scheduled', HEALTH_INSTANCE],
        ['deferred', second],
      ]),
    );
    expect(w.ports.stateStore.allRequests().find((r) => r.status === 'deferred')?.note).toContain('disruption-budget-exhausted');
  });

  it('an instance in no group spotwise manages is left alone: nothing recorded, the event counted as ignored', async () => {
    const w = await worldWith([]);
    expect(await makeCoordinator(w.deps)(HEALTH_EVENT())).toMatchObject({
      status: 'ignored',
      reason: 'none of the 1 instance(s) of AWS Health AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED is managed by spotwise',
    });
    expect(w.ports.stateStore.allRequests()).toEqual([]);
    expect(w.telemetry.total(MetricName.ignoredEvents, { NoticeKind: 'scheduled-maintenance' })).toBe(1);
    expect(w.ports.mutatingCalls()).toEqual([]);
  });

  it.each([
    ['another service', { service: 'RDS' }],
    ['an EC2 issue', { eventTypeCategory: 'issue' }],
  ])('a Health event for %s is ignored and counted, nothing changed', async (_name, patch) => {
    const w = await worldWith([{ id: HEALTH_INSTANCE, lifecycle: 'spot' }]);
    const raw = HEALTH_EVENT();
    expect(await makeCoordinator(w.deps)({ ...raw, detail: { ...(raw.detail as object), ...patch } })).toMatchObject({ status: 'ignored' });
    expect(w.telemetry.total(MetricName.ignoredEvents)).toBe(1);
    expect(w.ports.mutatingCalls()).toEqual([]);
  });
});

describe('notice handler: an unstable Spot pool', () => {
  it('a warning past the threshold moves the load to the standby, keeps the reclaim on record and counts the shift (not as a reservation)', async () => {
    const config = {
      policies: [
        {
          policy_name: 'web',
          priority: 'high',
          allowed_instance_types: ['m5.large', 'm5.xlarge', 'm5.2xlarge'],
          unstable_pool: { enabled: true, reclaim_threshold: 1 },
        },
      ],
    };
    const w = await buildWorld({ config });
    const result = await makeNotice(w.deps)(fixture('ec2-spot-instance-interruption-warning__karpenter.json'));
    expect(result).toMatchObject({ status: 'planned', succeeded: true });
    const held = w.ports.stateStore.allReservations().map((r) => r.id);
    expect(held).toEqual(expect.arrayContaining([`reclaim:m5.large@us-west-2a:1e5527d7-bb36-4607-3370-4164db56a40e:${FIXTURE_INSTANCES.karpenter}`]));
    expect(w.ports.publisher.domainEvents()).toContainEqual(
      expect.objectContaining({
        kind: 'spot-pool-unstable',
        groupId: GROUP,
        instanceType: 'm5.large',
        availabilityZone: 'us-west-2a',
        standbyGroupId: STANDBY,
      }),
    );
    expect(w.telemetry.total(MetricName.unstableSpotPoolShifts, { GroupName: GROUP })).toBe(1);
    expect(w.telemetry.total(MetricName.reservationsMade)).toBe(held.length - 1);
  });
});
