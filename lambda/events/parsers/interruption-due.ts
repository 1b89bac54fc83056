import * as z from 'zod';
import { groupId, instanceId, requestId, reservationId } from '../../core/domain';
import { DetailType, SPOTWISE_SOURCE } from '../../contracts/events';
import { defineParser } from '../define-parser';
import { groupNameField, instanceIdField, timeField } from '../fields';
import { REQUEST_ID_PATTERN } from './interruption-requested';

export const interruptionDueDetailSchema = z.object({
  requestId: z.string().regex(REQUEST_ID_PATTERN, 'expected a request id (1-64 characters of letters, digits, "_", "." or "-")'),
  instanceId: instanceIdField,
  groupName: groupNameField,
  reservationId: z.string().min(1).max(512),
  mode: z.enum(['stop', 'hibernate', 'terminate']),
  /** When the schedule was set to fire; the executor's notice time when the input carries no envelope time. */
  scheduledFor: timeField.optional(),
});
/** The detail both sides agree on (lambda/contracts/events.ts builds it; this schema parses it). */
export { interruptionDueEvent, type InterruptionDueDetail } from '../../contracts/events';

export const interruptionDueParser = defineParser({
  source: SPOTWISE_SOURCE,
  detailType: DetailType.interruptionDue,
  detail: interruptionDueDetailSchema,
  // The request and the time it was scheduled for: a double delivery of one schedule is processed once,
  // while the same request re-scheduled after a deferral fires as a new event.
  scheduledInput: { eventId: (d) => `interruption-due:${d.requestId}${d.scheduledFor !== undefined ? `:${d.scheduledFor}` : ''}` },
  toNotice: (d, { eventId, at }) => ({
    kind: 'interruption-due',
    eventId,
    at,
    requestId: requestId(d.requestId),
    instanceId: instanceId(d.instanceId),
    groupId: groupId(d.groupName),
    reservationId: reservationId(d.reservationId),
    mode: d.mode,
  }),
});
