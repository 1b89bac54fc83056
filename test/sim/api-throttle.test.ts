import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EC2_THROTTLE_BUDGETS, TokenBucket } from '../../lambda/sim/api-throttle';

describe('TokenBucket (EC2 request throttling)', () => {
  it('lets a burst of 5 launches through at once, then 2 per second', () => {
    const b = new TokenBucket(EC2_THROTTLE_BUDGETS.launch, 0);
    const times = Array.from({ length: 9 }, () => b.take(0));
    expect(times.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
    expect(times.slice(5)).toEqual([500, 1000, 1500, 2000]);
    expect(b.throttled).toBe(4);
  });

  it('refills while idle, never above the burst', () => {
    const b = new TokenBucket(EC2_THROTTLE_BUDGETS.launch, 0);
    for (let i = 0; i < 5; i++) b.take(0);
    const later = Array.from({ length: 6 }, () => b.take(60_000));
    expect(later.slice(0, 5)).toEqual([60_000, 60_000, 60_000, 60_000, 60_000]);
    expect(later[5]).toBe(60_500);
  });

  it('never admits more calls than burst + rate × elapsed (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5_000 }), { minLength: 1, maxLength: 200 }), (gaps) => {
        const budget = EC2_THROTTLE_BUDGETS.mutating;
        const b = new TokenBucket(budget, 0);
        let now = 0;
        const admitted: number[] = [];
        for (const g of gaps) {
          now += g;
          admitted.push(b.take(now));
        }
        for (let i = 0; i < admitted.length; i++) {
          const t = admitted[i] as number;
          expect(t).toBeGreaterThanOrEqual(0);
          expect(i + 1).toBeLessThanOrEqual(budget.burst + (t / 1000) * budget.refillPerSecond + 1e-6);
        }
      }),
    );
  });

  it('rejects a budget without tokens', () => {
    expect(() => new TokenBucket({ burst: 0, refillPerSecond: 1 }, 0)).toThrow(/burst ≥ 1/);
  });
});
