import { z } from 'zod';
import { instanceId } from '../../core/domain';
import { AWS_EC2_SOURCE, DetailType } from '../../contracts/events';
import { defineParser } from '../define-parser';
import { instanceIdField } from '../fields';

/** The states EC2 reports in "EC2 Instance State-change Notification" (EC2 user guide, instance lifecycle). */
const STATES = ['pending', 'running', 'stopping', 'stopped', 'shutting-down', 'terminated'] as const;

/** "EC2 Instance State-change Notification": `instance-id` and `state`; pending → running opens the restart window. */
export const stateChangeParser = defineParser({
  source: AWS_EC2_SOURCE,
  detailType: DetailType.stateChange,
  detail: z.object({ 'instance-id': instanceIdField, state: z.enum(STATES) }),
  toNotice: (d, { eventId, at }) => ({ kind: 'state-change', eventId, at, instanceId: instanceId(d['instance-id']), state: d.state }),
});
