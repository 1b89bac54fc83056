import { describe, expect, it } from 'vitest';
import { groupId, instanceId, requestId, reservationId, type Action, type InterruptionRequest, type Notice, type Plan } from '../../../lambda/core/domain';
import { ADMISSION_HORIZON_MS, planDueInterruption, planInterruptionRequest } from '../../../lambda/core/coordinator/plan-request';
import { RETRY_INTERVAL_MS } from '../../../lambda/core/coordinator/defer-request';
import { RESTART_GRACE_MS } from '../../../lambda/core/common/reservation-terms';
import {
  forecast,
  group,
  instance,
  MINUTE,
  policy,
  pool,
  reservation,
  res,
  roomyPool,
  T0,
  unknownForecast,
  fleet as buildFleet,
} from '../fixtures/fleet-builders';

const WINDOW = 30 * MINUTE;
const kinds = (plan: Plan): string[] => plan.actions.map((a) => a.kind);
const only = <K extends Action['kind']>(plan: Plan, kind: K): Extract<Action, { kind: K }>[] =>
  plan.actions.filter((a): a is Extract<Action, { kind: K }> => a.kind === kind);

const request = (overrides: Partial<InterruptionRequest> = {}): InterruptionRequest => ({
  requestId: requestId('req-1'),
  selector: { kind: 'group', groupId: groupId('batch'), maxPriority: 50 },
  reason: 'kernel patch',
  notBefore: T0,
  deadline: T0 + 2 * 60 * MINUTE,
  mode: 'terminate',
  requestedAt: T0 - MINUTE,
  ...overrides,
});

/** An On-Demand batch group: three instances of different priority and forecast. */
const batchFleet = (
  opts: { pool?: ReturnType<typeof pool>; inFlight?: number; budget?: number | `${number}%`; forecasts?: Parameters<typeof buildFleet>[1] } = {},
) =>
  buildFleet(
    [
      group('batch', {
        policy: policy({ disruptionBudget: { maxUnavailable: opts.budget ?? 1 } }),
        instances: [
          instance('i-low', { groupId: 'batch', lifecycle: 'on-demand', priority: 10 }),
          instance('i-low-big', { groupId: 'batch', lifecycle: 'on-demand', priority: 10 }),
          instance('i-mid', { groupId: 'batch', lifecycle: 'on-demand', priority: 40 }),
          instance('i-high', { groupId: 'batch', lifecycle: 'on-demand', priority: 90 }),
        ],
        desiredCapacity: 4,
        disruptionsInFlight: opts.inFlight ?? 0,
        pool: opts.pool ?? pool('batch', { vcpu: 16, memoryGiB: 64, networkMbps: 10_000, diskIops: 100_000 }),
      }),
    ],
    opts.forecasts ?? [
      forecast('i-low', { vcpu: 2, memoryGiB: 6 }),
      forecast('i-low-big', { vcpu: 4, memoryGiB: 12 }),
      forecast('i-mid', { vcpu: 1, memoryGiB: 2 }),
      forecast('i-high', { vcpu: 1, memoryGiB: 2 }),
    ],
  );

