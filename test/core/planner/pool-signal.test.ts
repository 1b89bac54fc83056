import { describe, expect, it } from 'vitest';
import { instanceId, type FleetView, type Notice } from '../../../lambda/core/domain';
import { planNoticeResponse } from '../../../lambda/core/planner/plan-notice';
import { group, instance, standardFleet, T0, fleet as buildFleet } from '../fixtures/fleet-builders';

const warning = (id: string): Notice => ({
  kind: 'spot-interruption-warning',
  eventId: `evt-${id}`,
  at: T0 - 5_000,
  instanceId: instanceId(id),
  action: 'terminate',
  deadline: T0 + 115_000,
});
const rebalance = (id: string): Notice => ({ kind: 'rebalance-recommendation', eventId: `rb-${id}`, at: T0 - 5_000, instanceId: instanceId(id) });

const onDemandFleet = (): FleetView => buildFleet([group('web', { instances: [instance('i-d1', { lifecycle: 'on-demand' }), instance('i-a1')] })]);
const warmFleet = (): FleetView => standardFleet();

describe('Spot signals are counted against their pool, last in the plan', () => {
  it.each([
    [
      'a Spot warning',
      warning('i-b1'),
      { instanceType: 'c5.large', availabilityZone: 'us-east-1b', signal: 'spot-warning', instanceId: 'i-b1', eventId: 'evt-i-b1', at: T0 - 5_000 },
    ],
    [
      'a rebalance recommendation',
      rebalance('i-a2'),
      { instanceType: 'm5.large', availabilityZone: 'us-east-1a', signal: 'rebalance-recommendation', instanceId: 'i-a2', eventId: 'rb-i-a2', at: T0 - 5_000 },
    ],
  ] as const)("%s of a serving Spot instance: one record-pool-signal with its pool, event and time (the notice's, not now)", (_, notice, signal) => {
    const plan = planNoticeResponse(notice, standardFleet(), { now: T0 });
    expect(plan.actions.filter((a) => a.kind === 'record-pool-signal')).toEqual([{ kind: 'record-pool-signal', groupId: 'web', signal }]);
    expect(plan.actions.at(-1)?.kind).toBe('record-pool-signal');
  });

  it.each([
    ['an On-Demand instance (no Spot pool)', warning('i-d1'), onDemandFleet()],
    ['a warm-pool instance (not in the exposure)', warning('i-w1'), warmFleet()],
    ['an instance spotwise does not manage', warning('i-zz'), standardFleet()],
    ['a rebalance recommendation for a warm instance', rebalance('i-w1'), warmFleet()],
  ])('%s: nothing is counted', (_, notice, fleet) => {
    expect(planNoticeResponse(notice, fleet, { now: T0 }).actions.map((a) => a.kind)).not.toContain('record-pool-signal');
  });
});
