import { describe, expect, it } from 'vitest';
import type { Action, Plan } from '../../../lambda/core/domain';
import {
  aheadLineage,
  chooseHandOver,
  chooseReplacementHandOvers,
  lineageOf,
  refreshLineage,
  withLineage,
} from '../../../lambda/core/planner/choose-hand-over';
import { MINUTE, T0, fleet, group, iid, instance, policy, reservation, roomyPool } from '../fixtures/fleet-builders';

const newcomer = (id: string, launchedMinutesAgo: number) => ({ id: iid(id), launchedAt: T0 - launchedMinutesAgo * MINUTE });

describe('chooseReplacementHandOvers', () => {
  const gone = reservation('request:r1:i-gone', { instanceId: 'i-gone', createdAt: T0 - 20 * MINUTE });
  const older = reservation('lifecycle:e1:i-gone2', { instanceId: 'i-gone2', createdAt: T0 - 30 * MINUTE });
  const running = reservation('request:r2:i-run', { instanceId: 'i-run', createdAt: T0 - 5 * MINUTE });
  const expired = reservation('request:r3:i-gone3', { instanceId: 'i-gone3', createdAt: T0 - 60 * MINUTE, expiresAt: T0 });
  const sibling = reservation('sibling:e2:i-gone4', { instanceId: 'i-gone4', createdAt: T0 - 40 * MINUTE });
  const shutting = instance('i-gone2', { state: 'shutting-down' });
  const own = reservation('warning:e3:i-back', { instanceId: 'i-back', createdAt: T0 - 15 * MINUTE });
  const lateOwn = reservation('request:r4:i-fresh', { instanceId: 'i-fresh', createdAt: T0 - 1 * MINUTE });

  it.each([
    ['a newcomer takes the reservation of a victim that is gone', [gone], [newcomer('i-new', 2)], [['request:r1:i-gone', 'i-new']]],
    [
      'the longest-waiting first, to the oldest newcomer',
      [gone, older],
      [newcomer('i-b', 1), newcomer('i-a', 2)],
      [
        ['lifecycle:e1:i-gone2', 'i-a'],
        ['request:r1:i-gone', 'i-b'],
      ],
    ],
    ['one reservation per newcomer; extra newcomers get none', [gone], [newcomer('i-a', 2), newcomer('i-b', 1)], [['request:r1:i-gone', 'i-a']]],
    ['a victim still running keeps its reservation (the interruption is still to come)', [running], [newcomer('i-new', 2)], []],
    ['expired and sibling reservations are never handed to a newcomer', [expired, sibling], [newcomer('i-new', 2)], []],
    [
      'an instance restarted under its own id takes its own reservation first',
      [gone, own],
      [newcomer('i-new', 3), newcomer('i-back', 2)],
      [
        ['warning:e3:i-back', 'i-back'],
        ['request:r1:i-gone', 'i-new'],
      ],
    ],
    ['its own reservation made after it started is for an interruption to come: not taken', [lateOwn], [newcomer('i-fresh', 3)], []],
  ])('%s', (_name, reservations, newcomers, expected) => {
    const web = group('web', { pool: roomyPool('web', { reservations }), instances: [instance('i-run'), shutting, instance('i-back'), instance('i-fresh')] });
    const out = chooseReplacementHandOvers(fleet([web]), web, newcomers, T0);
    expect(out.map((o) => [o.reservationId, o.instanceId])).toEqual(expected);
  });
});

