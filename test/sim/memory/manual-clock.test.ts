import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../lambda/sim/memory/manual-clock';

describe('ManualClock', () => {
  it('starts where told and advances only when asked', () => {
    const c = new ManualClock(1_000);
    expect(c.now()).toBe(1_000);
    expect(c.advance(500)).toBe(1_500);
    c.set(10);
    expect(c.now()).toBe(10);
  });

  it.each([[-1], [Number.NaN], [Number.POSITIVE_INFINITY]])('refuses to advance by %s', (ms) => {
    expect(() => new ManualClock().advance(ms)).toThrow(`(got ${ms})`);
  });

  it('refuses a non-finite start', () => {
    expect(() => new ManualClock(Number.NaN)).toThrow('start must be a finite');
  });
});
