import { describe, expect, it } from 'vitest';
import { groupId, type Reservation } from '../../../lambda/core/domain';
import { EVICTION_DEADLINE_MS, planEvictions, poolUse } from '../../../lambda/core/coordinator/plan-evictions';
import { planInterruptionRequest } from '../../../lambda/core/coordinator/plan-request';
import { forecast, group, instance, policy, pool, reservation, res, T0, fleet as buildFleet } from '../fixtures/fleet-builders';

const CAPACITY = { vcpu: 16, memoryGiB: 64, networkMbps: 10_000, diskIops: 100_000 };

/** Pool at 15/16 vCPU (93.75 %): i-hi 7, i-lo1 2, i-lo2 4, i-mid 2 vCPU. */
const pressured = (
  opts: { preemption?: boolean; threshold?: number; priorities?: Record<string, number>; extraReservations?: readonly Reservation[] } = {},
) => {
  const pr = { 'i-hi': 90, 'i-lo1': 10, 'i-lo2': 10, 'i-mid': 40, ...opts.priorities };
  return buildFleet(
    [
      group('batch', {
        policy: policy({ preemptionEnabled: opts.preemption ?? true, evictionThreshold: opts.threshold ?? 0.8 }),
        instances: Object.entries(pr).map(([id, priority]) => instance(id, { groupId: 'batch', lifecycle: 'on-demand', priority })),
        pool: pool('batch', CAPACITY, {
          allocations: {
            'i-hi': { vcpu: 7, memoryGiB: 20 },
            'i-lo1': { vcpu: 2, memoryGiB: 4 },
            'i-lo2': { vcpu: 4, memoryGiB: 8 },
            'i-mid': { vcpu: 2, memoryGiB: 4 },
          },
          reservations: opts.extraReservations ?? [],
        }),
      }),
    ],
    [forecast('i-lo1', { vcpu: 1, memoryGiB: 2 }), forecast('i-lo2', { vcpu: 1, memoryGiB: 2 }), forecast('i-mid', { vcpu: 1, memoryGiB: 2 })],
  );
};

describe('poolUse', () => {
  it.each([
    [res({ vcpu: 8, memoryGiB: 16 }), res({ vcpu: 16, memoryGiB: 64 }), 0.5, 'vcpu'],
    [res({ vcpu: 1, memoryGiB: 60 }), res({ vcpu: 16, memoryGiB: 64 }), 0.9375, 'memoryGiB'],
    [res({ diskIops: 5 }), res({ vcpu: 16 }), 0, undefined],
  ])('use of %o in %o is %d on %s (the most-used dimension; no capacity = not counted)', (committed, capacity, use, dimension) => {
    expect(poolUse(committed, capacity)).toEqual(dimension === undefined ? { use } : { use, dimension });
  });
});

describe('planEvictions', () => {
  it('requests interruptions of the lowest-priority, largest instances until use is back under the threshold', () => {
    const requests = planEvictions(groupId('batch'), pressured(), { now: T0 });
    // 15/16 = 93.75 % > 80 %: evict i-lo2 (4 vCPU, priority 10) → 11/16 = 68.75 %, done.
    expect(requests).toEqual([
      {
        requestId: `evict:batch:i-lo2:${instance('x').launchedAt}`,
        selector: { kind: 'instance', instanceId: 'i-lo2' },
        reason: expect.stringContaining('93.8% > threshold 80.0%'),
        notBefore: T0,
        deadline: T0 + EVICTION_DEADLINE_MS,
        mode: 'terminate',
        requestedAt: T0,
      },
    ]);
  });

  it('evicts more than one when one is not enough, never the highest priority present', () => {
    const requests = planEvictions(groupId('batch'), pressured({ threshold: 0.3 }), { now: T0 });
    // 15 → 11 (i-lo2) → 9 (i-lo1) → 7 (i-mid) = 43.75 %: still > 30 %, but i-hi (90) is never evicted.
    expect(requests.map((r) => r.selector)).toEqual([
      { kind: 'instance', instanceId: 'i-lo2' },
      { kind: 'instance', instanceId: 'i-lo1' },
      { kind: 'instance', instanceId: 'i-mid' },
    ]);
  });

  it.each([
    ['preemption is not enabled', { preemption: false }],
    ['use is at or under the threshold', { threshold: 0.95 }],
    ['every instance has the same priority', { priorities: { 'i-hi': 10, 'i-lo1': 10, 'i-lo2': 10, 'i-mid': 10 } }],
  ])('evicts nobody when %s', (_why, opts) => {
    expect(planEvictions(groupId('batch'), pressured(opts), { now: T0 })).toEqual([]);
  });

  it('skips an instance already holding a reservation (it is being interrupted)', () => {
    const busy = reservation('request:other:i-lo2', { groupId: 'batch', instanceId: 'i-lo2', amount: res({ vcpu: 0.5 }) });
    const requests = planEvictions(groupId('batch'), pressured({ extraReservations: [busy] }), { now: T0 });
    expect(requests.map((r) => r.selector)).toEqual([
      { kind: 'instance', instanceId: 'i-lo1' },
      { kind: 'instance', instanceId: 'i-mid' },
    ]);
  });

  it('is the same on the next tick for the same instance (deterministic request ids)', () => {
    expect(planEvictions(groupId('batch'), pressured(), { now: T0 + 300_000 }).map((r) => r.requestId)).toEqual(
      planEvictions(groupId('batch'), pressured(), { now: T0 }).map((r) => r.requestId),
    );
  });

  it('returns nothing for an unknown group or a NaN clock', () => {
    expect(planEvictions(groupId('nope'), pressured(), { now: T0 })).toEqual([]);
    expect(planEvictions(groupId('batch'), pressured(), { now: Number.NaN })).toEqual([]);
  });

  it('evictions go through the same admission check as any request', () => {
    const [first] = planEvictions(groupId('batch'), pressured(), { now: T0 });
    // 15/16 vCPU committed: i-lo2's 1 vCPU post-restart reservation fits (1 vCPU free) → scheduled.
    const plan = planInterruptionRequest(first!, pressured(), { now: T0 });
    expect(plan.actions.map((a) => a.kind)).toEqual(['reserve', 'schedule-interruption']);
  });
});
