import type { FleetView, GroupView, Notice, Plan } from '../domain';
import { planInterruptionRequest } from '../coordinator/plan-request';
import { ignoreNotice, joinPlans } from '../common/ignore-notice';
import { locateInstance } from '../common/locate-instance';

type ScheduledMaintenance = Extract<Notice, { kind: 'scheduled-maintenance' }>;

/** The fleet as `plan`'s reserve and release actions leave the ledger: the next request must see them. */
const afterLedgerActions = (fleet: FleetView, plan: Plan): FleetView => {
  const touched = new Set<string>(plan.actions.flatMap((a) => (a.kind === 'reserve' ? [a.reservation.groupId] : a.kind === 'release' ? [a.groupId] : [])));
  if (touched.size === 0) return fleet;
  const groups = fleet.groups.map((g): GroupView => {
    if (!touched.has(g.id)) return g;
    const reservations = new Map(g.pool.reservations);
    for (const a of plan.actions) {
      if (a.kind === 'reserve' && a.reservation.groupId === g.id) reservations.set(a.reservation.id, a.reservation);
      if (a.kind === 'release' && a.groupId === g.id) reservations.delete(a.reservationId);
    }
    return { ...g, pool: { ...g.pool, reservations } };
  });
  return { ...fleet, groups };
};

/**
 * AWS Health scheduled maintenance (instance retirement, scheduled stop or reboot, ...): every affected
 * instance is a voluntary interruption request due by the event's start time, planned by the
 * coordinator exactly as an "Interruption Requested" event would be (DESIGN §4 flow 3): reservation
 * first, disruption budget, scheduled or deferred with the reason and a retry time. The requests are
 * planned in order against the ledger the earlier ones leave, so two instances of one group count
 * against the disruption budget together. Health reports every instance of the account: one that
 * spotwise does not manage is left alone (a notice-ignored event says so), not turned into a request.
 * The coordinator handler plans (and records) each request the same way, one at a time.
 */
export const planScheduledMaintenance = (notice: ScheduledMaintenance, fleet: FleetView, ctx: { readonly now: number }): Plan => {
  if (notice.requests.length === 0) return ignoreNotice(ctx.now, `AWS Health ${notice.eventTypeCode}: no instance to interrupt`);
  let view = fleet;
  const plans: Plan[] = [];
  const managed = notice.requests.filter((r) => r.selector.kind !== 'instance' || locateInstance(fleet, r.selector.instanceId) !== undefined);
  for (const request of notice.requests) {
    if (!managed.includes(request) && request.selector.kind === 'instance') {
      plans.push({
        actions: [],
        events: [
          {
            kind: 'notice-ignored',
            at: ctx.now,
            reason: `AWS Health ${notice.eventTypeCode} for ${request.selector.instanceId}: not a managed instance`,
            instanceId: request.selector.instanceId,
          },
        ],
      });
      continue;
    }
    const plan = planInterruptionRequest(request, view, ctx);
    plans.push(plan);
    view = afterLedgerActions(view, plan);
  }
  if (managed.length === 0)
    return ignoreNotice(ctx.now, `AWS Health ${notice.eventTypeCode}: none of its ${notice.requests.length} instance(s) is managed by spotwise`);
  return joinPlans(...plans);
};
