import type { GroupView, ManagedInstance, Plan, PoolSignal } from '../domain';

/**
 * `plan` with the signal counted against the instance's Spot pool (core/staging/pool-risk.ts learns each pool's
 * interruption risk from these counts). Last in the plan: the count is learning, and must never delay the moves
 * the signal needs. Only a serving Spot instance's signal counts: an On-Demand instance has no Spot pool, and a
 * warm one is not in the exposure the counts are divided by.
 */
export const withPoolSignal = (
  plan: Plan,
  group: GroupView,
  instance: ManagedInstance,
  notice: { readonly eventId: string; readonly at: number },
  signal: PoolSignal['signal'],
): Plan => {
  if (instance.lifecycle !== 'spot' || instance.warm) return plan;
  return {
    actions: [
      ...plan.actions,
      {
        kind: 'record-pool-signal',
        groupId: group.id,
        signal: {
          instanceType: instance.instanceType,
          availabilityZone: instance.availabilityZone,
          signal,
          instanceId: instance.id,
          eventId: notice.eventId,
          at: notice.at,
        },
      },
    ],
    events: plan.events,
  };
};
