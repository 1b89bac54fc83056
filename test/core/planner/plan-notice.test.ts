import { describe, expect, it } from 'vitest';
import {
  groupId,
  instanceId,
  type Action,
  type FleetView,
  type Forecast,
  type ManagedInstance,
  type Notice,
  type Plan,
  type WarmClaim,
} from '../../../lambda/core/domain';
import { planNoticeResponse } from '../../../lambda/core/planner/plan-notice';
import { REBALANCE_HOLD_MS, RESTART_GRACE_MS } from '../../../lambda/core/common/reservation-terms';
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
  standardFleet,
  T0,
  unknownForecast,
  withInstanceType,
  fleet as buildFleet,
} from '../fixtures/fleet-builders';

/** The change-desired-capacity actions with the capacity each raises its group to (from + by). */
const raisedTo = (plan: Plan) => plan.actions.flatMap((a) => (a.kind === 'change-desired-capacity' ? [{ ...a, raisedTo: a.from + a.by }] : []));
const WINDOW = 30 * MINUTE;
const kinds = (plan: Plan): string[] => plan.actions.map((a) => a.kind);
const only = <K extends Action['kind']>(plan: Plan, kind: K): Extract<Action, { kind: K }>[] =>
  plan.actions.filter((a): a is Extract<Action, { kind: K }> => a.kind === kind);

const warning = (id: string, action: 'terminate' | 'stop' | 'hibernate' = 'terminate', overrides: Partial<Notice> = {}): Notice =>
  ({ kind: 'spot-interruption-warning', eventId: `evt-${id}`, at: T0, instanceId: instanceId(id), action, deadline: T0 + 120_000, ...overrides }) as Notice;
const rebalance = (id: string): Notice => ({ kind: 'rebalance-recommendation', eventId: `rb-${id}`, at: T0, instanceId: instanceId(id) });
const lifecycle = (
  kind: 'lifecycle-launch' | 'lifecycle-terminate',
  id: string,
  group: string,
  extra: { origin?: 'EC2' | 'AutoScalingGroup' | 'WarmPool'; destination?: 'EC2' | 'AutoScalingGroup' | 'WarmPool' } = {},
): Notice => ({
  kind,
  eventId: `lc-${id}`,
  at: T0,
  instanceId: instanceId(id),
  groupId: groupId(group),
  hookName: 'spotwise-hook',
  token: 'tok-1',
  ...extra,
});
const stateChange = (id: string, state: 'running' | 'stopping' | 'stopped' | 'pending'): Notice => ({
  kind: 'state-change',
  eventId: `sc-${id}`,
  at: T0,
  instanceId: instanceId(id),
  state,
});

