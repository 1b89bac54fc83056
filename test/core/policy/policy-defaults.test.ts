import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../fixtures/fleet-builders';

describe('the policy schema defaults', () => {
  it('map to these settings at medium priority (a YAML policy naming only its priority)', () => {
    expect(DEFAULT_POLICY).toEqual({
      policyName: 'default',
      priority: 50,
      evictionThreshold: 0.9,
      preemptionEnabled: false,
      disruptionBudget: { maxUnavailable: 1 },
      forecastQuantile: 'p90',
      postRestartWindowMinutes: 30,
      allowedInstanceTypes: [],
      allowStopModifyStart: false,
      dryRun: false,
      placementWeights: { priority: 0.5, freeCpu: 0.3, freeMemory: 0.2 },
      unstablePool: { enabled: false, reclaimThreshold: 3, windowMinutes: 60, coolDownMinutes: 120 },
      throttle: { enabled: false, overAllocationMinutes: 15 },
      borrowLimit: 0,
    });
    expect(Object.isFrozen(DEFAULT_POLICY)).toBe(true);
  });
});
