import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { groupId, type Action, type Notice } from '../../../lambda/core/domain';
import { checkDisruptionBudget } from '../../../lambda/core/budget/disruption-budget';
import { planDueInterruption, planEvictions, planInterruptionRequest } from '../../../lambda/core/coordinator/plan-request';
import { locateInstance } from '../../../lambda/core/common/locate-instance';
import { estimatePostRestartDemand } from '../../../lambda/core/common/post-restart-demand';
import { committedResources } from '../../../lambda/core/pool/resource-pool';
import { arbFleet, arbFleetWith, arbRequest } from '../fixtures/fleet-arbitraries';
import { T0 } from '../fixtures/fleet-builders';
import { cloneFleet, replayLedgerActions } from '../fixtures/replay-plan';
import { poolUse } from '../../../lambda/core/coordinator/plan-evictions';

const RUNS = { numRuns: Number(process.env.SPOTWISE_PROPERTY_RUNS ?? 300) };
const fleets = fc.oneof(arbFleet, arbFleetWith({ siblingHeavy: true }));
const scenario = fleets.chain((f) => fc.record({ f: fc.constant(f), request: arbRequest(f.ids), now: fc.integer({ min: T0, max: T0 + 10 * 60_000 }) }));
type Scheduled = Extract<Action, { kind: 'schedule-interruption' }>;

describe('planInterruptionRequest properties', () => {
  it('reach both outcomes (so the properties below are not vacuous)', () => {
    const outcomes = new Set<string>();
    for (const { f, request, now } of fc.sample(scenario, { numRuns: 800, seed: 7 })) {
      for (const a of planInterruptionRequest(request, f.fleet, { now }).actions) {
        outcomes.add(a.kind === 'defer-interruption' ? `defer:${a.reason}` : a.kind);
      }
    }
    expect([...outcomes].sort()).toEqual(
      expect.arrayContaining([
        'schedule-interruption',
        'defer:reservation-does-not-fit',
        'defer:disruption-budget-exhausted',
        'defer:forecast-unknown',
        'defer:deadline-passed',
        'defer:not-before',
        'defer:no-eligible-victim',
        'defer:unknown-instance',
      ]),
    );
  });

  it("never admits a victim in Standby (out of service: an operator's, or a stop under way), nor evicts one", () => {
    fc.assert(
      fc.property(scenario, ({ f, request, now }) => {
        const inStandby = new Set<string>(f.fleet.groups.flatMap((g) => g.instances.filter((i) => i.inStandby === true).map((i) => i.id)));
        for (const a of planInterruptionRequest(request, f.fleet, { now }).actions) {
          if (a.kind === 'schedule-interruption') expect(inStandby.has(a.instanceId), a.instanceId).toBe(false);
        }
        for (const g of f.fleet.groups) {
          for (const e of planEvictions(g.id, f.fleet, { now })) {
            if (e.selector.kind === 'instance') expect(inStandby.has(e.selector.instanceId), e.selector.instanceId).toBe(false);
          }
        }
      }),
      RUNS,
    );
  });

  it('decides exactly once: one schedule-interruption or one defer-interruption', () => {
    fc.assert(
      fc.property(scenario, ({ f, request, now }) => {
        const plan = planInterruptionRequest(request, f.fleet, { now });
        expect(plan.actions.filter((a) => a.kind === 'schedule-interruption' || a.kind === 'defer-interruption')).toHaveLength(1);
      }),
      RUNS,
    );
  });

  it('never admits an interruption whose reservation does not fit or that exceeds the disruption budget', () => {
    fc.assert(
      fc.property(scenario, ({ f, request, now }) => {
        const plan = planInterruptionRequest(request, f.fleet, { now });
        const scheduled = plan.actions.find((a): a is Scheduled => a.kind === 'schedule-interruption');
        if (scheduled === undefined) {
          expect(plan.actions.some((a) => a.kind === 'reserve')).toBe(false);
          return;
        }
        const located = locateInstance(f.fleet, scheduled.instanceId)!;
        // The reservation precedes the schedule, is for the victim, and fits after the plan's own releases.
        const k = plan.actions.indexOf(scheduled);
        const reserve = plan.actions.slice(0, k).find((a) => a.kind === 'reserve');
        expect(
          reserve?.kind === 'reserve' && reserve.reservation.id === scheduled.reservationId && reserve.reservation.instanceId === scheduled.instanceId,
        ).toBe(true);
        expect(replayLedgerActions(plan, f.fleet, now).problems).toEqual([]);
        expect(checkDisruptionBudget(located.group, 1).kind).toBe('allowed');
        expect(estimatePostRestartDemand(located.instance, located.group, f.fleet).kind).toBe('known');
        expect(located.instance.state).toBe('running');
        expect(now).toBeLessThanOrEqual(request.deadline);
        expect(scheduled.at).toBe(Math.max(now, request.notBefore));
        if (request.selector.kind === 'group') expect(located.instance.priority).toBeLessThanOrEqual(request.selector.maxPriority);
        if (located.instance.lifecycle === 'spot') expect(scheduled.mode).toBe('terminate');
      }),
      RUNS,
    );
  });

  it('never retries after the deadline', () => {
    fc.assert(
      fc.property(scenario, ({ f, request, now }) => {
        for (const a of planInterruptionRequest(request, f.fleet, { now }).actions) {
          if (a.kind === 'defer-interruption' && a.retryAt !== undefined) {
            expect(a.retryAt).toBeLessThanOrEqual(request.deadline);
            expect(a.retryAt).toBeGreaterThanOrEqual(now);
          }
        }
      }),
      RUNS,
    );
  });

  it('is deterministic and does not mutate its inputs', () => {
    fc.assert(
      fc.property(scenario, ({ f, request, now }) => {
        const before = cloneFleet(f.fleet);
        const plan = planInterruptionRequest(request, f.fleet, { now });
        expect(planInterruptionRequest(structuredClone(request), cloneFleet(f.fleet), { now })).toEqual(plan);
        expect(f.fleet).toEqual(before);
      }),
      RUNS,
    );
  });
});