describe('planInterruptionRequest: admission', () => {
  it('admits the lowest-priority, cheapest-to-restart victim: reserve first, then schedule at max(now, notBefore)', () => {
    const plan = planInterruptionRequest(request({ notBefore: T0 + 10 * MINUTE }), batchFleet(), { now: T0 });
    expect(kinds(plan)).toEqual(['reserve', 'schedule-interruption']);
    expect(only(plan, 'reserve')[0]?.reservation).toMatchObject({
      id: 'request:req-1:i-low',
      instanceId: 'i-low',
      amount: res({ vcpu: 2, memoryGiB: 6 }),
      expiresAt: T0 + 10 * MINUTE + RESTART_GRACE_MS + WINDOW,
    });
    expect(only(plan, 'schedule-interruption')[0]).toEqual({
      kind: 'schedule-interruption',
      groupId: 'batch',
      instanceId: 'i-low',
      requestId: 'req-1',
      reservationId: 'request:req-1:i-low',
      at: T0 + 10 * MINUTE,
      mode: 'terminate',
    });
    expect(plan.events.map((e) => e.kind)).toEqual(['reservation-made', 'interruption-scheduled']);
  });

  it("runs at the quietest predicted time of the window: the victim's daily load, the reservation held until then", () => {
    // T0 is 12:00 UTC; i-low is busy at noon (3 vCPU) and quiet from 13:00 (0.5 vCPU).
    const daily = Array.from({ length: 24 }, (_, h) => (h === 13 ? 0.5 : 3));
    const quiet = { ...(forecast('i-low', { vcpu: 2, memoryGiB: 6 }) as Extract<ReturnType<typeof forecast>, { kind: 'known' }>), dailyVcpu: daily };
    const fleet = batchFleet({
      forecasts: [
        quiet,
        forecast('i-low-big', { vcpu: 4, memoryGiB: 12 }),
        forecast('i-mid', { vcpu: 1, memoryGiB: 2 }),
        forecast('i-high', { vcpu: 1, memoryGiB: 2 }),
      ],
    });
    const plan = planInterruptionRequest(request(), fleet, { now: T0 });
    expect(only(plan, 'schedule-interruption')[0]).toMatchObject({ instanceId: 'i-low', at: T0 + 60 * MINUTE });
    expect(only(plan, 'reserve')[0]?.reservation).toMatchObject({
      expiresAt: T0 + 60 * MINUTE + RESTART_GRACE_MS + WINDOW,
      reason: expect.stringContaining('the quietest time in the window: 0.50 vCPU expected at 2024-01-15T13:00:00.000Z against 3.00 vCPU'),
    });
    expect(plan.events.find((e) => e.kind === 'interruption-scheduled')).toMatchObject({ scheduledFor: T0 + 60 * MINUTE });
    // A redelivery, with the reservation already held, keeps the earliest start (the held reservation covers it).
    const held = batchFleet({
      pool: pool('batch', { vcpu: 16, memoryGiB: 64, networkMbps: 10_000, diskIops: 100_000 }, { reservations: [only(plan, 'reserve')[0]!.reservation] }),
      forecasts: [
        quiet,
        forecast('i-low-big', { vcpu: 4, memoryGiB: 12 }),
        forecast('i-mid', { vcpu: 1, memoryGiB: 2 }),
        forecast('i-high', { vcpu: 1, memoryGiB: 2 }),
      ],
    });
    expect(only(planInterruptionRequest(request(), held, { now: T0 }), 'schedule-interruption')[0]).toMatchObject({ instanceId: 'i-low', at: T0 });
  });

  it('schedules at once when notBefore has passed', () => {
    const plan = planInterruptionRequest(request({ notBefore: T0 - 60 * MINUTE }), batchFleet(), { now: T0 });
    expect(only(plan, 'schedule-interruption')[0]?.at).toBe(T0);
  });

  it('tries the next candidate when the best-ranked one does not fit', () => {
    // 5 GiB of memory free.
    const tight = pool('batch', { vcpu: 16, memoryGiB: 64, networkMbps: 10_000, diskIops: 100_000 }, { allocations: { 'i-high': { vcpu: 4, memoryGiB: 59 } } });
    const plan = planInterruptionRequest(request(), batchFleet({ pool: tight }), { now: T0 });
    // i-low needs 6 GiB, i-low-big 12 GiB: neither fits; i-mid (priority 40) needs 2 GiB and does.
    expect(only(plan, 'schedule-interruption')[0]?.instanceId).toBe('i-mid');
  });

  it('passes over a member Auto Scaling is terminating (held in Terminating:Wait), and refuses it when named', () => {
    const f = batchFleet();
    const leaving = { ...f, groups: f.groups.map((g) => ({ ...g, instances: g.instances.map((i) => (i.id === 'i-low' ? { ...i, terminating: true } : i)) })) };
    expect(only(planInterruptionRequest(request(), leaving, { now: T0 }), 'schedule-interruption')[0]?.instanceId).toBe('i-low-big');
    const named = planInterruptionRequest(request({ selector: { kind: 'instance', instanceId: instanceId('i-low') } }), leaving, { now: T0 });
    expect(only(named, 'defer-interruption')[0]).toMatchObject({ reason: 'no-eligible-victim' });
    expect(only(named, 'defer-interruption')[0]?.detail).toContain('being terminated by Auto Scaling');
  });

  it("passes over a member in Standby (an operator's: running, out of service), and refuses it when named", () => {
    const f = batchFleet();
    const out = { ...f, groups: f.groups.map((g) => ({ ...g, instances: g.instances.map((i) => (i.id === 'i-low' ? { ...i, inStandby: true } : i)) })) };
    expect(only(planInterruptionRequest(request(), out, { now: T0 }), 'schedule-interruption')[0]?.instanceId).toBe('i-low-big');
    const named = planInterruptionRequest(request({ selector: { kind: 'instance', instanceId: instanceId('i-low') } }), out, { now: T0 });
    expect(only(named, 'defer-interruption')[0]).toMatchObject({
      reason: 'no-eligible-victim',
      detail: expect.stringContaining('i-low is in Standby (out of service)'),
    });
  });

  it("prefers members launched before the request: one launched since is a restart already (an earlier victim's replacement)", () => {
    const f = batchFleet();
    const fresh = {
      ...f,
      groups: f.groups.map((g) => ({ ...g, instances: g.instances.map((i) => (i.id === 'i-low' ? { ...i, launchedAt: T0 - MINUTE / 2 } : i)) })),
    };
    expect(only(planInterruptionRequest(request(), fresh, { now: T0 }), 'schedule-interruption')[0]?.instanceId).toBe('i-low-big');
    // Chosen still when every eligible member is that new.
    const allFresh = { ...f, groups: f.groups.map((g) => ({ ...g, instances: g.instances.map((i) => ({ ...i, launchedAt: T0 - MINUTE / 2 })) })) };
    expect(only(planInterruptionRequest(request(), allFresh, { now: T0 }), 'schedule-interruption')[0]?.instanceId).toBe('i-low');
  });

  it('names an instance directly with the instance selector', () => {
    const plan = planInterruptionRequest(request({ selector: { kind: 'instance', instanceId: instanceId('i-high') } }), batchFleet(), { now: T0 });
    expect(only(plan, 'schedule-interruption')[0]?.instanceId).toBe('i-high');
  });

  it('ignores candidates above maxPriority', () => {
    const plan = planInterruptionRequest(request({ selector: { kind: 'group', groupId: groupId('batch'), maxPriority: 5 } }), batchFleet(), { now: T0 });
    expect(only(plan, 'defer-interruption')[0]).toMatchObject({ reason: 'no-eligible-victim', retryAt: T0 + RETRY_INTERVAL_MS });
  });

  it('a redelivered request keeps the victim it already holds a reservation for', () => {
    const held = reservation('request:req-1:i-mid', {
      groupId: 'batch',
      instanceId: 'i-mid',
      createdAt: T0 - MINUTE,
      expiresAt: T0 + WINDOW + RESTART_GRACE_MS,
    });
    const f = batchFleet({ pool: pool('batch', { vcpu: 16, memoryGiB: 64, networkMbps: 10_000, diskIops: 100_000 }, { reservations: [held] }) });
    const plan = planInterruptionRequest(request(), f, { now: T0 });
    expect(only(plan, 'schedule-interruption')[0]?.instanceId).toBe('i-mid');
    // Already held: no new reservation-made event, the reserve action is idempotent.
    expect(plan.events.map((e) => e.kind)).toEqual(['interruption-scheduled']);
  });

  it('releases expired reservations first and counts what they held as free', () => {
    const dead = reservation('dead', { groupId: 'batch', amount: res({ vcpu: 15 }), createdAt: T0 - 90 * MINUTE, expiresAt: T0 - MINUTE });
    const f = batchFleet({ pool: pool('batch', { vcpu: 16, memoryGiB: 64, networkMbps: 10_000, diskIops: 100_000 }, { reservations: [dead] }) });
    const plan = planInterruptionRequest(request(), f, { now: T0 });
    expect(kinds(plan)).toEqual(['release', 'reserve', 'schedule-interruption']);
  });
});

