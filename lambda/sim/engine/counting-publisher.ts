import type { EventPublisher, PublishedEntry } from '../../ports/event-publisher';

/**
 * The event bus as the simulator needs it: it keeps counts, not entries (a 48-hour run publishes
 * thousands of plans; the recording fake's copies would only cost memory). Counts domain events by kind
 * and plans by handler, and remembers which requests were ever deferred.
 */
export class CountingPublisher implements EventPublisher {
  readonly domainEvents = new Map<string, number>();
  readonly plans = new Map<string, number>();
  readonly deferredRequests = new Set<string>();
  /** Entries published (each one is a billed EventBridge event). */
  entries = 0;
  /** `Throttle Requested` events published (policy throttle). */
  throttles = 0;

  async publish(entries: readonly PublishedEntry[]): Promise<void> {
    this.entries += entries.length;
    for (const e of entries) {
      if (e.detailType === 'Domain Event') {
        this.domainEvents.set(e.detail.kind, (this.domainEvents.get(e.detail.kind) ?? 0) + 1);
        if (e.detail.kind === 'interruption-deferred') this.deferredRequests.add(e.detail.requestId);
      } else if (e.detailType === 'Throttle Requested') {
        this.throttles += 1;
      } else if (e.detailType === 'Plan Made') {
        this.plans.set(e.detail.handler, (this.plans.get(e.detail.handler) ?? 0) + 1);
      }
    }
  }
}

CountingPublisher satisfies new () => EventPublisher;
