import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { groupId, instanceId, requestId, type Action, type InterruptionRequest, type Notice, type Plan } from '../../../lambda/core/domain';
import { planNoticeResponse } from '../../../lambda/core/planner/plan-notice';
import { RESTART_GRACE_MS } from '../../../lambda/core/common/reservation-terms';
import { parseEvent } from '../../../lambda/events/registry';
import { fixture } from '../../events/event-fixtures';
import { forecast, instance, MINUTE, policy, standardFleet, T0, unknownForecast, withInstanceType } from '../fixtures/fleet-builders';

/** The change-desired-capacity actions with the capacity each raises its group to (from + by). */
const raisedTo = (plan: Plan) => plan.actions.flatMap((a) => (a.kind === 'change-desired-capacity' ? [{ ...a, raisedTo: a.from + a.by }] : []));
const WINDOW = 30 * MINUTE;
const DAY = 24 * 3600_000;
const kinds = (plan: Plan): string[] => plan.actions.map((a) => a.kind);
const only = <K extends Action['kind']>(plan: Plan, kind: K): Extract<Action, { kind: K }>[] =>
  plan.actions.filter((a): a is Extract<Action, { kind: K }> => a.kind === kind);

const crWarning = (id: string, deadline = T0 + 120_000): Notice => ({
  kind: 'capacity-reservation-interruption-warning',
  eventId: `cr-${id}`,
  at: T0,
  instanceId: instanceId(id),
  deadline,
  availabilityZoneId: 'use1-az1',
});

const maintenance = (ids: readonly string[], startTime = T0 + 14 * DAY): Notice => ({
  kind: 'scheduled-maintenance',
  eventId: 'health-1',
  at: T0,
  eventTypeCode: 'AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED',
  startTime,
  requests: ids.map((id): InterruptionRequest => ({
    requestId: requestId(`maint-abc-${id}`),
    selector: { kind: 'instance', instanceId: instanceId(id) },
    reason: 'AWS Health retirement',
    notBefore: T0,
    deadline: startTime,
    mode: 'terminate',
    requestedAt: T0,
  })),
});

