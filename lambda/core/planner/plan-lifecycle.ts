import type { Action, DomainEvent, FleetView, Notice, Plan, Reservation } from '../domain';
import { fits, formatResources } from '../resources/resources';
import { planLoadAbsorption } from './absorb-load';
import { aheadLineage, chooseHandOver } from './choose-hand-over';
import { ignoreNotice } from '../common/ignore-notice';
import { findGroup, isActive, locateInstance, type LocatedInstance } from '../common/locate-instance';
import { instanceShape } from '../common/post-restart-demand';
import { planInterruption } from './plan-interruption';
import { reservationPurpose, reservationsFor } from '../common/reservation-terms';

type LifecycleNotice = Extract<Notice, { kind: 'lifecycle-launch' | 'lifecycle-terminate' }>;

const complete = (notice: LifecycleNotice): Action => ({
  kind: 'complete-lifecycle-action',
  groupId: notice.groupId,
  instanceId: notice.instanceId,
  hookName: notice.hookName,
  token: notice.token,
  result: 'CONTINUE',
});

/**
 * A voluntary interruption (the coordinator admitted a request for this victim and the executor asked
 * Auto Scaling to terminate it without decrementing the desired capacity): spotwise chose the time, so
 * the victim may serve a little longer. The hook is deliberately NOT completed: the victim waits in
 * Terminating:Wait — still serving — while Auto Scaling launches its replacement into the group (the
 * victim no longer counts as in service; the desired capacity is unchanged), and the request's
 * reservation already holds the replacement's post-restart demand. The hook's heartbeat timeout (5 min,
 * DefaultResult CONTINUE: lib/lifecycle-hooks.ts) then lets the victim go, after a like-for-like
 * replacement has come up and taken the load (cold Spot launch + application warm-up, ~3.5 min).
 *
 * Warm standby capacity is brought into service as well only when the replacement cannot carry the load:
 * the reserved post-restart demand does not fit the victim's own type (the likely shape of the
 * replacement). Otherwise the standby would carry the load for the whole post-restart window (On-Demand)
 * only to hand it back to that same replacement. An earlier version also did so when the forecast was a
 * guess (job-type or default basis); over seeds 1..5 of the simulator those standby instances never took
 * the load (the victim's drain had already picked the replacement) and removing the hedge left unserved
 * demand unchanged (spotwise 7.88 → 7.81 vCPU·min, $1 less per run). The hold does not depend on the hook
 * token: the application's drain (or the heartbeat timeout) is the release.
 */
const holdVoluntaryTermination = (notice: LifecycleNotice, located: LocatedInstance, fleet: FleetView, requested: Reservation, now: number): Plan => {
  const { group, instance } = located;
  const shape = instanceShape(instance, fleet);
  const hold: Action = {
    kind: 'noop',
    reason: `${instance.id} terminating for ${requested.id}: hook ${notice.hookName} held until its heartbeat timeout, so the victim serves until its replacement in ${group.id} is up`,
  };
  const held: DomainEvent = {
    kind: 'notice-ignored',
    at: now,
    reason: `${instance.id} terminating for an admitted interruption request (${requested.id}): Auto Scaling launches the replacement, hook left to time out`,
    instanceId: instance.id,
  };
  const why =
    shape === undefined || !fits(requested.amount, shape)
      ? `post-restart demand ${formatResources(requested.amount)} exceeds ${instance.instanceType}`
      : undefined;
  if (why === undefined) return { actions: [hold], events: [held] };
  // Launch before terminate (the group's instance maintenance policy): Auto Scaling terminates the victim only once
  // its replacement is in service, so the group is back at its desired capacity without it and the victim's drain
  // moves the load there now. Anything brought in at this point comes after the load has moved and stands idle
  // for its whole life (the simulator showed such standby instances, 11–14 minutes each): the shortfall is said.
  const others = group.instances.filter((i) => i.id !== instance.id && !i.warm);
  const replaced = others.filter((i) => i.state === 'running').length >= Math.floor(group.desiredCapacity) && !others.some((i) => i.state === 'pending');
  if (replaced) {
    const staged: DomainEvent = {
      kind: 'capacity-staged',
      at: now,
      groupId: group.id,
      detail: `${instance.id}'s replacement is already in service (${group.id} is at desired capacity ${Math.floor(group.desiredCapacity)} without it): its load restarts there, though ${why}`,
    };
    return { actions: [hold], events: [held, staged] };
  }
  // The replacement may be too small for the post-restart surge: place the load as for any
  // interruption (warm standby first, staged to the fleet's largest expected restart), still holding the hook.
  const absorbed = planLoadAbsorption({
    fleet,
    group,
    victim: instance,
    load: requested.amount,
    loadKnown: true,
    pool: group.pool,
    source: notice.eventId,
    now,
    why: `voluntary termination of ${instance.id} (${requested.id}): ${why}`,
  });
  return { actions: [...absorbed.actions, hold], events: [held, ...absorbed.events] };
};

/**
 * Terminate lifecycle action. Destination WarmPool is a return to the pool (warm-pool reuse on scale
 * in), and origin WarmPool is a warm instance leaving it: neither carries load, so the hook is
 * completed with no reservation, and so is a scale-in (more members in service than desired). Any
 * other termination is an interruption: heartbeat (the hook's
 * timeout keeps the instance in Terminating:Wait while the plan runs), reserve and place the load,
 * then complete — unless a spot warning already prepared this instance, in which case only the
 * completion is left. An instance missing from the fleet still gets its hook completed, so it never
 * waits out the heartbeat timeout because of a stale snapshot.
 */
