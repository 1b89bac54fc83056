import { describe, expect, it } from 'vitest';
import { chooseReplacementHandOvers } from '../../../lambda/core/planner/choose-hand-over';
import { MINUTE, T0, fleet, group, iid, instance, reservation, roomyPool } from '../fixtures/fleet-builders';

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
    ['the longest-waiting first, to the oldest newcomer', [gone, older], [newcomer('i-b', 1), newcomer('i-a', 2)], [['lifecycle:e1:i-gone2', 'i-a'], ['request:r1:i-gone', 'i-b']]],
    ['one reservation per newcomer; extra newcomers get none', [gone], [newcomer('i-a', 2), newcomer('i-b', 1)], [['request:r1:i-gone', 'i-a']]],
    ['a victim still running keeps its reservation (the interruption is still to come)', [running], [newcomer('i-new', 2)], []],
    ['expired and sibling reservations are never handed to a newcomer', [expired, sibling], [newcomer('i-new', 2)], []],
    ['an instance restarted under its own id takes its own reservation first', [gone, own], [newcomer('i-new', 3), newcomer('i-back', 2)], [['warning:e3:i-back', 'i-back'], ['request:r1:i-gone', 'i-new']]],
    ['its own reservation made after it started is for an interruption to come: not taken', [lateOwn], [newcomer('i-fresh', 3)], []],
  ])('%s', (_name, reservations, newcomers, expected) => {
    const web = group('web', { pool: roomyPool('web', { reservations }), instances: [instance('i-run'), shutting, instance('i-back'), instance('i-fresh')] });
    const out = chooseReplacementHandOvers(fleet([web]), web, newcomers, T0);
    expect(out.map((o) => [o.reservationId, o.instanceId])).toEqual(expected);
  });
});
