import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { instanceId, requestId, type FleetView, type GroupView, type InterruptionRequest, type Notice } from '../../../lambda/core/domain';
import { checkDisruptionBudget } from '../../../lambda/core/budget/disruption-budget';
import { findGroup, locateInstance } from '../../../lambda/core/common/locate-instance';
import { planNoticeResponse } from '../../../lambda/core/planner/plan-notice';
import { buildReclaimRecord } from '../../../lambda/core/planner/spot-pool-stability';
import { tryReserve } from '../../../lambda/core/pool/resource-pool';
import { arbFleet } from '../fixtures/fleet-arbitraries';
import { MINUTE, T0 } from '../fixtures/fleet-builders';
import { cloneFleet, replayLedgerActions } from '../fixtures/replay-plan';

const RUNS = { numRuns: Number(process.env.SPOTWISE_PROPERTY_RUNS ?? 300) };

const pickId = (ids: readonly string[]): fc.Arbitrary<string> =>
  ids.length === 0 ? fc.constant('i-nobody') : fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...ids) }, { weight: 1, arbitrary: fc.constant('i-nobody') });

/** The new notices aimed at the fleet: Capacity Reservation warnings and Health scheduled maintenance. */
const arbNewNotice = (ids: readonly string[]): fc.Arbitrary<Notice> =>
  fc.record({ at: fc.integer({ min: T0 - 10 * MINUTE, max: T0 }), lead: fc.integer({ min: -60_000, max: 180_000 }) }).chain(({ at, lead }) =>
    fc.oneof(
      pickId(ids).map((id): Notice => ({
        kind: 'capacity-reservation-interruption-warning',
        eventId: 'cr',
        at,
        instanceId: instanceId(id),
        deadline: at + lead,
      })),
      fc
        .record({ chosen: fc.uniqueArray(pickId(ids), { maxLength: 4 }), startIn: fc.integer({ min: -60, max: 20_160 }) })
        .map(({ chosen, startIn }): Notice => ({
          kind: 'scheduled-maintenance',
          eventId: 'health',
          at,
          eventTypeCode: 'AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED',
          startTime: at + startIn * MINUTE,
          requests: chosen.map((id): InterruptionRequest => ({
            requestId: requestId(`maint-x-${id}`),
            selector: { kind: 'instance', instanceId: instanceId(id) },
            reason: 'health',
            notBefore: at,
            deadline: at + startIn * MINUTE,
            mode: 'terminate',
            requestedAt: at,
          })),
        })),
    ),
  );

/** Web's policy with the unstable-pool policy on, and `times` reclaims of each Spot pool of web on record. */
const withHistory = (fleet: FleetView, threshold: number, times: readonly number[]): FleetView => ({
  ...fleet,
  groups: fleet.groups.map((g): GroupView => {
    if (g.id !== 'web') return g;
    const policy = { ...g.policy, unstablePool: { enabled: true, reclaimThreshold: threshold, windowMinutes: 60, coolDownMinutes: 120 } };
    let pool = g.pool;
    for (const victim of g.instances.filter((i) => i.lifecycle === 'spot')) {
      for (const [n, t] of times.entries()) {
        const record = buildReclaimRecord({ group: g, instance: victim, policy: policy.unstablePool, source: `old-${n}`, at: t });
        const held = tryReserve(pool, record, t);
        if (held.kind === 'reserved') pool = held.pool;
      }
    }
    return { ...g, policy, pool };
  }),
});

const newSignals = arbFleet.chain((f) => fc.record({ f: fc.constant(f), notice: arbNewNotice(f.ids), now: fc.integer({ min: T0, max: T0 + 5 * MINUTE }) }));
const unstableWarnings = arbFleet.chain((f) =>
  fc.record({
    fleet: fc
      .record({
        threshold: fc.integer({ min: 1, max: 4 }),
        times: fc.array(
          fc.integer({ min: -300, max: 0 }).map((m) => T0 + m * MINUTE),
          { maxLength: 4 },
        ),
      })
      .map(({ threshold, times }) => withHistory(f.fleet, threshold, times)),
    id: pickId(f.ids),
    now: fc.integer({ min: T0, max: T0 + 2 * MINUTE }),
  }),
);

describe('the new signals, over arbitrary fleets', () => {
  it('plans are deterministic and pure, and never ask for a reservation that does not fit (replayed through the pool)', () => {
    fc.assert(
      fc.property(newSignals, ({ f, notice, now }) => {
        const before = cloneFleet(f.fleet);
        const plan = planNoticeResponse(notice, f.fleet, { now });
        expect(planNoticeResponse(structuredClone(notice), cloneFleet(f.fleet), { now })).toEqual(plan);
        expect(f.fleet).toEqual(before);
        expect(replayLedgerActions(plan, f.fleet, now).problems).toEqual([]);
      }),
      RUNS,
    );
  });

  it("scheduled maintenance only schedules managed running instances with a reservation first, within each group's budget", () => {
    fc.assert(
      fc.property(newSignals, ({ f, notice, now }) => {
        if (notice.kind !== 'scheduled-maintenance') return;
        const plan = planNoticeResponse(notice, f.fleet, { now });
        const scheduled = plan.actions.filter((a) => a.kind === 'schedule-interruption');
        for (const s of scheduled) {
          expect(locateInstance(f.fleet, s.instanceId)?.instance.state).toBe('running');
          expect(s.mode).toBe('terminate');
          expect(plan.actions.findIndex((a) => a.kind === 'reserve' && a.reservation.id === s.reservationId)).toBeLessThan(plan.actions.indexOf(s));
        }
        for (const g of f.fleet.groups) {
          const inGroup = scheduled.filter((s) => s.groupId === g.id).length;
          if (inGroup > 0) expect(checkDisruptionBudget(g, inGroup).kind).not.toBe('exhausted');
        }
        // A stop or terminate right now is never part of admission: the executor does that when due.
        expect(plan.actions.some((a) => a.kind === 'interrupt-instance')).toBe(false);
      }),
      RUNS,
    );
  });

  it('a warning in an unstable Spot pool never sends the load back to Spot: no scale-out of the Spot group, no Spot sibling as room', () => {
    fc.assert(
      fc.property(unstableWarnings, ({ fleet, id, now }) => {
        const notice: Notice = {
          kind: 'spot-interruption-warning',
          eventId: 'w',
          at: now,
          instanceId: instanceId(id),
          action: 'terminate',
          deadline: now + 120_000,
        };
        const plan = planNoticeResponse(notice, fleet, { now });
        expect(replayLedgerActions(plan, fleet, now).problems).toEqual([]);
        const unstable = plan.events.find((e) => e.kind === 'spot-pool-unstable');
        if (unstable === undefined || unstable.standbyGroupId === undefined) return;
        const web = findGroup(fleet, unstable.groupId);
        expect(plan.actions.filter((a) => a.kind.endsWith('desired-capacity') && 'groupId' in a && a.groupId === web?.id)).toEqual([]);
        expect(plan.events.filter((e) => e.kind === 'capacity-staged')).toEqual([]);
        expect(unstable.until).toBeGreaterThan(now);
        // The reclaim is on record, last before the pool's signal count (or, in a pool that cannot be evaluated, said not to be).
        expect(plan.actions.at(-1)?.kind).toBe('record-pool-signal');
        const last = plan.actions.at(-2);
        expect(
          (last?.kind === 'reserve' && last.reservation.id.startsWith('reclaim:')) || (last?.kind === 'noop' && last.reason.includes('not recorded')),
        ).toBe(true);
      }),
      RUNS,
    );
  });
});