describe('planNoticeResponse: interruptible Capacity Reservation warning', () => {
  it('prepares like a Spot warning: reserves until the termination time + grace + window, brings warm capacity into service', () => {
    const plan = planNoticeResponse(crWarning('i-a1', T0 + 90_000), standardFleet(), { now: T0 });
    expect(kinds(plan)).toEqual(['reserve', 'change-desired-capacity']);
    expect(only(plan, 'reserve')[0]?.reservation).toMatchObject({
      id: 'warning:cr-i-a1:i-a1',
      groupId: 'web',
      expiresAt: T0 + 90_000 + RESTART_GRACE_MS + WINDOW,
    });
    expect(raisedTo(plan)).toEqual([expect.objectContaining({ groupId: 'web-standby', raisedTo: 1 })]);
    expect(plan.events).toContainEqual(expect.objectContaining({ kind: 'reservation-made', instanceId: 'i-a1' }));
  });

  it('no rebalance recommendation comes before one: a stopped warm instance is claimed and retyped for a load none holds', () => {
    // i-a1 an m5.xlarge: its own type holds the p90, so the stand-in is staged for all of it (plan-rebalance.ts standInLoad).
    const f = withInstanceType(standardFleet({ forecasts: [forecast('i-a1', { vcpu: 3, memoryGiB: 12 })] }), 'i-a1', 'm5.xlarge');
    const plan = planNoticeResponse(crWarning('i-a1'), f, { now: T0 });
    expect(kinds(plan)).toEqual(['reserve', 'stage-warm-instance', 'change-desired-capacity']);
    expect(only(plan, 'stage-warm-instance')[0]).toMatchObject({ groupId: 'web-standby', victimId: 'i-a1', toType: 'm5.xlarge', raise: false });
    expect(raisedTo(plan)).toEqual([
      expect.objectContaining({ groupId: 'web-standby', raisedTo: 1, reason: expect.stringContaining('bring 1 warm instance') }),
    ]);
  });

  it('a termination time already past (late delivery) is taken as the event time', () => {
    const plan = planNoticeResponse(crWarning('i-a1', T0 - 60_000), standardFleet(), { now: T0 });
    expect(only(plan, 'reserve')[0]?.reservation.expiresAt).toBe(T0 + RESTART_GRACE_MS + WINDOW);
  });

  it('the terminate lifecycle action that follows finds the instance prepared: completion only', () => {
    const f = standardFleet();
    const plan = planNoticeResponse(crWarning('i-a1'), f, { now: T0 });
    const reservation = only(plan, 'reserve')[0]?.reservation;
    if (reservation === undefined) throw new Error('no reservation');
    const after = {
      ...f,
      groups: f.groups.map((g) => (g.id === 'web' ? { ...g, pool: { ...g.pool, reservations: new Map([[reservation.id, reservation]]) } } : g)),
    };
    const terminate: Notice = {
      kind: 'lifecycle-terminate',
      eventId: 'lc-1',
      at: T0 + 100_000,
      instanceId: instanceId('i-a1'),
      groupId: groupId('web'),
      hookName: 'h',
      token: 't',
    };
    expect(kinds(planNoticeResponse(terminate, after, { now: T0 + 100_000 }))).toEqual(['complete-lifecycle-action']);
  });

  it.each([
    ['an unmanaged instance', 'i-zz', standardFleet(), 'not a managed instance'],
    ['a warm-pool instance', 'i-w1', standardFleet(), 'a warm-pool instance serves no load'],
    ['an instance already terminated', 'i-a1', standardFleet({ primary: { instances: [instance('i-a1', { state: 'terminated' })] } }), 'already terminated'],
  ])('ignores %s with a reason', (_name, id, f, reason) => {
    const plan = planNoticeResponse(crWarning(id), f, { now: T0 });
    expect(kinds(plan)).toEqual(['noop']);
    expect(plan.events).toEqual([expect.objectContaining({ kind: 'notice-ignored', reason: expect.stringContaining(reason) })]);
  });
});

