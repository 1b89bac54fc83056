/** The strategies `spotwise simulate` compares, in report order. */
export const STRATEGY_NAMES = ['none', 'reactive', 'rebalance', 'spotwise'] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

export const isStrategyName = (s: string): s is StrategyName => (STRATEGY_NAMES as readonly string[]).includes(s);
