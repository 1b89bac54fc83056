import * as z from 'zod';
import { groupId, instanceId, requestId, type InterruptionRequest } from '../../core/domain';
import { DetailType, SPOTWISE_SOURCE } from '../../contracts/events';
import { defineParser } from '../define-parser';
import { groupNameField, instanceIdField, timeField } from '../fields';

/**
 * Request ids name EventBridge Scheduler schedules, so they follow the schedule-name rule:
 * 1..64 characters of [0-9A-Za-z_.-] (Scheduler API reference, CreateSchedule Name).
 */
export const REQUEST_ID_PATTERN = /^[0-9A-Za-z_.-]{1,64}$/;

/** A request without a deadline must be carried out within this long after notBefore. */
export const DEFAULT_REQUEST_DEADLINE_MS = 6 * 3600 * 1000;

/**
 * The detail of spotwise's "Interruption Requested" event (source "spotwise"). Either `instanceId`, or
 * `groupName` plus `maxPriority` (the highest priority the coordinator may pick as the victim; default 100).
 * Times are ISO-8601 text or epoch ms. Example:
 *   {"groupName": "web-asg", "maxPriority": 40, "reason": "kernel patch", "deadline": "2025-01-01T06:00:00Z"}
 */
export const interruptionRequestedDetailSchema = z
  .object({
    requestId: z.string().regex(REQUEST_ID_PATTERN, 'expected 1-64 characters of letters, digits, "_", "." or "-"').optional(),
    instanceId: instanceIdField.optional(),
    groupName: groupNameField.optional(),
    maxPriority: z.number().int().min(0).max(100).optional(),
    reason: z.string().min(1).max(512),
    notBefore: timeField.optional(),
    deadline: timeField.optional(),
    mode: z.enum(['stop', 'hibernate', 'terminate']).default('stop'),
  })
  .superRefine((d, ctx) => {
    if ((d.instanceId === undefined) === (d.groupName === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['instanceId'], message: 'give exactly one of instanceId or groupName' });
    }
    if (d.instanceId !== undefined && d.maxPriority !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['maxPriority'], message: 'maxPriority selects among a group; it cannot be used with instanceId' });
    }
    if (d.notBefore !== undefined && d.deadline !== undefined && d.deadline <= d.notBefore) {
      ctx.addIssue({ code: 'custom', path: ['deadline'], message: 'deadline must be after notBefore' });
    }
  });
export type InterruptionRequestedDetail = z.input<typeof interruptionRequestedDetailSchema>;

/** A request id derived from an event id, made safe for a schedule name. */
export const requestIdFromEventId = (eventId: string): string => `req-${eventId.replace(/[^0-9A-Za-z_.-]/g, '-')}`.slice(0, 64);

export const interruptionRequestedParser = defineParser({
  source: SPOTWISE_SOURCE,
  detailType: DetailType.interruptionRequested,
  detail: interruptionRequestedDetailSchema,
  toNotice: (d, { eventId, at }) => {
    const notBefore = d.notBefore ?? at;
    const deadline = d.deadline ?? notBefore + DEFAULT_REQUEST_DEADLINE_MS;
    if (deadline <= notBefore)
      return { error: `detail.deadline: must be after notBefore ${new Date(notBefore).toISOString()} (got ${new Date(deadline).toISOString()})` };
    const request: InterruptionRequest = {
      requestId: requestId(d.requestId ?? requestIdFromEventId(eventId)),
      selector:
        d.instanceId !== undefined
          ? { kind: 'instance', instanceId: instanceId(d.instanceId) }
          : { kind: 'group', groupId: groupId(d.groupName ?? ''), maxPriority: d.maxPriority ?? 100 },
      reason: d.reason,
      notBefore,
      deadline,
      mode: d.mode,
      requestedAt: at,
    };
    return { kind: 'interruption-request', eventId, at, request };
  },
});
