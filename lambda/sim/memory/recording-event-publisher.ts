import type { DomainEvent } from '../../core/domain';
import type { EventPublisher, PublishedEntry, PublishedPlan } from '../../ports/event-publisher';
import { CallJournal, CallLog } from './call-log';

export type EventPublisherOperation = keyof EventPublisher;

/** Keeps every entry published, in order. Publishing is reporting, not acting: it is allowed in dry-run. */
export class RecordingEventPublisher implements EventPublisher {
  readonly log: CallLog<EventPublisherOperation>;
  readonly entries: PublishedEntry[] = [];

  constructor(opts: { readonly journal?: CallJournal } = {}) {
    this.log = new CallLog('publisher', new Set(), opts.journal);
  }

  async publish(entries: readonly PublishedEntry[]): Promise<void> {
    this.log.record('publish', [entries]);
    this.entries.push(...structuredClone(entries));
  }

  domainEvents(): DomainEvent[] {
    return this.entries.flatMap((e) => (e.detailType === 'Domain Event' ? [e.detail] : []));
  }

  plans(): { handler: string; dryRun: boolean; plan: PublishedPlan; noticeKind: string }[] {
    return this.entries.flatMap((e) => (e.detailType === 'Plan Made' ? [e.detail] : []));
  }
}

RecordingEventPublisher satisfies new (opts?: { readonly journal?: CallJournal }) => EventPublisher;
