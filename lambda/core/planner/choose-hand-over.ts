import type { FleetView, GroupView, InstanceId, Reservation } from '../domain';
import { locateInstance } from './locate-instance';
import { isReclaimRecord, reservationPurpose } from './reservation-terms';

export interface HandOverChoice {
  /** The group whose pool holds the reservation. */
  readonly group: GroupView;
  readonly reservation: Reservation;
}

/**
 * Whether a reservation is waiting for a replacement: its instance is gone (not in the fleet, or
 * terminating). A stopped / stopping victim will come back under its own id (spot stop, hibernate),
 * and a voluntary interruption that has not happened yet still has a running victim — neither is
 * handed to a newcomer. Sibling reservations (stop → modify → start) always stay with the sibling.
 */
const awaitsReplacement = (fleet: FleetView, reservation: Reservation): boolean => {
  if (reservationPurpose(reservation.id) === 'sibling' || isReclaimRecord(reservation)) return false;
  const located = locateInstance(fleet, reservation.instanceId);
  return located === undefined || located.instance.state === 'shutting-down' || located.instance.state === 'terminated';
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
  fleet: FleetView, group: GroupView, newcomers: readonly { readonly id: InstanceId; readonly launchedAt: number }[], now: number,
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
