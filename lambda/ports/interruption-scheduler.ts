import type { GroupId, InstanceId, RequestId, ReservationId } from '../core/domain';

export interface ScheduledInterruption {
  readonly requestId: RequestId;
  readonly groupId: GroupId;
  readonly instanceId: InstanceId;
  readonly reservationId: ReservationId;
  readonly at: number;
  readonly mode: 'stop' | 'hibernate' | 'terminate';
}

/** Fires the executor once at a given time (EventBridge Scheduler one-time schedules). */
export interface InterruptionScheduler {
  schedule(interruption: ScheduledInterruption): Promise<void>;
  cancel(requestId: RequestId): Promise<void>;
}
