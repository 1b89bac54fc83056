import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planDueInterruption } from '../../../lambda/core/coordinator/plan-request';
import { pendingRetype, resizeReservationId, standbyRefusal, stoppedThroughStandby, voluntaryStop } from '../../../lambda/core/coordinator/voluntary-stop';
import { groupId, instanceId, requestId, reservationId, type Action, type FleetView, type Notice, type Plan } from '../../../lambda/core/domain';
import { planNoticeResponse } from '../../../lambda/core/planner/plan-notice';
import { planStateChange } from '../../../lambda/core/planner/plan-state-change';
import { arbFleet, arbFleetWith, arbNotice } from '../fixtures/fleet-arbitraries';
import { MINUTE, T0, fleet, forecast, group, instance, reservation, roomyPool } from '../fixtures/fleet-builders';

const RUNS = { numRuns: Number(process.env.SPOTWISE_PROPERTY_RUNS ?? 300) };

describe('standbyRefusal: EnterStandby with a decrement may not take a group below its min size', () => {
  it.each([
    [{ desiredCapacity: 3, minSize: 2 }, undefined],
    [{ desiredCapacity: 3, minSize: 0 }, undefined],
    [
      { desiredCapacity: 2, minSize: 2 },
      'moving a member of web to Standby would take its desired capacity to 1, below its min size 2 (Auto Scaling refuses EnterStandby)',
    ],
    [
      { desiredCapacity: 0, minSize: 0 },
      'moving a member of web to Standby would take its desired capacity to -1, below its min size 0 (Auto Scaling refuses EnterStandby)',
    ],
    [{ desiredCapacity: Number.NaN, minSize: 0 }, 'the desired capacity of web is NaN: cannot move a member to Standby'],
    [
      { desiredCapacity: 3, minSize: 0, loadBalanced: true },
      'web is served by a load balancer: a member moved to Standby drains for the deregistration delay before it is out of service, and spotwise does not stop one before then',
    ],
    [{ desiredCapacity: 3, minSize: 0, loadBalanced: false }, undefined],
  ])('%o → %s', (sizes, expected) => {
    expect(standbyRefusal({ id: groupId('web'), ...sizes })).toBe(expected);
  });
});

describe('voluntaryStop', () => {
  it.each(['stop', 'hibernate'] as const)('%s: EnterStandby first, then the interruption carrying the request id', (mode) => {
    const actions = voluntaryStop({ group: { id: groupId('web') }, instance: { id: instanceId('i-1') }, mode, reason: 'r', requestId: requestId('q') });
    expect(actions).toEqual([
      {
        kind: 'enter-standby',
        groupId: 'web',
        instanceId: 'i-1',
        reason: `before ${mode === 'stop' ? 'stopping' : 'hibernating'} it (no health-check replacement): r`,
      },
      { kind: 'interrupt-instance', groupId: 'web', instanceId: 'i-1', mode, reason: 'r', requestId: 'q' },
    ]);
  });
});

describe('the pending retype recorded in a sibling reservation id', () => {
  it.each([
    ['sibling:evt-1:i-od:retype-to:m5.xlarge', 'm5.xlarge'],
    ['sibling:evt-1:i-od', undefined],
    ['sibling:evt-1:i-od:retype-to:', undefined],
    ['request:q:i-od:retype-to:m5.xlarge', undefined],
    ['warning:evt-1:i-od', undefined],
  ])('%s → %s', (id, expected) => {
    expect(pendingRetype({ id: reservationId(id) })).toBe(expected);
  });

  it("the reservation's own retypeTo decides; the id is read only for one stored without it", () => {
    expect(pendingRetype({ id: reservationId('sibling:evt-1:i-od:retype-to:m5.xlarge'), purpose: 'sibling', retypeTo: 'm5.2xlarge' })).toBe('m5.2xlarge');
    expect(pendingRetype({ id: reservationId('sibling:evt-1:i-od'), purpose: 'sibling', retypeTo: 'c5.xlarge' })).toBe('c5.xlarge');
    expect(pendingRetype({ id: reservationId('x'), purpose: 'request', retypeTo: 'c5.xlarge' })).toBeUndefined();
  });

  it('round-trips for any event id (colons included) and any instance type name', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }),
        fc.stringMatching(/^i-[0-9a-f]{8,17}$/),
        fc.stringMatching(/^[a-z0-9-]{1,12}\.[a-z0-9-]{1,12}$/),
        (source, id, type) => {
          expect(pendingRetype({ id: resizeReservationId(source, instanceId(id), type) })).toBe(type);
        },
      ),
      RUNS,
    );
  });

  it.each([
    ['request:q:i-1', true],
    ['sibling:e:i-1:retype-to:m5.xlarge', true],
    ['warning:e:i-1', false],
    ['lifecycle:e:i-1', false],
    ['rebalance:e:i-1', false],
  ])('%s was a stop through Standby: %s', (id, expected) => {
    expect(stoppedThroughStandby({ id: reservationId(id) })).toBe(expected);
  });
});

