import type { Action, FleetView, Notice, Plan } from '../domain';
import { chooseHandOver } from './choose-hand-over';
import { ignoreNotice } from './ignore-notice';
import { findGroup, isActive, locateInstance } from './locate-instance';
import { planInterruption } from './plan-interruption';
import { reservationPurpose, reservationsFor } from './reservation-terms';

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
    return { actions: [complete(notice)], events: [{ kind: 'notice-ignored', at: now, reason: `${notice.instanceId} ${what}: not an interruption`, instanceId: notice.instanceId }] };
  }
  const located = locateInstance(fleet, notice.instanceId);
  if (located === undefined || located.instance.warm) {
    const why = located === undefined ? 'not in the fleet snapshot' : 'a warm-pool instance';
    return { actions: [complete(notice)], events: [{ kind: 'notice-ignored', at: now, reason: `terminate lifecycle action for ${notice.instanceId}: ${why}; hook completed`, instanceId: notice.instanceId }] };
  }
  // Auto Scaling lowers the desired capacity before it terminates for a scale-in; an interruption
  // leaves it as it was. More in-service members than desired therefore means this termination is a
  // scale-in: treating it as an interruption would scale the group straight back out (a tug of war).
  const inService = located.group.instances.filter((i) => !i.warm && isActive(i)).length;
  if (inService > located.group.desiredCapacity) {
    return { actions: [complete(notice)], events: [{ kind: 'notice-ignored', at: now, reason: `${notice.instanceId} terminating while ${located.group.id} scales in (${inService} in service > desired ${located.group.desiredCapacity}): not an interruption`, instanceId: notice.instanceId }] };
  }
  const prepared = reservationsFor(located.group.pool, located.instance.id, now).find((r) => reservationPurpose(r.id) === 'warning');
  if (prepared !== undefined) {
    return { actions: [complete(notice)], events: [{ kind: 'notice-ignored', at: now, reason: `${notice.instanceId} terminating: already prepared by ${prepared.id}`, instanceId: notice.instanceId }] };
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
  if (choice === undefined) return { actions: [complete(notice)], events: [] };
  const handOver: Action = {
    kind: 'hand-over',
    groupId: choice.group.id,
    reservationId: choice.reservation.id,
    instanceId: notice.instanceId,
    reason: `${notice.instanceId} launched in ${notice.groupId}${notice.origin === 'WarmPool' ? ' from the warm pool' : ''}; takes over capacity reserved for ${choice.reservation.instanceId}`,
  };
  return { actions: [handOver, complete(notice)], events: [] };
};
