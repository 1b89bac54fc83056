import { DIMENSIONS, type ManagedInstance, type Resources } from '../domain';

/** A candidate victim with the post-restart demand its interruption would have to reserve. */
export interface RankedCandidate {
  readonly instance: ManagedInstance;
  readonly demand: Resources;
  /** Predicted restart cost: the largest share of the pool's capacity the restart needs (see restartCost). */
  readonly cost: number;
}

/**
 * The predicted restart cost of a demand in a pool: its dominant share — the largest fraction of any
 * dimension of the pool's capacity it would hold — with the sum of shares as a tie-break. The
 * dominant share says how hard the reservation is to fit (the scarcest dimension decides, seed
 * 10572412's all-dimensions test); a dimension with zero capacity and a positive demand costs
 * Infinity (it can never fit).
 */
export const restartCost = (demand: Resources, capacity: Resources): { readonly dominant: number; readonly total: number } => {
  let dominant = 0;
  let total = 0;
  for (const d of DIMENSIONS) {
    if (demand[d] <= 0) continue;
    const share = capacity[d] > 0 ? demand[d] / capacity[d] : Number.POSITIVE_INFINITY;
    dominant = Math.max(dominant, share);
    total += share;
  }
  return { dominant, total };
};

/**
 * Orders candidates as the coordinator tries them (seed 10572412: "strategically selecting instances
 * to interrupt based on both priority and predicted resource availability"): lowest priority first,
 * then the cheapest predicted restart, then the instance id so the order is total and deterministic.
 */
export const rankCandidates = (
  candidates: readonly { readonly instance: ManagedInstance; readonly demand: Resources }[],
  capacity: Resources,
): RankedCandidate[] =>
  candidates
    .map((c) => ({ ...c, ...restartCost(c.demand, capacity) }))
    .sort(
      (a, b) =>
        a.instance.priority - b.instance.priority ||
        a.dominant - b.dominant ||
        a.total - b.total ||
        (a.instance.id < b.instance.id ? -1 : a.instance.id > b.instance.id ? 1 : 0),
    )
    .map(({ instance, demand, dominant }) => ({ instance, demand, cost: dominant }));
