import { describe, expect, it } from 'vitest';
import { SystemClock, systemClock } from '../../lambda/adapters/system-clock';

describe('SystemClock', () => {
  it('reads the wall clock in epoch milliseconds', () => {
    const before = Date.now();
    const now = new SystemClock().now();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
    expect(Number.isInteger(systemClock.now())).toBe(true);
  });
});
