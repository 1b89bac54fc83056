import { describe, expect, it } from 'vitest';
import { measureConcurrentStorm } from '../../bench/storm-bench';

/**
 * The concurrent storm's stale-write detector: notices that read the group's desired capacity before another
 * notice wrote it, and then write their own value, are counted — and the lost increments show in the group.
 */
describe('measureConcurrentStorm', () => {
  it('warnings in the same second: every notice acts, and the desired-capacity writes computed from a value changed since are counted', async () => {
    const m = await measureConcurrentStorm(12, 5, { meanSeconds: 0.2, maxSeconds: 0.5 });
    expect(m.handled).toBe(12);
    expect(m.lastActionMs.every((x) => x !== undefined && x > 0)).toBe(true);
    expect(m.overCommitted).toBe(false);
    // Each warning asks for one more instance; concurrent read-modify-writes lose some of them.
    expect(m.desiredIncrementsAsked).toBe(12);
    expect(m.staleWrites).toBeGreaterThan(0);
    expect(m.staleByApi.SetDesiredCapacity).toBe(m.staleWrites);
    expect(m.desiredRise).toBeLessThan(m.desiredIncrementsAsked);
  }, 60_000);

  it('one warning alone writes nothing stale', async () => {
    const m = await measureConcurrentStorm(1, 5);
    expect(m.handled).toBe(1);
    expect(m.staleWrites).toBe(0);
    expect(m.desiredRise).toBe(m.desiredIncrementsAsked);
  }, 60_000);
});