describe('restart lineage of hand-overs', () => {
  const victimRes = reservation('warning:e1:i-victim', { instanceId: 'i-victim', createdAt: T0 - 10 * MINUTE });
  const ownRes = reservation('warning:e2:i-back', { instanceId: 'i-back', createdAt: T0 - 10 * MINUTE });
  const replacement = instance('i-new', { instanceType: 'm5.xlarge', launchedAt: T0 - 2 * MINUTE });
  const web = group('web', {
    policy: policy({ postRestartWindowMinutes: 20 }),
    pool: roomyPool('web', { reservations: [victimRes, ownRes] }),
    instances: [replacement, instance('i-back')],
  });
  const standby = group('standby', {
    role: 'standby',
    policy: policy({ postRestartWindowMinutes: 45 }),
    instances: [instance('i-warm', { groupId: 'standby', lifecycle: 'on-demand' })],
  });
  const world = fleet([web, standby]);
  const handOver = (reservationId: string, instanceId: string): Action & { kind: 'hand-over' } => ({
    kind: 'hand-over',
    groupId: web.id,
    reservationId: reservationId as never,
    instanceId: iid(instanceId),
    reason: 'test',
  });

  it.each<[string, Action & { kind: 'hand-over' }, string | undefined, Partial<Action> | undefined]>([
    [
      "a replacement in the snapshot: its type and vCPUs, its group's window",
      handOver(victimRes.id, 'i-new'),
      undefined,
      {
        kind: 'inherit-profile',
        groupId: web.id,
        fromInstanceId: iid('i-victim'),
        toInstanceId: iid('i-new'),
        restartedAt: T0,
        windowMinutes: 20,
        heir: { instanceType: 'm5.xlarge', vcpus: 4 },
      },
    ],
    [
      "a standby instance taking a primary's load: its own group and window",
      handOver(victimRes.id, 'i-warm'),
      undefined,
      { groupId: standby.id, windowMinutes: 45, heir: { instanceType: 'm5.large', vcpus: 2 } },
    ],
    [
      "a launch hook's newcomer not described yet: the launch group, no type",
      handOver(victimRes.id, 'i-unseen'),
      'standby',
      { groupId: standby.id, toInstanceId: iid('i-unseen'), windowMinutes: 45 },
    ],
    ['a restart under its own id carries nothing', handOver(ownRes.id, 'i-back'), undefined, undefined],
    ['a reservation the snapshot does not hold carries nothing', handOver('warning:e9:i-x', 'i-new'), undefined, undefined],
  ])('%s', (_name, h, launchGroup, expected) => {
    const out = lineageOf(world, h, T0, launchGroup === undefined ? undefined : (iid(launchGroup) as never));
    if (expected === undefined) expect(out).toBeUndefined();
    else expect(out).toMatchObject(expected);
    if (launchGroup !== undefined) expect(out).not.toHaveProperty('heir');
  });

  it("withLineage appends each hand-over's lineage after the plan (a failed profile write never holds back a lifecycle action)", () => {
    const complete: Action = { kind: 'complete-lifecycle-action', groupId: web.id, instanceId: iid('i-new'), hookName: 'h', token: 't', result: 'CONTINUE' };
    const plan: Plan = { actions: [handOver(victimRes.id, 'i-new'), complete], events: [] };
    expect(withLineage(plan, world, T0).actions.map((a) => a.kind)).toEqual(['hand-over', 'complete-lifecycle-action', 'inherit-profile']);
    const own: Plan = { actions: [handOver(ownRes.id, 'i-back')], events: [] };
    expect(withLineage(own, world, T0)).toBe(own);
  });

  it('refreshLineage: each replacement restarts at its launch; a restart under its own id carries nothing', () => {
    const out = refreshLineage(world, web, [
      { reservationId: victimRes.id, instanceId: iid('i-new') },
      { reservationId: ownRes.id, instanceId: iid('i-back') },
    ]);
    expect(out).toEqual([expect.objectContaining({ fromInstanceId: iid('i-victim'), toInstanceId: iid('i-new'), restartedAt: replacement.launchedAt })]);
  });
});

describe('replacements of members Auto Scaling is terminating or replacing ahead', () => {
  const request = reservation('request:r1:i-victim', { instanceId: 'i-victim', createdAt: T0 - 10 * MINUTE });
  const later = reservation('request:r2:i-victim2', { instanceId: 'i-victim2', createdAt: T0 - 8 * MINUTE });

  it('a victim held running in Terminating:Wait is gone for its reservation: the next newcomer takes it (and its lineage)', () => {
    const held = group('web', {
      pool: roomyPool('web', { reservations: [request] }),
      instances: [instance('i-victim', { terminating: true }), instance('i-a')],
      desiredCapacity: 2,
    });
    expect(chooseHandOver(fleet([held]), held, iid('i-new'), T0)?.reservation.id).toBe(request.id);
    // Not while it is InService: the interruption may still be to come.
    const serving = group('web', {
      pool: roomyPool('web', { reservations: [request] }),
      instances: [instance('i-victim'), instance('i-a')],
      desiredCapacity: 2,
    });
    expect(chooseHandOver(fleet([serving]), serving, iid('i-new'), T0)).toBeUndefined();
  });

  it.each<[string, number, readonly ReturnType<typeof instance>[], string, string | undefined]>([
    [
      'launched ahead (one member more than desired): the victim still serving passes its lineage on',
      2,
      [instance('i-victim'), instance('i-a')],
      'i-new',
      'i-victim',
    ],
    ['at desired capacity (a scale-out raised it first): nothing', 3, [instance('i-victim'), instance('i-a')], 'i-new', undefined],
    [
      'two launched ahead together: the second newcomer pairs with the second reservation',
      3,
      [instance('i-victim'), instance('i-victim2'), instance('i-a'), instance('i-n1', { state: 'pending', launchedAt: T0 - MINUTE })],
      'i-n2',
      'i-victim2',
    ],
    [
      'a victim already terminating is handed over instead, not paired here',
      2,
      [instance('i-victim', { terminating: true }), instance('i-a')],
      'i-new',
      undefined,
    ],
    [
      'a victim holding two reservations (a rebalance recommendation and a warning) counts once in the pairing',
      3,
      [instance('i-twice'), instance('i-victim'), instance('i-a'), instance('i-n1', { state: 'pending', launchedAt: T0 - MINUTE })],
      'i-n2',
      'i-victim',
    ],
  ])('aheadLineage: %s', (_name, desired, instances, newcomerId, from) => {
    // i-twice holds two reservations only where it is listed; elsewhere they wait for an instance that is gone.
    const twice = instances.some((i) => i.id === 'i-twice')
      ? [
          reservation('rebalance:e1:i-twice', { instanceId: 'i-twice', createdAt: T0 - 12 * MINUTE }),
          reservation('warning:e2:i-twice', { instanceId: 'i-twice', createdAt: T0 - 11 * MINUTE }),
        ]
      : [];
    const web = group('web', { pool: roomyPool('web', { reservations: [request, later, ...twice] }), instances, desiredCapacity: desired });
    const lineage = aheadLineage(fleet([web]), web, iid(newcomerId), T0, T0);
    expect(lineage?.fromInstanceId).toBe(from === undefined ? undefined : iid(from));
    if (lineage !== undefined) expect(lineage).toMatchObject({ kind: 'inherit-profile', toInstanceId: iid(newcomerId), restartedAt: T0, groupId: web.id });
  });
});
