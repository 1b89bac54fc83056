import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createRandom, exponential, randomStream, rankOf, uniform } from '../../lambda/data/random';

describe('seeded randomness', () => {
  it('repeats the same numbers for the same seed and label', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.string(), (seed, label) => {
      const a = randomStream(seed, label);
      const b = randomStream(seed, label);
      for (let i = 0; i < 20; i++) expect(a()).toBe(b());
    }));
  });

  it('stays in [0, 1)', () => {
    fc.assert(fc.property(fc.integer(), (seed) => {
      const r = createRandom(seed);
      for (let i = 0; i < 100; i++) {
        const x = r();
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThan(1);
      }
    }));
  });

  it('gives different streams for different labels (adding draws in one never shifts another)', () => {
    const bursts = randomStream(7, 'spot-bursts');
    const requests = randomStream(7, 'priority-requests');
    const a = Array.from({ length: 5 }, () => bursts());
    const b = Array.from({ length: 5 }, () => requests());
    expect(a).not.toEqual(b);
  });

  it('has a plausible mean for uniform and exponential draws', () => {
    const r = createRandom(42);
    const n = 20_000;
    let su = 0;
    let se = 0;
    for (let i = 0; i < n; i++) {
      su += uniform(r, 2, 4);
      se += exponential(r, 60);
    }
    expect(su / n).toBeCloseTo(3, 1);
    expect(se / n).toBeGreaterThan(57);
    expect(se / n).toBeLessThan(63);
  });

  it('ranks keys independently of order', () => {
    expect(rankOf(5, 'i-1')).toBe(rankOf(5, 'i-1'));
    expect(rankOf(5, 'i-1')).not.toBe(rankOf(6, 'i-1'));
  });

  it('rejects a non-finite seed naming it', () => {
    expect(() => createRandom(Number.NaN)).toThrow(/seed must be a finite number, got NaN/);
  });
});
