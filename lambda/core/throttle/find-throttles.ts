import { DIMENSIONS, type BehaviourProfile, type InstanceId, type Resources, type Throttle } from '../domain';

export type { Throttle };

const MINUTE_MS = 60_000;

export interface FindThrottlesInput {
  readonly profiles: readonly BehaviourProfile[];
  readonly allocations: ReadonlyMap<InstanceId, Resources>;
  /** The policy's `throttle.over_allocation_minutes` (≥ 1). */
  readonly overAllocationMinutes: number;
  readonly now: number;
  /**
   * A run whose last minute is older than this is not current (the profiler reads metrics only every so many
   * minutes, and CloudWatch is a few minutes late): nothing is decided from it.
   */
  readonly staleAfterMs: number;
}

/**
 * Which instances have used more than their allocation on a dimension for at least `overAllocationMinutes`
 * consecutive minutes, up to their latest recorded minute (BehaviourProfile.recent, 1-minute points).
 *
 * Only evidence counts, because a throttle makes an instance the first eviction candidate: a minute with no
 * data on the dimension, or a missing minute, ends the run (unknown is never "over"); an instance with no
 * allocation in the pool, a non-finite allocation or a stale latest minute is not throttled; use equal to the
 * allocation is not over it. One entry per (instance, dimension), in profile order then DIMENSIONS order.
 */
export const findThrottles = (input: FindThrottlesInput): Throttle[] => {
  const { overAllocationMinutes, now, staleAfterMs } = input;
  if (!(overAllocationMinutes >= 1) || !Number.isFinite(now) || !(staleAfterMs >= 0)) return [];
  const out: Throttle[] = [];
  for (const profile of input.profiles) {
    const allocation = input.allocations.get(profile.instanceId);
    if (allocation === undefined) continue;
    const points = [...profile.recent].filter((p) => Number.isFinite(p.at)).sort((a, b) => a.at - b.at);
    const last = points.at(-1);
    if (last === undefined || last.at > now || now - last.at > staleAfterMs) continue;
    for (const dimension of DIMENSIONS) {
      const allowed = allocation[dimension];
      if (!Number.isFinite(allowed) || allowed < 0) continue;
      const isOver = (demand: Partial<Resources>): boolean => {
        const v = demand[dimension];
        return v !== undefined && Number.isFinite(v) && v > allowed;
      };
      let run = 0;
      for (let k = points.length - 1; k >= 0; k -= 1) {
        const point = points[k]!;
        if (!isOver(point.demand)) break;
        const next = points[k + 1];
        if (next !== undefined && next.at - point.at !== MINUTE_MS) break;
        run += 1;
      }
      if (run < overAllocationMinutes) continue;
      const observed = last.demand[dimension] as number;
      out.push({
        groupId: profile.groupId,
        instanceId: profile.instanceId,
        dimension,
        allocation: allowed,
        observed,
        excess: observed - allowed,
        since: points[points.length - run]!.at,
        minutes: run,
      });
    }
  }
  return out;
};
