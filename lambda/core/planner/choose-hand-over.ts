import type { Action, FleetView, GroupId, GroupView, InstanceId, Plan, Reservation, ReservationId } from '../domain';
import { findGroup, isActive, locateInstance, runsAndStays } from '../common/locate-instance';
import { isReclaimRecord, reservationPurpose } from '../common/reservation-terms';

export interface HandOverChoice {
  /** The group whose pool holds the reservation. */
  readonly group: GroupView;
  readonly reservation: Reservation;
}

/**
 * Whether a reservation is waiting for a replacement: its instance is gone (not in the fleet, or
 * terminating). A stopped / stopping victim will come back under its own id (spot stop, hibernate),
 * and a voluntary interruption that has not happened yet still has a running victim — neither is
 * handed to a newcomer. A victim Auto Scaling is terminating (`terminating`: Terminating:Wait, still serving while
 * its hook holds it) is gone as far as its reservation goes: the member the group launches now is its replacement.
 * Sibling reservations (stop → modify → start) always stay with the sibling, and a returned standby member's (its
 * load goes back to capacity that is already running) expires unclaimed.
 */
const awaitsReplacement = (fleet: FleetView, reservation: Reservation): boolean => {
  if (['sibling', 'return'].includes(reservationPurpose(reservation)) || isReclaimRecord(reservation)) return false;
  const located = locateInstance(fleet, reservation.instanceId);
  return (
    located === undefined ||
    located.instance.state === 'shutting-down' ||
    located.instance.state === 'terminated' ||
    // Held running in Terminating:Wait (a voluntary termination waits there while the group launches its replacement).
    located.instance.terminating === true
  );
};

/**
 * The reservation a newly launched (or restarted) instance takes over: one held for the instance
 * itself first, else the one waiting longest for a replacement — highest priority first, then oldest,
 * then by id. Pools searched: the launching group's, and those of the primary groups it stands by
 * for (a warm standby instance takes the load of an interrupted primary instance). Expired
 * reservations are never handed over.
 */
export const chooseHandOver = (fleet: FleetView, launchGroup: GroupView, instance: InstanceId, now: number): HandOverChoice | undefined => {
  const groups = [launchGroup, ...fleet.groups.filter((g) => g.id !== launchGroup.id && g.standbyGroupId === launchGroup.id)];
  const candidates = groups.flatMap((group) =>
    [...group.pool.reservations.values()]
      .filter((r) => r.expiresAt > now && !isReclaimRecord(r) && (r.instanceId === instance || awaitsReplacement(fleet, r)))
      .map((reservation) => ({ group, reservation, own: reservation.instanceId === instance })),
  );
  const best = candidates.sort(
    (a, b) =>
      Number(b.own) - Number(a.own) ||
      b.reservation.priority - a.reservation.priority ||
      a.reservation.createdAt - b.reservation.createdAt ||
      (a.reservation.id < b.reservation.id ? -1 : a.reservation.id > b.reservation.id ? 1 : 0),
  )[0];
  return best === undefined ? undefined : { group: best.group, reservation: best.reservation };
};

/**
 * The profiler's side of flow 4: serving instances of `group` that its pool does not know yet
 * (no allocation: launched since the last refresh, and no launch hook handed them anything) take
 * over, one each, the reservations of `group`'s own pool that wait for a replacement — their own
 * first (a restart under the same id, reserved before it started), then the longest-waiting by the order chooseHandOver uses.
 * Without this a replacement would get a second, full allocation beside its victim's reservation.
 * Newcomers are served oldest launch first, then by id; only the group's own pool is searched (the
 * refresh writes one pool). Deterministic.
 */
