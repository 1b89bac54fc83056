import { describe, expect, it } from 'vitest';
import { expectedRestartFits } from '../../../lambda/core/coordinator/choose-victim';
import { res } from '../fixtures/fleet-builders';

describe('expectedRestartFits: does the expected restart peak fit the host it restarts on', () => {
  const host = res({ vcpu: 4, memoryGiB: 16, networkMbps: 10_000, diskIops: 18_750 });
  it.each([
    { what: 'inside both', expected: res({ vcpu: 3, memoryGiB: 10 }), fits: true },
    { what: 'exactly the host', expected: res({ vcpu: 4, memoryGiB: 16 }), fits: true },
    { what: 'vCPU over', expected: res({ vcpu: 4.01, memoryGiB: 1 }), fits: false },
    { what: 'memory over', expected: res({ vcpu: 1, memoryGiB: 16.5 }), fits: false },
    // Network and disk ceilings are the type's, not what a load uses: they do not decide.
    { what: 'network and disk over the ceilings', expected: res({ vcpu: 1, memoryGiB: 1, networkMbps: 50_000, diskIops: 90_000 }), fits: true },
    { what: 'a NaN peak: cannot tell', expected: res({ vcpu: Number.NaN, memoryGiB: 1 }), fits: undefined },
    { what: 'no expected peak: cannot tell', expected: undefined, fits: undefined },
  ])('$what → $fits', ({ expected, fits }) => {
    expect(expectedRestartFits(expected, host)).toBe(fits);
  });

  it('an unknown host: cannot tell', () => {
    expect(expectedRestartFits(res({ vcpu: 1, memoryGiB: 1 }), undefined)).toBeUndefined();
  });
});
