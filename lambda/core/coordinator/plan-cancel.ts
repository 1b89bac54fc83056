import type { Action, FleetView, InstanceId, InterruptionRequest, Plan, RequestId, ReservationId } from '../domain';
import { requestReservations } from '../common/reservation-terms';

/** What the coordinator knows of the request being cancelled (its stored record). */
export interface CancelledRequest {
  readonly request: InterruptionRequest;
  readonly status: 'pending' | 'scheduled' | 'deferred' | 'executed' | 'refused' | 'cancelled';
  readonly victim?: InstanceId;
  readonly reservationId?: ReservationId;
}

/** Statuses a cancel can still change: the interruption has not happened and is not settled. */
const CANCELLABLE: ReadonlySet<CancelledRequest['status']> = new Set(['pending', 'deferred', 'scheduled']);

const nothing = (reason: string): Plan => ({ actions: [{ kind: 'noop', reason }], events: [] });

/**
 * Plans an operator's cancel (`spotwise cancel`). A pending, deferred or scheduled request is cancelled:
 * its record says so FIRST (the executor ignores a due interruption of a cancelled request, so once this
 * is written the victim is safe even if the schedule fires in between), then its one-time schedule is
 * deleted and every reservation it holds (ids `request:<id>:…`, anywhere in the fleet) is released.
 * An unknown request, or one already executed, refused or cancelled, is left alone with the reason.
 */
export const planCancel = (
  requestId: RequestId,
  stored: CancelledRequest | undefined,
  fleet: FleetView,
  ctx: { readonly now: number; readonly reason: string },
): Plan => {
  if (stored === undefined) return nothing(`request ${requestId} is not stored: nothing to cancel`);
  if (!CANCELLABLE.has(stored.status)) {
    return nothing(
      `request ${requestId} is ${stored.status}: ${stored.status === 'executed' ? 'the interruption was already carried out' : 'it is settled'}, not cancelled`,
    );
  }
  const held = requestReservations(fleet.groups, requestId).map(({ group, reservation }) => ({ groupId: group.id, reservationId: reservation.id }));
  const note = `cancelled while ${stored.status}: ${ctx.reason}`;
  const actions: Action[] = [
    {
      kind: 'record-request-status',
      request: stored.request,
      status: 'cancelled',
      note,
      ...(stored.victim !== undefined ? { victim: stored.victim } : {}),
      ...(stored.reservationId !== undefined ? { reservationId: stored.reservationId } : {}),
    },
  ];
  if (stored.status === 'scheduled') actions.push({ kind: 'cancel-schedule', requestId, reason: note });
  for (const h of held) actions.push({ kind: 'release', groupId: h.groupId, reservationId: h.reservationId, reason: `request ${requestId} cancelled` });
  return { actions, events: [{ kind: 'interruption-cancelled', at: ctx.now, requestId, reason: ctx.reason }] };
};
