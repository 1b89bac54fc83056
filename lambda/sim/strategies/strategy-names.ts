/**
 * The strategies `spotwise simulate` compares, in report order. Every one runs in the same world: the same
 * fleet, the same standby group with its warm pool, the same lifecycle hooks, requests and budgets.
 */
export const STRATEGY_NAMES = ['none', 'reactive', 'asg-native', 'warm-reactive', 'static-headroom', 'spotwise', 'spotwise-naive'] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

export const isStrategyName = (s: string): s is StrategyName => (STRATEGY_NAMES as readonly string[]).includes(s);

/**
 * Strategies with one operator knob, and what it means. `--sweep` runs each over a grid of its knob; a single
 * run uses `defaultKnob` (what a careful operator would configure for the fleet, see knob-grid.ts).
 */
export const KNOB_STRATEGIES = {
  'asg-native': { knob: 'static warm pool size of the standby group' },
  'warm-reactive': { knob: 'static warm pool size of the standby group' },
  'static-headroom': { knob: 'always-running spare instances per primary group' },
} as const;
export type KnobStrategyName = keyof typeof KNOB_STRATEGIES;
export const KNOB_STRATEGY_NAMES = Object.keys(KNOB_STRATEGIES) as KnobStrategyName[];

export const isKnobStrategy = (s: string): s is KnobStrategyName => s in KNOB_STRATEGIES;

/** Knob values per strategy for one run (absent: the strategy's default). */
export type StrategyKnobs = Readonly<Partial<Record<KnobStrategyName, number>>>;
