import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { groupId, instanceId } from '../../../lambda/core/domain';
import { planEvictions } from '../../../lambda/core/coordinator/plan-evictions';
import { group, instance, policy, pool, T0, fleet as buildFleet } from '../fixtures/fleet-builders';

const CAPACITY = { vcpu: 16, memoryGiB: 64, networkMbps: 10_000, diskIops: 100_000 };
const ALLOC: Record<string, { vcpu: number; memoryGiB: number }> = {
  'i-hi': { vcpu: 7, memoryGiB: 20 },
  'i-hi2': { vcpu: 1, memoryGiB: 2 },
  'i-lo1': { vcpu: 2, memoryGiB: 4 },
  'i-lo2': { vcpu: 4, memoryGiB: 8 },
  'i-mid': { vcpu: 1, memoryGiB: 4 },
};
const PRIORITY: Record<string, number> = { 'i-hi': 90, 'i-hi2': 90, 'i-lo1': 10, 'i-lo2': 10, 'i-mid': 40 };

/** Pool at 15/16 vCPU (93.75 %), threshold 80 %. */
const pressured = (preemption = true) =>
  buildFleet([
    group('batch', {
      policy: policy({ preemptionEnabled: preemption, evictionThreshold: 0.8 }),
      instances: Object.entries(PRIORITY).map(([id, priority]) => instance(id, { groupId: 'batch', lifecycle: 'on-demand', priority })),
      pool: pool('batch', CAPACITY, { allocations: ALLOC }),
    }),
  ]);
const victims = (throttled: readonly string[], preemption = true) =>
  planEvictions(groupId('batch'), pressured(preemption), { now: T0, throttled: new Set(throttled.map(instanceId)) }).map((r) =>
    r.selector.kind === 'instance' ? r.selector.instanceId : '',
  );

describe('planEvictions with throttled instances', () => {
  it.each<[string, readonly string[], readonly string[]]>([
    ['nobody throttled: lowest priority, largest first', [], ['i-lo2']],
    ['a throttled low-priority instance goes before a larger one', ['i-lo1'], ['i-lo1', 'i-lo2']],
    ['a throttled mid-priority instance goes first', ['i-mid'], ['i-mid', 'i-lo2']],
    ['a throttled instance of the top priority is a candidate too, and first', ['i-hi2'], ['i-hi2', 'i-lo2']],
    ['several throttled: lowest priority, then largest, among them', ['i-hi', 'i-mid'], ['i-mid', 'i-hi']],
  ])('%s', (_name, throttled, expected) => {
    expect(victims(throttled)).toEqual(expected);
  });

  it('the reason says the victim is throttled', () => {
    const [first] = planEvictions(groupId('batch'), pressured(), { now: T0, throttled: new Set([instanceId('i-mid')]) });
    expect(first?.reason).toContain('i-mid is throttled (over its allocation), priority 40');
  });

  it('with preemption off nothing is evicted, throttled or not', () => {
    expect(victims(['i-lo1', 'i-hi'], false)).toEqual([]);
  });

  it('property: the throttled candidates come before every other, and a pool under its threshold evicts nobody', () => {
    fc.assert(
      fc.property(fc.subarray(Object.keys(PRIORITY)), (throttled) => {
        const out = victims(throttled);
        const firstOther = out.findIndex((id) => !throttled.includes(id));
        if (firstOther >= 0) expect(out.slice(firstOther).every((id) => !throttled.includes(id))).toBe(true);
        expect(out.length).toBeGreaterThan(0);
        const calm = buildFleet([
          group('batch', {
            policy: policy({ preemptionEnabled: true, evictionThreshold: 0.99 }),
            instances: Object.entries(PRIORITY).map(([id, priority]) => instance(id, { groupId: 'batch', lifecycle: 'on-demand', priority })),
            pool: pool('batch', CAPACITY, { allocations: ALLOC }),
          }),
        ]);
        expect(planEvictions(groupId('batch'), calm, { now: T0, throttled: new Set(throttled.map(instanceId)) })).toEqual([]);
      }),
    );
  });
});
