import { z } from 'zod';
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
  toNotice: toLifecycleNotice('lifecycle-launch'),
});

/** A terminate action whose Destination is WarmPool is a return to the pool, not a termination (the planner decides). */
export const lifecycleTerminateParser = defineParser({
  source: AWS_AUTOSCALING_SOURCE,
  detailType: DetailType.lifecycleTerminate,
  detail: lifecycleDetail('autoscaling:EC2_INSTANCE_TERMINATING'),
  toNotice: toLifecycleNotice('lifecycle-terminate'),
});