describe('planStateChange: the stop → modify → start continues from the state changes', () => {
  const RESIZE = 'sibling:evt-1:i-od:retype-to:m5.xlarge';
  const sibling = (state: 'stopped' | 'running' | 'pending', instanceType = 'm5.large') => instance('i-od', { lifecycle: 'on-demand', state, instanceType });
  const fleetWith = (state: 'stopped' | 'running' | 'pending', reservations: readonly Parameters<typeof reservation>[], instanceType?: string): FleetView =>
    fleet(
      [group('web', { instances: [sibling(state, instanceType)], pool: roomyPool('web', { reservations: reservations.map((args) => reservation(...args)) }) })],
      [forecast('i-od', { vcpu: 1 })],
    );
  const notice = (state: 'stopped' | 'running', at = T0): Notice & { kind: 'state-change' } => ({
    kind: 'state-change',
    eventId: 'sc',
    at,
    instanceId: instanceId('i-od'),
    state,
  });
  const kinds = (p: Plan) => p.actions.map((a) => a.kind);

  it.each<[string, FleetView, Notice & { kind: 'state-change' }, readonly Action['kind'][]]>([
    [
      'stopped with a pending resize: retype, then start',
      fleetWith('stopped', [[RESIZE, { instanceId: 'i-od' }]]),
      notice('stopped'),
      ['retype-stopped-instance', 'start-instance'],
    ],
    [
      'stopped, already the target type: start only',
      fleetWith('stopped', [[RESIZE, { instanceId: 'i-od' }]], 'm5.xlarge'),
      notice('stopped'),
      ['start-instance'],
    ],
    ['stopped with no resize waiting: nothing', fleetWith('stopped', [['sibling:evt-1:i-od', { instanceId: 'i-od' }]]), notice('stopped'), ['noop']],
    [
      'stopped, but the instance has started since (late event): nothing',
      fleetWith('pending', [[RESIZE, { instanceId: 'i-od' }]]),
      notice('stopped'),
      ['noop'],
    ],
    [
      'stopped before the resize was planned: nothing',
      fleetWith('stopped', [[RESIZE, { instanceId: 'i-od', createdAt: T0 + MINUTE }]]),
      notice('stopped'),
      ['noop'],
    ],
    [
      'stopped after the resize reservation expired: nothing',
      fleetWith('stopped', [[RESIZE, { instanceId: 'i-od', expiresAt: T0 - 1 }]]),
      notice('stopped'),
      ['noop'],
    ],
    [
      'running after the resize: hand-over, then ExitStandby',
      fleetWith('running', [[RESIZE, { instanceId: 'i-od' }]], 'm5.xlarge'),
      notice('running'),
      ['hand-over', 'exit-standby', 'open-restart-window'],
    ],
    [
      'running after a requested stop: hand-over, then ExitStandby',
      fleetWith('running', [['request:q:i-od', { instanceId: 'i-od' }]]),
      notice('running'),
      ['hand-over', 'exit-standby', 'open-restart-window'],
    ],
    [
      'running after a Spot stop (no Standby): hand-over only',
      fleetWith('running', [['warning:e:i-od', { instanceId: 'i-od' }]]),
      notice('running'),
      ['hand-over', 'open-restart-window'],
    ],
    // The restart is learned whatever is held (the window opens in its profile).
    ['running with nothing held: only its restart window', fleetWith('running', []), notice('running'), ['open-restart-window']],
  ])('%s', (_name, f, n, expected) => {
    const plan = planStateChange(n, f, T0 + MINUTE);
    expect(kinds(plan)).toEqual(expected);
    const retype = plan.actions.find((a) => a.kind === 'retype-stopped-instance');
    if (retype !== undefined) expect(retype).toMatchObject({ instanceId: 'i-od', fromType: 'm5.large', toType: 'm5.xlarge' });
  });
});

