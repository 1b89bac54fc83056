import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { groupId, instanceId, type Action, type FleetView, type Notice, type Plan, type UnstablePoolPolicy } from '../../../lambda/core/domain';
import { planNoticeResponse } from '../../../lambda/core/planner/plan-notice';
import { chooseHandOver, chooseReplacementHandOvers } from '../../../lambda/core/planner/choose-hand-over';
import { reservationsFor } from '../../../lambda/core/common/reservation-terms';
import {
  assessPoolStability,
  buildReclaimRecord,
  planPoolCalm,
  reclaimHistory,
  reclaimRecordId,
  reclaimRecordPool,
  reclaimRetentionMs,
} from '../../../lambda/core/planner/spot-pool-stability';
import { tryReserve } from '../../../lambda/core/pool/resource-pool';
import { forecast, group, instance, MINUTE, policy, roomyPool, standardFleet, T0, fleet as buildFleet } from '../fixtures/fleet-builders';

/** The change-desired-capacity actions with the capacity each raises its group to (from + by). */
const raisedTo = (plan: Plan) => plan.actions.flatMap((a) => (a.kind === 'change-desired-capacity' ? [{ ...a, raisedTo: a.from + a.by }] : []));
const POLICY: UnstablePoolPolicy = { enabled: true, reclaimThreshold: 3, windowMinutes: 60, coolDownMinutes: 120 };
const at = (minutes: number): number => T0 + minutes * MINUTE;
const kinds = (plan: Plan): string[] => plan.actions.map((a) => a.kind);
const only = <K extends Action['kind']>(plan: Plan, kind: K): Extract<Action, { kind: K }>[] =>
  plan.actions.filter((a): a is Extract<Action, { kind: K }> => a.kind === kind);

describe('assessPoolStability', () => {
  it.each<[string, readonly number[], UnstablePoolPolicy | undefined, number, ReturnType<typeof assessPoolStability>]>([
    ['no reclaims', [], POLICY, at(0), { kind: 'stable', reclaimsInWindow: 0 }],
    ['fewer than the threshold', [at(-10), at(-5)], POLICY, at(0), { kind: 'stable', reclaimsInWindow: 2 }],
    [
      'the threshold reached now: unstable for the cool-down',
      [at(-10), at(-5), at(0)],
      POLICY,
      at(0),
      { kind: 'unstable', reclaimsInWindow: 3, until: at(120) },
    ],
    ['three reclaims spread wider than the window never cross', [at(-130), at(-65), at(0)], POLICY, at(0), { kind: 'stable', reclaimsInWindow: 1 }],
    ['the window is inclusive at its end, exclusive at its start', [at(-60), at(-30), at(0)], POLICY, at(0), { kind: 'stable', reclaimsInWindow: 2 }],
    ['a crossing 100 minutes ago still cools down', [at(-102), at(-101), at(-100)], POLICY, at(0), { kind: 'unstable', reclaimsInWindow: 0, until: at(20) }],
    [
      'a later reclaim in the window extends the cool-down',
      [at(-102), at(-101), at(-100), at(-60)],
      POLICY,
      at(0),
      { kind: 'unstable', reclaimsInWindow: 0, until: at(60) },
    ],
    ['the cool-down is over: calmed', [at(-200), at(-199), at(-198)], POLICY, at(0), { kind: 'calmed', reclaimsInWindow: 0, until: at(-78) }],
    ['a pool-wide burst of three at once', [at(0), at(0), at(0)], POLICY, at(0), { kind: 'unstable', reclaimsInWindow: 3, until: at(120) }],
    ['reclaims after now are not counted', [at(-1), at(-2), at(5)], POLICY, at(0), { kind: 'stable', reclaimsInWindow: 2 }],
    ['NaN times are not counted', [at(-1), at(-2), Number.NaN], POLICY, at(0), { kind: 'stable', reclaimsInWindow: 2 }],
    ['disabled: never unstable', [at(0), at(0), at(0), at(0)], { ...POLICY, enabled: false }, at(0), { kind: 'stable', reclaimsInWindow: 4 }],
    ['no policy: never unstable', [at(0), at(0), at(0)], undefined, at(0), { kind: 'stable', reclaimsInWindow: 0 }],
    [
      'a threshold that is not a whole number ≥ 1: never unstable',
      [at(0), at(0), at(0)],
      { ...POLICY, reclaimThreshold: Number.NaN },
      at(0),
      { kind: 'stable', reclaimsInWindow: 3 },
    ],
    ['threshold 1: the first reclaim shifts', [at(0)], { ...POLICY, reclaimThreshold: 1 }, at(0), { kind: 'unstable', reclaimsInWindow: 1, until: at(120) }],
  ])('%s', (_name, times, p, now, expected) => {
    expect(assessPoolStability(times, p, now)).toEqual(expected);
  });

  const arbTimes = fc.array(fc.integer({ min: -600, max: 0 }).map(at), { maxLength: 12 });
  const arbPolicy = fc.record({
    enabled: fc.constant(true),
    reclaimThreshold: fc.integer({ min: 1, max: 5 }),
    windowMinutes: fc.integer({ min: 5, max: 240 }),
    coolDownMinutes: fc.integer({ min: 5, max: 600 }),
  });

  it('unstable means: until is after now and at most one cool-down after the newest reclaim', () => {
    fc.assert(
      fc.property(arbTimes, arbPolicy, (times, p) => {
        const v = assessPoolStability(times, p, at(0));
        if (v.kind !== 'unstable') return;
        expect(v.until).toBeGreaterThan(at(0));
        expect(v.until).toBeLessThanOrEqual(Math.max(...times) + p.coolDownMinutes * MINUTE);
      }),
    );
  });

  it('a pool with fewer reclaims in all than the threshold is never unstable or calmed', () => {
    fc.assert(
      fc.property(arbTimes, arbPolicy, (times, p) => {
        fc.pre(times.length < p.reclaimThreshold);
        expect(assessPoolStability(times, p, at(0)).kind).toBe('stable');
      }),
    );
  });

  it('one more reclaim never makes a pool calmer (monotone)', () => {
    const rank = { stable: 0, calmed: 1, unstable: 2 } as const;
    fc.assert(
      fc.property(arbTimes, fc.integer({ min: -600, max: 0 }).map(at), arbPolicy, (times, extra, p) => {
        const before = assessPoolStability(times, p, at(0));
        const after = assessPoolStability([...times, extra], p, at(0));
        if (before.kind === 'unstable') {
          expect(after.kind).toBe('unstable');
          expect(after.kind === 'unstable' && after.until).toBeGreaterThanOrEqual(before.until);
        } else {
          expect(rank[after.kind] >= rank[before.kind] || (before.kind === 'calmed' && after.kind === 'calmed')).toBe(true);
        }
      }),
    );
  });

  it('depends only on time differences and not on the order of the records', () => {
    fc.assert(
      fc.property(arbTimes, arbPolicy, fc.integer({ min: -1e9, max: 1e9 }), (times, p, shift) => {
        const v = assessPoolStability(times, p, at(0));
        const shifted = assessPoolStability(
          [...times].reverse().map((t) => t + shift),
          p,
          at(0) + shift,
        );
        expect(shifted.kind).toBe(v.kind);
        if (v.kind !== 'stable' && shifted.kind !== 'stable') expect(shifted.until - shift).toBe(v.until);
      }),
    );
  });
});