describe('planNoticeResponse: spot interruption warning', () => {
  it.each([
    // [action, expected reservation expiry]: terminate/stop get the 120 s lead, hibernate none.
    ['terminate', T0 + 120_000 + RESTART_GRACE_MS + WINDOW],
    ['stop', T0 + 120_000 + RESTART_GRACE_MS + WINDOW],
    ['hibernate', T0 + RESTART_GRACE_MS + WINDOW],
  ] as const)('%s: reserves the p90 post-restart demand until the end of the post-restart window', (action, expiresAt) => {
    const plan = planNoticeResponse(warning('i-a1', action), standardFleet(), { now: T0 });
    const [reserve] = only(plan, 'reserve');
    expect(reserve?.reservation).toMatchObject({
      id: `warning:evt-i-a1:i-a1`,
      groupId: 'web',
      instanceId: 'i-a1',
      amount: res({ vcpu: 1.5, memoryGiB: 6, networkMbps: 200, diskIops: 500 }),
      createdAt: T0,
      expiresAt,
      priority: 50,
    });
    expect(plan.events).toContainEqual(expect.objectContaining({ kind: 'reservation-made', instanceId: 'i-a1', reservationId: 'warning:evt-i-a1:i-a1' }));
  });

  it('honours an earlier deadline on the notice, never a later one', () => {
    const earlier = planNoticeResponse(warning('i-a1', 'terminate', { deadline: T0 + 30_000 } as Partial<Notice>), standardFleet(), { now: T0 });
    expect(only(earlier, 'reserve')[0]?.reservation.expiresAt).toBe(T0 + 30_000 + RESTART_GRACE_MS + WINDOW);
    const later = planNoticeResponse(warning('i-a1', 'terminate', { deadline: T0 + 600_000 } as Partial<Notice>), standardFleet(), { now: T0 });
    expect(only(later, 'reserve')[0]?.reservation.expiresAt).toBe(T0 + 120_000 + RESTART_GRACE_MS + WINDOW);
  });

  it('brings staged warm capacity into service on the standby group (reserve first, then desired capacity)', () => {
    const plan = planNoticeResponse(warning('i-a1'), standardFleet(), { now: T0 });
    expect(kinds(plan)).toEqual(['reserve', 'change-desired-capacity', 'record-pool-signal']);
    // 1.5 vCPU / 6 GiB fits one warm m5.large (2 vCPU / 8 GiB): one more in service.
    expect(raisedTo(plan)).toEqual([expect.objectContaining({ groupId: 'web-standby', raisedTo: 1 })]);
  });

  describe('Capacity Rebalancing launches the replacement with the warning at the latest: no cold launch races it', () => {
    const noWarm = { instances: [], warmPool: undefined };
    it.each([
      // [case, primary, standby, notice action, raised group]
      ['on, no warm instance: nothing cold is launched', { capacityRebalance: true }, noWarm, 'terminate', undefined],
      ['off, no warm instance: the standby group launches one', {}, noWarm, 'terminate', 'web-standby'],
      ['on, a warm instance ready: it still comes into service (ready in seconds)', { capacityRebalance: true }, {}, 'terminate', 'web-standby'],
      // A stop comes back under its own id: no replacement is launched for it.
      ['on, a stop warning: the standby group launches one', { capacityRebalance: true }, noWarm, 'stop', 'web-standby'],
    ] as const)('%s', (_name, primary, standby, action, raised) => {
      const plan = planNoticeResponse(warning('i-a1', action), standardFleet({ primary, standby }), { now: T0 });
      expect(raisedTo(plan).map((r) => r.groupId)).toEqual(raised === undefined ? [] : [raised]);
      // The reservation for the restart is made either way.
      expect(kinds(plan)).toContain('reserve');
    });
  });

  describe("the victim's own replacement already launched (Capacity Rebalancing on its rebalance recommendation)", () => {
    /** i-a1's rebalance reservation, made before the warning; `to` names the instance it was handed over to. */
    const rebalanced = (to = 'i-a1', amount = res({ vcpu: 1.5, memoryGiB: 6, networkMbps: 200, diskIops: 500 })) =>
      roomyPool('web', {
        reservations: [reservation('rebalance:rb-i-a1:i-a1', { instanceId: to, amount, createdAt: T0 - 2 * MINUTE, expiresAt: T0 + 60 * MINUTE })],
      });
    const members = (extra: readonly ReturnType<typeof instance>[]) => [
      instance('i-a1', { availabilityZone: 'us-east-1a' }),
      instance('i-a2', { availabilityZone: 'us-east-1a' }),
      instance('i-b1', { availabilityZone: 'us-east-1b', instanceType: 'c5.large' }),
      instance('i-b2', { availabilityZone: 'us-east-1b', instanceType: 'c5.large' }),
      ...extra,
    ];
    const pendingReplacement = instance('i-r1', { availabilityZone: 'us-east-1b', state: 'pending' });
    it.each([
      // [case, primary overrides, standby raised?, detail of the staged capacity]
      [
        'one member over desired (the replacement is pending)',
        { instances: members([pendingReplacement]), pool: rebalanced() },
        false,
        /replacement is already launched \(5 members for desired 4\)/,
      ],
      [
        'the replacement took the rebalance reservation at its launch',
        { instances: members([pendingReplacement]), desiredCapacity: 5, pool: rebalanced('i-r1') },
        false,
        /i-r1 took its rebalance reservation/,
      ],
      ['no rebalance recommendation was handled for it', { instances: members([pendingReplacement]) }, true, undefined],
      ['recommended, but nothing launched over desired', { pool: rebalanced() }, true, undefined],
      // The load's p90 is above the victim's own type: it restarts on the replacement all the same (the first host up
      // that fits what it ran on), so nothing larger is brought; the shortfall is said.
      [
        "a p90 above the victim's type",
        { instances: members([pendingReplacement]), pool: rebalanced('i-a1', res({ vcpu: 2.4, memoryGiB: 6 })) },
        false,
        /short 0\.4\d* vCPU, 0 GiB, 0 Mbps, 0 IOPS of its post-restart p90 as m5\.large was/,
      ],
    ] as const)('%s', (_name, primary, raised, detail) => {
      const plan = planNoticeResponse(warning('i-a1'), standardFleet({ primary }), { now: T0 });
      expect(raisedTo(plan).length > 0).toBe(raised);
      if (detail !== undefined)
        expect(plan.events).toContainEqual(expect.objectContaining({ kind: 'capacity-staged', groupId: 'web', detail: expect.stringMatching(detail) }));
    });

    it('an unstable Spot pool still sends the load to On-Demand standby (the replacement is Spot)', () => {
      const unstable = policy({ unstablePool: { enabled: true, reclaimThreshold: 1, windowMinutes: 60, coolDownMinutes: 120 } });
      const plan = planNoticeResponse(
        warning('i-a1'),
        standardFleet({ primary: { instances: members([pendingReplacement]), pool: rebalanced(), policy: unstable } }),
        { now: T0 },
      );
      expect(raisedTo(plan)).toEqual([expect.objectContaining({ groupId: 'web-standby' })]);
    });
  });

  it('brings one warm instance when one holds the load, saying when Auto Scaling may pick a smaller one', () => {
    const f = standardFleet({
      forecasts: [forecast('i-a1', { vcpu: 3, memoryGiB: 12 })],
      standby: {
        instances: [
          instance('i-w1', { groupId: 'web-standby', lifecycle: 'on-demand', state: 'stopped', warm: true, instanceType: 'm5.xlarge' }),
          instance('i-w2', { groupId: 'web-standby', lifecycle: 'on-demand', state: 'stopped', warm: true, instanceType: 'm5.large' }),
        ],
      },
    });
    // The workload restarts on one host: a second warm instance could not take part of it.
    const plan = planNoticeResponse(warning('i-a1'), f, { now: T0 });
    expect(raisedTo(plan)).toEqual([
      expect.objectContaining({ groupId: 'web-standby', raisedTo: 1, reason: expect.stringContaining('Auto Scaling may pick a smaller one') }),
    ]);
    // Every warm instance holds it: no caveat.
    const uniform = standardFleet({
      forecasts: [forecast('i-a1', { vcpu: 1.5, memoryGiB: 6 })],
      standby: {
        instances: [
          instance('i-w1', { groupId: 'web-standby', lifecycle: 'on-demand', state: 'stopped', warm: true }),
          instance('i-w2', { groupId: 'web-standby', lifecycle: 'on-demand', state: 'stopped', warm: true }),
        ],
      },
    });
    const one = raisedTo(planNoticeResponse(warning('i-a1'), uniform, { now: T0 }));
    expect(one).toEqual([expect.objectContaining({ groupId: 'web-standby', raisedTo: 1 })]);
    expect(one[0]?.reason).not.toContain('smaller');
  });

  it('when no single host holds the load, brings the largest one that can come and reports the rest uncovered', () => {
    // A running warm instance (a pool kept Running) cannot be retyped: nothing can be made to hold the load.
    const f = standardFleet({
      forecasts: [forecast('i-a1', { vcpu: 5, memoryGiB: 20 })],
      standby: { instances: [instance('i-w1', { groupId: 'web-standby', lifecycle: 'on-demand', state: 'running', warm: true })] },
    });
    const plan = planNoticeResponse(warning('i-a1'), f, { now: T0 });
    expect(only(plan, 'stage-warm-instance')).toEqual([]);
    // Warm m5.large (2 vCPU / 8 GiB) and a launched m5.large are the same size: the warm one, ready sooner.
    expect(raisedTo(plan)).toEqual([expect.objectContaining({ groupId: 'web-standby', raisedTo: 1, reason: expect.stringContaining('short 3 vCPU') })]);
    expect(plan.actions).toContainEqual(expect.objectContaining({ kind: 'noop', reason: expect.stringMatching(/^cannot place 3 vCPU/) }));
  });

  it.each([
    // The standby group runs m5.2xlarge (8 vCPU / 32 GiB): one launch of it holds 5 vCPU / 20 GiB, the warm m5.large does not.
    ["a launch of the standby group's type holds it", { vcpu: 5, memoryGiB: 20 }, 'launch 1 instance for', undefined],
    // 10 vCPU: nothing holds it; the launch (8 vCPU) is larger than the warm m5.large (2 vCPU), so it goes, short 2 vCPU.
    [
      'nothing holds it, and the launch is larger than any warm instance',
      { vcpu: 10, memoryGiB: 20 },
      'launch 1 instance, short 2 vCPU',
      /^cannot place 2 vCPU/,
    ],
  ] as const)('one host for one workload: %s', (_name, load, reason, uncovered) => {
    const f = standardFleet({
      forecasts: [forecast('i-a1', load)],
      standby: {
        instances: [
          instance('i-s1', { groupId: 'web-standby', lifecycle: 'on-demand', instanceType: 'm5.2xlarge' }),
          // Running in the pool: not retyped for the victim (see the warning's own staging below).
          instance('i-w1', { groupId: 'web-standby', lifecycle: 'on-demand', state: 'running', warm: true }),
        ],
        desiredCapacity: 1,
      },
    });
    const plan = planNoticeResponse(warning('i-a1'), f, { now: T0 });
    expect(raisedTo(plan)).toEqual([expect.objectContaining({ groupId: 'web-standby', raisedTo: 2, by: 1, reason: expect.stringContaining(reason) })]);
    if (uncovered !== undefined) expect(plan.actions).toContainEqual(expect.objectContaining({ kind: 'noop', reason: expect.stringMatching(uncovered) }));
    else expect(plan.actions.some((a) => a.kind === 'noop')).toBe(false);
  });

  describe('with no rebalance recommendation staged for the victim, the warning stages a warm instance itself', () => {
    const bigger = { forecasts: [forecast('i-a1', { vcpu: 3, memoryGiB: 12 })] };

    it('claims and retypes a stopped warm instance to hold the load, then brings one into service', () => {
      // i-a1 an m5.xlarge: its own type holds the 3 vCPU / 12 GiB the stopped m5.large warm instances do not.
      const plan = planNoticeResponse(warning('i-a1'), withInstanceType(standardFleet(bigger), 'i-a1', 'm5.xlarge'), { now: T0 });
      expect(kinds(plan)).toEqual(['reserve', 'stage-warm-instance', 'change-desired-capacity', 'record-pool-signal']);
      const expiresAt = only(plan, 'reserve')[0]?.reservation.expiresAt;
      expect(only(plan, 'stage-warm-instance')[0]).toMatchObject({
        groupId: 'web-standby',
        victimId: 'i-a1',
        candidates: [
          { instanceId: 'i-w1', fromType: 'm5.large', covers: false },
          { instanceId: 'i-w2', fromType: 'm5.large', covers: false },
        ],
        toType: 'm5.xlarge',
        until: expiresAt,
        reason: expect.stringContaining('with no rebalance recommendation staged for it'),
      });
      // The retyped instance holds 3 vCPU / 12 GiB: the warm instance comes, not a cold launch.
      expect(raisedTo(plan)).toEqual([
        expect.objectContaining({ groupId: 'web-standby', raisedTo: 1, reason: expect.stringContaining('bring 1 warm instance') }),
      ]);
    });

    it.each([
      ['a recommendation was planned for it (its rebalance reservation is live)', true, bigger.forecasts],
      ['a warm instance holds the load already', false, [forecast('i-a1', { vcpu: 1.5, memoryGiB: 6 })]],
      // The p90 up to its own type, beyond it only its p50 (plan-rebalance.ts standInLoad): a warm m5.large stands in
      // for an m5.large whose median restart (1.5 vCPU / 6 GiB) fits its type.
      [
        "the p90 is above the victim's own type, its p50 within it, and a warm instance holds that type",
        false,
        [forecast('i-a1', { vcpu: 3, memoryGiB: 12 }, { vcpu: 1.5, memoryGiB: 6 })],
      ],
    ])('stages nothing when %s', (_name, recommended, forecasts) => {
      const held = reservation('rebalance:rb-i-a1:i-a1', { instanceId: 'i-a1', createdAt: T0 - MINUTE, expiresAt: T0 + 2 * 60 * MINUTE });
      const f = standardFleet({ forecasts, ...(recommended ? { primary: { pool: roomyPool('web', { reservations: [held] }) } } : {}) });
      const plan = planNoticeResponse(warning('i-a1'), f, { now: T0 });
      expect(only(plan, 'stage-warm-instance')).toEqual([]);
      expect(raisedTo(plan)).toEqual([expect.objectContaining({ groupId: 'web-standby', raisedTo: 1 })]);
    });

    it('stages nothing when the forecast is unknown (fail closed: like-for-like moves only)', () => {
      const plan = planNoticeResponse(warning('i-a1'), standardFleet({ forecasts: [unknownForecast('i-a1')] }), { now: T0 });
      expect(only(plan, 'stage-warm-instance')).toEqual([]);
    });
  });

  it('scales the primary group out by one when it has no standby and no warm pool', () => {
    const f = buildFleet(
      [
        group('web', {
          instances: [instance('i-a1'), instance('i-a2'), instance('i-a3')],
          desiredCapacity: 3,
          maxSize: 6,
          pool: roomyPool('web', { allocations: { 'i-a2': { vcpu: 2, memoryGiB: 8 }, 'i-a3': { vcpu: 2, memoryGiB: 8 } } }),
        }),
      ],
      [forecast('i-a1', { vcpu: 1.5, memoryGiB: 6 })],
    );
    const plan = planNoticeResponse(warning('i-a1'), f, { now: T0 });
    expect(raisedTo(plan)).toEqual([expect.objectContaining({ groupId: 'web', raisedTo: 4 })]);
    // A load larger than the group's type: still one instance (one host per workload), the rest reported.
    const big = buildFleet(
      [
        group('web', {
          instances: [instance('i-a1'), instance('i-a2'), instance('i-a3')],
          desiredCapacity: 3,
          maxSize: 6,
          pool: roomyPool('web', { allocations: { 'i-a2': { vcpu: 2, memoryGiB: 8 }, 'i-a3': { vcpu: 2, memoryGiB: 8 } } }),
        }),
      ],
      [forecast('i-a1', { vcpu: 3, memoryGiB: 10 })],
    );
    const bigPlan = planNoticeResponse(warning('i-a1'), big, { now: T0 });
    expect(raisedTo(bigPlan)).toEqual([expect.objectContaining({ groupId: 'web', raisedTo: 4 })]);
    expect(bigPlan.actions).toContainEqual(expect.objectContaining({ kind: 'noop', reason: expect.stringMatching(/^cannot place 1 vCPU/) }));
  });

  it('lets a running sibling with room absorb the load without resizing it (placement score)', () => {
    const f = buildFleet(
      [
        group('web', {
          instances: [instance('i-a1'), instance('i-od', { lifecycle: 'on-demand', instanceType: 'm5.2xlarge', availabilityZone: 'us-east-1b' })],
          pool: roomyPool('web', { allocations: { 'i-od': { vcpu: 2, memoryGiB: 8 } } }),
        }),
      ],
      [forecast('i-a1', { vcpu: 1.5, memoryGiB: 6 })],
    );
    const plan = planNoticeResponse(warning('i-a1'), f, { now: T0 });
    expect(kinds(plan)).toEqual(['reserve', 'record-pool-signal']);
    expect(plan.events).toContainEqual(expect.objectContaining({ kind: 'capacity-staged', detail: expect.stringContaining('i-od has room') }));
  });

  it('never counts a sibling in the same spot pool as room (it is likely interrupted with the victim)', () => {
    const f = buildFleet(
      [
        group('web', {
          instances: [instance('i-a1'), instance('i-a2', { instanceType: 'm5.2xlarge' })],
          pool: roomyPool('web', { allocations: { 'i-a2': { vcpu: 1 } } }),
        }),
      ],
      [forecast('i-a1', { vcpu: 1.5, memoryGiB: 6 })],
    );
    const f2 = buildFleet(
      [
        group('web', {
          instances: [instance('i-a1'), instance('i-a2', { instanceType: 'm5.large' })],
          pool: roomyPool('web', { allocations: { 'i-a2': { vcpu: 0.1, memoryGiB: 0.5 } } }),
        }),
      ],
      [forecast('i-a1', { vcpu: 1.5, memoryGiB: 6 })],
    );
    // i-a2 is m5.2xlarge in us-east-1a: a different pool from i-a1's m5.large/us-east-1a, so it may absorb.
    expect(kinds(planNoticeResponse(warning('i-a1'), f, { now: T0 }))).toEqual(['reserve', 'record-pool-signal']);
    // Same type and AZ: not counted, the group scales out instead.
    expect(kinds(planNoticeResponse(warning('i-a1'), f2, { now: T0 }))).toEqual(['reserve', 'change-desired-capacity', 'record-pool-signal']);
  });

  it('retypes a stopped On-Demand sibling to the cheapest allowed type covering its own demand plus the load, then starts it', () => {
    const f = buildFleet(
      [
        group('web', {
          policy: policy({ allowedInstanceTypes: ['m5.large', 'm5.xlarge', 'm5.2xlarge'] }),
          instances: [instance('i-a1'), instance('i-s1', { lifecycle: 'on-demand', state: 'stopped' })],
          desiredCapacity: 1,
          maxSize: 1,
        }),
      ],
      [forecast('i-a1', { vcpu: 1.5, memoryGiB: 6 }), forecast('i-s1', { vcpu: 1, memoryGiB: 4 })],
    );
    const plan = planNoticeResponse(warning('i-a1'), f, { now: T0 });
    // 1 + 1.5 vCPU, 4 + 6 GiB → m5.xlarge (c5.large and r5.large are not allowed here).
    expect(plan.actions.slice(1)).toEqual([
      expect.objectContaining({ kind: 'retype-stopped-instance', instanceId: 'i-s1', fromType: 'm5.large', toType: 'm5.xlarge' }),
      expect.objectContaining({ kind: 'start-instance', instanceId: 'i-s1' }),
      expect.objectContaining({
        kind: 'record-pool-signal',
        groupId: 'web',
        signal: expect.objectContaining({ signal: 'spot-warning', instanceId: 'i-a1', eventId: 'evt-i-a1' }),
      }),
    ]);
  });

  it.each<[string, boolean, Partial<ManagedInstance>, boolean]>([
    ['stopped in service', true, {}, false],
    ["stopped in an operator's Standby (no mark)", false, { inStandby: true }, false],
    ['stopped in Standby by spotwise, its reservation held (a request’s stop)', false, { inStandby: true, standbyMark: 'before stopping it: request q' }, true],
    ['stopped in Standby by spotwise, its reservation gone', true, { inStandby: true, standbyMark: 'before stopping it: request q' }, false],
  ])('a stopped On-Demand sibling %s: started for the load: %s', (_name, started, over, held) => {
    const reservations = held ? [reservation('request:q:i-s1', { instanceId: 'i-s1' })] : [];
    const f = buildFleet(
      [
        group('web', {
          policy: policy({ allowedInstanceTypes: ['m5.large', 'm5.xlarge', 'm5.2xlarge'] }),
          instances: [instance('i-a1'), instance('i-s1', { lifecycle: 'on-demand', state: 'stopped', ...over })],
          pool: roomyPool('web', { reservations }),
          desiredCapacity: 1,
          maxSize: 1,
        }),
      ],
      [forecast('i-a1', { vcpu: 1.5, memoryGiB: 6 }), forecast('i-s1', { vcpu: 1, memoryGiB: 4 })],
    );
    const plan = planNoticeResponse(warning('i-a1'), f, { now: T0 });
    expect(plan.actions.some((a) => a.kind === 'start-instance' && a.instanceId === 'i-s1')).toBe(started);
    expect(plan.actions.some((a) => a.kind === 'retype-stopped-instance' && a.instanceId === 'i-s1')).toBe(started);
  });

  const runningSiblingFleet = (opts: { allow: boolean; inFlight?: number; maxSize?: number; minSize?: number; loadBalanced?: boolean }): FleetView =>
    buildFleet(
      [
        group('web', {
          ...(opts.loadBalanced === true ? { loadBalanced: true } : {}),
          policy: policy({ allowStopModifyStart: opts.allow, disruptionBudget: { maxUnavailable: 1 } }),
          instances: [instance('i-a1'), instance('i-od', { lifecycle: 'on-demand', availabilityZone: 'us-east-1b' })],
          desiredCapacity: 2,
          minSize: opts.minSize ?? 0,
          maxSize: opts.maxSize ?? 2,
          disruptionsInFlight: opts.inFlight ?? 0,
          pool: roomyPool('web', { allocations: { 'i-od': { vcpu: 2, memoryGiB: 8 } } }),
        }),
      ],
      [forecast('i-a1', { vcpu: 1.5, memoryGiB: 6 }), forecast('i-od', { vcpu: 1, memoryGiB: 4 })],
    );

  it('resizes a running On-Demand sibling through stop → modify → start when policy and budget allow, with its own reservation', () => {
    const plan = planNoticeResponse(warning('i-a1'), runningSiblingFleet({ allow: true }), { now: T0 });
    // The stop only: the retype and the start follow from the `stopped` state change (planStateChange).
    expect(kinds(plan)).toEqual(['reserve', 'reserve', 'enter-standby', 'interrupt-instance', 'record-pool-signal']);
    const [, sibling] = only(plan, 'reserve');
    // Its own 1 vCPU / 4 GiB plus the victim's 1.5 vCPU / 6 GiB = 2.5 vCPU: no 2-vCPU type covers it → m5.xlarge,
    // recorded in the reservation's id for the continuation.
    expect(sibling?.reservation).toMatchObject({ id: 'sibling:evt-i-a1:i-od:retype-to:m5.xlarge', instanceId: 'i-od', amount: res({ vcpu: 1, memoryGiB: 4 }) });
    expect(only(plan, 'enter-standby')[0]).toMatchObject({ groupId: 'web', instanceId: 'i-od' });
    expect(only(plan, 'interrupt-instance')[0]).toMatchObject({ instanceId: 'i-od', mode: 'stop' });
  });

  it('does not stop a running sibling when Standby would take the group below its min size (Auto Scaling would refuse)', () => {
    const plan = planNoticeResponse(warning('i-a1'), runningSiblingFleet({ allow: true, minSize: 2 }), { now: T0 });
    expect(kinds(plan)).not.toContain('interrupt-instance');
    expect(kinds(plan)).not.toContain('enter-standby');
    expect(only(plan, 'noop')[0]?.reason).toContain(
      'stop → modify → start refused: moving a member of web to Standby would take its desired capacity to 1, below its min size 2',
    );
  });

  it('does not stop a running sibling a load balancer serves (it would still be draining when stopped)', () => {
    const plan = planNoticeResponse(warning('i-a1'), runningSiblingFleet({ allow: true, loadBalanced: true }), { now: T0 });
    expect(kinds(plan)).not.toContain('interrupt-instance');
    expect(kinds(plan)).not.toContain('enter-standby');
    expect(only(plan, 'noop')[0]?.reason).toContain('stop → modify → start refused: web is served by a load balancer');
  });

  it.each([
    ['the policy does not allow it', { allow: false }, undefined],
    ['the disruption budget is exhausted', { allow: true, inFlight: 1 }, 'stop → modify → start refused: group web: 1 in flight'],
  ])('does not stop a running sibling when %s; the group scales out instead (or says why it cannot)', (_why, opts, note) => {
    const plan = planNoticeResponse(warning('i-a1'), runningSiblingFleet(opts), { now: T0 });
    expect(kinds(plan)).not.toContain('interrupt-instance');
    // maxSize 2 = desired: no room to grow either, so the plan says what it could not place.
    const [noop] = only(plan, 'noop');
    expect(noop?.reason).toContain('cannot place');
    if (note !== undefined) expect(noop?.reason).toContain(note);
    const roomier = planNoticeResponse(warning('i-a1'), runningSiblingFleet({ ...opts, maxSize: 4 }), { now: T0 });
    expect(raisedTo(roomier)).toEqual([expect.objectContaining({ groupId: 'web', raisedTo: 3 })]);
  });

  it('refuses the reservation with its shortfall when the pool is full, but still makes the safety moves', () => {
    const full = pool(
      'web',
      { vcpu: 8, memoryGiB: 32, networkMbps: 1000, diskIops: 10_000 },
      { allocations: { 'i-a1': { vcpu: 2, memoryGiB: 8 }, 'i-a2': { vcpu: 5.5, memoryGiB: 8 } } },
    );
    const plan = planNoticeResponse(warning('i-a1'), standardFleet({ primary: { pool: full } }), { now: T0 });
    expect(kinds(plan)).toEqual(['change-desired-capacity', 'record-pool-signal']);
    expect(plan.events).toEqual([expect.objectContaining({ kind: 'reservation-refused', instanceId: 'i-a1', shortfall: res({ vcpu: 1 }) })]);
  });

  it('fails closed on an unknown forecast: no reservation, no disruptive move, a fail-closed event, like-for-like safety moves', () => {
    const f = buildFleet(
      [
        group('web', {
          policy: policy({ allowStopModifyStart: true }),
          instances: [instance('i-a1'), instance('i-od', { lifecycle: 'on-demand', availabilityZone: 'us-east-1b' })],
          desiredCapacity: 2,
          maxSize: 4,
          pool: roomyPool('web', { allocations: { 'i-od': { vcpu: 2, memoryGiB: 8 } } }),
        }),
      ],
      [unknownForecast('i-a1', 'only 3 samples'), forecast('i-od', { vcpu: 1, memoryGiB: 4 })],
    );
    const plan = planNoticeResponse(warning('i-a1'), f, { now: T0 });
    expect(kinds(plan)).toEqual(['change-desired-capacity', 'record-pool-signal']);
    // Sized by the victim's own type (m5.large): one more instance.
    expect(raisedTo(plan)[0]).toMatchObject({ groupId: 'web', raisedTo: 3 });
    expect(plan.events).toEqual([expect.objectContaining({ kind: 'fail-closed', instanceId: 'i-a1', reason: expect.stringContaining('only 3 samples') })]);
  });

  it('sweeps expired reservations (release actions) before reserving, so dead reservations do not cause a refusal', () => {
    const expired = reservation('old', { amount: res({ vcpu: 6 }), createdAt: T0 - 60 * MINUTE, expiresAt: T0 - MINUTE });
    const tight = pool(
      'web',
      { vcpu: 8, memoryGiB: 32, networkMbps: 1000, diskIops: 10_000 },
      { allocations: { 'i-a2': { vcpu: 1 } }, reservations: [expired] },
    );
    const plan = planNoticeResponse(warning('i-a1'), standardFleet({ primary: { pool: tight } }), { now: T0 });
    expect(kinds(plan).slice(0, 2)).toEqual(['release', 'reserve']);
    expect(only(plan, 'release')[0]).toMatchObject({ reservationId: 'old' });
  });

  it('reuses a still-valid rebalance reservation for the same instance instead of stacking a second one', () => {
    const held = reservation('rebalance:rb-i-a1:i-a1', { instanceId: 'i-a1', createdAt: T0 - MINUTE, expiresAt: T0 + 2 * 60 * MINUTE });
    const plan = planNoticeResponse(warning('i-a1'), standardFleet({ primary: { pool: roomyPool('web', { reservations: [held] }) } }), { now: T0 });
    expect(kinds(plan)).toEqual(['change-desired-capacity', 'record-pool-signal']);
  });

  it('supersedes a reservation for the same instance that would expire too early (reserve, then release)', () => {
    const short = reservation('rebalance:rb-i-a1:i-a1', { instanceId: 'i-a1', createdAt: T0 - 40 * MINUTE, expiresAt: T0 + MINUTE });
    const plan = planNoticeResponse(warning('i-a1'), standardFleet({ primary: { pool: roomyPool('web', { reservations: [short] }) } }), { now: T0 });
    expect(kinds(plan)).toEqual(['reserve', 'release', 'change-desired-capacity', 'record-pool-signal']);
    expect(only(plan, 'release')[0]).toMatchObject({ reservationId: 'rebalance:rb-i-a1:i-a1', reason: 'superseded by warning:evt-i-a1:i-a1' });
  });

  it.each([
    ['an instance spotwise does not manage', warning('i-unknown')],
    ['a warm-pool instance', warning('i-w1')],
    ['an instance already terminated', warning('i-a1')],
  ])('ignores a warning for %s with a reason', (what, notice) => {
    const f = what.includes('terminated') ? standardFleet({ primary: { instances: [instance('i-a1', { state: 'terminated' })] } }) : standardFleet();
    const plan = planNoticeResponse(notice, f, { now: T0 });
    expect(kinds(plan)).toEqual(['noop']);
    expect(plan.events).toEqual([expect.objectContaining({ kind: 'notice-ignored' })]);
  });

  it('ignores a stale warning whose post-restart window has already closed', () => {
    const plan = planNoticeResponse(warning('i-a1'), standardFleet(), { now: T0 + 3 * 60 * MINUTE });
    expect(kinds(plan)).toEqual(['noop', 'record-pool-signal']);
    expect(plan.events[0]).toMatchObject({ kind: 'notice-ignored', reason: expect.stringContaining('stale') });
  });
});

