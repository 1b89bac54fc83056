import type { RequestId } from '../../core/domain';
import type { InterruptionScheduler, ScheduledInterruption } from '../../ports/interruption-scheduler';
import { CallJournal, CallLog } from './call-log';

export type SchedulerOperation = keyof InterruptionScheduler;

export const SCHEDULER_MUTATING: ReadonlySet<SchedulerOperation> = new Set<SchedulerOperation>(['schedule', 'cancel']);

/**
 * One-time schedules keyed by request id, like EventBridge Scheduler schedules named after the request.
 * Scheduling the same request again replaces its schedule (the adapter updates on ConflictException);
 * cancelling an unknown request is not an error (the schedule may already have fired and been deleted,
 * ActionAfterCompletion DELETE).
 */
export class InMemoryScheduler implements InterruptionScheduler {
  readonly log: CallLog<SchedulerOperation>;
  private readonly schedules = new Map<RequestId, ScheduledInterruption>();

  constructor(opts: { readonly journal?: CallJournal } = {}) {
    this.log = new CallLog('scheduler', SCHEDULER_MUTATING, opts.journal);
  }

  async schedule(interruption: ScheduledInterruption): Promise<void> {
    this.log.record('schedule', [interruption]);
    if (!Number.isFinite(interruption.at)) {
      throw new RangeError(
        `scheduling the interruption of ${interruption.instanceId} for request ${interruption.requestId}: time must be finite (got ${interruption.at})`,
      );
    }
    this.schedules.set(interruption.requestId, { ...interruption });
  }

  async cancel(requestId: RequestId): Promise<void> {
    this.log.record('cancel', [requestId]);
    this.schedules.delete(requestId);
  }

  /** Schedules not yet fired, earliest first. */
  pending(): ScheduledInterruption[] {
    return [...this.schedules.values()].sort((a, b) => a.at - b.at);
  }

  /** Fires (returns and deletes) every schedule due at `now`, earliest first — what the simulator delivers to the executor. */
  takeDue(now: number): ScheduledInterruption[] {
    const due = this.pending().filter((s) => s.at <= now);
    for (const s of due) this.schedules.delete(s.requestId);
    return due;
  }
}

InMemoryScheduler satisfies new (opts?: { readonly journal?: CallJournal }) => InterruptionScheduler;
