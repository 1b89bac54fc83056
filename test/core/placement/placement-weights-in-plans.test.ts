import { describe, expect, it } from 'vitest';
import { instanceId, type Notice, type ShapingPolicy } from '../../../lambda/core/domain';
import { planNoticeResponse } from '../../../lambda/core/planner/plan-notice';
import { shapingPolicyYamlSchema } from '../../../lambda/contracts/policy-schema';
import { toShapingPolicy } from '../../../lambda/core/policy/to-shaping-policy';
import { forecast, group, instance, roomyPool, T0, fleet as buildFleet } from '../fixtures/fleet-builders';

const policyFrom = (extra: Record<string, unknown>): ShapingPolicy =>
  toShapingPolicy(shapingPolicyYamlSchema.parse({ policy_name: 'web', priority: 'high', ...extra }));

const warning = (id: string): Notice => ({
  kind: 'spot-interruption-warning',
  eventId: `evt-${id}`,
  at: T0,
  instanceId: instanceId(id),
  action: 'terminate',
  deadline: T0 + 120_000,
});

/**
 * Two running On-Demand siblings with room for the victim's 1 vCPU / 2 GiB: i-cpu has most of its CPU free
 * (7 of 8 vCPU, 4 of 32 GiB), i-mem most of its memory (1 of 8 vCPU, 28 of 32 GiB).
 */
const siblingFleet = (policy: ShapingPolicy) =>
  buildFleet(
    [
      group('web', {
        policy,
        instances: [
          instance('i-a1'),
          instance('i-cpu', { lifecycle: 'on-demand', instanceType: 'm5.2xlarge', availabilityZone: 'us-east-1b' }),
          instance('i-mem', { lifecycle: 'on-demand', instanceType: 'm5.2xlarge', availabilityZone: 'us-east-1c' }),
        ],
        pool: roomyPool('web', { allocations: { 'i-cpu': { vcpu: 1, memoryGiB: 28 }, 'i-mem': { vcpu: 7, memoryGiB: 4 } } }),
      }),
    ],
    [forecast('i-a1', { vcpu: 1, memoryGiB: 2 })],
  );

const placedOn = (policy: ShapingPolicy): string | undefined => {
  const plan = planNoticeResponse(warning('i-a1'), siblingFleet(policy), { now: T0 });
  const staged = plan.events.find((e) => e.kind === 'capacity-staged' && e.detail.includes('has room for'));
  return staged?.kind === 'capacity-staged' ? staged.detail.split(' ')[0] : undefined;
};

describe('placement_weights in the notice plan', () => {
  it.each([
    // Scores (free CPU · w_cpu + free memory · w_mem): i-cpu 0.875·0.3 + 0.125·0.2 = 0.2875 > i-mem 0.125·0.3 + 0.875·0.2 = 0.2125.
    ["the seed's defaults (0.3 / 0.2)", 'i-cpu', {}],
    // i-cpu 0.875·0.1 + 0.125·0.5 = 0.15 < i-mem 0.125·0.1 + 0.875·0.5 = 0.45.
    ['memory weighted above CPU (0.1 / 0.5)', 'i-mem', { placement_weights: { free_cpu: 0.1, free_memory: 0.5 } }],
    ['only free memory counts (0 / 1)', 'i-mem', { placement_weights: { free_cpu: 0, free_memory: 1 } }],
    ['only free CPU counts (1 / 0)', 'i-cpu', { placement_weights: { free_cpu: 1, free_memory: 0 } }],
  ])("%s: the victim's load lands on %s", (_name, expected, extra) => {
    expect(placedOn(policyFrom(extra))).toBe(expected);
  });

  it('prints the score under the configured weights', () => {
    const plan = planNoticeResponse(warning('i-a1'), siblingFleet(policyFrom({ placement_weights: { free_cpu: 0.1, free_memory: 0.5 } })), { now: T0 });
    // The victim's priority 50 → 0.5 · 0.5 (the seed's fixed priority term) + 0.45.
    expect(plan.events).toContainEqual(expect.objectContaining({ kind: 'capacity-staged', detail: expect.stringContaining('i-mem has room for 1 vCPU') }));
    expect(plan.events).toContainEqual(expect.objectContaining({ detail: expect.stringContaining('placement score 0.700') }));
  });
});