describe('planNoticeResponse: rebalance recommendation', () => {
  it('reserves for longer than a warning would and stages without bringing anything into service', () => {
    const plan = planNoticeResponse(rebalance('i-a1'), standardFleet(), { now: T0 });
    expect(kinds(plan)).toEqual(['reserve', 'stage-warm-instance', 'record-pool-signal']);
    const expiresAt = T0 + REBALANCE_HOLD_MS + 120_000 + RESTART_GRACE_MS + WINDOW;
    expect(only(plan, 'reserve')[0]?.reservation).toMatchObject({ id: 'rebalance:rb-i-a1:i-a1', expiresAt });
    // A stopped warm m5.large already covers 1.5 vCPU / 6 GiB: it is claimed for i-a1 as long as the reservation holds.
    expect(only(plan, 'stage-warm-instance')[0]).toMatchObject({
      groupId: 'web-standby',
      victimId: 'i-a1',
      candidates: [
        { instanceId: 'i-w1', fromType: 'm5.large', covers: true },
        { instanceId: 'i-w2', fromType: 'm5.large', covers: true },
      ],
      until: expiresAt,
    });
    expect(plan.events).toContainEqual(expect.objectContaining({ kind: 'capacity-staged', detail: expect.stringContaining('already covers') }));
  });

  it('retypes a stopped warm instance when none covers the demand', () => {
    const f = withInstanceType(standardFleet({ forecasts: [forecast('i-a1', { vcpu: 3, memoryGiB: 12 })] }), 'i-a1', 'm5.xlarge');
    const plan = planNoticeResponse(rebalance('i-a1'), f, { now: T0 });
    expect(kinds(plan)).toEqual(['reserve', 'stage-warm-instance', 'record-pool-signal']);
    expect(only(plan, 'stage-warm-instance')[0]).toMatchObject({
      groupId: 'web-standby',
      candidates: [
        { instanceId: 'i-w1', fromType: 'm5.large', covers: false },
        { instanceId: 'i-w2', fromType: 'm5.large', covers: false },
      ],
      toType: 'm5.xlarge',
    });
  });

  it.each([
    {
      name: 'its p50 within its type: staged for at its own type (the stopped m5.large hold it), no retype',
      p50: { vcpu: 1.5, memoryGiB: 6 },
      candidates: [
        { instanceId: 'i-w1', fromType: 'm5.large', covers: true },
        { instanceId: 'i-w2', fromType: 'm5.large', covers: true },
      ],
      toType: 'm5.large',
      staged: '2 vCPU',
    },
    {
      name: 'its p50 beyond its type too: staged for its p50, an m5.xlarge',
      p50: { vcpu: 2.4, memoryGiB: 9.6 },
      candidates: [
        { instanceId: 'i-w1', fromType: 'm5.large', covers: false },
        { instanceId: 'i-w2', fromType: 'm5.large', covers: false },
      ],
      toType: 'm5.xlarge',
      staged: '2.4 vCPU',
    },
  ])("a p90 above the victim's own type (an m5.large forecast at 3 vCPU / 12 GiB), $name", ({ p50, candidates, toType, staged }) => {
    const f = standardFleet({ forecasts: [forecast('i-a1', { vcpu: 3, memoryGiB: 12 }, p50)] });
    const plan = planNoticeResponse(rebalance('i-a1'), f, { now: T0 });
    expect(kinds(plan)).toEqual(['reserve', 'stage-warm-instance', 'record-pool-signal']);
    // The reservation holds the whole p90 whatever the stand-in.
    expect(only(plan, 'reserve')[0]?.reservation.amount).toMatchObject({ vcpu: 3, memoryGiB: 12 });
    expect(only(plan, 'stage-warm-instance')[0]).toMatchObject({ candidates, toType, reason: expect.stringContaining(staged) });
    // The plan says what of the p90 the stand-in leaves to other capacity.
    expect(only(plan, 'stage-warm-instance')[0]?.reason).toContain('(up to its own m5.large, beyond it its p50: the rest of the surge goes to other capacity)');
  });

  it('stages as far as one instance can hold a demand larger than every allowed type (the most vCPU, the memory asked)', () => {
    // i-a1 of a type the catalog does not list: its p90 is staged for as asked (no own type to hold it to).
    const f = withInstanceType(
      standardFleet({
        standby: { policy: policy({ allowedInstanceTypes: ['m5.large', 'm5.xlarge', 'm5.2xlarge'] }) },
        forecasts: [forecast('i-a1', { vcpu: 12, memoryGiB: 6 })],
      }),
      'i-a1',
      'm5.4xlarge',
    );
    const plan = planNoticeResponse(rebalance('i-a1'), f, { now: T0 });
    expect(only(plan, 'stage-warm-instance')).toEqual([
      expect.objectContaining({
        groupId: 'web-standby',
        candidates: [
          { instanceId: 'i-w1', fromType: 'm5.large', covers: false },
          { instanceId: 'i-w2', fromType: 'm5.large', covers: false },
        ],
        toType: 'm5.2xlarge',
      }),
    ]);
    // A warm instance that already has the most vCPU any allowed type has covers it as far as one can: nothing to retype.
    const ready = withInstanceType(
      standardFleet({
        standby: {
          policy: policy({ allowedInstanceTypes: ['m5.large', 'm5.xlarge', 'm5.2xlarge'] }),
          instances: [instance('i-w1', { groupId: 'web-standby', lifecycle: 'on-demand', state: 'stopped', warm: true, instanceType: 'm5.2xlarge' })],
        },
        forecasts: [forecast('i-a1', { vcpu: 12, memoryGiB: 6 })],
      }),
      'i-a1',
      'm5.4xlarge',
    );
    const kept = planNoticeResponse(rebalance('i-a1'), ready, { now: T0 });
    expect(only(kept, 'stage-warm-instance')[0]?.candidates).toEqual([{ instanceId: 'i-w1', fromType: 'm5.2xlarge', covers: true }]);
    expect(kept.events).toContainEqual(
      expect.objectContaining({ kind: 'capacity-staged', detail: expect.stringContaining('claim warm m5.2xlarge i-w1, which already covers') }),
    );
  });

  describe('claims on warm instances (one per victim)', () => {
    const claim = (id: string, victim: string, until = T0 + 60 * MINUTE): WarmClaim => ({
      groupId: groupId('web-standby'),
      instanceId: instanceId(id),
      victimId: instanceId(victim),
      until,
    });
    /** The live rebalance reservations of the other victims: what makes their claims stand. */
    const held = (...victims: string[]) =>
      pool(
        'web',
        { vcpu: 64, memoryGiB: 256, networkMbps: 100_000, diskIops: 1_000_000 },
        {
          reservations: victims.map((v) =>
            reservation(`rebalance:evt-${v}:${v}`, {
              purpose: 'rebalance',
              instanceId: v,
              amount: res({ vcpu: 1, memoryGiB: 2 }),
              createdAt: T0 - MINUTE,
              expiresAt: T0 + 30 * MINUTE,
            }),
          ),
        },
      );
    const stage = (claims: readonly WarmClaim[], victims: readonly string[] = ['i-a2', 'i-b1']) =>
      only(
        planNoticeResponse(rebalance('i-a1'), standardFleet({ primary: { pool: held(...victims) }, standby: { warmClaims: claims } }), { now: T0 }),
        'stage-warm-instance',
      )[0];
    it.each([
      { name: 'no claim: every warm instance that covers, by id', claims: [], want: ['i-w1', 'i-w2'] },
      { name: "another victim's live claim takes its instance out", claims: [claim('i-w1', 'i-a2')], want: ['i-w2'] },
      { name: 'an expired claim counts for nothing', claims: [claim('i-w1', 'i-a2', T0)], want: ['i-w1', 'i-w2'] },
      { name: "this victim's own claim comes first (a redelivery claims it again)", claims: [claim('i-w2', 'i-a1')], want: ['i-w2', 'i-w1'] },
    ])('$name', ({ claims, want }) => {
      expect(stage(claims)?.candidates.map((c) => c.instanceId)).toEqual(want);
    });

    it("claims over a claim whose victim's load has a host already (its rebalance reservation handed over or gone)", () => {
      expect(stage([claim('i-w1', 'i-a2')], [])?.candidates).toEqual([
        { instanceId: 'i-w1', fromType: 'm5.large', covers: true, supersedes: 'i-a2' },
        { instanceId: 'i-w2', fromType: 'm5.large', covers: true },
      ]);
    });

    it('puts the instances that cover the load before the ones to retype', () => {
      const f = withInstanceType(
        standardFleet({
          standby: {
            instances: [
              instance('i-w1', { groupId: 'web-standby', lifecycle: 'on-demand', state: 'stopped', warm: true }),
              instance('i-w2', { groupId: 'web-standby', lifecycle: 'on-demand', state: 'stopped', warm: true, instanceType: 'm5.xlarge' }),
            ],
          },
          forecasts: [forecast('i-a1', { vcpu: 3, memoryGiB: 12 })],
        }),
        'i-a1',
        'm5.xlarge',
      );
      expect(only(planNoticeResponse(rebalance('i-a1'), f, { now: T0 }), 'stage-warm-instance')[0]).toMatchObject({
        candidates: [
          { instanceId: 'i-w2', fromType: 'm5.xlarge', covers: true },
          { instanceId: 'i-w1', fromType: 'm5.large', covers: false },
        ],
        toType: 'm5.xlarge',
      });
    });

    it('asks for one more warm instance when every warm instance is claimed for other victims', () => {
      const plan = planNoticeResponse(
        rebalance('i-a1'),
        standardFleet({ primary: { pool: held('i-a2', 'i-b1') }, standby: { warmClaims: [claim('i-w1', 'i-a2'), claim('i-w2', 'i-b1')] } }),
        { now: T0 },
      );
      expect(kinds(plan)).toEqual(['reserve', 'raise-warm-pool', 'record-pool-signal']);
      expect(only(plan, 'raise-warm-pool')[0]).toMatchObject({ groupId: 'web-standby', by: 1, room: 4 });
    });

    it('lets the executor raise when the candidates are all claimed by then, unless the pool is already growing', () => {
      // minSize 2, two warm: one more would be asked for.
      expect(stage([])).toMatchObject({ raise: true, room: 4 });
      const growing = planNoticeResponse(
        rebalance('i-a1'),
        standardFleet({ standby: { warmPool: { minSize: 3, maxGroupPreparedCapacity: -1, poolState: 'Stopped', reuseOnScaleIn: true } } }),
        { now: T0 },
      );
      expect(only(growing, 'stage-warm-instance')[0]).toMatchObject({ raise: false });
    });
  });

  it('asks Auto Scaling for one more warm instance when none is stopped (unless its minSize already asks for it)', () => {
    const running = [instance('i-w1', { groupId: 'web-standby', lifecycle: 'on-demand', state: 'pending', warm: true })];
    const plan = planNoticeResponse(
      rebalance('i-a1'),
      standardFleet({ standby: { instances: running, warmPool: { minSize: 1, maxGroupPreparedCapacity: -1, poolState: 'Stopped', reuseOnScaleIn: true } } }),
      { now: T0 },
    );
    // A raise, not an absolute min size: applied under the group's warm-pool lease, relative to the pool then (concurrent
    // recommendations each add theirs). Room: max 4 − desired 0 of the standby group.
    expect(only(plan, 'put-warm-pool')).toEqual([]);
    expect(only(plan, 'raise-warm-pool')).toEqual([
      { kind: 'raise-warm-pool', groupId: 'web-standby', by: 1, room: 4, reason: expect.stringContaining('rebalance recommendation for i-a1') },
    ]);
    // minSize 2 with no warm instance yet: Auto Scaling is already preparing them, nothing to ask.
    expect(kinds(planNoticeResponse(rebalance('i-a1'), standardFleet({ standby: { instances: [] } }), { now: T0 }))).toEqual(['reserve', 'record-pool-signal']);
    const empty = planNoticeResponse(
      rebalance('i-a1'),
      standardFleet({ standby: { instances: [], warmPool: { minSize: 0, maxGroupPreparedCapacity: -1, poolState: 'Stopped', reuseOnScaleIn: true } } }),
      { now: T0 },
    );
    expect(only(empty, 'raise-warm-pool')[0]).toMatchObject({ by: 1 });
  });

  it('never terminates, stops or scales anything', () => {
    for (const f of [
      standardFleet(),
      standardFleet({ forecasts: [unknownForecast('i-a1')] }),
      standardFleet({ forecasts: [forecast('i-a1', { vcpu: 30, memoryGiB: 100 })] }),
    ]) {
      const plan = planNoticeResponse(rebalance('i-a1'), f, { now: T0 });
      expect(kinds(plan).filter((k) => ['interrupt-instance', 'change-desired-capacity', 'start-instance', 'schedule-interruption'].includes(k))).toEqual([]);
    }
  });

  it('fails closed on an unknown forecast but still stages a like-for-like warm instance', () => {
    const plan = planNoticeResponse(rebalance('i-a1'), standardFleet({ forecasts: [unknownForecast('i-a1')] }), { now: T0 });
    expect(kinds(plan)).not.toContain('reserve');
    expect(plan.events.map((e) => e.kind)).toEqual(['fail-closed', 'capacity-staged']);
  });
});

