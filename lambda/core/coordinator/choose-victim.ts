import { DIMENSIONS, type FleetView, type GroupView, type ManagedInstance, type Resources } from '../domain';
import { estimatePostRestartDemand, instanceShape } from '../common/post-restart-demand';
import { formatVcpuMemory } from '../resources/resources';

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

/** The two dimensions a restart's host must hold for its load to be served (network and disk ceilings are not use). */
const HOST_DIMENSIONS = ['vcpu', 'memoryGiB'] as const;

/**
 * Whether a victim's expected restart peak fits the host it restarts on — its own instance type: a stop restarts
 * the same instance, and a replacement is launched from the same group. `expected` is the forecast's p50 (the
 * median peak of the post-restart window): the reservation holds the p90, whose 10 % margin a bursty load's
 * forecast widens far past its host, so the p90 would keep most busy victims waiting (measured: see
 * HOST_WAIT_SHARE in plan-request.ts). Undefined (cannot tell) when either side is missing or not a finite number.
 */
export const expectedRestartFits = (expected: Resources | undefined, host: Resources | undefined): boolean | undefined => {
  if (expected === undefined || host === undefined) return undefined;
  if (!HOST_DIMENSIONS.every((d) => Number.isFinite(expected[d]) && Number.isFinite(host[d]))) return undefined;
  return HOST_DIMENSIONS.every((d) => expected[d] <= host[d]);
};

/**
 * Whether `instance`'s expected restart peak (its forecast's p50 in vCPU and memory, the policy's declared demand
 * overriding) fits its own instance type, with the numbers for the decision's detail. Cannot tell (no p50, a type
 * the catalog does not know) counts as not fitting: the request waits like one that does not fit — never past
 * the first part of its window.
 */
export const restartFitsHost = (instance: ManagedInstance, group: GroupView, fleet: FleetView): { readonly fits: boolean; readonly detail: string } => {
  const expected = estimatePostRestartDemand(instance, group, fleet, 'p50');
  const host = instanceShape(instance, fleet);
  const fits = expectedRestartFits(expected.kind === 'known' ? expected.amount : undefined, host);
  const peak = expected.kind === 'known' ? `${formatVcpuMemory(expected.amount)} expected at the restart's peak (p50)` : 'no expected restart peak';
  const type = host === undefined ? `${instance.instanceType} (not in the catalog)` : `${instance.instanceType} (${formatVcpuMemory(host)})`;
  return {
    fits: fits === true,
    detail: `${instance.id}: ${peak}, ${fits === true ? 'fits' : fits === false ? 'exceeds' : 'cannot be compared with'} its ${type}`,
  };
};
