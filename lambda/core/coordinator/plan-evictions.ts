import {
  DIMENSIONS,
  requestId,
  type Dimension,
  type FleetView,
  type GroupId,
  type InstanceId,
  type InterruptionRequest,
  type ManagedInstance,
  type Resources,
} from '../domain';
import { findGroup, runsAndStays } from '../common/locate-instance';
import { unusablePoolReason } from '../common/plan-pool';
import { committedResources } from '../pool/resource-pool';
import { subtractResources, ZERO_RESOURCES } from '../resources/resources';

/**
 * How long an eviction request stays valid: long enough for a few deferrals (RETRY_INTERVAL_MS) while
 * the admission check waits for room, short enough that a stale eviction does not fire after the
 * pressure is gone (the next profile tick re-evaluates and requests again if it has not).
 */
export const EVICTION_DEADLINE_MS = 30 * 60_000;

/** The pool's use: its most-used dimension's committed / capacity (dimensions without capacity are skipped). */
export const poolUse = (committed: Resources, capacity: Resources): { readonly use: number; readonly dimension?: Dimension } => {
  let use = 0;
  let dimension: Dimension | undefined;
  for (const d of DIMENSIONS) {
    if (!(capacity[d] > 0)) continue;
    const share = committed[d] / capacity[d];
    if (share > use) {
      use = share;
      dimension = d;
    }
  }
  return dimension === undefined ? { use } : { use, dimension };
};

/**
 * Eviction (seed 9848041: "evicting low-priority tasks to free up resources for high-priority ones"):
 * when `groupId`'s pool use (committed = allocations + reservations, most-used dimension) passes the
 * policy's evictionThreshold and preemptionEnabled is set, request interruptions of the
 * lowest-priority running instances — lowest priority first, the largest allocation first within a
 * priority (fewest evictions), then by id — until the projected use is back at or under the
 * threshold. Only instances below the group's highest running priority are evicted: eviction serves
 * higher-priority work, so a group of equals evicts nobody. Instances with no recorded allocation
 * free nothing and are skipped, as are those already holding a reservation (being interrupted).
 *
 * Throttled instances (`ctx.throttled`, from planThrottles: over their allocation for the policy's minutes) are
 * the first candidates, whatever their priority: they are taking capacity the pool gave to others, so evicting
 * them is what frees the pool for everyone, a group of equals included. Among them: lowest priority first, then
 * the largest allocation, then by id; the others follow as above.
 *
 * The requests carry deterministic ids (group, instance, launch time), so the next tick asking again
 * for the same instance produces the same request, and they go through planInterruptionRequest's
 * admission check like any other. An unusable pool evicts nothing (fail closed).
 */
export const planEvictions = (
  groupId: GroupId,
  fleet: FleetView,
  ctx: { readonly now: number; readonly throttled?: ReadonlySet<InstanceId> },
): InterruptionRequest[] => {
  const group = findGroup(fleet, groupId);
  if (group === undefined || !Number.isFinite(ctx.now)) return [];
  const { policy, pool } = group;
  if (!policy.preemptionEnabled || !(policy.evictionThreshold > 0) || unusablePoolReason(group) !== undefined) return [];
  let committed = committedResources(pool);
  const before = poolUse(committed, pool.capacity);
  if (!(before.use > policy.evictionThreshold)) return [];

  const running = group.instances.filter(runsAndStays);
  const top = Math.max(...running.map((i) => i.priority));
  const reserved = new Set([...pool.reservations.values()].map((r) => r.instanceId));
  const allocationOf = (i: ManagedInstance): Resources => pool.allocations.get(i.id) ?? ZERO_RESOURCES;
  const dominant = (i: ManagedInstance): number => poolUse(allocationOf(i), pool.capacity).use;
  const throttled = ctx.throttled ?? new Set<InstanceId>();
  const rank = (i: ManagedInstance): number => (throttled.has(i.id) ? 0 : 1);
  const candidates = running
    .filter((i) => (i.priority < top || throttled.has(i.id)) && !reserved.has(i.id) && dominant(i) > 0)
    .sort((a, b) => rank(a) - rank(b) || a.priority - b.priority || dominant(b) - dominant(a) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

  const requests: InterruptionRequest[] = [];
  for (const victim of candidates) {
    if (!(poolUse(committed, pool.capacity).use > policy.evictionThreshold)) break;
    committed = subtractResources(committed, allocationOf(victim));
    requests.push({
      requestId: requestId(`evict:${group.id}:${victim.id}:${victim.launchedAt}`),
      selector: { kind: 'instance', instanceId: victim.id },
      reason: `eviction: ${group.id} pool ${before.dimension ?? 'use'} at ${(before.use * 100).toFixed(1)}% > threshold ${(policy.evictionThreshold * 100).toFixed(1)}%; ${victim.id} ${throttled.has(victim.id) ? `is throttled (over its allocation), priority ${victim.priority}` : `has priority ${victim.priority} < ${top}`}`,
      notBefore: ctx.now,
      deadline: ctx.now + EVICTION_DEADLINE_MS,
      // Terminate: Auto Scaling treats a stopped instance as unhealthy and Spot instances cannot be stopped.
      mode: 'terminate',
      requestedAt: ctx.now,
    });
  }
  return requests;
};