describe('planNoticeResponse: lifecycle actions', () => {
  it.each([
    ['destination WarmPool (a return to the pool)', { origin: 'AutoScalingGroup', destination: 'WarmPool' }],
    ['origin WarmPool (a warm instance leaving it)', { origin: 'WarmPool', destination: 'EC2' }],
  ] as const)('terminate with %s: complete CONTINUE, no reservation', (_what, extra) => {
    const plan = planNoticeResponse(lifecycle('lifecycle-terminate', 'i-a1', 'web', extra), standardFleet(), { now: T0 });
    expect(plan.actions).toEqual([
      { kind: 'complete-lifecycle-action', groupId: 'web', instanceId: 'i-a1', hookName: 'spotwise-hook', token: 'tok-1', result: 'CONTINUE' },
    ]);
  });

  it('terminate otherwise: heartbeat first, treated as an interruption, complete last', () => {
    const plan = planNoticeResponse(lifecycle('lifecycle-terminate', 'i-a1', 'web', { origin: 'AutoScalingGroup', destination: 'EC2' }), standardFleet(), {
      now: T0,
    });
    expect(kinds(plan)).toEqual(['heartbeat', 'reserve', 'change-desired-capacity', 'complete-lifecycle-action']);
    expect(only(plan, 'reserve')[0]?.reservation).toMatchObject({ id: 'lifecycle:lc-i-a1:i-a1', expiresAt: T0 + RESTART_GRACE_MS + WINDOW });
  });

  it('terminate during a scale-in (more in service than desired): complete only, not an interruption', () => {
    const plan = planNoticeResponse(lifecycle('lifecycle-terminate', 'i-a1', 'web'), standardFleet({ primary: { desiredCapacity: 3 } }), { now: T0 });
    expect(kinds(plan)).toEqual(['complete-lifecycle-action']);
    expect(plan.events[0]).toMatchObject({ kind: 'notice-ignored', reason: expect.stringContaining('a scale-in, or its replacement is already launched') });
  });

  describe('terminate of a voluntary victim (it holds the reservation of an admitted interruption request)', () => {
    const requested = reservation('request:req-1:i-a1', { instanceId: 'i-a1', createdAt: T0 - MINUTE, expiresAt: T0 + WINDOW });
    it.each([
      ['desired capacity as in service', {}],
      // An earlier victim still held in Terminating:Wait runs beside its pending replacement: one more in
      // service than desired must not be mistaken for a scale-in (which would complete the hook at once).
      ['one more in service than desired (an earlier victim still held)', { desiredCapacity: 3 }],
    ] as const)('%s: the hook is held (no completion, no heartbeat), no capacity moved', (_what, primary) => {
      const plan = planNoticeResponse(
        lifecycle('lifecycle-terminate', 'i-a1', 'web', { origin: 'AutoScalingGroup', destination: 'EC2' }),
        standardFleet({ primary: { ...primary, pool: roomyPool('web', { reservations: [requested] }) } }),
        { now: T0 },
      );
      expect(kinds(plan)).toEqual(['noop']);
      expect(plan.events).toEqual([
        expect.objectContaining({ kind: 'notice-ignored', instanceId: 'i-a1', reason: expect.stringContaining('request:req-1:i-a1') }),
      ]);
    });

    it.each([
      ['expired', { expiresAt: T0 }],
      ['held for another instance', { instanceId: 'i-a2' }],
    ] as const)('a request reservation %s does not hold the hook: an ordinary interruption', (_what, overrides) => {
      const other = reservation('request:req-1:i-a1', { instanceId: 'i-a1', createdAt: T0 - MINUTE, expiresAt: T0 + WINDOW, ...overrides });
      const plan = planNoticeResponse(
        lifecycle('lifecycle-terminate', 'i-a1', 'web'),
        standardFleet({ primary: { pool: roomyPool('web', { reservations: [other] }) } }),
        { now: T0 },
      );
      expect(kinds(plan).at(-1)).toBe('complete-lifecycle-action');
      expect(kinds(plan)).toContain('change-desired-capacity');
    });

    const guessed = (basis: 'default' | 'job-type'): Forecast => {
      const f = forecast('i-a1', { vcpu: 1, memoryGiB: 2 });
      if (f.kind !== 'known') throw new Error('fixture forecast is not known');
      return { ...f, dims: { ...f.dims, vcpu: { ...f.dims.vcpu, basis, confidence: 0.3 } } };
    };
    it("the reserved demand exceeds the victim's type: warm standby comes into service as well, and the hook is still held", () => {
      // Too big for a like-for-like replacement (m5.large: 2 vCPU / 8 GiB).
      const plan = planNoticeResponse(
        lifecycle('lifecycle-terminate', 'i-a1', 'web', { origin: 'AutoScalingGroup', destination: 'EC2' }),
        standardFleet({ primary: { pool: roomyPool('web', { reservations: [{ ...requested, amount: res({ vcpu: 3, memoryGiB: 4 }) }] }) } }),
        { now: T0 },
      );
      expect(kinds(plan)).not.toContain('complete-lifecycle-action');
      expect(kinds(plan).at(-1)).toBe('noop');
      expect(raisedTo(plan)).toEqual([
        expect.objectContaining({ groupId: 'web-standby', raisedTo: expect.any(Number), reason: expect.stringContaining('exceeds m5.large') }),
      ]);
      // Nothing is reserved a second time: the request's reservation already covers the restart.
      expect(kinds(plan)).not.toContain('reserve');
    });

    it.each([
      // Launch before terminate: the replacement is in service before Auto Scaling terminates the victim, and the
      // victim's drain moves the load there now; a standby instance brought now would stand idle its whole life.
      ['its replacement already in service (launch before terminate)', 'running', false],
      ['its replacement still pending', 'pending', true],
    ] as const)("the reserved demand exceeds the victim's type, %s: standby raised = %s", (_what, replacementState, raised) => {
      const replacement = instance('i-r1', { availabilityZone: 'us-east-1b', state: replacementState });
      const plan = planNoticeResponse(
        lifecycle('lifecycle-terminate', 'i-a1', 'web', { origin: 'AutoScalingGroup', destination: 'EC2' }),
        standardFleet({
          primary: {
            instances: [...standardFleet().groups[0]!.instances, replacement],
            pool: roomyPool('web', { reservations: [{ ...requested, amount: res({ vcpu: 3, memoryGiB: 4 }) }] }),
          },
        }),
        { now: T0 },
      );
      expect(raisedTo(plan).length > 0).toBe(raised);
      expect(kinds(plan)).not.toContain('complete-lifecycle-action');
      expect(kinds(plan).at(-1)).toBe('noop');
      if (!raised) {
        expect(kinds(plan)).toEqual(['noop']);
        expect(plan.events).toContainEqual(
          expect.objectContaining({ kind: 'capacity-staged', detail: expect.stringMatching(/replacement is already in service .* exceeds m5\.large/) }),
        );
      }
    });

    it.each([['default'], ['job-type']] as const)(
      "a %s-guessed forecast that fits the victim's type moves no standby capacity (the replacement carries it)",
      (basis) => {
        const plan = planNoticeResponse(
          lifecycle('lifecycle-terminate', 'i-a1', 'web', { origin: 'AutoScalingGroup', destination: 'EC2' }),
          standardFleet({ primary: { pool: roomyPool('web', { reservations: [requested] }) }, forecasts: [guessed(basis)] }),
          { now: T0 },
        );
        expect(kinds(plan)).toEqual(['noop']);
      },
    );

    it('a warm instance leaving the pool is still completed at once, whatever it holds', () => {
      const plan = planNoticeResponse(
        lifecycle('lifecycle-terminate', 'i-a1', 'web', { origin: 'WarmPool', destination: 'EC2' }),
        standardFleet({ primary: { pool: roomyPool('web', { reservations: [requested] }) } }),
        { now: T0 },
      );
      expect(kinds(plan)).toEqual(['complete-lifecycle-action']);
    });
  });

  it('terminate after a spot warning already prepared it: complete only', () => {
    const prepared = reservation('warning:evt-i-a1:i-a1', { instanceId: 'i-a1', createdAt: T0 - MINUTE, expiresAt: T0 + WINDOW });
    const plan = planNoticeResponse(
      lifecycle('lifecycle-terminate', 'i-a1', 'web'),
      standardFleet({ primary: { pool: roomyPool('web', { reservations: [prepared] }) } }),
      { now: T0 },
    );
    expect(kinds(plan)).toEqual(['complete-lifecycle-action']);
  });

  it('terminate of an instance missing from the snapshot still completes the hook (it must not wait out the timeout)', () => {
    const plan = planNoticeResponse(lifecycle('lifecycle-terminate', 'i-new', 'web'), standardFleet(), { now: T0 });
    expect(kinds(plan)).toEqual(['complete-lifecycle-action']);
  });

  it('launch: hands over the reservation waiting for a replacement, then completes', () => {
    const waiting = reservation('warning:evt-i-gone:i-gone', { instanceId: 'i-gone', amount: res({ vcpu: 1.5, memoryGiB: 6 }) });
    const f = standardFleet({ primary: { pool: roomyPool('web', { reservations: [waiting] }) } });
    const plan = planNoticeResponse(lifecycle('lifecycle-launch', 'i-new', 'web'), f, { now: T0 });
    expect(plan.actions).toEqual([
      { kind: 'hand-over', groupId: 'web', reservationId: 'warning:evt-i-gone:i-gone', instanceId: 'i-new', reason: expect.stringContaining('i-gone') },
      expect.objectContaining({ kind: 'complete-lifecycle-action', result: 'CONTINUE' }),
    ]);
  });

  it('launch in the standby group takes over a reservation from the primary it stands by for', () => {
    const waiting = reservation('warning:evt-i-gone:i-gone', { instanceId: 'i-gone' });
    const f = standardFleet({ primary: { pool: roomyPool('web', { reservations: [waiting] }) } });
    const plan = planNoticeResponse(lifecycle('lifecycle-launch', 'i-w1', 'web-standby', { origin: 'WarmPool', destination: 'AutoScalingGroup' }), f, {
      now: T0,
    });
    expect(only(plan, 'hand-over')[0]).toMatchObject({ groupId: 'web', instanceId: 'i-w1' });
  });

  it('launch: prefers the highest-priority, then oldest reservation, and never one whose instance still runs or is expired', () => {
    const f = standardFleet({
      primary: {
        pool: roomyPool('web', {
          reservations: [
            reservation('a-low', { instanceId: 'i-gone1', priority: 10, createdAt: T0 - 20 * MINUTE }),
            reservation('b-high-new', { instanceId: 'i-gone2', priority: 80, createdAt: T0 - 5 * MINUTE }),
            reservation('c-high-old', { instanceId: 'i-gone3', priority: 80, createdAt: T0 - 9 * MINUTE }),
            reservation('d-running', { instanceId: 'i-a2', priority: 99, createdAt: T0 - 30 * MINUTE }),
            reservation('e-expired', { instanceId: 'i-gone4', priority: 99, createdAt: T0 - 60 * MINUTE, expiresAt: T0 }),
          ],
        }),
      },
    });
    const plan = planNoticeResponse(lifecycle('lifecycle-launch', 'i-new', 'web'), f, { now: T0 });
    expect(only(plan, 'hand-over')[0]?.reservationId).toBe('c-high-old');
  });

  it('launch into the warm pool is staged capacity, not a restart: complete only', () => {
    const waiting = reservation('warning:evt-i-gone:i-gone', { instanceId: 'i-gone' });
    const f = standardFleet({ primary: { pool: roomyPool('web', { reservations: [waiting] }) } });
    const plan = planNoticeResponse(lifecycle('lifecycle-launch', 'i-w9', 'web-standby', { origin: 'EC2', destination: 'WarmPool' }), f, { now: T0 });
    expect(kinds(plan)).toEqual(['complete-lifecycle-action']);
  });

  it('a lifecycle action in a group spotwise does not manage is ignored', () => {
    const plan = planNoticeResponse(lifecycle('lifecycle-launch', 'i-x', 'other-group'), standardFleet(), { now: T0 });
    expect(kinds(plan)).toEqual(['noop']);
  });
});

