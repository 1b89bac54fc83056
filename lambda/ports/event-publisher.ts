import type { DomainEvent, Plan, Throttle } from '../core/domain';

/** Publishes spotwise's own events (domain events and plans) to its bus. */
export interface EventPublisher {
  publish(entries: readonly PublishedEntry[]): Promise<void>;
}

export type PublishedEntry =
  | { readonly detailType: 'Domain Event'; readonly detail: DomainEvent }
  | {
      readonly detailType: 'Plan Made';
      readonly detail: { readonly handler: string; readonly dryRun: boolean; readonly plan: Plan; readonly noticeKind: string };
    }
  /** For the operator's own enforcement (README "Throttling"): published by the executor for a `request-throttle` action. */
  | { readonly detailType: 'Throttle Requested'; readonly detail: Throttle };
