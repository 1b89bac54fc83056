import * as z from 'zod';
import { requestId } from '../../core/domain';
import { DetailType, SPOTWISE_SOURCE } from '../../contracts/events';
import { defineParser } from '../define-parser';
import { REQUEST_ID_PATTERN } from './interruption-requested';

/**
 * The detail of spotwise's "Interruption Cancel Requested" event (source "spotwise"), sent by
 * `spotwise cancel`. Example: {"requestId": "req-20260115T060000Z-3fa2c1", "reason": "patch postponed"}
 */
export const interruptionCancelDetailSchema = z.object({
  requestId: z.string().regex(REQUEST_ID_PATTERN, 'expected 1-64 characters of letters, digits, "_", "." or "-"'),
  reason: z.string().min(1).max(512).optional(),
});
export type InterruptionCancelDetail = z.input<typeof interruptionCancelDetailSchema>;

export const interruptionCancelParser = defineParser({
  source: SPOTWISE_SOURCE,
  detailType: DetailType.interruptionCancelRequested,
  detail: interruptionCancelDetailSchema,
  toNotice: (d, { eventId, at }) => ({
    kind: 'interruption-cancel',
    eventId,
    at,
    requestId: requestId(d.requestId),
    reason: d.reason ?? 'cancelled by the operator',
  }),
});
