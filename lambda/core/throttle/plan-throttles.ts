import type { Action, BehaviourProfile, GroupView, InstanceId, ResourcePool } from '../domain';
import { findThrottles } from './find-throttles';

/**
 * The throttles of a profile tick, as plan actions: one `request-throttle` per (instance, dimension) found by
 * findThrottles on the refreshed pool's allocations, and the set of throttled instances (planEvictions takes them
 * first). Nothing when the group's policy has throttling off (the default). Stateless: an instance still over its
 * allocation is requested again on every tick, so the operator's enforcement must be idempotent (a cgroup quota set
 * twice is the same quota) and a lapsed throttle simply stops being requested.
 */
export const planThrottles = (
  group: Pick<GroupView, 'id' | 'policy'>,
  pool: Pick<ResourcePool, 'allocations'>,
  profiles: readonly BehaviourProfile[],
  ctx: { readonly now: number; readonly staleAfterMs: number },
): { readonly actions: readonly Action[]; readonly throttled: ReadonlySet<InstanceId> } => {
  const policy = group.policy.throttle;
  if (policy === undefined || !policy.enabled) return { actions: [], throttled: new Set() };
  const found = findThrottles({
    profiles: profiles.filter((p) => p.groupId === group.id),
    allocations: pool.allocations,
    overAllocationMinutes: policy.overAllocationMinutes,
    now: ctx.now,
    staleAfterMs: ctx.staleAfterMs,
  });
  const actions = found.map((t): Action => ({
    kind: 'request-throttle',
    throttle: t,
    reason: `${t.instanceId} used more than its ${t.dimension} allocation ${t.allocation} for ${t.minutes} consecutive minutes (policy: ${policy.overAllocationMinutes}); now ${t.observed}, ${t.excess} over`,
  }));
  return { actions, throttled: new Set(found.map((t) => t.instanceId)) };
};
