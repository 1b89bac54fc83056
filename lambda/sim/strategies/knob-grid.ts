import type { PreparedSimulation } from '../prepare-simulation';
import type { KnobStrategyName } from './strategy-names';

/** Spot instances per (type × AZ) pool of each primary group at the start. */
const poolSizes = (setup: PreparedSimulation): { perGroup: Map<string, number>; largestPool: number } => {
  const perGroup = new Map<string, number>();
  let largestPool = 0;
  for (const g of setup.sample.fleet.groups) {
    if (g.role !== 'primary') continue;
    const pools = new Map<string, number>();
    for (const i of g.instances) pools.set(`${i.instanceType}@${i.availabilityZone}`, (pools.get(`${i.instanceType}@${i.availabilityZone}`) ?? 0) + 1);
    const largest = Math.max(0, ...pools.values());
    perGroup.set(g.id, largest);
    largestPool = Math.max(largestPool, largest);
  }
  return { perGroup, largestPool };
};

/**
 * The knob values `--sweep` tries: 0 up to a size that serves every interruption — twice the largest Spot
 * pool for warm pools (a whole pool reclaimed at once, DESIGN.md §1, and a second burst before the pool has
 * refilled: a warm instance takes ~5 minutes to come back), the largest pool within one group for per-group
 * spares — on a roughly geometric grid so small sizes, where the frontier bends, are dense.
 */
export const knobGrid = (name: KnobStrategyName, setup: PreparedSimulation): number[] => {
  const { perGroup, largestPool } = poolSizes(setup);
  const cap = name === 'static-headroom' ? Math.max(1, ...perGroup.values()) : Math.max(1, 2 * largestPool);
  const grid = new Set<number>([0, cap]);
  for (const v of [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64]) if (v < cap) grid.add(v);
  return [...grid].sort((a, b) => a - b);
};

/**
 * The knob of a single run: what a careful operator would configure for this fleet — the standby group's
 * configured warm pool for the warm strategies, one spare per primary group for static headroom.
 */
export const defaultKnob = (name: KnobStrategyName, setup: PreparedSimulation): number => {
  if (name === 'static-headroom') return 1;
  const standby = setup.sample.fleet.groups.find((g) => g.role === 'standby');
  const wp = standby?.warmPool;
  if (standby === undefined || wp === undefined) return 0;
  // As Auto Scaling sizes it: max(MinSize, MaxGroupPreparedCapacity − desired); −1 means the group's max size.
  const prepared = wp.maxGroupPreparedCapacity === -1 ? standby.maxSize : wp.maxGroupPreparedCapacity;
  return Math.max(wp.minSize, prepared - standby.desiredCapacity);
};
