import * as z from 'zod';
import { instanceId, requestId, type InterruptionRequest } from '../../core/domain';
import { AWS_HEALTH_SOURCE, DetailType } from '../../contracts/events';
import { defineParser } from '../define-parser';
import { INSTANCE_ID_PATTERN } from '../fields';

/**
 * "AWS Health Event" (source aws.health). spotwise acts on EC2 scheduled changes that name instances —
 * instance retirement, scheduled stop/reboot, system or network maintenance — announced days ahead
 * (AWS Health User Guide, "Reference: AWS Health events Amazon EventBridge schema",
 * https://docs.aws.amazon.com/health/latest/ug/aws-health-events-eventbridge-schema.html: detail `service`,
 * `eventTypeCode`, `eventTypeCategory`, `startTime`, `affectedEntities[].entityValue`; aws-node-termination-handler
 * acts on the same events). Every other Health event (other services, issues, account notifications) is a
 * clean noop. `startTime` is RFC 1123 text ("Sat, 05 Jun 2016 15:10:09 GMT") in the samples; ISO-8601 is accepted too.
 *
 * Each affected instance becomes a voluntary interruption request, due by the start time, that the
 * coordinator admits like any other (reservation first, disruption budget). Mode `terminate`: the
 * members are Auto Scaling instances, whose replacement lands on healthy hardware; stopping a member would
 * fail its health check anyway, and Spot members cannot be stopped. The request id derives from the
 * Health event's ARN and the instance, so an updated delivery of the same Health event (a new EventBridge
 * id, the same ARN) is the same request and is not planned twice.
 */
const isEc2ScheduledChange = (detail: unknown): string | undefined => {
  const d = detail !== null && typeof detail === 'object' ? (detail as Record<string, unknown>) : {};
  if (typeof d.service !== 'string' || typeof d.eventTypeCategory !== 'string') return undefined; // validated below
  if (d.service === 'EC2' && d.eventTypeCategory === 'scheduledChange') return undefined;
  return `AWS Health event for service ${d.service}, category ${d.eventTypeCategory}: spotwise acts only on EC2 scheduledChange events`;
};

const healthDetailSchema = z.object({
  eventArn: z.string().min(1),
  service: z.literal('EC2'),
  eventTypeCode: z.string().min(1).max(256),
  eventTypeCategory: z.literal('scheduledChange'),
  startTime: z.string().refine((s) => Number.isFinite(Date.parse(s)), 'expected a time like "Sat, 05 Jun 2016 15:10:09 GMT" or ISO-8601'),
  affectedEntities: z.array(z.object({ entityValue: z.string().min(1) })).optional(),
});

/** FNV-1a (32-bit), hex: a short stable digest of the Health event ARN for request ids (at most 64 characters). */
const digest = (text: string): string => {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
};

/** The request id of one instance's maintenance: `maint-<digest of the event ARN>-<instance id>` (≤ 34 characters). */
export const maintenanceRequestId = (eventArn: string, instance: string): string => `maint-${digest(eventArn)}-${instance}`;

export const healthScheduledChangeParser = defineParser({
  source: AWS_HEALTH_SOURCE,
  detailType: DetailType.healthEvent,
  detail: healthDetailSchema,
  notForUs: isEc2ScheduledChange,
  toNotice: (d, { eventId, at }) => {
    const startTime = Date.parse(d.startTime);
    // Entities of an EC2 event may be volumes or Dedicated Hosts: only instance ids become requests.
    const instances = [...new Set((d.affectedEntities ?? []).map((e) => e.entityValue).filter((v) => INSTANCE_ID_PATTERN.test(v)))].sort();
    if (instances.length === 0) {
      return {
        kind: 'noop',
        eventId,
        reason: `AWS Health ${d.eventTypeCode} names no EC2 instance among its affected entities`,
        source: AWS_HEALTH_SOURCE,
        detailType: DetailType.healthEvent,
      };
    }
    const requests = instances.map((id): InterruptionRequest => ({
      requestId: requestId(maintenanceRequestId(d.eventArn, id)),
      selector: { kind: 'instance', instanceId: instanceId(id) },
      reason: `AWS Health ${d.eventTypeCode} starts ${new Date(startTime).toISOString()}`,
      notBefore: at,
      deadline: startTime,
      mode: 'terminate',
      requestedAt: at,
    }));
    return { kind: 'scheduled-maintenance', eventId, at, eventTypeCode: d.eventTypeCode, startTime, requests };
  },
});
