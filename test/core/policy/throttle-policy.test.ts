import { describe, expect, it } from 'vitest';
import { parseSpotwiseConfig } from '../../../lambda/contracts/config';
import { ValidationError } from '../../../lambda/contracts/validation';
import { shapingPolicyYamlSchema } from '../../../lambda/contracts/policy-schema';
import { toShapingPolicy } from '../../../lambda/core/policy/to-shaping-policy';

const config = (throttle: unknown) => ({
  groups: [{ name: 'web', policy: 'web', capacity: { vcpu: 8, memory_gib: 32 } }],
  policies: [{ policy_name: 'web', priority: 'high', throttle }],
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

describe('throttle policy', () => {
  it('defaults: off, 15 minutes', () => {
    expect(toShapingPolicy(shapingPolicyYamlSchema.parse({ policy_name: 'p', priority: 10 })).throttle).toEqual({ enabled: false, overAllocationMinutes: 15 });
  });

  it('a partial block keeps the other default; the configuration file carries it to the group', () => {
    expect(toShapingPolicy(shapingPolicyYamlSchema.parse({ policy_name: 'p', priority: 10, throttle: { enabled: true } })).throttle).toEqual({
      enabled: true,
      overAllocationMinutes: 15,
    });
    expect(parseSpotwiseConfig(config({ enabled: true, over_allocation_minutes: 30 })).policies[0]?.throttle).toEqual({
      enabled: true,
      over_allocation_minutes: 30,
    });
  });

  it.each<[string, unknown, string]>([
    ['zero minutes', { over_allocation_minutes: 0 }, 'policies.0.throttle.over_allocation_minutes: Too small: expected number to be >=1 (got 0)'],
    [
      'more minutes than a profile keeps',
      { over_allocation_minutes: 61 },
      'policies.0.throttle.over_allocation_minutes: Too big: expected number to be <=60 (got 61)',
    ],
    ['fractional minutes', { over_allocation_minutes: 2.5 }, 'policies.0.throttle.over_allocation_minutes'],
    ['enabled as text', { enabled: 'yes' }, 'policies.0.throttle.enabled'],
    ['a misspelt key', { over_allocation_minute: 30 }, 'policies.0.throttle: Unrecognized key: "over_allocation_minute"'],
  ])('refuses %s, naming the field and the value', (_name, block, message) => {
    expect(messageOf(() => parseSpotwiseConfig(config(block)))).toContain(message);
  });
});
