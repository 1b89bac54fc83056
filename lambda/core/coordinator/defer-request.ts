import type { DeferReason, DomainEvent, Plan, RequestId, Resources } from '../domain';

/**
 * How long a deferred request waits before it is planned again: one profiler tick (5 minutes by
 * default), since pool allocations and forecasts only change when the profiler runs.
 */
export const RETRY_INTERVAL_MS = 5 * 60_000;

/** The retry time for a request deferred at `now`: one interval later, but never after its deadline. */
export const retryTime = (now: number, deadline: number): number => Math.min(now + RETRY_INTERVAL_MS, deadline);

/** A deferral (or, without retryAt, a refusal) as a plan: the action for the executor and the event. */
export const deferRequest = (input: {
  readonly requestId: RequestId;
  readonly reason: DeferReason;
  readonly detail: string;
  readonly now: number;
  readonly shortfall?: Resources;
  readonly retryAt?: number;
  readonly extraEvents?: readonly DomainEvent[];
}): Plan => {
  const optional = {
    ...(input.shortfall !== undefined ? { shortfall: input.shortfall } : {}),
    ...(input.retryAt !== undefined ? { retryAt: input.retryAt } : {}),
  };
  return {
    actions: [{ kind: 'defer-interruption', requestId: input.requestId, reason: input.reason, detail: input.detail, ...optional }],
    events: [...(input.extraEvents ?? []), { kind: 'interruption-deferred', at: input.now, requestId: input.requestId, reason: input.reason, ...optional }],
  };
};
