import { SPOT_WARNING_LEAD_SECONDS } from '../../contracts/events';
import type { FleetView, Notice, Plan } from '../domain';
import { ignoreNotice } from './ignore-notice';
import { isActive, locateInstance } from './locate-instance';
import { planInterruption } from './plan-interruption';

type SpotWarning = Extract<Notice, { kind: 'spot-interruption-warning' }>;

/**
 * When the instance goes away. Terminate and stop come ~120 s after the warning (EC2 user guide,
 * "Spot Instance interruption notices"); hibernation starts immediately, with no lead at all. An
 * earlier deadline on the notice itself is honoured (never a later one: the lead is a maximum).
 */
export const warningDeadline = (notice: SpotWarning): number => {
  if (notice.action === 'hibernate') return notice.at;
  const lead = notice.at + SPOT_WARNING_LEAD_SECONDS * 1000;
  return Number.isFinite(notice.deadline) && notice.deadline >= notice.at ? Math.min(lead, notice.deadline) : lead;
};

/** Spot interruption warning: too late to prepare, so it triggers what was staged (DESIGN §1, §4 flow 2). */
export const planSpotWarning = (notice: SpotWarning, fleet: FleetView, now: number): Plan => {
  const located = locateInstance(fleet, notice.instanceId);
  if (located === undefined) return ignoreNotice(now, `spot warning for ${notice.instanceId}: not a managed instance`, notice.instanceId);
  if (located.instance.warm) return ignoreNotice(now, `spot warning for warm-pool instance ${notice.instanceId}: it serves no load`, notice.instanceId);
  if (!isActive(located.instance)) {
    return ignoreNotice(now, `spot warning for ${notice.instanceId}: already ${located.instance.state}`, notice.instanceId);
  }
  return planInterruption({
    fleet,
    located,
    eventId: notice.eventId,
    purpose: 'warning',
    interruptAt: warningDeadline(notice),
    now,
    why: `spot interruption warning (${notice.action}) for ${notice.instanceId}`,
  });
};
