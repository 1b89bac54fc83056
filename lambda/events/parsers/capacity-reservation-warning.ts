import * as z from 'zod';
import { instanceId } from '../../core/domain';
import { AWS_EC2_SOURCE, DetailType, SPOT_WARNING_LEAD_SECONDS } from '../../contracts/events';
import { defineParser } from '../define-parser';
import { instanceIdField } from '../fields';

/**
 * "EC2 Capacity Reservation Instance Interruption Warning" (source aws.ec2): the owner of an
 * interruptible Capacity Reservation reclaims its capacity and the instances running in it are
 * terminated two minutes later. Detail: `instance-id`, `instance-action` ("terminate"),
 * `instance-termination-time`, `azId` (EC2 User Guide, "Monitor interruptible Capacity Reservations with
 * EventBridge and CloudTrail", https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/monitor-interruptible-cr.html).
 *
 * The deadline is `instance-termination-time`. The documentation sample carries the placeholder
 * "yyyy-mm-ddThh:mm:ssZ" there; such an event is still about a real instance, so the deadline falls back
 * to two minutes after the event time (the documented lead) with a warning. `instance-action` is always
 * terminate per the page; another value is reported and treated as terminate (nothing of the instance survives).
 */
export const capacityReservationWarningParser = defineParser({
  source: AWS_EC2_SOURCE,
  detailType: DetailType.capacityReservationInterruptionWarning,
  detail: z.object({
    'instance-id': instanceIdField,
    'instance-action': z.string().min(1),
    'instance-termination-time': z.string().min(1).optional(),
    azId: z.string().min(1).optional(),
  }),
  toNotice: (d, { eventId, at, warnings }) => {
    if (d['instance-action'].toLowerCase() !== 'terminate') {
      warnings.push(`detail.instance-action ${JSON.stringify(d['instance-action'])} is not terminate; treating it as terminate`);
    }
    const lead = at + SPOT_WARNING_LEAD_SECONDS * 1000;
    const raw = d['instance-termination-time'];
    const parsed = raw === undefined ? Number.NaN : Date.parse(raw);
    if (!Number.isFinite(parsed)) {
      warnings.push(
        `detail.instance-termination-time ${raw === undefined ? 'is missing' : `${JSON.stringify(raw)} is not an ISO-8601 time`}; assuming termination two minutes after the event`,
      );
    }
    return {
      kind: 'capacity-reservation-interruption-warning',
      eventId,
      at,
      instanceId: instanceId(d['instance-id']),
      deadline: Number.isFinite(parsed) ? parsed : lead,
      // The AZ id (e.g. "use1-az1") is not the AZ name spotwise's instances carry; kept for logs only.
      ...(d.azId !== undefined ? { availabilityZoneId: d.azId } : {}),
    };
  },
});