describe('planNoticeResponse: state change', () => {
  it("pending → running opens the post-restart window and hands over the instance's own reservation", () => {
    const own = reservation('warning:evt-i-a1:i-a1', { instanceId: 'i-a1', createdAt: T0 - 5 * MINUTE });
    const f = standardFleet({ primary: { pool: roomyPool('web', { reservations: [own] }) } });
    const plan = planNoticeResponse(stateChange('i-a1', 'running'), f, { now: T0 + 1000 });
    expect(plan.events).toEqual([{ kind: 'restart-window-opened', at: T0 + 1000, groupId: 'web', instanceId: 'i-a1', closesAt: T0 + WINDOW }]);
    expect(plan.actions).toEqual([
      expect.objectContaining({ kind: 'hand-over', reservationId: 'warning:evt-i-a1:i-a1', instanceId: 'i-a1' }),
      // Last: the window is recorded in its profile, with the p90 held for it before the restart (made 5 minutes before).
      {
        kind: 'open-restart-window',
        groupId: 'web',
        instanceId: 'i-a1',
        restartedAt: T0,
        windowMinutes: 30,
        instance: { instanceType: 'm5.large', vcpus: 2, jobType: 'web' },
        forecastBefore: res({ vcpu: 1.5, memoryGiB: 6, networkMbps: 200, diskIops: 500 }),
      },
    ]);
  });

  it('a forecast made at or after the restart is not the one held before it: the window opens without one', () => {
    const f = standardFleet({ forecasts: [{ ...forecast('i-a1', { vcpu: 1 }), madeAt: T0 }] });
    const [window] = planNoticeResponse(stateChange('i-a1', 'running'), f, { now: T0 + 1000 }).actions;
    expect(window).toMatchObject({ kind: 'open-restart-window', instanceId: 'i-a1' });
    expect(window).not.toHaveProperty('forecastBefore');
  });

  it('does not hand over a reservation made after the restart boundary (it is for an interruption still to come)', () => {
    const future = reservation('request:r1:i-a1', { instanceId: 'i-a1', createdAt: T0 + MINUTE });
    const f = standardFleet({ primary: { pool: roomyPool('web', { reservations: [future] }) } });
    const plan = planNoticeResponse(stateChange('i-a1', 'running'), f, { now: T0 + 2 * MINUTE });
    expect(plan.actions.map((a) => a.kind)).toEqual(['open-restart-window']);
    expect(plan.events.map((e) => e.kind)).toEqual(['restart-window-opened']);
  });

  it.each([
    ['stopping', 'i-a1'],
    ['stopped', 'i-a1'],
    ['running', 'i-w1'],
    ['running', 'i-nobody'],
  ] as const)('%s of %s needs no action', (state, id) => {
    const plan = planNoticeResponse(stateChange(id, state), standardFleet(), { now: T0 });
    expect(kinds(plan)).toEqual(['noop']);
    expect(plan.events.map((e) => e.kind)).toEqual(['notice-ignored']);
  });
});

