import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { meanMetrics, summarizeSeeds, worstSeed } from '../../../lambda/sim/runs/aggregate-seeds';

describe('meanMetrics', () => {
  it('averages every numeric field, nested objects field by field, whatever the fields are', () => {
    const mean = meanMetrics([
      { unservedVcpuMinutes: 10, cost: 100, availability: 0.99, costBreakdown: { spot: 80, software: 20 }, someNewCounter: 3 },
      { unservedVcpuMinutes: 20, cost: 110, availability: 0.97, costBreakdown: { spot: 90, software: 20 }, someNewCounter: 5 },
    ]);
    expect(mean).toEqual({ unservedVcpuMinutes: 15, cost: 105, availability: 0.98, costBreakdown: { spot: 85, software: 20 }, someNewCounter: 4 });
  });

  it.each([
    ['a field some seeds lack is averaged over the seeds that have it', [{ a: 1, b: 4 }, { a: 3 }], { a: 2, b: 4 }],
    [
      'labels every seed agrees on are kept',
      [
        { kind: 'x', a: 1 },
        { kind: 'x', a: 1 },
      ],
      { kind: 'x', a: 1 },
    ],
    [
      'labels that differ are dropped',
      [
        { kind: 'x', a: 1 },
        { kind: 'y', a: 1 },
      ],
      { a: 1 },
    ],
    ['float noise is rounded to six decimals', [{ a: 0.1 }, { a: 0.2 }], { a: 0.15 }],
    ['one seed is its own mean', [{ a: 7, o: { b: 2 } }], { a: 7, o: { b: 2 } }],
  ])('%s', (_, input, expected) => {
    expect(meanMetrics(input)).toEqual(expected);
  });

  it('lies between the least and the largest value of each field', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 20 }), (xs) => {
        const m = meanMetrics(xs.map((x) => ({ x }))).x as number;
        expect(m).toBeGreaterThanOrEqual(Math.min(...xs) - 1e-6);
        expect(m).toBeLessThanOrEqual(Math.max(...xs) + 1e-6);
      }),
    );
  });
});

describe('worstSeed', () => {
  it.each([
    [
      'the most unserved demand',
      [
        { seed: 1, metrics: { unservedVcpuMinutes: 5, cost: 9 } },
        { seed: 2, metrics: { unservedVcpuMinutes: 8, cost: 1 } },
      ],
      2,
    ],
    [
      'ties broken by the higher cost',
      [
        { seed: 1, metrics: { unservedVcpuMinutes: 5, cost: 9 } },
        { seed: 2, metrics: { unservedVcpuMinutes: 5, cost: 10 } },
      ],
      2,
    ],
    [
      'then by the earlier seed',
      [
        { seed: 4, metrics: { unservedVcpuMinutes: 5, cost: 9 } },
        { seed: 2, metrics: { unservedVcpuMinutes: 5, cost: 9 } },
      ],
      4,
    ],
  ])('is the seed with %s', (_, runs, seed) => {
    expect(worstSeed(runs).seed).toBe(seed);
  });

  it('refuses no seeds', () => {
    expect(() => worstSeed([])).toThrow('at least one seed');
  });

  it('no seed has more unserved demand than the worst', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ seed: fc.nat(), metrics: fc.record({ unservedVcpuMinutes: fc.nat(1000), cost: fc.nat(1000) }) }), { minLength: 1, maxLength: 12 }),
        (runs) => {
          const w = worstSeed(runs);
          for (const r of runs) expect(r.metrics.unservedVcpuMinutes).toBeLessThanOrEqual(w.metrics.unservedVcpuMinutes);
        },
      ),
    );
  });
});

describe('summarizeSeeds', () => {
  it('gives each strategy its mean and its worst seed, named', () => {
    const s = summarizeSeeds([
      { seed: 1, strategies: { none: { unservedVcpuMinutes: 30, cost: 90 }, spotwise: { unservedVcpuMinutes: 2, cost: 100 } } },
      { seed: 2, strategies: { none: { unservedVcpuMinutes: 50, cost: 91 }, spotwise: { unservedVcpuMinutes: 0, cost: 104 } } },
    ]);
    expect(s.none).toEqual({ mean: { unservedVcpuMinutes: 40, cost: 90.5 }, worst: { unservedVcpuMinutes: 50, cost: 91, seed: 2 } });
    expect(s.spotwise).toEqual({ mean: { unservedVcpuMinutes: 1, cost: 102 }, worst: { unservedVcpuMinutes: 2, cost: 100, seed: 1 } });
  });
});
