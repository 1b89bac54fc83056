/**
 * Event sources and detail-types spotwise reads and writes. The one source for lib/ (rule patterns)
 * and lambda/ (the parser registry).
 */
export const AWS_EC2_SOURCE = 'aws.ec2';
export const AWS_AUTOSCALING_SOURCE = 'aws.autoscaling';
export const AWS_HEALTH_SOURCE = 'aws.health';
/** Source of spotwise's own events (requests, plans, domain events) on its custom bus. */
export const SPOTWISE_SOURCE = 'spotwise';

export const DetailType = {
  spotInterruptionWarning: 'EC2 Spot Instance Interruption Warning',
  rebalanceRecommendation: 'EC2 Instance Rebalance Recommendation',
  stateChange: 'EC2 Instance State-change Notification',
  lifecycleLaunch: 'EC2 Instance-launch Lifecycle Action',
  lifecycleTerminate: 'EC2 Instance-terminate Lifecycle Action',
  /** Interruptible Capacity Reservations: the reservation's owner reclaims the capacity (two minutes' notice). */
  capacityReservationInterruptionWarning: 'EC2 Capacity Reservation Instance Interruption Warning',
  /** AWS Health; spotwise acts on EC2 scheduledChange events that name instances. */
  healthEvent: 'AWS Health Event',
  interruptionRequested: 'Interruption Requested',
  /** An operator's cancel of a request (`spotwise cancel`): detail {"requestId", "reason"?}. */
  interruptionCancelRequested: 'Interruption Cancel Requested',
  /** Input of the profiler schedule, one target per managed group. */
  profileTick: 'Profile Tick',
  /** A scheduled interruption firing (EventBridge Scheduler → executor). */
  interruptionDue: 'Interruption Due',
  /** Emitted by every handler: the plan it made (and, in dry-run, did not execute). */
  planMade: 'Plan Made',
  /** Domain events (reservation made/refused, interruption scheduled/deferred, ...). */
  domainEvent: 'Domain Event',
  /**
   * An instance stayed above its pool allocation for the policy's `throttle.over_allocation_minutes`: detail
   * {groupId, instanceId, dimension, allocation, observed, excess, since, minutes}, for the operator's own enforcement.
   */
  throttleRequested: 'Throttle Requested',
} as const;
export type DetailTypeName = (typeof DetailType)[keyof typeof DetailType];

/**
 * The EC2 instance states whose state-change events spotwise acts on: `running` (pending → running opens
 * the post-restart window and returns a voluntarily stopped member from Standby) and `stopped` (a stop → modify →
 * start continues with the retype and the start). The state-change rule is filtered to these, so the notice
 * handler is not invoked for every state change in the region; the parser still accepts any state (others are no-ops).
 */
export const ACTED_ON_INSTANCE_STATES = ['running', 'stopped'] as const;

/** Lead time AWS gives between the spot warning and the action (EC2 user guide, "Spot Instance interruption notices"). */
export const SPOT_WARNING_LEAD_SECONDS = 120;

/** The detail of an `Interruption Due` event (lambda/events/parsers/interruption-due.ts parses it). */
export interface InterruptionDueDetail {
  readonly requestId: string;
  readonly instanceId: string;
  readonly groupName: string;
  readonly reservationId: string;
  readonly mode: 'stop' | 'hibernate' | 'terminate';
  /** When the schedule was set to fire; the executor's notice time when the input carries no envelope time. */
  readonly scheduledFor?: string;
}

/**
 * The input an EventBridge Scheduler one-time schedule hands the executor. The scheduler adapter sets it
 * as the target's Input; the executor parses it through the registry like any other event. It has no
 * envelope id: the event id is derived from the request and its scheduled time, so a schedule delivered
 * twice is processed once.
 */
export const interruptionDueEvent = (s: {
  readonly requestId: string;
  readonly instanceId: string;
  readonly groupId: string;
  readonly reservationId: string;
  readonly mode: InterruptionDueDetail['mode'];
  readonly at: number;
}) => ({
  source: SPOTWISE_SOURCE,
  'detail-type': DetailType.interruptionDue,
  detail: {
    requestId: s.requestId,
    instanceId: s.instanceId,
    groupName: s.groupId,
    reservationId: s.reservationId,
    mode: s.mode,
    scheduledFor: new Date(s.at).toISOString(),
  } satisfies InterruptionDueDetail,
});