describe('reclaim records', () => {
  const victim = instance('i-a1', { availabilityZone: 'us-east-1a' });
  const record = buildReclaimRecord({ group: group('web'), instance: victim, policy: POLICY, source: 'evt-1', at: T0 });

  it('name their pool in the id, hold nothing, and live for window + cool-down', () => {
    expect(record).toMatchObject({
      id: 'reclaim:m5.large@us-east-1a:evt-1:i-a1',
      groupId: 'web',
      instanceId: 'i-a1',
      createdAt: T0,
      expiresAt: T0 + 180 * MINUTE,
      amount: { vcpu: 0, memoryGiB: 0, networkMbps: 0, diskIops: 0 },
    });
    expect(reclaimRecordPool(record.id)).toEqual({ instanceType: 'm5.large', availabilityZone: 'us-east-1a' });
    expect(reclaimRecordPool('warning:evt-1:i-a1')).toBeUndefined();
    expect(reclaimRetentionMs(POLICY)).toBe(180 * MINUTE);
  });

  it("fit a full pool (they hold no capacity) and are never handed over or counted as an instance's reservation", () => {
    const full = roomyPool('web', { allocations: { 'i-b1': { vcpu: 32, memoryGiB: 128 } } });
    const held = tryReserve(full, record, T0);
    expect(held.kind).toBe('reserved');
    if (held.kind !== 'reserved') return;
    const gone = group('web', { pool: held.pool, instances: [instance('i-b1')] });
    const f = buildFleet([gone]);
    expect(reservationsFor(held.pool, instanceId('i-a1'), T0)).toEqual([]);
    expect(chooseHandOver(f, gone, instanceId('i-new'), T0)).toBeUndefined();
    expect(chooseReplacementHandOvers(f, gone, [{ id: instanceId('i-new'), launchedAt: T0 }], T0)).toEqual([]);
  });

  it('are grouped by pool, oldest first', () => {
    const r = (id: string, type: string, az: string, minutes: number) =>
      buildReclaimRecord({
        group: group('web'),
        instance: instance(id, { instanceType: type, availabilityZone: az }),
        policy: POLICY,
        source: `e-${id}`,
        at: at(minutes),
      });
    const reservations = [r('i-1', 'm5.large', 'us-east-1a', -5), r('i-2', 'c5.large', 'us-east-1b', -3), r('i-3', 'm5.large', 'us-east-1a', -9)];
    const g = group('web', { pool: roomyPool('web', { reservations }) });
    expect(reclaimHistory(g).map((h) => [h.pool.instanceType, h.records.map((x) => x.instanceId)])).toEqual([
      ['c5.large', ['i-2']],
      ['m5.large', ['i-3', 'i-1']],
    ]);
  });
});