describe('planInterruptionRequest: deferral and refusal', () => {
  it.each([
    {
      name: 'the reservation does not fit → reservation-does-not-fit with the shortfall',
      fleet: () =>
        batchFleet({
          pool: pool(
            'batch',
            { vcpu: 16, memoryGiB: 64, networkMbps: 10_000, diskIops: 100_000 },
            { allocations: { 'i-high': { vcpu: 15.5, memoryGiB: 10 } } },
          ),
        }),
      reason: 'reservation-does-not-fit',
      shortfall: res({ vcpu: 1.5 }),
      retryAt: T0 + RETRY_INTERVAL_MS,
    },
    {
      name: 'the disruption budget is exhausted',
      fleet: () => batchFleet({ inFlight: 1 }),
      reason: 'disruption-budget-exhausted',
      retryAt: T0 + RETRY_INTERVAL_MS,
    },
    {
      name: 'a percentage budget rounds down to nothing',
      fleet: () => batchFleet({ budget: '10%' }),
      reason: 'disruption-budget-exhausted',
      retryAt: T0 + RETRY_INTERVAL_MS,
    },
    {
      name: 'no candidate has a forecast (fail closed)',
      fleet: () => batchFleet({ forecasts: [unknownForecast('i-low'), forecast('i-low-big', { vcpu: Number.NaN })] }),
      reason: 'forecast-unknown',
      retryAt: T0 + RETRY_INTERVAL_MS,
    },
  ])('defers when $name', ({ fleet, reason, shortfall, retryAt }) => {
    const plan = planInterruptionRequest(request(), fleet(), { now: T0 });
    expect(kinds(plan)).not.toContain('schedule-interruption');
    expect(kinds(plan)).not.toContain('reserve');
    const [defer] = only(plan, 'defer-interruption');
    expect(defer).toMatchObject({ requestId: 'req-1', reason, retryAt });
    if (shortfall !== undefined) expect(defer?.shortfall).toEqual(shortfall);
    expect(plan.events).toContainEqual(expect.objectContaining({ kind: 'interruption-deferred', reason, retryAt }));
    if (reason === 'forecast-unknown') expect(plan.events).toContainEqual(expect.objectContaining({ kind: 'fail-closed' }));
  });

  it('counts interruptions admitted but not yet carried out against the budget', () => {
    const other = reservation('request:req-0:i-high', { groupId: 'batch', instanceId: 'i-high', createdAt: T0 - MINUTE });
    const f = batchFleet({ pool: pool('batch', { vcpu: 16, memoryGiB: 64, networkMbps: 10_000, diskIops: 100_000 }, { reservations: [other] }) });
    expect(only(planInterruptionRequest(request(), f, { now: T0 }), 'defer-interruption')[0]?.reason).toBe('disruption-budget-exhausted');
  });

  it("counts a victim Auto Scaling is terminating once: in the group's disruptions in flight, not again for its reservation", () => {
    const other = reservation('request:req-0:i-high', { groupId: 'batch', instanceId: 'i-high', createdAt: T0 - MINUTE });
    const f = batchFleet({
      budget: 2,
      inFlight: 1,
      pool: pool('batch', { vcpu: 16, memoryGiB: 64, networkMbps: 10_000, diskIops: 100_000 }, { reservations: [other] }),
    });
    const leaving = { ...f, groups: f.groups.map((g) => ({ ...g, instances: g.instances.map((i) => (i.id === 'i-high' ? { ...i, terminating: true } : i)) })) };
    // Budget 2: the terminating victim (in flight) and this request.
    expect(kinds(planInterruptionRequest(request(), leaving, { now: T0 }))).toEqual(['reserve', 'schedule-interruption']);
    // Still running in service: in flight 1 (something else) + its admitted request = 2, no room.
    expect(only(planInterruptionRequest(request(), f, { now: T0 }), 'defer-interruption')[0]?.reason).toBe('disruption-budget-exhausted');
  });

  it('refuses after the deadline (no retry) and releases what the request held', () => {
    const held = reservation('request:req-1:i-low', { groupId: 'batch', instanceId: 'i-low', createdAt: T0 - 10 * MINUTE });
    const f = batchFleet({ pool: pool('batch', { vcpu: 16, memoryGiB: 64, networkMbps: 10_000, diskIops: 100_000 }, { reservations: [held] }) });
    const plan = planInterruptionRequest(request({ deadline: T0 - 1 }), f, { now: T0 });
    expect(kinds(plan)).toEqual(['release', 'defer-interruption']);
    const [defer] = only(plan, 'defer-interruption');
    expect(defer).toMatchObject({ reason: 'deadline-passed' });
    expect(defer?.retryAt).toBeUndefined();
  });

  it('never retries after the deadline: retryAt is capped at it', () => {
    const plan = planInterruptionRequest(request({ deadline: T0 + MINUTE }), batchFleet({ inFlight: 1 }), { now: T0 });
    expect(only(plan, 'defer-interruption')[0]?.retryAt).toBe(T0 + MINUTE);
  });

  it('defers a request far ahead of its notBefore until it is within the admission horizon', () => {
    const notBefore = T0 + 5 * 60 * MINUTE;
    const plan = planInterruptionRequest(request({ notBefore, deadline: notBefore + 60 * MINUTE }), batchFleet(), { now: T0 });
    expect(only(plan, 'defer-interruption')[0]).toMatchObject({ reason: 'not-before', retryAt: notBefore - ADMISSION_HORIZON_MS });
  });

  it.each([
    ['an unknown instance', { kind: 'instance', instanceId: instanceId('i-nope') }, 'unknown-instance', false],
    ['an unknown group', { kind: 'group', groupId: groupId('nope'), maxPriority: 100 }, 'no-eligible-victim', false],
  ] as const)('defers %s without retrying', (_what, selector, reason, _retry) => {
    const plan = planInterruptionRequest(request({ selector }), batchFleet(), { now: T0 });
    const [defer] = only(plan, 'defer-interruption');
    expect(defer?.reason).toBe(reason);
    expect(defer?.retryAt).toBeUndefined();
  });

  it('refuses to stop or hibernate a Spot instance (Auto Scaling Spot instances can only be terminated)', () => {
    const f = buildFleet([group('web', { instances: [instance('i-s')] })], [forecast('i-s', { vcpu: 1 })]);
    for (const mode of ['stop', 'hibernate'] as const) {
      const plan = planInterruptionRequest(request({ selector: { kind: 'instance', instanceId: instanceId('i-s') }, mode }), f, { now: T0 });
      expect(only(plan, 'defer-interruption')[0]).toMatchObject({ reason: 'no-eligible-victim', detail: expect.stringContaining('Spot') });
    }
    expect(kinds(planInterruptionRequest(request({ selector: { kind: 'instance', instanceId: instanceId('i-s') } }), f, { now: T0 }))).toContain(
      'schedule-interruption',
    );
  });

  it('does not pick an instance that already holds a reservation for another interruption or restart', () => {
    const busy = reservation('warning:e:i-low', { groupId: 'batch', instanceId: 'i-low', createdAt: T0 - MINUTE });
    const f = batchFleet({ pool: pool('batch', { vcpu: 16, memoryGiB: 64, networkMbps: 10_000, diskIops: 100_000 }, { reservations: [busy] }) });
    expect(only(planInterruptionRequest(request(), f, { now: T0 }), 'schedule-interruption')[0]?.instanceId).toBe('i-low-big');
  });
});

