import type { MetricsObject } from './aggregate-seeds';

/** The strategies that run spotwise's handlers; every other strategy is a baseline. */
export const SPOTWISE_STRATEGIES = ['spotwise', 'spotwise-naive'] as const;

export const isBaseline = (name: string): boolean => !(SPOTWISE_STRATEGIES as readonly string[]).includes(name);

const num = (m: MetricsObject | undefined, key: string): number => {
  const v = m?.[key];
  return typeof v === 'number' ? v : NaN;
};

export interface BaselineComparison {
  readonly strategy: string;
  readonly baseline: string;
  readonly unservedVcpuMinutes: number;
  readonly baselineUnservedVcpuMinutes: number;
  readonly cost: number;
  readonly baselineCost: number;
  readonly availability: number;
  readonly baselineAvailability: number;
}

/**
 * The best baseline of a run: the least unserved vCPU·min, ties broken by the lower cost, then by report
 * order. No yardstick is privileged: `none` and `reactive` compete with the tuned ones.
 */
export const bestBaseline = (strategies: Readonly<Record<string, MetricsObject>>): string | undefined => {
  let best: string | undefined;
  for (const [name, m] of Object.entries(strategies)) {
    if (!isBaseline(name)) continue;
    const b = best === undefined ? undefined : strategies[best];
    const du = num(m, 'unservedVcpuMinutes') - num(b, 'unservedVcpuMinutes');
    if (best === undefined || du < 0 || (du === 0 && num(m, 'cost') < num(b, 'cost'))) best = name;
  }
  return best;
};

/** spotwise and spotwise-naive, each beside the best baseline of the same run (absent when either side did not run). */
export const compareWithBestBaseline = (strategies: Readonly<Record<string, MetricsObject>>): BaselineComparison[] => {
  const baseline = bestBaseline(strategies);
  if (baseline === undefined) return [];
  const b = strategies[baseline];
  return SPOTWISE_STRATEGIES.flatMap((strategy) => {
    const s = strategies[strategy];
    if (s === undefined) return [];
    return [
      {
        strategy,
        baseline,
        unservedVcpuMinutes: num(s, 'unservedVcpuMinutes'),
        baselineUnservedVcpuMinutes: num(b, 'unservedVcpuMinutes'),
        cost: num(s, 'cost'),
        baselineCost: num(b, 'cost'),
        availability: num(s, 'availability'),
        baselineAvailability: num(b, 'availability'),
      },
    ];
  });
};
