import type { PreparedSimulation } from '../prepare-simulation';
import {
  createAsgNativeStrategy,
  createNoneStrategy,
  createReactiveStrategy,
  createStaticHeadroomStrategy,
  createWarmReactiveStrategy,
  type SimStrategy,
} from './baseline-strategies';
import { defaultKnob } from './knob-grid';
import { createSpotwiseStrategy } from './spotwise-strategy';
import type { StrategyName } from './strategy-names';

export { STRATEGY_NAMES, isStrategyName, type StrategyName } from './strategy-names';

/** A fresh strategy instance for one run (strategies keep per-run state); `knob` only for knob strategies (default: defaultKnob). */
export const createStrategy = (name: StrategyName, setup: PreparedSimulation, knob?: number): SimStrategy => {
  if (knob !== undefined && !(Number.isInteger(knob) && knob >= 0)) throw new RangeError(`strategy ${name}: knob must be an integer ≥ 0 (got ${knob})`);
  switch (name) {
    case 'none':
      return createNoneStrategy();
    case 'reactive':
      return createReactiveStrategy();
    case 'asg-native':
      return createAsgNativeStrategy(knob ?? defaultKnob(name, setup));
    case 'warm-reactive':
      return createWarmReactiveStrategy(knob ?? defaultKnob(name, setup));
    case 'static-headroom':
      return createStaticHeadroomStrategy(knob ?? defaultKnob(name, setup));
    case 'spotwise':
      return createSpotwiseStrategy(setup);
    case 'spotwise-naive':
      return createSpotwiseStrategy(setup, { name: 'spotwise-naive', predictor: 'naive' });
  }
};
