import type { InstanceId, Plan } from '../domain';

/** A plan that does nothing and says why (unknown instance, warm-pool chatter, states that need no action). */
export const ignoreNotice = (now: number, reason: string, instanceId?: InstanceId): Plan => ({
  actions: [{ kind: 'noop', reason }],
  events: [{ kind: 'notice-ignored', at: now, reason, ...(instanceId !== undefined ? { instanceId } : {}) }],
});

/** Concatenates plans in order. */
export const joinPlans = (...plans: readonly Plan[]): Plan => ({
  actions: plans.flatMap((p) => p.actions),
  events: plans.flatMap((p) => p.events),
});
