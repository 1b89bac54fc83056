import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelayMs, waitBeforeRetry } from '../../lambda/adapters/backoff';

describe('backoff', () => {
  it('draws a full-jitter delay below min(cap, base·2^attempt)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40 }), fc.double({ min: 0, max: 0.999999, noNaN: true }), (attempt, r) => {
        const delay = backoffDelayMs(attempt, { baseMs: 25, capMs: 1000, random: () => r });
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(Math.min(1000, 25 * 2 ** attempt));
      }),
    );
  });

  it('waits through the injected sleep', async () => {
    const slept: number[] = [];
    await waitBeforeRetry(3, { baseMs: 10, capMs: 1000, random: () => 0.5, sleep: async (ms) => void slept.push(ms) });
    expect(slept).toEqual([40]);
  });
});
