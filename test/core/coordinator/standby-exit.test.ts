import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planStandbyExits, standbyExitFor } from '../../../lambda/core/coordinator/standby-exit';
import type { InstanceState, ManagedInstance } from '../../../lambda/core/domain';
import { planStateChange } from '../../../lambda/core/planner/plan-state-change';
import { MINUTE, T0, fleet, group, instance, reservation, roomyPool } from '../fixtures/fleet-builders';

const RUNS = { numRuns: Number(process.env.SPOTWISE_PROPERTY_RUNS ?? 300) };
const MARK = 'before stopping it (no health-check replacement): request q-1';

const member = (over: Partial<ManagedInstance> = {}): ManagedInstance =>
  instance('i-od', { lifecycle: 'on-demand', inStandby: true, standbyMark: MARK, ...over });

/** A live request reservation for i-od, or one that expired a minute ago. */
const held = reservation('request:q-1:i-od', { instanceId: 'i-od' });
const expired = reservation('request:q-0:i-od', { instanceId: 'i-od', expiresAt: T0 - MINUTE });

describe('standbyExitFor: which members spotwise moved to Standby go back in service', () => {
  it.each<[string, Partial<ManagedInstance>, readonly ReturnType<typeof reservation>[], { desired?: number; max?: number }, string | undefined]>([
    ['running in Standby, marked, nothing held', {}, [], {}, 'exit'],
    ['running in Standby, marked, only an expired reservation', {}, [expired], {}, 'exit'],
    ['running in Standby, marked, its reservation held', {}, [held], {}, 'keep'],
    ['running in Standby, unmarked (an operator’s)', { standbyMark: undefined }, [], {}, undefined],
    ['running in Standby, marked, at max size', {}, [], { desired: 10, max: 10 }, 'keep'],
    ['pending in Standby, marked', { state: 'pending' }, [], {}, 'keep'],
    ['stopped in Standby, marked (a stop with its reservation gone)', { state: 'stopped' }, [], {}, undefined],
    ['stopping in Standby, marked', { state: 'stopping' }, [], {}, undefined],
    ['in service, marked, nothing held (a stale mark)', { inStandby: undefined }, [], {}, 'clear'],
    ['in service, marked, its reservation held (EnterStandby under way)', { inStandby: undefined }, [held], {}, 'keep'],
    ['in service, unmarked', { inStandby: undefined, standbyMark: undefined }, [], {}, undefined],
    ['terminating, marked', { terminating: true }, [], {}, undefined],
    ['shutting down, marked', { state: 'shutting-down' }, [], {}, undefined],
  ])('%s → %s', (_name, over, reservations, sizes, expected) => {
    const i = member(over);
    const g = group('web', { instances: [i], pool: roomyPool('web', { reservations }), desiredCapacity: sizes.desired ?? 3, maxSize: sizes.max ?? 10 });
    expect(standbyExitFor(g, i, T0)?.kind).toBe(expected);
  });

  it('the exit names the member and its mark; a member kept at max size says why, with the sizes', () => {
    const i = member();
    expect(standbyExitFor(group('web', { instances: [i], desiredCapacity: 3 }), i, T0)).toEqual({
      kind: 'exit',
      action: {
        kind: 'exit-standby',
        groupId: 'web',
        instanceId: 'i-od',
        reason: `i-od runs in Standby with no reservation held for it (moved there ${MARK}): back in service`,
      },
    });
    expect(standbyExitFor(group('web', { instances: [i], desiredCapacity: 4, maxSize: 4 }), i, T0)).toEqual({
      kind: 'keep',
      atMaxSize: true,
      reason:
        'runs in Standby with no reservation held, but ExitStandby would take the desired capacity of web to 5, above its max size 4 (Auto Scaling refuses it)',
    });
  });

  it('planStandbyExits counts its own exits against the max size', () => {
    const a = member({ id: instance('i-a').id });
    const b = member({ id: instance('i-b').id });
    const c = member({ id: instance('i-c').id });
    const out = planStandbyExits(group('web', { instances: [c, b, a], desiredCapacity: 8, maxSize: 10 }), T0);
    expect(out.actions.map((x) => [x.kind, 'instanceId' in x ? x.instanceId : ''])).toEqual([
      ['exit-standby', 'i-a'],
      ['exit-standby', 'i-b'],
    ]);
    expect(out.kept).toEqual([{ instanceId: 'i-c', atMaxSize: true, reason: expect.stringContaining('to 11, above its max size 10') }]);
  });

  it('property: never touches an unmarked member or one a live reservation names, and never plans past the max size', () => {
    const arbMember = fc.record({
      n: fc.integer({ min: 0, max: 5 }),
      state: fc.constantFrom<InstanceState>('pending', 'running', 'stopping', 'stopped', 'shutting-down'),
      inStandby: fc.boolean(),
      marked: fc.boolean(),
      reserved: fc.constantFrom('none', 'live', 'expired'),
      terminating: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(arbMember, { selector: (m) => m.n, maxLength: 6 }),
        fc.integer({ min: 0, max: 8 }),
        fc.integer({ min: 0, max: 4 }),
        (ms, desired, room) => {
          const instances = ms.map((m) =>
            instance(`i-${m.n}`, {
              lifecycle: 'on-demand',
              state: m.state,
              ...(m.inStandby ? { inStandby: true } : {}),
              ...(m.marked ? { standbyMark: 'm' } : {}),
              ...(m.terminating ? { terminating: true } : {}),
            }),
          );
          const reservations = ms.flatMap((m) =>
            m.reserved === 'none' ? [] : [reservation(`request:q:i-${m.n}`, { instanceId: `i-${m.n}`, expiresAt: m.reserved === 'live' ? T0 + MINUTE : T0 })],
          );
          const out = planStandbyExits(
            group('web', { instances, pool: roomyPool('web', { reservations }), desiredCapacity: desired, maxSize: desired + room }),
            T0,
          );
          const touched = out.actions.map((a) => ('instanceId' in a ? a.instanceId : ''));
          for (const m of ms) {
            const id = `i-${m.n}`;
            if (!m.marked || m.reserved === 'live' || m.terminating) expect(touched).not.toContain(id);
          }
          for (const a of out.actions) {
            const m = ms.find((x) => `i-${x.n}` === ('instanceId' in a ? a.instanceId : ''));
            if (a.kind === 'exit-standby') expect(m).toMatchObject({ inStandby: true, state: 'running' });
            if (a.kind === 'clear-standby-mark') expect(m?.inStandby).toBe(false);
          }
          expect(out.actions.filter((a) => a.kind === 'exit-standby').length).toBeLessThanOrEqual(room);
        },
      ),
      RUNS,
    );
  });
});

describe('the running state change of a member spotwise moved to Standby', () => {
  const notice = (at = T0) => ({ kind: 'state-change' as const, eventId: 'e-1', at, instanceId: instance('i-od').id, state: 'running' as const });

  it('with no reservation held any more: back in service at once, then its restart window', () => {
    const i = member({ state: 'pending' });
    const plan = planStateChange(notice(), fleet([group('web', { instances: [i], pool: roomyPool('web', { reservations: [expired] }) })]), T0);
    expect(plan.actions.map((a) => a.kind)).toEqual(['exit-standby', 'open-restart-window']);
  });

  it("an operator's Standby member running again stays where the operator put it", () => {
    const i = member({ standbyMark: undefined });
    const plan = planStateChange(notice(), fleet([group('web', { instances: [i] })]), T0);
    expect(plan.actions.map((a) => a.kind)).toEqual(['open-restart-window']);
  });

  it('at max size it is not asked (Auto Scaling would refuse): only the restart window', () => {
    const i = member();
    const plan = planStateChange(notice(), fleet([group('web', { instances: [i], desiredCapacity: 5, maxSize: 5 })]), T0);
    expect(plan.actions.map((a) => a.kind)).toEqual(['open-restart-window']);
  });
});
