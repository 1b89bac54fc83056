import { describe, expect, it } from 'vitest';
import { groupId, instanceId } from '../../../lambda/core/domain';
import { planThrottles } from '../../../lambda/core/throttle/plan-throttles';
import { policy } from '../fixtures/fleet-builders';
import { profileWithRecent } from './throttle-fixtures';

const NOW = Date.UTC(2026, 0, 1, 12);
const allocations = new Map([[instanceId('i-a'), { vcpu: 1, memoryGiB: 8, networkMbps: 1000, diskIops: 1000 }]]);
const over = [
  profileWithRecent(
    'i-a',
    Array.from({ length: 20 }, () => ({ vcpu: 1.5 })),
    NOW,
  ),
  profileWithRecent(
    'i-other',
    Array.from({ length: 20 }, () => ({ vcpu: 9 })),
    NOW,
    'other',
  ),
];
const plan = (throttle: { enabled: boolean; overAllocationMinutes: number } | undefined) =>
  planThrottles({ id: groupId('web'), policy: policy(throttle === undefined ? {} : { throttle }) }, { allocations }, over, { now: NOW, staleAfterMs: 0 });

describe('planThrottles', () => {
  it('off (absent or enabled: false): no action, nobody throttled', () => {
    for (const t of [undefined, { enabled: false, overAllocationMinutes: 15 }]) {
      const out = plan(t);
      expect(out.actions).toEqual([]);
      expect([...out.throttled]).toEqual([]);
    }
  });

  it('on: one request-throttle per instance and dimension over for the policy minutes, only of the group', () => {
    const out = plan({ enabled: true, overAllocationMinutes: 15 });
    expect(out.actions).toEqual([
      {
        kind: 'request-throttle',
        throttle: { groupId: 'web', instanceId: 'i-a', dimension: 'vcpu', allocation: 1, observed: 1.5, excess: 0.5, since: NOW - 19 * 60_000, minutes: 20 },
        reason: 'i-a used more than its vcpu allocation 1 for 20 consecutive minutes (policy: 15); now 1.5, 0.5 over',
      },
    ]);
    expect([...out.throttled]).toEqual(['i-a']);
  });

  it('on, with more minutes than the run: nothing', () => {
    expect(plan({ enabled: true, overAllocationMinutes: 21 }).actions).toEqual([]);
  });
});
