import * as z from 'zod';
import { groupId, instanceId } from '../../core/domain';
import { AWS_AUTOSCALING_SOURCE, DetailType } from '../../contracts/events';
import { defineParser } from '../define-parser';
import { groupNameField, instanceIdField } from '../fields';

/** Where an instance comes from / goes to in a warm-pool-aware lifecycle action (Auto Scaling user guide). */
const place = z.enum(['EC2', 'AutoScalingGroup', 'WarmPool']);

/**
 * The detail of "EC2 Instance-launch/-terminate Lifecycle Action". `NotificationMetadata` is a free JSON
 * *string* and is not interpreted; `Origin`/`Destination` exist only on warm-pool-era events.
 */
const lifecycleDetail = (transition: string) =>
  z.object({
    LifecycleActionToken: z.string().min(1),
    AutoScalingGroupName: groupNameField,
    LifecycleHookName: z.string().min(1).max(255),
    EC2InstanceId: instanceIdField,
    LifecycleTransition: z.literal(transition),
    NotificationMetadata: z.string().optional(),
    Origin: place.optional(),
    Destination: place.optional(),
  });

type LifecycleDetail = z.output<ReturnType<typeof lifecycleDetail>>;

/**
 * Auto Scaling sends a test notification when a notification target or lifecycle hook is set up: no
 * instance, no token, `Event` (or, in EventBridge form, `LifecycleTransition`) "autoscaling:TEST_NOTIFICATION".
 * It is a clean noop, not a malformed lifecycle action.
 */
export const AUTOSCALING_TEST_NOTIFICATION = 'autoscaling:TEST_NOTIFICATION';
const testNotification = (detail: unknown): string | undefined => {
  const d = detail !== null && typeof detail === 'object' ? (detail as Record<string, unknown>) : {};
  return d.Event === AUTOSCALING_TEST_NOTIFICATION || d.LifecycleTransition === AUTOSCALING_TEST_NOTIFICATION
    ? `Auto Scaling test notification${typeof d.AutoScalingGroupName === 'string' ? ` for ${d.AutoScalingGroupName}` : ''}: nothing to do`
    : undefined;
};

const toLifecycleNotice = (kind: 'lifecycle-launch' | 'lifecycle-terminate') => (d: LifecycleDetail, meta: { eventId: string; at: number }) => ({
  kind,
  eventId: meta.eventId,
  at: meta.at,
  instanceId: instanceId(d.EC2InstanceId),
  groupId: groupId(d.AutoScalingGroupName),
  hookName: d.LifecycleHookName,
  token: d.LifecycleActionToken,
  ...(d.Origin !== undefined ? { origin: d.Origin } : {}),
  ...(d.Destination !== undefined ? { destination: d.Destination } : {}),
});

export const lifecycleLaunchParser = defineParser({
  source: AWS_AUTOSCALING_SOURCE,
  detailType: DetailType.lifecycleLaunch,
  detail: lifecycleDetail('autoscaling:EC2_INSTANCE_LAUNCHING'),
  notForUs: testNotification,
  toNotice: toLifecycleNotice('lifecycle-launch'),
});

/** A terminate action whose Destination is WarmPool is a return to the pool, not a termination (the planner decides). */
export const lifecycleTerminateParser = defineParser({
  source: AWS_AUTOSCALING_SOURCE,
  detailType: DetailType.lifecycleTerminate,
  detail: lifecycleDetail('autoscaling:EC2_INSTANCE_TERMINATING'),
  notForUs: testNotification,
  toNotice: toLifecycleNotice('lifecycle-terminate'),
});
