import type { FleetView, Notice, Plan } from '../domain';
import { ignoreNotice } from '../common/ignore-notice';
import { isActive, locateInstance } from '../common/locate-instance';
import { planInterruption } from './plan-interruption';

type CapacityReservationWarning = Extract<Notice, { kind: 'capacity-reservation-interruption-warning' }>;

/**
 * Interruptible Capacity Reservation reclaimed: like a Spot warning, two minutes before the instance is
 * terminated, so it triggers what was staged — reserve the post-restart demand, bring warm capacity into
 * service, place the rest (DESIGN §4 flow 2). The deadline is the event's `instance-termination-time`
 * (one already past, a late delivery, is taken as the event time).
 * The reservation has the `warning` purpose, so the terminate lifecycle action that follows finds the
 * instance already prepared. These are On-Demand instances: no Spot pool history is recorded.
 */
export const planCapacityReservationWarning = (notice: CapacityReservationWarning, fleet: FleetView, now: number): Plan => {
  const what = `capacity reservation interruption warning for ${notice.instanceId}`;
  const located = locateInstance(fleet, notice.instanceId);
  if (located === undefined) return ignoreNotice(now, `${what}: not a managed instance`, notice.instanceId);
  if (located.instance.warm) return ignoreNotice(now, `${what}: a warm-pool instance serves no load`, notice.instanceId);
  if (!isActive(located.instance)) return ignoreNotice(now, `${what}: already ${located.instance.state}`, notice.instanceId);
  const interruptAt = Number.isFinite(notice.deadline) ? Math.max(notice.at, notice.deadline) : notice.at;
  return planInterruption({
    fleet,
    located,
    eventId: notice.eventId,
    purpose: 'warning',
    interruptAt,
    now,
    why: `${what} (terminate at ${new Date(interruptAt).toISOString()})`,
    // No rebalance recommendation ever comes before one: the warning stages its victim's warm instance itself.
    stageWarm: true,
  });
};