describe('planNoticeResponse: other notices', () => {
  it('a noop notice stays a noop with its reason', () => {
    const plan = planNoticeResponse({ kind: 'noop', reason: 'unknown detail-type X' }, standardFleet(), { now: T0 });
    expect(plan.actions).toEqual([{ kind: 'noop', reason: 'unknown detail-type X' }]);
  });

  it('a non-finite clock or notice time fails closed instead of planning', () => {
    expect(planNoticeResponse(warning('i-a1'), standardFleet(), { now: Number.NaN }).events[0]?.kind).toBe('fail-closed');
    expect(kinds(planNoticeResponse(warning('i-a1', 'terminate', { at: Number.NaN } as Partial<Notice>), standardFleet(), { now: T0 }))).toEqual(['noop']);
  });
});

describe('planNoticeResponse: adversarial snapshots never throw and fail closed', () => {
  const base = standardFleet();
  const primary = base.groups[0]!;
  const withPrimary = (patch: Partial<typeof primary>, forecasts = [...base.forecasts.values()]) =>
    buildFleet([{ ...primary, ...patch }, base.groups[1]!], forecasts);
  const cases: [string, FleetView][] = [
    ['an empty fleet', buildFleet([])],
    ['a pool with NaN capacity', withPrimary({ pool: { ...primary.pool, capacity: res({ vcpu: Number.NaN, memoryGiB: 64 }) } })],
    ['a pool labelled with another group', withPrimary({ pool: roomyPool('other') })],
    ['a NaN allocation', withPrimary({ pool: { ...primary.pool, allocations: new Map([[instanceId('i-a2'), res({ vcpu: Number.NaN })]]) } })],
    ['a NaN priority on the victim', withPrimary({ instances: [instance('i-a1', { priority: Number.NaN }), ...primary.instances.slice(1)] })],
    ['a priority above 100', withPrimary({ instances: [instance('i-a1', { priority: 250 }), ...primary.instances.slice(1)] })],
    ['an instance type the catalog does not know', withPrimary({ instances: [instance('i-a1', { instanceType: 'z9.mega' }), ...primary.instances.slice(1)] })],
    ['the victim listed twice', withPrimary({ instances: [...primary.instances, instance('i-a1')] })],
    ['NaN disruptions in flight, desired and max size', withPrimary({ disruptionsInFlight: Number.NaN, desiredCapacity: Number.NaN, maxSize: Number.NaN })],
    [
      'a forecast with NaN, negative and infinite values',
      withPrimary({}, [forecast('i-a1', { vcpu: Number.NaN, memoryGiB: -1, networkMbps: Number.POSITIVE_INFINITY })]),
    ],
    ['a forecast stored under the wrong instance', { ...base, forecasts: new Map([[instanceId('i-a1'), forecast('i-a2', { vcpu: 1 })]]) }],
  ];
  const notices: Notice[] = [
    warning('i-a1'),
    warning('i-a1', 'hibernate'),
    rebalance('i-a1'),
    lifecycle('lifecycle-terminate', 'i-a1', 'web'),
    lifecycle('lifecycle-launch', 'i-new', 'web'),
    stateChange('i-a1', 'running'),
  ];

  it.each(cases)('%s', (what, f) => {
    for (const notice of notices) {
      const plan = planNoticeResponse(notice, f, { now: T0 });
      expect(plan.actions.length + plan.events.length).toBeGreaterThan(0);
      // Whatever the data, nothing disruptive happens on a bad forecast or a broken pool.
      if (what.includes('forecast') || what.includes('pool')) {
        expect(kinds(plan)).not.toContain('interrupt-instance');
        expect(only(plan, 'reserve').filter((r) => r.reservation.instanceId === 'i-a1')).toEqual([]);
      }
    }
  });

  it('a broken pool gives a fail-closed event naming the problem', () => {
    const plan = planNoticeResponse(warning('i-a1'), cases[1]![1], { now: T0 });
    expect(plan.events).toContainEqual(expect.objectContaining({ kind: 'fail-closed', reason: expect.stringContaining('capacity vcpu = NaN') }));
  });
});

