import { describe, expect, it } from 'vitest';
import { bestBaseline, compareWithBestBaseline } from '../../../lambda/sim/runs/compare-baselines';

const m = (unservedVcpuMinutes: number, cost: number, availability = 1) => ({ unservedVcpuMinutes, cost, availability });

describe('bestBaseline', () => {
  it.each([
    ['the least unserved', { none: m(50, 90), reactive: m(30, 92), 'warm-reactive': m(2, 95), spotwise: m(0, 99) }, 'warm-reactive'],
    ['ties by the lower cost', { 'asg-native': m(2, 96), 'warm-reactive': m(2, 95) }, 'warm-reactive'],
    ['never spotwise or its ablation', { spotwise: m(0, 1), 'spotwise-naive': m(0, 1), none: m(9, 9) }, 'none'],
    ['none without baselines', { spotwise: m(0, 1) }, undefined],
  ])('is %s', (_, strategies, expected) => {
    expect(bestBaseline(strategies)).toBe(expected);
  });
});

describe('compareWithBestBaseline', () => {
  it('puts spotwise and spotwise-naive beside the same best baseline', () => {
    const c = compareWithBestBaseline({
      none: m(50, 90, 0.9),
      'static-headroom': m(3, 97, 0.999),
      spotwise: m(1, 99, 0.9995),
      'spotwise-naive': m(4, 98, 0.998),
    });
    expect(c).toEqual([
      {
        strategy: 'spotwise',
        baseline: 'static-headroom',
        unservedVcpuMinutes: 1,
        baselineUnservedVcpuMinutes: 3,
        cost: 99,
        baselineCost: 97,
        availability: 0.9995,
        baselineAvailability: 0.999,
      },
      {
        strategy: 'spotwise-naive',
        baseline: 'static-headroom',
        unservedVcpuMinutes: 4,
        baselineUnservedVcpuMinutes: 3,
        cost: 98,
        baselineCost: 97,
        availability: 0.998,
        baselineAvailability: 0.999,
      },
    ]);
  });

  it('is empty when only baselines ran', () => {
    expect(compareWithBestBaseline({ none: m(1, 1), reactive: m(2, 2) })).toEqual([]);
  });
});