const due = (overrides: Partial<Extract<Notice, { kind: 'interruption-due' }>> = {}): Extract<Notice, { kind: 'interruption-due' }> => ({
  kind: 'interruption-due',
  eventId: 'due-1',
  at: T0,
  requestId: requestId('req-1'),
  instanceId: instanceId('i-low'),
  groupId: groupId('batch'),
  reservationId: reservationId('request:req-1:i-low'),
  mode: 'terminate',
  ...overrides,
});
const heldPool = (opts: { expiresAt?: number; allocations?: Record<string, { vcpu?: number; memoryGiB?: number }> } = {}) =>
  pool(
    'batch',
    { vcpu: 16, memoryGiB: 64, networkMbps: 10_000, diskIops: 100_000 },
    {
      allocations: opts.allocations ?? {},
      reservations: [
        reservation('request:req-1:i-low', {
          groupId: 'batch',
          instanceId: 'i-low',
          amount: res({ vcpu: 2, memoryGiB: 6 }),
          createdAt: T0 - 20 * MINUTE,
          expiresAt: opts.expiresAt ?? T0 + WINDOW,
        }),
      ],
    },
  );

describe('planDueInterruption (executor re-check)', () => {
  it('interrupts when the reservation is still held and the budget allows', () => {
    const plan = planDueInterruption(due(), batchFleet({ pool: heldPool() }), { now: T0 });
    expect(plan.actions).toEqual([
      { kind: 'interrupt-instance', groupId: 'batch', instanceId: 'i-low', mode: 'terminate', requestId: 'req-1', reason: 'scheduled interruption req-1' },
    ]);
  });

  it('re-reserves when the reservation expired, then interrupts', () => {
    const plan = planDueInterruption(due(), batchFleet({ pool: heldPool({ expiresAt: T0 - 1 }) }), { now: T0 });
    expect(kinds(plan)).toEqual(['release', 'reserve', 'interrupt-instance']);
    expect(only(plan, 'reserve')[0]?.reservation).toMatchObject({ id: 'request:req-1:i-low', expiresAt: T0 + RESTART_GRACE_MS + WINDOW });
  });

  it('defers with the shortfall when the reservation is gone and no longer fits', () => {
    const plan = planDueInterruption(
      due(),
      batchFleet({ pool: pool('batch', { vcpu: 16, memoryGiB: 64, networkMbps: 10_000, diskIops: 100_000 }, { allocations: { 'i-high': { vcpu: 15 } } }) }),
      { now: T0 },
    );
    expect(kinds(plan)).toEqual(['defer-interruption']);
    expect(only(plan, 'defer-interruption')[0]).toMatchObject({
      reason: 'reservation-does-not-fit',
      shortfall: res({ vcpu: 1 }),
      retryAt: T0 + RETRY_INTERVAL_MS,
    });
  });

  it('releases the reservation and defers when the budget is exhausted at the due time', () => {
    const plan = planDueInterruption(due(), batchFleet({ pool: heldPool(), inFlight: 1 }), { now: T0 });
    expect(kinds(plan)).toEqual(['release', 'defer-interruption']);
    expect(only(plan, 'defer-interruption')[0]?.reason).toBe('disruption-budget-exhausted');
  });

  it('refuses after the deadline and releases the reservation', () => {
    const plan = planDueInterruption(due(), batchFleet({ pool: heldPool() }), { now: T0, deadline: T0 - 1 });
    expect(kinds(plan)).toEqual(['release', 'defer-interruption']);
    expect(only(plan, 'defer-interruption')[0]).toMatchObject({ reason: 'deadline-passed' });
  });

  it('abandoned for good (refused without a retry: a reservation held for someone else) releases the reservation held for the victim', () => {
    // The notice names i-low but the reservation it names is held for i-high: refused, no retry time.
    const f = batchFleet({
      pool: pool(
        'batch',
        { vcpu: 16, memoryGiB: 64, networkMbps: 10_000, diskIops: 100_000 },
        {
          reservations: [
            reservation('request:req-1:i-low', {
              groupId: 'batch',
              instanceId: 'i-high',
              amount: res({ vcpu: 1 }),
              createdAt: T0 - MINUTE,
              expiresAt: T0 + WINDOW,
            }),
          ],
        },
      ),
    });
    const plan = planDueInterruption(due(), f, { now: T0 });
    expect(plan.actions.map((a) => [a.kind, 'reason' in a ? a.reason : ''])).toEqual([
      ['release', 'request req-1 abandoned: no-eligible-victim'],
      ['defer-interruption', 'no-eligible-victim'],
    ]);
  });

  it.each([
    { what: 'a named instance', ctx: { now: T0, deadline: T0 + WINDOW }, retryAt: undefined },
    { what: 'a request whose record was not found', ctx: { now: T0 }, retryAt: undefined },
    { what: 'a group request', ctx: { now: T0, deadline: T0 + WINDOW, groupRequest: true }, retryAt: T0 + RETRY_INTERVAL_MS },
    { what: 'a group request two minutes before its deadline', ctx: { now: T0, deadline: T0 + 2 * MINUTE, groupRequest: true }, retryAt: T0 + 2 * MINUTE },
    { what: 'a group request at its deadline', ctx: { now: T0, deadline: T0, groupRequest: true }, retryAt: undefined },
  ])('a victim gone before its time, $what: deferred without releasing (its reservation may serve the replacement), retry $retryAt', ({ ctx, retryAt }) => {
    const plan = planDueInterruption(due({ instanceId: instanceId('i-gone') }), batchFleet({ pool: heldPool() }), ctx);
    expect(kinds(plan)).toEqual(['defer-interruption']);
    const deferred = only(plan, 'defer-interruption')[0];
    expect(deferred).toMatchObject({ reason: 'unknown-instance' });
    expect(deferred?.retryAt).toBe(retryAt);
    expect(deferred?.detail).toContain(retryAt === undefined ? 'i-gone is no longer a managed instance' : 'planned again for another member of batch');
  });

  const withVictim = (change: Partial<ReturnType<typeof instance>>) => {
    const f = batchFleet({ pool: heldPool() });
    return { ...f, groups: f.groups.map((g) => ({ ...g, instances: g.instances.map((i) => (i.id === 'i-low' ? { ...i, ...change } : i)) })) };
  };
  it.each([
    { state: 'terminating (Terminating:Wait)', change: { terminating: true }, detail: 'i-low is being terminated by Auto Scaling' },
    { state: 'stopped', change: { state: 'stopped' as const }, detail: 'i-low is stopped, not running' },
    { state: 'stopping', change: { state: 'stopping' as const }, detail: 'i-low is stopping, not running' },
    { state: 'back in the warm pool', change: { warm: true }, detail: 'i-low is in the warm pool, not running' },
    { state: "in an operator's Standby", change: { inStandby: true }, detail: 'i-low is in Standby (out of service)' },
  ])('a victim $state by something else at its time: a group request is planned again for another member, a named one refused', ({ change, detail }) => {
    const f = withVictim(change);
    const group = planDueInterruption(due(), f, { now: T0, deadline: T0 + WINDOW, groupRequest: true });
    // Deferred with a retry: the coordinator's retry chooses another member and releases what the request holds.
    expect(kinds(group)).toEqual(['defer-interruption']);
    expect(only(group, 'defer-interruption')[0]).toMatchObject({ reason: 'no-eligible-victim', retryAt: T0 + RETRY_INTERVAL_MS });
    expect(only(group, 'defer-interruption')[0]?.detail).toBe(
      `${detail} (${change.terminating === true ? 'leaving' : change.inStandby === true ? 'taken out of service' : 'stopped'} before its scheduled time): planned again for another member of batch`,
    );
    // At its deadline, or naming its instance: refused for good, and the reservation held for the victim released.
    for (const ctx of [
      { now: T0, deadline: T0, groupRequest: true },
      { now: T0, deadline: T0 + WINDOW },
    ]) {
      const refused = planDueInterruption(due(), f, ctx);
      expect(kinds(refused)).toEqual(['release', 'defer-interruption']);
      expect(only(refused, 'defer-interruption')[0]).toMatchObject({ reason: 'no-eligible-victim', detail });
      expect(only(refused, 'defer-interruption')[0]?.retryAt).toBeUndefined();
    }
  });

  it('fails closed when the reservation is gone and the forecast is unknown', () => {
    const plan = planDueInterruption(due(), batchFleet({ forecasts: [unknownForecast('i-low')] }), { now: T0 });
    expect(only(plan, 'defer-interruption')[0]?.reason).toBe('forecast-unknown');
    expect(plan.events.map((e) => e.kind)).toContain('fail-closed');
  });
});