const warning = (id: string, minutes = 0): Notice => ({
  kind: 'spot-interruption-warning',
  eventId: `evt-${id}`,
  at: at(minutes),
  instanceId: instanceId(id),
  action: 'terminate',
  deadline: at(minutes) + 120_000,
});

/** The standard fleet with the unstable-pool policy on web, a sibling with room, and `earlier` reclaims of m5.large/us-east-1a on record. */
const fleetWithHistory = (earlier: readonly number[], opts: { standby?: boolean; threshold?: number } = {}): FleetView => {
  const unstablePool = { ...POLICY, reclaimThreshold: opts.threshold ?? 3 };
  const records = earlier.map((m, n) =>
    buildReclaimRecord({
      group: group('web'),
      instance: instance(`i-0${n}`, { availabilityZone: 'us-east-1a' }),
      policy: unstablePool,
      source: `old-${n}`,
      at: at(m),
    }),
  );
  const base = standardFleet({
    primary: {
      policy: policy({ unstablePool }),
      pool: roomyPool('web', { reservations: records, allocations: { 'i-b1': { vcpu: 0.2, memoryGiB: 0.5 } } }),
      ...(opts.standby === false ? { standbyGroupId: undefined } : {}),
    },
    // No warm instances, so the difference shows in where the load goes next.
    standby: { instances: [], warmPool: { minSize: 0, maxGroupPreparedCapacity: -1, poolState: 'Stopped', reuseOnScaleIn: true } },
    // Small enough for the Spot sibling i-b1 (c5.large, in another pool) to hold.
    forecasts: [
      forecast('i-a1', { vcpu: 0.5, memoryGiB: 1, networkMbps: 10, diskIops: 10 }),
      forecast('i-b1', { vcpu: 0.5, memoryGiB: 1, networkMbps: 10, diskIops: 10 }),
    ],
  });
  return opts.standby === false ? { ...base, groups: base.groups.filter((g) => g.id === 'web') } : base;
};

