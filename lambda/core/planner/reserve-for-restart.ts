import type { Action, DomainEvent, FleetView, GroupView, ManagedInstance, ReservationId, ResourcePool, Resources } from '../domain';
import { formatResources } from '../resources/resources';
import { releaseReservation } from '../pool/resource-pool';
import { reserveInPlan, sweepForPlan, unusablePoolReason } from '../common/plan-pool';
import { estimatePostRestartDemand } from '../common/post-restart-demand';
import { buildReservation, makeReservationId, reservationsFor, type ReservationPurpose } from '../common/reservation-terms';

export interface RestartReservationRequest {
  readonly fleet: FleetView;
  readonly group: GroupView;
  readonly instance: ManagedInstance;
  readonly purpose: ReservationPurpose;
  /** Event or request id the reservation id derives from. */
  readonly source: string;
  readonly now: number;
  /** How long the reservation must last (interruption + restart grace + post-restart window). */
  readonly expiresAt: number;
  readonly why: string;
}

/** The outcome, with the actions and events that realise it and the pool as the plan leaves it. */
export type RestartReservation = {
  readonly actions: readonly Action[];
  readonly events: readonly DomainEvent[];
  readonly pool: ResourcePool;
} & (
  | { readonly kind: 'reserved'; readonly reservationId: ReservationId; readonly amount: Resources }
  /** A still-valid reservation for the same instance (a rebalance's, a request's, a redelivery's) is kept. */
  | { readonly kind: 'reused'; readonly reservationId: ReservationId; readonly amount: Resources }
  | { readonly kind: 'refused'; readonly amount: Resources; readonly shortfall: Resources }
  /** Forecast unknown or pool unusable: nothing reserved, fail closed. */
  | { readonly kind: 'fail-closed'; readonly reason: string }
);

/**
 * Reserves `instance`'s post-restart demand in its group's pool (seed 10572412 allocateResources:
 * every dimension must fit). Expired reservations are swept first (release actions), so capacity
 * they held counts as free. An existing valid reservation for the same instance that lasts long
 * enough is reused instead of stacking a second one; a shorter one is superseded (new reserve, then
 * release of the old) — or kept when the new one does not fit, since some protection beats none.
 */
export const reserveForRestart = (req: RestartReservationRequest): RestartReservation => {
  const estimate = estimatePostRestartDemand(req.instance, req.group, req.fleet);
  if (estimate.kind === 'unknown') return { kind: 'fail-closed', reason: estimate.reason, actions: [], events: [], pool: req.group.pool };
  const poolProblem = unusablePoolReason(req.group);
  if (poolProblem !== undefined) return { kind: 'fail-closed', reason: poolProblem, actions: [], events: [], pool: req.group.pool };

  const swept = sweepForPlan(req.group, req.group.pool, req.now);
  const amount = estimate.amount;
  const id = makeReservationId(req.purpose, req.source, req.instance.id);
  const existing = reservationsFor(swept.pool, req.instance.id, req.now);
  const lasting = existing.find((r) => r.id !== id && r.expiresAt >= req.expiresAt);
  if (lasting !== undefined && !existing.some((r) => r.id === id)) {
    return { kind: 'reused', reservationId: lasting.id, amount: lasting.amount, actions: swept.actions, events: [], pool: swept.pool };
  }

  const reservation = buildReservation({
    id,
    purpose: req.purpose,
    source: req.source,
    group: req.group,
    instance: req.instance,
    amount,
    now: req.now,
    expiresAt: req.expiresAt,
    reason: `post-restart demand (${estimate.source}) for ${req.why}`,
  });
  const outcome = reserveInPlan(swept.pool, reservation, req.now);
  if (outcome.kind === 'invalid') return { kind: 'fail-closed', reason: outcome.reason, actions: swept.actions, events: [], pool: swept.pool };
  if (outcome.kind === 'refused') {
    const fallback = existing.find((r) => r.id !== id);
    if (fallback !== undefined) {
      return { kind: 'reused', reservationId: fallback.id, amount: fallback.amount, actions: swept.actions, events: [], pool: swept.pool };
    }
    return {
      kind: 'refused',
      amount,
      shortfall: outcome.shortfall,
      actions: swept.actions,
      pool: swept.pool,
      events: [
        {
          kind: 'reservation-refused',
          at: req.now,
          groupId: req.group.id,
          instanceId: req.instance.id,
          shortfall: outcome.shortfall,
          reason: `${formatResources(amount)} for ${req.why} does not fit in ${req.group.id}'s pool`,
        },
      ],
    };
  }
  // Reserve first, release after: the instance is never without a reservation in between.
  const older = existing.filter((r) => r.id !== id);
  const superseded: Action[] = older.map((r) => ({ kind: 'release', groupId: req.group.id, reservationId: r.id, reason: `superseded by ${id}` }));
  const pool = older.reduce((p, r) => releaseReservation(p, r.id).pool, outcome.pool);
  return {
    kind: 'reserved',
    reservationId: id,
    amount,
    actions: [...swept.actions, { kind: 'reserve', reservation }, ...superseded],
    events: outcome.alreadyHeld
      ? []
      : [{ kind: 'reservation-made', at: req.now, groupId: req.group.id, instanceId: req.instance.id, reservationId: id, amount }],
    pool,
  };
};