/** Whether every stop or hibernate in `plan` of a member of a fleet group comes after an EnterStandby of it. */
const stopsOnlyFromStandby = (plan: Plan, f: FleetView): boolean => {
  const inStandby = new Set<string>();
  for (const a of plan.actions) {
    if (a.kind === 'enter-standby') inStandby.add(`${a.groupId}/${a.instanceId}`);
    if (a.kind === 'interrupt-instance' && a.mode !== 'terminate') {
      const member = f.groups.some((g) => g.id === a.groupId && g.instances.some((i) => i.id === a.instanceId));
      if (member && !inStandby.has(`${a.groupId}/${a.instanceId}`)) return false;
    }
  }
  return true;
};

describe('property: no plan stops or hibernates an Auto Scaling member without a prior EnterStandby', () => {
  const noticeScenario = fc
    .oneof(arbFleet, arbFleetWith({ siblingHeavy: true }))
    .chain((f) => fc.record({ f: fc.constant(f), notice: arbNotice(f.ids), now: fc.integer({ min: T0, max: T0 + 5 * 60_000 }) }));

  it('for every notice plan (sibling resizes included)', () => {
    fc.assert(
      fc.property(noticeScenario, ({ f, notice, now }) => {
        expect(stopsOnlyFromStandby(planNoticeResponse(notice, f.fleet, { now }), f.fleet)).toBe(true);
      }),
      { ...RUNS, numRuns: RUNS.numRuns * 3 },
    );
  });

  it('is not vacuous for notices: the scenarios include plans that stop a member (sibling resizes)', () => {
    const stops = fc
      .sample(noticeScenario, { numRuns: 1500, seed: 42 })
      .flatMap(({ f, notice, now }) =>
        planNoticeResponse(notice, f.fleet, { now }).actions.filter((a) => a.kind === 'interrupt-instance' && a.mode !== 'terminate'),
      );
    expect(stops.length).toBeGreaterThan(0);
  });

  it('for every due interruption, in every mode, and some do stop a member', () => {
    let stops = 0;
    const due = arbFleet.chain((f) =>
      fc.record({
        f: fc.constant(f),
        id: f.ids.length > 0 ? fc.constantFrom(...f.ids) : fc.constant('i-nobody'),
        mode: fc.constantFrom('stop' as const, 'hibernate' as const, 'terminate' as const),
        held: fc.boolean(),
        minSize: fc.integer({ min: 0, max: 6 }),
      }),
    );
    fc.assert(
      fc.property(due, ({ f, id, mode, held, minSize }) => {
        const fleetView: FleetView = { ...f.fleet, groups: f.fleet.groups.map((g) => ({ ...g, minSize })) };
        const located = fleetView.groups.find((g) => g.instances.some((i) => i.id === id));
        const notice = {
          kind: 'interruption-due' as const,
          eventId: 'due',
          at: T0,
          requestId: requestId('q'),
          instanceId: instanceId(id),
          groupId: located?.id ?? groupId('web'),
          reservationId: reservationId(held ? `request:q:${id}` : 'request:q:none'),
          mode,
        };
        const plan = planDueInterruption(notice, fleetView, { now: T0 });
        stops += plan.actions.filter((a) => a.kind === 'interrupt-instance' && a.mode !== 'terminate').length;
        expect(stopsOnlyFromStandby(plan, fleetView)).toBe(true);
        // EnterStandby with a decrement is only planned where Auto Scaling accepts it.
        for (const a of plan.actions) {
          if (a.kind === 'enter-standby') expect(standbyRefusal(fleetView.groups.find((g) => g.id === a.groupId)!)).toBeUndefined();
        }
      }),
      RUNS,
    );
    // Not vacuous: a fixed sample of the same scenarios (independent of how many random runs this run makes) stops members.
    for (const { f, id, mode, held, minSize } of fc.sample(due, { numRuns: 3000, seed: 42 })) {
      const fleetView: FleetView = { ...f.fleet, groups: f.fleet.groups.map((g) => ({ ...g, minSize })) };
      const located = fleetView.groups.find((g) => g.instances.some((i) => i.id === id));
      const plan = planDueInterruption(
        {
          kind: 'interruption-due',
          eventId: 'due',
          at: T0,
          requestId: requestId('q'),
          instanceId: instanceId(id),
          groupId: located?.id ?? groupId('web'),
          reservationId: reservationId(held ? `request:q:${id}` : 'request:q:none'),
          mode,
        },
        fleetView,
        { now: T0 },
      );
      stops += plan.actions.filter((a) => a.kind === 'interrupt-instance' && a.mode !== 'terminate').length;
    }
    expect(stops).toBeGreaterThan(0);
  });
});