describe('planDueInterruption properties', () => {
  it('interrupts only with the reservation held or re-made (fitting) and the budget allowing', () => {
    fc.assert(
      fc.property(scenario, ({ f, request, now }) => {
        // Admit at request time, then fire when due on the same fleet (as if nothing changed).
        const admitted = planInterruptionRequest(request, f.fleet, { now });
        const scheduled = admitted.actions.find((a): a is Scheduled => a.kind === 'schedule-interruption');
        const target = scheduled ?? {
          instanceId: request.selector.kind === 'instance' ? request.selector.instanceId : ('i-p0' as Scheduled['instanceId']),
          reservationId: 'request:req-p:i-p0' as Scheduled['reservationId'],
          mode: request.mode,
        };
        const due: Extract<Notice, { kind: 'interruption-due' }> = {
          kind: 'interruption-due',
          eventId: 'due',
          at: now,
          requestId: request.requestId,
          instanceId: target.instanceId,
          groupId: groupId('web'),
          reservationId: target.reservationId,
          mode: target.mode,
        };
        const plan = planDueInterruption(due, f.fleet, { now, deadline: request.deadline });
        const interrupts = plan.actions.filter((a) => a.kind === 'interrupt-instance');
        expect(interrupts.length + plan.actions.filter((a) => a.kind === 'defer-interruption').length).toBe(1);
        if (interrupts.length === 0) return;
        const located = locateInstance(f.fleet, due.instanceId)!;
        expect(checkDisruptionBudget(located.group, 1).kind).toBe('allowed');
        const held = located.group.pool.reservations.get(due.reservationId);
        if (held === undefined || held.expiresAt <= now) {
          expect(plan.actions.some((a) => a.kind === 'reserve' && a.reservation.id === due.reservationId)).toBe(true);
          expect(replayLedgerActions(plan, f.fleet, now).problems).toEqual([]);
        }
      }),
      RUNS,
    );
  });
});

describe('planEvictions properties', () => {
  it('asks only when use passes the threshold with preemption enabled, and never for the top priority or a reserved instance', () => {
    fc.assert(
      fc.property(fleets, fc.integer({ min: T0, max: T0 + 60_000 }), (f, now) => {
        const group = f.fleet.groups[0]!;
        const requests = planEvictions(group.id, f.fleet, { now });
        if (requests.length === 0) return;
        expect(group.policy.preemptionEnabled).toBe(true);
        expect(poolUse(committedResources(group.pool), group.pool.capacity).use).toBeGreaterThan(group.policy.evictionThreshold);
        const top = Math.max(...group.instances.filter((i) => !i.warm && i.state === 'running').map((i) => i.priority));
        const reserved = new Set([...group.pool.reservations.values()].map((r) => r.instanceId));
        for (const r of requests) {
          expect(r.selector.kind).toBe('instance');
          const victim = group.instances.find((i) => r.selector.kind === 'instance' && i.id === r.selector.instanceId)!;
          expect(victim.priority).toBeLessThan(top);
          expect(reserved.has(victim.id)).toBe(false);
          expect(r.deadline).toBeGreaterThan(now);
        }
        expect(planEvictions(group.id, cloneFleet(f.fleet), { now })).toEqual(requests);
      }),
      RUNS,
    );
  });
});
