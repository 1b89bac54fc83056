import type { Dimension, RestartCycle } from '../domain';

/**
 * Whether a dimension of a recorded cycle is evidence (observed, with a non-zero steady state before): a cycle with no
 * steady state before — a lineage whose load never arrived, or an instance's own first window — has nothing its peak is
 * relative to. The one rule of the fallback's factors, the model's restart features, the retraining's cases and the
 * recalibration's scores and shares (core/predict/calibrate.ts).
 */
export const cycleObserved = (cycle: RestartCycle, d: Dimension): boolean =>
  !(cycle.unobserved ?? []).includes(d) && cycle.steadyBefore[d] > 0 && Number.isFinite(cycle.peakAfter[d]);