export const chooseReplacementHandOvers = (
  fleet: FleetView,
  group: GroupView,
  newcomers: readonly { readonly id: InstanceId; readonly launchedAt: number }[],
  now: number,
): { readonly reservationId: Reservation['id']; readonly instanceId: InstanceId }[] => {
  const waiting = [...group.pool.reservations.values()]
    .filter((r) => r.expiresAt > now && !isReclaimRecord(r))
    .sort((a, b) => b.priority - a.priority || a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const taken = new Set<string>();
  const out: { reservationId: Reservation['id']; instanceId: InstanceId }[] = [];
  const ordered = [...newcomers].sort((a, b) => a.launchedAt - b.launchedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  // Own reservations first, for every newcomer, so an earlier newcomer never takes a later one's own.
  for (const n of ordered) {
    // Only a reservation made before this (re)start waited for it; one made later is for an interruption
    // still to come (EC2's LaunchTime is reset by every start).
    const own = waiting.find((r) => r.instanceId === n.id && !taken.has(r.id) && r.createdAt <= n.launchedAt);
    if (own !== undefined) {
      taken.add(own.id);
      out.push({ reservationId: own.id, instanceId: n.id });
    }
  }
  const served = new Set<string>(out.map((o) => o.instanceId));
  for (const n of ordered) {
    if (served.has(n.id)) continue;
    const r = waiting.find((x) => !taken.has(x.id) && x.instanceId !== n.id && awaitsReplacement(fleet, x));
    if (r === undefined) break;
    taken.add(r.id);
    out.push({ reservationId: r.id, instanceId: n.id });
  }
  return out;
};

type InheritAction = Extract<Action, { kind: 'inherit-profile' }>;

/**
 * The lineage a hand-over carries (lambda/core/profile/inherit-profile.ts): when the reservation held
 * for one instance is handed to another (a Spot replacement, a standby instance taking the load), the
 * newcomer's profile inherits the interrupted instance's, so its first post-restart window is a
 * complete restart cycle. A reservation handed back to its own instance (a restart under the same id)
 * carries nothing: that profile already has its history. `restartedAt` is the newcomer's start (its
 * launch time, or the launch notice); `launchGroup` names the newcomer's group when the snapshot does
 * not list it yet (a launch hook's newcomer).
 */
export const lineageOf = (
  fleet: FleetView,
  handOver: { readonly groupId: GroupId; readonly reservationId: ReservationId; readonly instanceId: InstanceId },
  restartedAt: number,
  launchGroup?: GroupId,
): InheritAction | undefined => {
  const reservationGroup = findGroup(fleet, handOver.groupId);
  const reservation = reservationGroup?.pool.reservations.get(handOver.reservationId);
  if (reservationGroup === undefined || reservation === undefined || reservation.instanceId === handOver.instanceId) return undefined;
  const located = locateInstance(fleet, handOver.instanceId);
  const group = located?.group ?? (launchGroup === undefined ? undefined : findGroup(fleet, launchGroup)) ?? reservationGroup;
  const spec = located === undefined ? undefined : fleet.catalog.get(located.instance.instanceType);
  return {
    kind: 'inherit-profile',
    groupId: group.id,
    fromInstanceId: reservation.instanceId,
    toInstanceId: handOver.instanceId,
    reservationId: reservation.id,
    restartedAt,
    windowMinutes: group.policy.postRestartWindowMinutes,
    ...(located !== undefined && spec !== undefined ? { heir: { instanceType: located.instance.instanceType, vcpus: spec.resources.vcpu } } : {}),
    reason: `${handOver.instanceId} takes over the load of ${reservation.instanceId} (reservation ${reservation.id}): its profile carries ${reservation.instanceId}'s lineage`,
  };
};

/**
 * A notice plan with the lineage of each of its hand-overs (see lineageOf). The hand-over is decided by
 * the plan (a launch hook's newcomer takes a waiting reservation), so the lineage is part of the same
 * plan and the executor carries it out. The lineage goes last: the executor stops a plan at its first
 * failure, and a profile write that fails must never hold back completing a lifecycle action.
 */
export const withLineage = (plan: Plan, fleet: FleetView, restartedAt: number, launchGroup?: GroupId): Plan => {
  const lineage = plan.actions.flatMap((a) => {
    const l = a.kind === 'hand-over' ? lineageOf(fleet, a, restartedAt, launchGroup) : undefined;
    return l === undefined ? [] : [l];
  });
  if (lineage.length === 0) return plan;
  // Before the restart windows the plan opens: an heir's inherited lineage window is the one this start keeps.
  const windows = plan.actions.filter((a) => a.kind === 'open-restart-window');
  return { ...plan, actions: [...plan.actions.filter((a) => a.kind !== 'open-restart-window'), ...lineage, ...windows] };
};

/**
 * The lineage of the pool refresh's hand-overs in `group` (chooseReplacementHandOvers), each newcomer
 * restarting at its launch time. Newcomers the snapshot does not list carry nothing.
 */
export const refreshLineage = (
  fleet: FleetView,
  group: GroupView,
  handedOver: readonly { readonly reservationId: ReservationId; readonly instanceId: InstanceId }[],
): InheritAction[] =>
  handedOver.flatMap((h) => {
    const newcomer = group.instances.find((i) => i.id === h.instanceId);
    const lineage = newcomer === undefined ? undefined : lineageOf(fleet, { groupId: group.id, ...h }, newcomer.launchedAt);
    return lineage === undefined ? [] : [lineage];
  });

/** Purposes whose instance a group replaces by launching ahead of its termination (see aheadLineage). */
const REPLACED_AHEAD: ReadonlySet<string> = new Set(['request', 'rebalance', 'warning']);

/**
 * The lineage a newcomer launched ahead of a termination carries, when its launch hook hands it nothing. Auto Scaling
 * launches a member while desired capacity is unchanged only to replace another — the instance maintenance policy's
 * launch-before-terminate, Capacity Rebalancing — so with the newcomer the group runs more members than desired, and
 * the member it replaces still runs and serves until the newcomer is in service. That member's reservation (a
 * voluntary interruption's, a rebalance recommendation's or a warning's) stays where it is: it is what keeps the
 * coordinator from choosing a draining victim twice, and it expires unclaimed as before. What moves is the load, so
 * the newcomer's profile inherits the victim's lineage and its first post-restart window is a complete restart cycle
 * (restart cycles are what online recalibration learns from, core/predict/calibrate.ts).
 *
 * Auto Scaling does not say which member a newcomer replaces. Several launched together are paired in order: the
 * k-th newcomer launched since the oldest such reservation (by launch time, then id) takes the k-th of those
 * reservations (oldest first, then by id). A wrong pairing within a group only misattributes one cycle between two of
 * its members; a lineage still goes to one heir only (lambda/core/profile/inherit-profile.ts).
 */
export const aheadLineage = (fleet: FleetView, launchGroup: GroupView, newcomer: InstanceId, launchedAt: number, now: number): InheritAction | undefined => {
  const members = launchGroup.instances.filter((i) => !i.warm && isActive(i) && i.terminating !== true);
  const listed = members.some((i) => i.id === newcomer);
  if (members.length + (listed ? 0 : 1) <= Math.floor(launchGroup.desiredCapacity)) return undefined;
  const replaced = [...launchGroup.pool.reservations.values()]
    .filter((r) => {
      if (r.expiresAt <= now || isReclaimRecord(r) || !REPLACED_AHEAD.has(reservationPurpose(r)) || r.instanceId === newcomer) return false;
      const victim = launchGroup.instances.find((i) => i.id === r.instanceId);
      return victim !== undefined && runsAndStays(victim);
    })
    .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    // One per member replaced (a rebalance recommendation and a warning may both hold for it): its oldest.
    .filter((r, k, all) => all.findIndex((x) => x.instanceId === r.instanceId) === k);
  const oldest = replaced[0];
  if (oldest === undefined) return undefined;
  const victims = new Set<string>(replaced.map((r) => r.instanceId));
  const newcomers = [
    ...members.filter((i) => i.id !== newcomer && !victims.has(i.id) && i.launchedAt >= oldest.createdAt).map((i) => ({ id: i.id, at: i.launchedAt })),
    { id: newcomer, at: launchedAt },
  ].sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const k = newcomers.findIndex((n) => n.id === newcomer);
  const reservation = replaced[k];
  return reservation === undefined
    ? undefined
    : lineageOf(fleet, { groupId: launchGroup.id, reservationId: reservation.id, instanceId: newcomer }, launchedAt, launchGroup.id);
};
