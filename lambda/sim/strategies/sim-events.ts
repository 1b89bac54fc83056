import { AWS_EC2_SOURCE, DetailType, SPOTWISE_SOURCE } from '../../contracts/events';
import { AWS_AUTOSCALING_SOURCE } from '../../contracts/events';
import type { GroupId, InstanceId, InstanceState, InterruptionRequest } from '../../core/domain';
import type { LifecycleHookEvent } from '../engine/sim-world';

/**
 * The EventBridge events the simulated cloud emits, in the exact shape AWS (and spotwise's own buses)
 * send them, so the handlers parse them through the same registry as in Lambda.
 */
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

const envelope = (id: string, source: string, detailType: string, at: number, resources: string[], detail: unknown) => ({
  version: '0', id, 'detail-type': detailType, source, account: ACCOUNT, time: new Date(at).toISOString(), region: REGION, resources, detail,
});

const instanceArn = (id: InstanceId): string => `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/${id}`;

export const spotWarningEvent = (id: InstanceId, at: number) =>
  envelope(`sim-warning-${id}-${at}`, AWS_EC2_SOURCE, DetailType.spotInterruptionWarning, at, [instanceArn(id)], { 'instance-id': id, 'instance-action': 'terminate' });

export const rebalanceEvent = (id: InstanceId, at: number) =>
  envelope(`sim-rebalance-${id}-${at}`, AWS_EC2_SOURCE, DetailType.rebalanceRecommendation, at, [instanceArn(id)], { 'instance-id': id });

export const stateChangeEvent = (id: InstanceId, state: InstanceState, at: number) =>
  envelope(`sim-state-${id}-${state}-${at}`, AWS_EC2_SOURCE, DetailType.stateChange, at, [instanceArn(id)], { 'instance-id': id, state });

export const profileTickEvent = (group: GroupId, at: number) =>
  envelope(`profile-tick:${group}:${at}`, SPOTWISE_SOURCE, DetailType.profileTick, at, [], { groupName: group });

export const interruptionRequestedEvent = (request: InterruptionRequest, at: number) =>
  envelope(`sim-request-${request.requestId}`, SPOTWISE_SOURCE, DetailType.interruptionRequested, at, [], {
    requestId: request.requestId,
    ...(request.selector.kind === 'instance' ? { instanceId: request.selector.instanceId } : { groupName: request.selector.groupId, maxPriority: request.selector.maxPriority }),
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
