import { describe, expect, it } from 'vitest';
import { parseSpotwiseConfig } from '../../../lambda/contracts/config';
import { ValidationError } from '../../../lambda/contracts/validation';
import { shapingPolicyYamlSchema } from '../../../lambda/contracts/policy-schema';
import { toShapingPolicy } from '../../../lambda/core/policy/to-shaping-policy';

const config = (unstable: unknown) => ({
  groups: [{ name: 'web', policy: 'web', capacity: { vcpu: 8, memory_gib: 32 } }],
  policies: [{ policy_name: 'web', priority: 'high', unstable_pool: unstable }],
});

const messageOf = (f: () => unknown): string => {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(ValidationError);
  return (caught as ValidationError).message;
};

describe('unstable_pool policy', () => {
  it('defaults: off, 3 reclaims in 60 minutes, 120 minutes of cool-down', () => {
    expect(toShapingPolicy(shapingPolicyYamlSchema.parse({ policy_name: 'p', priority: 10 })).unstablePool).toEqual({
      enabled: false,
      reclaimThreshold: 3,
      windowMinutes: 60,
      coolDownMinutes: 120,
    });
  });

  it('a partial block keeps the other defaults', () => {
    expect(
      toShapingPolicy(shapingPolicyYamlSchema.parse({ policy_name: 'p', priority: 10, unstable_pool: { enabled: true, reclaim_threshold: 2 } })).unstablePool,
    ).toEqual({
      enabled: true,
      reclaimThreshold: 2,
      windowMinutes: 60,
      coolDownMinutes: 120,
    });
  });

  it.each<[string, unknown, string]>([
    ['a threshold of zero', { reclaim_threshold: 0 }, 'policies.0.unstable_pool.reclaim_threshold: Too small: expected number to be >=1 (got 0)'],
    ['a fractional threshold', { reclaim_threshold: 2.5 }, 'policies.0.unstable_pool.reclaim_threshold'],
    ['a window too short to see a burst', { window_minutes: 1 }, 'policies.0.unstable_pool.window_minutes: Too small: expected number to be >=5 (got 1)'],
    ['a window over a day', { window_minutes: 1441 }, 'policies.0.unstable_pool.window_minutes: Too big: expected number to be <=1440 (got 1441)'],
    ['a cool-down over a week', { cool_down_minutes: 10081 }, 'policies.0.unstable_pool.cool_down_minutes: Too big: expected number to be <=10080 (got 10081)'],
    ['enabled as text', { enabled: 'yes' }, 'policies.0.unstable_pool.enabled'],
    ['a misspelt key', { cooldown_minutes: 30 }, 'policies.0.unstable_pool: Unrecognized key: "cooldown_minutes"'],
  ])('refuses %s, naming the field and the value', (_name, block, message) => {
    expect(messageOf(() => parseSpotwiseConfig(config(block)))).toContain(message);
  });
});
