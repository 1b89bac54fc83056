import type { FleetView, Notice, Plan } from '../domain';
import { planDueInterruption, planInterruptionRequest } from '../coordinator/plan-request';
import { planStaging } from '../staging/plan-staging';
import { findGroup, findWarmGroup } from '../common/locate-instance';
import { ignoreNotice, joinPlans } from '../common/ignore-notice';
import { planCapacityReservationWarning } from './plan-capacity-reservation-warning';
import { planLifecycleLaunch, planLifecycleTerminate } from './plan-lifecycle';
import { planRebalance } from './plan-rebalance';
import { planScheduledMaintenance } from './plan-scheduled-maintenance';
import { planSpotWarning } from './plan-spot-warning';
import { planStateChange } from './plan-state-change';
import { planPoolCalm } from './spot-pool-stability';

export { warningDeadline } from './plan-spot-warning';

/**
 * The decision for one notice (DESIGN §4 flow 2), as data: pure and deterministic — the same notice,
 * fleet snapshot and `now` always give the same plan, and nothing here reads a clock or throws for
 * bad data (unknown instances, NaN forecasts, broken pools give noop / fail-closed plans).
 *
 * - spot warning → reserve the post-restart demand, bring staged warm capacity into service, absorb
 *   the rest on siblings or by scaling out (see planLoadAbsorption) — On-Demand only when the victim's
 *   Spot pool is unstable — and record the reclaim against its pool (spot-pool-stability.ts);
 * - capacity reservation interruption warning → as a spot warning, deadline from the event;
 * - AWS Health scheduled maintenance → one coordinator request per affected instance;
 * - rebalance recommendation → reserve and stage one warm instance, nothing disruptive;
 * - lifecycle terminate → WarmPool destination: complete only; otherwise heartbeat, treat as an
 *   interruption, complete;
 * - lifecycle launch → hand the reservation over, complete;
 * - state change to running → open the post-restart window (and hand over a reservation held for
 *   the instance itself);
 * - interruption request / due, profile tick → the coordinator and staging planners (a tick also
 *   releases the reclaim records of Spot pools that have calmed).
 */
export const planNoticeResponse = (notice: Notice, fleet: FleetView, ctx: { readonly now: number }): Plan => {
  const { now } = ctx;
  if (!Number.isFinite(now)) {
    return {
      actions: [{ kind: 'noop', reason: `notice ${notice.kind} not planned: now is ${String(now)}` }],
      events: [{ kind: 'fail-closed', at: now, reason: `notice ${notice.kind} not planned: now is ${String(now)}` }],
    };
  }
  if ('at' in notice && !Number.isFinite(notice.at)) return ignoreNotice(now, `notice ${notice.kind} has no usable time (${String(notice.at)})`);
  switch (notice.kind) {
    case 'spot-interruption-warning':
      return planSpotWarning(notice, fleet, now);
    case 'capacity-reservation-interruption-warning':
      return planCapacityReservationWarning(notice, fleet, now);
    case 'scheduled-maintenance':
      return planScheduledMaintenance(notice, fleet, ctx);
    case 'rebalance-recommendation':
      return planRebalance(notice, fleet, now);
    case 'lifecycle-terminate':
      return planLifecycleTerminate(notice, fleet, now);
    case 'lifecycle-launch':
      return planLifecycleLaunch(notice, fleet, now);
    case 'state-change':
      return planStateChange(notice, fleet, now);
    case 'interruption-request':
      return planInterruptionRequest(notice.request, fleet, ctx);
    case 'interruption-due':
      return planDueInterruption(notice, fleet, ctx);
    case 'interruption-cancel':
      // Cancelling depends on the request's stored record, which is not part of the fleet snapshot: the
      // coordinator plans it with planCancel (lambda/core/coordinator/plan-cancel.ts).
      return ignoreNotice(now, `a cancel of request ${notice.requestId} is planned by the coordinator from the stored request`);
    case 'profile-tick': {
      const group = findGroup(fleet, notice.groupId);
      const warm = group === undefined ? undefined : findWarmGroup(fleet, group);
      // One writer per warm pool: only the tick of the group that owns it stages it. The ticks of the
      // groups it backs run concurrently with it, and each PutWarmPool would overwrite the others'.
      const staged =
        warm !== undefined && warm.id !== notice.groupId
          ? { actions: [{ kind: 'noop' as const, reason: `the warm pool of ${warm.id} is staged by ${warm.id}'s own profile tick` }], events: [] }
          : planStaging(notice.groupId, fleet, ctx);
      return group === undefined ? staged : joinPlans(staged, planPoolCalm(group, now));
    }
    case 'noop':
      return ignoreNotice(now, notice.reason);
  }
};
