import { SPOT_WARNING_LEAD_SECONDS } from '../../contracts/events';
import type { Action, DomainEvent, FleetView, Notice, Plan } from '../domain';
import { ignoreNotice } from '../common/ignore-notice';
import { findStandbyGroup, isActive, locateInstance, type LocatedInstance } from '../common/locate-instance';
import { planInterruption } from './plan-interruption';
import { reservationPurpose, reservationsFor } from '../common/reservation-terms';
import { unusablePoolReason } from '../common/plan-pool';
import { withPoolSignal } from './pool-signal';
import { assessReclaimedPool, buildReclaimRecord } from './spot-pool-stability';

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

/**
 * Whether a rebalance recommendation was planned for the victim: its `rebalance` reservation is live in the group's pool
 * (planRebalance reserves before it stages). Without one — EventBridge emits recommendations on a best-effort basis, and
 * one that comes with the warning may not be planned yet — the warning stages a warm instance itself (planInterruption's
 * stageWarm): a warm instance of the standing shape would otherwise take a load it may not hold. A recommendation that
 * comes with the warning and is planned alongside it claims for the same victim, which the claim's condition lets
 * through (one victim, one claim per instance).
 */
const recommendationStaged = (located: LocatedInstance, now: number): boolean =>
  reservationsFor(located.group.pool, located.instance.id, now).some((r) => reservationPurpose(r) === 'rebalance');

/**
 * The reclaim record of this warning and what its pool's history says (spot-pool-stability.ts): undefined
 * when the group keeps no history (no unstable-pool policy, or an On-Demand instance).
 */
const reclaimOf = (located: LocatedInstance, notice: SpotWarning, fleet: FleetView, now: number) => {
  const policy = located.group.policy.unstablePool;
  if (policy?.enabled !== true || located.instance.lifecycle !== 'spot') return undefined;
  const record = buildReclaimRecord({ group: located.group, instance: located.instance, policy, source: notice.eventId, at: notice.at });
  const verdict = assessReclaimedPool(located.group, located.instance, record.id, notice.at, now);
  const standby = findStandbyGroup(fleet, located.group);
  return { record, policy, verdict, standby };
};

/**
 * Spot interruption warning: too late to prepare, so it triggers what was staged (DESIGN §1, §4 flow 2).
 * The warning is also recorded against its Spot pool; when that pool has become unstable, the load goes
 * to On-Demand standby capacity instead of Spot siblings or the Spot group (a `spot-pool-unstable` event
 * says so). The record is the plan's last action, so it never delays the moves the warning needs.
 */
export const planSpotWarning = (notice: SpotWarning, fleet: FleetView, now: number): Plan => {
  const located = locateInstance(fleet, notice.instanceId);
  if (located === undefined) return ignoreNotice(now, `spot warning for ${notice.instanceId}: not a managed instance`, notice.instanceId);
  if (located.instance.warm) return ignoreNotice(now, `spot warning for warm-pool instance ${notice.instanceId}: it serves no load`, notice.instanceId);
  if (!isActive(located.instance)) {
    return ignoreNotice(now, `spot warning for ${notice.instanceId}: already ${located.instance.state}`, notice.instanceId);
  }
  const reclaim = reclaimOf(located, notice, fleet, now);
  const unstable = reclaim?.verdict.kind === 'unstable' ? reclaim.verdict : undefined;
  const planned = planInterruption({
    fleet,
    located,
    eventId: notice.eventId,
    purpose: 'warning',
    interruptAt: warningDeadline(notice),
    now,
    why: `spot interruption warning (${notice.action}) for ${notice.instanceId}`,
    stageWarm: !recommendationStaged(located, now),
    ...(unstable !== undefined && reclaim?.standby !== undefined
      ? { onDemandOnly: true }
      : notice.action === 'terminate' && located.group.capacityRebalance === true
        ? { replacementLaunching: true }
        : {}),
  });
  if (reclaim === undefined) return withPoolSignal(planned, located.group, located.instance, notice, 'spot-warning');
  const { instance, group } = located;
  const pool = `${instance.instanceType} in ${instance.availabilityZone}`;
  const actions: Action[] = [...planned.actions];
  const events: DomainEvent[] = [...planned.events];
  if (unstable !== undefined) {
    events.push({
      kind: 'spot-pool-unstable',
      at: now,
      groupId: group.id,
      instanceType: instance.instanceType,
      availabilityZone: instance.availabilityZone,
      reclaims: unstable.reclaimsInWindow,
      windowMinutes: reclaim.policy.windowMinutes,
      until: unstable.until,
      ...(reclaim.standby !== undefined ? { standbyGroupId: reclaim.standby.id } : {}),
    });
    actions.push({
      kind: 'noop',
      reason:
        reclaim.standby !== undefined
          ? `Spot pool ${pool} of ${group.id} is unstable (${unstable.reclaimsInWindow} reclaims in ${reclaim.policy.windowMinutes} min): ${instance.id}'s load goes to On-Demand standby ${reclaim.standby.id} until ${new Date(unstable.until).toISOString()}`
          : `Spot pool ${pool} of ${group.id} is unstable (${unstable.reclaimsInWindow} reclaims in ${reclaim.policy.windowMinutes} min), but ${group.id} has no standby group: its Spot replacement is relied on`,
    });
  }
  // A pool that cannot be evaluated cannot take the record either (the store would refuse it): say so instead.
  const poolProblem = unusablePoolReason(group);
  actions.push(
    poolProblem === undefined
      ? { kind: 'reserve', reservation: reclaim.record }
      : { kind: 'noop', reason: `Spot reclaim of ${instance.id} in ${pool} not recorded: ${poolProblem}` },
  );
  return withPoolSignal({ actions, events }, group, instance, notice, 'spot-warning');
};
