import { describe, expect, it } from 'vitest';
import { measureConcurrentStorm } from '../../bench/storm-bench';

/**
 * The concurrent storm's stale-write detector: a notice that reads the group's desired capacity, and then
 * writes an absolute value after another notice changed it, is counted; relative raises are never stale, and
 * every increment asked for must show in the group.
 */
describe('measureConcurrentStorm', () => {
  it('warnings in the same second: every notice acts, raises the group relatively (ExecutePolicy), and no increment is lost', async () => {
    const m = await measureConcurrentStorm(12, 5, { meanSeconds: 0.2, maxSeconds: 0.5 });
    expect(m.handled).toBe(12);
    expect(m.lastActionMs.every((x) => x !== undefined && x > 0)).toBe(true);
    expect(m.overCommitted).toBe(false);
    expect(m.desiredIncrementsAsked).toBe(12);
    expect(m.staleWrites).toBe(0);
    expect(m.desiredRise).toBe(m.desiredIncrementsAsked);
  }, 60_000);

  it('one warning alone writes nothing stale', async () => {
    const m = await measureConcurrentStorm(1, 5);
    expect(m.handled).toBe(1);
    expect(m.staleWrites).toBe(0);
    expect(m.desiredRise).toBe(m.desiredIncrementsAsked);
  }, 60_000);
});