describe('planNoticeResponse: scale-out order', () => {
  it('scales the primary group out when the standby group is full', () => {
    const f = standardFleet({
      forecasts: [forecast('i-a1', { vcpu: 1.5, memoryGiB: 6 })],
      standby: { instances: [instance('i-s1', { groupId: 'web-standby', lifecycle: 'on-demand' })], desiredCapacity: 1, maxSize: 1 },
    });
    const plan = planNoticeResponse(warning('i-a1'), f, { now: T0 });
    expect(raisedTo(plan)).toEqual([expect.objectContaining({ groupId: 'web', raisedTo: 5 })]);
  });
});

describe('profile ticks: one writer per warm pool', () => {
  const tick = (group: string): Notice => ({ kind: 'profile-tick', eventId: `tick-${group}`, at: T0, groupId: groupId(group) });

  it("stages the standby warm pool only on the standby group's own tick; the primaries it backs leave it alone", () => {
    const f = standardFleet();
    const fromStandby = planNoticeResponse(tick('web-standby'), f, { now: T0 });
    expect(kinds(fromStandby)).toContain('put-warm-pool');
    const fromPrimary = planNoticeResponse(tick('web'), f, { now: T0 });
    expect(kinds(fromPrimary).filter((k) => k === 'put-warm-pool' || k === 'retype-stopped-instance')).toEqual([]);
    expect(fromPrimary.actions[0]).toEqual({ kind: 'noop', reason: "the warm pool of web-standby is staged by web-standby's own profile tick" });
  });
});
