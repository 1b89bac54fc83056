import type { FleetView, GroupView, InstanceId, Reservation } from '../domain';
import { locateInstance } from './locate-instance';
import { reservationPurpose } from './reservation-terms';

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
  if (reservationPurpose(reservation.id) === 'sibling') return false;
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
      .filter((r) => r.expiresAt > now && (r.instanceId === instance || awaitsReplacement(fleet, r)))
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
