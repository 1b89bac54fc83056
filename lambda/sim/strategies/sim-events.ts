import { AWS_EC2_SOURCE, DetailType, SPOTWISE_SOURCE } from '../../contracts/events';
import { AWS_AUTOSCALING_SOURCE, AWS_HEALTH_SOURCE } from '../../contracts/events';
import type { GroupId, InstanceId, InstanceState, InterruptionRequest } from '../../core/domain';
import type { LifecycleHookEvent } from '../engine/sim-types';

/**
 * The EventBridge events the simulated cloud emits, in the exact shape AWS (and spotwise's own buses)
 * send them, so the handlers parse them through the same registry as in Lambda.
 */
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

const envelope = (id: string, source: string, detailType: string, at: number, resources: string[], detail: unknown) => ({
  version: '0',
  id,
  'detail-type': detailType,
  source,
  account: ACCOUNT,
  time: new Date(at).toISOString(),
  region: REGION,
  resources,
  detail,
});

const instanceArn = (id: InstanceId): string => `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/${id}`;

export const spotWarningEvent = (id: InstanceId, at: number) =>
  envelope(`sim-warning-${id}-${at}`, AWS_EC2_SOURCE, DetailType.spotInterruptionWarning, at, [instanceArn(id)], {
    'instance-id': id,
    'instance-action': 'terminate',
  });

/** An interruptible Capacity Reservation's two-minute warning (EC2 User Guide, "Monitor interruptible Capacity Reservations"). */
export const capacityReservationWarningEvent = (id: InstanceId, at: number, reclaimAt: number) =>
  envelope(`sim-cr-warning-${id}-${at}`, AWS_EC2_SOURCE, DetailType.capacityReservationInterruptionWarning, at, [instanceArn(id)], {
    'instance-id': id,
    'instance-action': 'terminate',
    'instance-termination-time': new Date(reclaimAt).toISOString().replace('.000Z', 'Z'),
    azId: 'use1-az1',
  });

/** An AWS Health scheduled change for one EC2 instance (retirement: EC2 stops it after `startAt`). */
export const scheduledMaintenanceEvent = (id: InstanceId, at: number, startAt: number) => {
  const code = 'AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED';
  const rfc1123 = (t: number): string => new Date(t).toUTCString();
  return envelope(`sim-health-${id}-${at}`, AWS_HEALTH_SOURCE, DetailType.healthEvent, at, [id], {
    eventArn: `arn:aws:health:${REGION}::event/EC2/${code}/${code}_sim-${id}-${at}`,
    service: 'EC2',
    eventTypeCode: code,
    eventTypeCategory: 'scheduledChange',
    eventScopeCode: 'ACCOUNT_SPECIFIC',
    startTime: rfc1123(startAt),
    endTime: rfc1123(startAt + 3_600_000),
    lastUpdatedTime: rfc1123(at),
    statusCode: 'upcoming',
    eventRegion: REGION,
    eventDescription: [{ language: 'en_US', latestDescription: `We will stop your instance after ${new Date(startAt).toISOString()}.` }],
    affectedEntities: [{ entityValue: id, lastUpdatedTime: rfc1123(at), status: 'PENDING' }],
    affectedAccount: ACCOUNT,
  });
};

export const rebalanceEvent = (id: InstanceId, at: number) =>
  envelope(`sim-rebalance-${id}-${at}`, AWS_EC2_SOURCE, DetailType.rebalanceRecommendation, at, [instanceArn(id)], { 'instance-id': id });

export const stateChangeEvent = (id: InstanceId, state: InstanceState, at: number) =>
  envelope(`sim-state-${id}-${state}-${at}`, AWS_EC2_SOURCE, DetailType.stateChange, at, [instanceArn(id)], { 'instance-id': id, state });

export const profileTickEvent = (group: GroupId, at: number) =>
  envelope(`profile-tick:${group}:${at}`, SPOTWISE_SOURCE, DetailType.profileTick, at, [], { groupName: group });

export const interruptionRequestedEvent = (request: InterruptionRequest, at: number) =>
  envelope(`sim-request-${request.requestId}`, SPOTWISE_SOURCE, DetailType.interruptionRequested, at, [], {
    requestId: request.requestId,
    ...(request.selector.kind === 'instance'
      ? { instanceId: request.selector.instanceId }
      : { groupName: request.selector.groupId, maxPriority: request.selector.maxPriority }),
    reason: request.reason,
    notBefore: new Date(request.notBefore).toISOString(),
    deadline: new Date(request.deadline).toISOString(),
    mode: request.mode,
  });

/** The EventBridge rule's scheduled event (the coordinator's deferred-request retry tick, rate(1 minute)). */
export const scheduledRuleEvent = (at: number) =>
  envelope(`sim-retry-tick-${at}`, 'aws.events', 'Scheduled Event', at, [`arn:aws:events:${REGION}:${ACCOUNT}:rule/spotwise-request-retry`], {});

/** "EC2 Instance-launch/-terminate Lifecycle Action" from Auto Scaling (warm-pool era: with Origin and Destination). */
export const lifecycleActionEvent = (e: LifecycleHookEvent, at: number) =>
  envelope(
    `sim-lifecycle-${e.transition}-${e.token}`,
    AWS_AUTOSCALING_SOURCE,
    e.transition === 'launch' ? DetailType.lifecycleLaunch : DetailType.lifecycleTerminate,
    at,
    [`arn:aws:autoscaling:${REGION}:${ACCOUNT}:autoScalingGroup:00000000-0000-0000-0000-000000000000:autoScalingGroupName/${e.groupId}`],
    {
      LifecycleActionToken: e.token,
      AutoScalingGroupName: e.groupId,
      LifecycleHookName: e.hookName,
      EC2InstanceId: e.instanceId,
      LifecycleTransition: e.transition === 'launch' ? 'autoscaling:EC2_INSTANCE_LAUNCHING' : 'autoscaling:EC2_INSTANCE_TERMINATING',
      Origin: e.origin,
      Destination: e.destination,
    },
  );