describe('planNoticeResponse: AWS Health scheduled maintenance', () => {
  it("a managed instance: reserve first, then a terminate scheduled now (the coordinator's admission), due well before the start time", () => {
    const plan = planNoticeResponse(maintenance(['i-a1']), standardFleet(), { now: T0 });
    expect(kinds(plan)).toEqual(['reserve', 'schedule-interruption']);
    expect(only(plan, 'reserve')[0]?.reservation).toMatchObject({ id: 'request:maint-abc-i-a1:i-a1', groupId: 'web', instanceId: 'i-a1' });
    expect(only(plan, 'schedule-interruption')[0]).toMatchObject({ instanceId: 'i-a1', requestId: 'maint-abc-i-a1', at: T0, mode: 'terminate' });
    expect(plan.events.map((e) => e.kind)).toEqual(['reservation-made', 'interruption-scheduled']);
  });

  it('two instances of one group with a budget of one: the first is scheduled, the second deferred on the budget with a retry before the start time', () => {
    const plan = planNoticeResponse(maintenance(['i-a1', 'i-b1']), standardFleet(), { now: T0 });
    expect(kinds(plan)).toEqual(['reserve', 'schedule-interruption', 'defer-interruption']);
    const [defer] = only(plan, 'defer-interruption');
    expect(defer).toMatchObject({ requestId: 'maint-abc-i-b1', reason: 'disruption-budget-exhausted' });
    expect(defer?.retryAt).toBeGreaterThan(T0);
    expect(defer?.retryAt).toBeLessThanOrEqual(T0 + 14 * DAY);
  });

  it('an instance spotwise does not manage is left alone (Health reports every instance of the account), the others planned', () => {
    const none = planNoticeResponse(maintenance(['i-zz']), standardFleet(), { now: T0 });
    expect(kinds(none)).toEqual(['noop']);
    expect(none.events).toEqual([
      expect.objectContaining({
        kind: 'notice-ignored',
        reason: 'AWS Health AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED: none of its 1 instance(s) is managed by spotwise',
      }),
    ]);
    const mixed = planNoticeResponse(maintenance(['i-a1', 'i-zz']), standardFleet(), { now: T0 });
    expect(kinds(mixed)).toEqual(['reserve', 'schedule-interruption']);
    expect(mixed.events).toContainEqual(
      expect.objectContaining({ kind: 'notice-ignored', instanceId: 'i-zz', reason: expect.stringContaining('not a managed instance') }),
    );
    expect(only(mixed, 'defer-interruption')).toEqual([]);
  });

  it('no usable forecast: not admitted (fail closed), deferred with the reason', () => {
    const plan = planNoticeResponse(maintenance(['i-a1']), standardFleet({ forecasts: [unknownForecast('i-a1')] }), { now: T0 });
    expect(only(plan, 'defer-interruption')).toEqual([expect.objectContaining({ reason: 'forecast-unknown' })]);
    expect(plan.events).toContainEqual(expect.objectContaining({ kind: 'fail-closed' }));
    expect(only(plan, 'reserve')).toEqual([]);
  });

  it('a start time already passed is refused as deadline-passed', () => {
    const plan = planNoticeResponse(maintenance(['i-a1'], T0 - MINUTE), standardFleet(), { now: T0 });
    expect(only(plan, 'defer-interruption')).toEqual([expect.objectContaining({ reason: 'deadline-passed' })]);
  });

  it('no requests: a noop with the reason', () => {
    expect(kinds(planNoticeResponse(maintenance([]), standardFleet(), { now: T0 }))).toEqual(['noop']);
  });

  it('the aws-node-termination-handler Health sample, parsed and planned against a fleet holding its instance', () => {
    const parsed = parseEvent(fixture('aws-health-event__aws-nth.json'));
    if (parsed.kind !== 'notice' || parsed.notice.kind !== 'scheduled-maintenance') throw new Error('not scheduled maintenance');
    const at = parsed.notice.at;
    const f = standardFleet({ primary: { instances: [instance('i-12345678')] }, forecasts: [forecast('i-12345678', { vcpu: 1, memoryGiB: 2 })] });
    const plan = planNoticeResponse(parsed.notice, f, { now: at });
    expect(only(plan, 'schedule-interruption')).toEqual([expect.objectContaining({ instanceId: 'i-12345678', mode: 'terminate', at })]);
  });

  it('never schedules more interruptions in a group than its disruption budget allows at once', () => {
    const ids = ['i-a1', 'i-a2', 'i-b1', 'i-b2'];
    fc.assert(
      fc.property(fc.subarray(ids, { minLength: 1 }), fc.integer({ min: 0, max: 4 }), (chosen, budget) => {
        const f = standardFleet({ primary: { policy: policy({ disruptionBudget: { maxUnavailable: budget } }) } });
        const plan = planNoticeResponse(maintenance(chosen), f, { now: T0 });
        const scheduled = only(plan, 'schedule-interruption').length;
        expect(scheduled).toBeLessThanOrEqual(budget);
        expect(scheduled + only(plan, 'defer-interruption').length).toBe(chosen.length);
        // Every scheduled interruption has its reservation before it.
        for (const s of only(plan, 'schedule-interruption')) {
          const reserveAt = plan.actions.findIndex((a) => a.kind === 'reserve' && a.reservation.id === s.reservationId);
          expect(reserveAt).toBeGreaterThanOrEqual(0);
          expect(reserveAt).toBeLessThan(plan.actions.indexOf(s));
        }
      }),
      { numRuns: 100 },
    );
  });
});