describe('planNoticeResponse: a Spot warning in an unstable pool', () => {
  it('a stable pool: the load may go to a Spot sibling with room, and the reclaim is recorded last', () => {
    const plan = planNoticeResponse(warning('i-a1'), fleetWithHistory([-20]), { now: T0 });
    expect(kinds(plan)).toEqual(['reserve', 'reserve', 'record-pool-signal']);
    expect(only(plan, 'reserve')[1]?.reservation).toMatchObject({ id: 'reclaim:m5.large@us-east-1a:evt-i-a1:i-a1', expiresAt: at(180) });
    expect(plan.events).toContainEqual(expect.objectContaining({ kind: 'capacity-staged', detail: expect.stringContaining('i-b1 has room') }));
    expect(plan.events.map((e) => e.kind)).not.toContain('spot-pool-unstable');
  });

  it('past the threshold: the load goes to the On-Demand standby (not the Spot sibling), reported with a domain event', () => {
    const plan = planNoticeResponse(warning('i-a1'), fleetWithHistory([-20, -10]), { now: T0 });
    expect(kinds(plan)).toEqual(['reserve', 'change-desired-capacity', 'noop', 'reserve', 'record-pool-signal']);
    expect(raisedTo(plan)).toEqual([expect.objectContaining({ groupId: 'web-standby', raisedTo: 1 })]);
    expect(plan.events.map((e) => e.kind)).not.toContain('capacity-staged');
    expect(plan.events).toContainEqual({
      kind: 'spot-pool-unstable',
      at: T0,
      groupId: groupId('web'),
      instanceType: 'm5.large',
      availabilityZone: 'us-east-1a',
      reclaims: 3,
      windowMinutes: 60,
      until: at(120),
      standbyGroupId: groupId('web-standby'),
    });
    expect(only(plan, 'noop')[0]?.reason).toContain(
      "Spot pool m5.large in us-east-1a of web is unstable (3 reclaims in 60 min): i-a1's load goes to On-Demand standby web-standby until",
    );
  });

  it('never scales the Spot group out for an unstable pool, even when the standby cannot hold it all', () => {
    const f = fleetWithHistory([-20, -10]);
    const full = { ...f, groups: f.groups.map((g) => (g.id === 'web-standby' ? { ...g, maxSize: 0 } : g)) };
    const plan = planNoticeResponse(warning('i-a1'), full, { now: T0 });
    expect(only(plan, 'change-desired-capacity')).toEqual([]);
    expect(
      only(plan, 'noop')
        .map((a) => a.reason)
        .join('\n'),
    ).toContain('cannot place');
  });

  it('a redelivered warning whose record is already on file counts once', () => {
    const f = fleetWithHistory([-20]);
    const first = planNoticeResponse(warning('i-a1'), f, { now: T0 });
    const record = only(first, 'reserve')[1]?.reservation;
    if (record === undefined) throw new Error('no record');
    const withRecord = {
      ...f,
      groups: f.groups.map((g) => (g.id === 'web' ? { ...g, pool: { ...g.pool, reservations: new Map([...g.pool.reservations, [record.id, record]]) } } : g)),
    };
    const again = planNoticeResponse(warning('i-a1'), withRecord, { now: T0 });
    expect(again.events.map((e) => e.kind)).not.toContain('spot-pool-unstable');
  });

  it('without a standby group: nothing to shift to, said in the plan and the event', () => {
    const plan = planNoticeResponse(warning('i-a1'), fleetWithHistory([-20, -10], { standby: false }), { now: T0 });
    expect(plan.events).toContainEqual(expect.objectContaining({ kind: 'spot-pool-unstable', groupId: 'web' }));
    expect(plan.events.find((e) => e.kind === 'spot-pool-unstable')).not.toHaveProperty('standbyGroupId');
    expect(
      only(plan, 'noop')
        .map((a) => a.reason)
        .join('\n'),
    ).toContain('web has no standby group: its Spot replacement is relied on');
  });

  it('another pool of the same group is not affected', () => {
    const plan = planNoticeResponse(warning('i-b1'), fleetWithHistory([-20, -10]), { now: T0 });
    expect(plan.events.map((e) => e.kind)).not.toContain('spot-pool-unstable');
    expect(only(plan, 'reserve').at(-1)?.reservation.id).toBe('reclaim:c5.large@us-east-1b:evt-i-b1:i-b1');
  });

  it('an On-Demand instance or a group without the policy keeps no history', () => {
    const od = standardFleet({
      primary: { policy: policy({ unstablePool: POLICY }), instances: [instance('i-a1', { lifecycle: 'on-demand' })] },
      forecasts: [forecast('i-a1', { vcpu: 1 })],
    });
    expect(only(planNoticeResponse(warning('i-a1'), od, { now: T0 }), 'reserve').map((a) => a.reservation.id)).toEqual(['warning:evt-i-a1:i-a1']);
    expect(only(planNoticeResponse(warning('i-a1'), standardFleet(), { now: T0 }), 'reserve').map((a) => a.reservation.id)).toEqual(['warning:evt-i-a1:i-a1']);
  });
});

describe('planPoolCalm (profile tick)', () => {
  it('releases the records of a pool whose cool-down has ended, once, with a spot-pool-calmed event', () => {
    const f = fleetWithHistory([-200, -199, -198]);
    const web = f.groups.find((g) => g.id === 'web');
    if (web === undefined) throw new Error('no web');
    const plan = planPoolCalm(web, T0);
    expect(kinds(plan)).toEqual(['release', 'release', 'release']);
    expect(plan.events).toEqual([
      { kind: 'spot-pool-calmed', at: T0, groupId: groupId('web'), instanceType: 'm5.large', availabilityZone: 'us-east-1a', unstableUntil: at(-78) },
    ]);
    const tick = planNoticeResponse({ kind: 'profile-tick', eventId: 'tick', at: T0, groupId: groupId('web') }, f, { now: T0 });
    expect(tick.events).toContainEqual(expect.objectContaining({ kind: 'spot-pool-calmed' }));
  });

  it.each([
    ['still unstable', [-30, -20, -10]],
    ['never crossed', [-30, -20]],
  ])('leaves a pool that is %s alone', (_name, minutes) => {
    const web = fleetWithHistory(minutes).groups.find((g) => g.id === 'web');
    if (web === undefined) throw new Error('no web');
    expect(planPoolCalm(web, T0)).toEqual({ actions: [], events: [] });
  });

  it('the record id is the one the warning writes', () => {
    expect(reclaimRecordId({ instanceType: 'm5.large', availabilityZone: 'us-east-1a' }, 'evt-i-a1', 'i-a1')).toBe('reclaim:m5.large@us-east-1a:evt-i-a1:i-a1');
  });
});