describe('coordinator with a roomy standard pool', () => {
  it('the same request on the same fleet gives the same plan', () => {
    const f = buildFleet([group('batch', { instances: [instance('i-1', { groupId: 'batch' })], pool: roomyPool('batch') })], [forecast('i-1', { vcpu: 1 })]);
    expect(planInterruptionRequest(request(), f, { now: T0 })).toEqual(planInterruptionRequest(request(), f, { now: T0 }));
  });
});

describe('planInterruptionRequest: impossible windows', () => {
  it('refuses a request whose notBefore is after its deadline', () => {
    const plan = planInterruptionRequest(request({ notBefore: T0 + 60 * MINUTE, deadline: T0 + 30 * MINUTE }), batchFleet(), { now: T0 });
    expect(plan.actions).toEqual([
      expect.objectContaining({ kind: 'defer-interruption', reason: 'deadline-passed', detail: expect.stringContaining('after the deadline') }),
    ]);
  });

  it.each([
    ['a NaN deadline', { deadline: Number.NaN }, 'deadline-passed'],
    ['a NaN notBefore', { notBefore: Number.NaN }, 'not-before'],
  ] as const)('refuses %s without retrying', (_what, overrides, reason) => {
    const [defer] = only(planInterruptionRequest(request(overrides), batchFleet(), { now: T0 }), 'defer-interruption');
    expect(defer?.reason).toBe(reason);
    expect(defer?.retryAt).toBeUndefined();
  });
});
