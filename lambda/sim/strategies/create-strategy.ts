import type { PreparedSimulation } from '../prepare-simulation';
import { createNoneStrategy, createReactiveStrategy, createRebalanceStrategy, type SimStrategy } from './baseline-strategies';
import { createSpotwiseStrategy } from './spotwise-strategy';

import type { StrategyName } from './strategy-names';

export { STRATEGY_NAMES, isStrategyName, type StrategyName } from './strategy-names';

/** A fresh strategy instance for one run (strategies keep per-run state). */
export const createStrategy = (name: StrategyName, setup: PreparedSimulation): SimStrategy => {
  switch (name) {
    case 'none':
      return createNoneStrategy();
    case 'reactive':
      return createReactiveStrategy();
    case 'rebalance':
      return createRebalanceStrategy();
    case 'spotwise':
      return createSpotwiseStrategy(setup);
  }
};
