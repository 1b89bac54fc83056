import type { Action, DomainEvent, Throttle } from '../core/domain';

type RefreshPool = Action & { readonly kind: 'refresh-pool' };

/**
 * An action as published: a `refresh-pool` with its allocations counted rather than listed (a large group's list
 * would pass EventBridge's 256 KB entry limit; the allocations themselves are in the pool table).
 */
export type PublishedAction =
  Exclude<Action, RefreshPool> | (Omit<RefreshPool, 'lowered' | 'allocations'> & { readonly allocations: number; readonly lowered: number });

export interface PublishedPlan {
  readonly actions: readonly PublishedAction[];
  readonly events: readonly DomainEvent[];
}

/** Publishes spotwise's own events (domain events and plans) to its bus. */
export interface EventPublisher {
  publish(entries: readonly PublishedEntry[]): Promise<void>;
}

export type PublishedEntry =
  | { readonly detailType: 'Domain Event'; readonly detail: DomainEvent }
  | {
      readonly detailType: 'Plan Made';
      readonly detail: { readonly handler: string; readonly dryRun: boolean; readonly plan: PublishedPlan; readonly noticeKind: string };
    }
  /** For the operator's own enforcement (README "Throttling"): published by the executor for a `request-throttle` action. */
  | { readonly detailType: 'Throttle Requested'; readonly detail: Throttle };
