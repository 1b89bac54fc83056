import { Duration } from 'aws-cdk-lib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateDelivery } from '../../lib/rule-delivery';

describe('validateDelivery', () => {
  it.each([
    [59, 0, 'Owner: maxEventAge must be between 60 seconds and 24 hours (got 59 seconds)'],
    [86_401, 0, 'Owner: maxEventAge must be between 60 seconds and 24 hours (got 86401 seconds)'],
    [60, -1, 'Owner: retryAttempts must be an integer between 0 and 185 (got -1)'],
    [60, 186, 'Owner: retryAttempts must be an integer between 0 and 185 (got 186)'],
    [60, 1.5, 'Owner: retryAttempts must be an integer between 0 and 185 (got 1.5)'],
  ])('refuses maxEventAge %d s with %d retries', (age, retries, message) => {
    expect(() => validateDelivery('Owner', { maxEventAge: Duration.seconds(age), retryAttempts: retries })).toThrow(message);
  });

  it("accepts exactly EventBridge's limits: 60 s..24 h, 0..185 retries", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: -5, max: 200 }), (age, retries) => {
        const valid = age >= 60 && age <= 86_400 && retries >= 0 && retries <= 185;
        const run = () => validateDelivery('Owner', { maxEventAge: Duration.seconds(age), retryAttempts: retries });
        if (valid) expect(run).not.toThrow();
        else expect(run).toThrow(/^Owner: /);
      }),
    );
  });
});