export const planLifecycleTerminate = (notice: LifecycleNotice, fleet: FleetView, now: number): Plan => {
  const group = findGroup(fleet, notice.groupId);
  if (group === undefined) return ignoreNotice(now, `terminate lifecycle action in ${notice.groupId}: not a managed group`, notice.instanceId);
  if (notice.destination === 'WarmPool' || notice.origin === 'WarmPool') {
    const what = notice.destination === 'WarmPool' ? 'returns to the warm pool' : 'leaves the warm pool';
    return {
      actions: [complete(notice)],
      events: [{ kind: 'notice-ignored', at: now, reason: `${notice.instanceId} ${what}: not an interruption`, instanceId: notice.instanceId }],
    };
  }
  const located = locateInstance(fleet, notice.instanceId);
  if (located === undefined || located.instance.warm) {
    const why = located === undefined ? 'not in the fleet snapshot' : 'a warm-pool instance';
    return {
      actions: [complete(notice)],
      events: [
        {
          kind: 'notice-ignored',
          at: now,
          reason: `terminate lifecycle action for ${notice.instanceId}: ${why}; hook completed`,
          instanceId: notice.instanceId,
        },
      ],
    };
  }
  // Checked before the scale-in test: a victim held in Terminating:Wait still runs beside its pending
  // replacement, so while one is held every further voluntary termination in the group would look like
  // a scale-in (one more member in service than desired) and lose its hold.
  const held = reservationsFor(located.group.pool, located.instance.id, now);
  const requested = held.find((r) => reservationPurpose(r) === 'request');
  if (requested !== undefined) return holdVoluntaryTermination(notice, located, fleet, requested, now);
  // Auto Scaling lowers the desired capacity before it terminates for a scale-in, and Capacity Rebalancing
  // or the instance maintenance policy's launch-before-terminate leave it as it is but launch the
  // replacement first (the group briefly runs one more member than desired); an interruption leaves it
  // as it was with nothing launched. More in-service members than desired therefore means the group
  // already has its capacity without this one: treating it as an interruption would scale the group (or
  // its standby) straight back out for load that already has a home.
  const inService = located.group.instances.filter((i) => !i.warm && isActive(i)).length;
  if (inService > located.group.desiredCapacity) {
    return {
      actions: [complete(notice)],
      events: [
        {
          kind: 'notice-ignored',
          at: now,
          reason: `${notice.instanceId} terminating while ${located.group.id} has ${inService} in service > desired ${located.group.desiredCapacity} (a scale-in, or its replacement is already launched): not an interruption`,
          instanceId: notice.instanceId,
        },
      ],
    };
  }
  const prepared = held.find((r) => reservationPurpose(r) === 'warning');
  if (prepared !== undefined) {
    return {
      actions: [complete(notice)],
      events: [
        { kind: 'notice-ignored', at: now, reason: `${notice.instanceId} terminating: already prepared by ${prepared.id}`, instanceId: notice.instanceId },
      ],
    };
  }
  const heartbeat: Action = { kind: 'heartbeat', groupId: notice.groupId, instanceId: notice.instanceId, hookName: notice.hookName, token: notice.token };
  const interruption = planInterruption({
    fleet,
    located,
    eventId: notice.eventId,
    purpose: 'lifecycle',
    interruptAt: notice.at,
    now,
    why: `terminate lifecycle action for ${notice.instanceId}`,
  });
  return { actions: [heartbeat, ...interruption.actions, complete(notice)], events: interruption.events };
};

/**
 * Launch lifecycle action: the reserved capacity goes to the newcomer before it takes load (hand-over,
 * then complete CONTINUE). A launch into the warm pool is staged capacity, not a restart: complete only.
 */
export const planLifecycleLaunch = (notice: LifecycleNotice, fleet: FleetView, now: number): Plan => {
  const group = findGroup(fleet, notice.groupId);
  if (group === undefined) return ignoreNotice(now, `launch lifecycle action in ${notice.groupId}: not a managed group`, notice.instanceId);
  if (notice.destination === 'WarmPool') return { actions: [complete(notice)], events: [] };
  // The newcomer is usually not in the snapshot yet: the group comes from the notice, not the fleet.
  const choice = chooseHandOver(fleet, group, notice.instanceId, now);
  if (choice === undefined) {
    // Launched ahead of a termination (launch-before-terminate, Capacity Rebalancing): no capacity to take over, but
    // the load of the member it replaces moves to it, and so does that member's lineage. Last: learning never holds
    // back completing the hook.
    const lineage = notice.origin === 'WarmPool' ? undefined : aheadLineage(fleet, group, notice.instanceId, notice.at, now);
    return { actions: lineage === undefined ? [complete(notice)] : [complete(notice), lineage], events: [] };
  }
  const handOver: Action = {
    kind: 'hand-over',
    groupId: choice.group.id,
    reservationId: choice.reservation.id,
    instanceId: notice.instanceId,
    reason: `${notice.instanceId} launched in ${notice.groupId}${notice.origin === 'WarmPool' ? ' from the warm pool' : ''}; takes over capacity reserved for ${choice.reservation.instanceId}`,
  };
  return { actions: [handOver, complete(notice)], events: [] };
};
