import type { Action, GroupView, Loan, Reservation, ResourcePool, Resources } from '../domain';
import { reserveWithBorrowing, type Lender } from '../pool/borrowing';
import { DIMENSIONS } from '../domain';
import { InvalidAmountError } from '../pool/pool-amounts';
import { InvalidReservationError, poolInvariantViolations, sweepExpired } from '../pool/resource-pool';
import { InvalidResourcesError } from '../resources/resources';

/**
 * Helpers that replay a plan's pool effects on a copy of the group's pool, so a later step of the same
 * plan sees what an earlier step reserved or released ("the reservation fits after the staging
 * actions the plan itself includes"). The store repeats every check atomically when the plan runs.
 */

/**
 * Why `group`'s pool cannot be evaluated, or undefined when it can. A pool with NaN capacity, a
 * broken ledger or another group's id must not be used to admit anything (fail closed).
 */
export const unusablePoolReason = (group: GroupView): string | undefined => {
  const pool = group.pool;
  if (pool.groupId !== group.id) return `pool of ${group.id} is labelled ${pool.groupId}`;
  const bad = DIMENSIONS.find((d) => !(Number.isFinite(pool.capacity[d]) && pool.capacity[d] >= 0));
  if (bad !== undefined) return `pool of ${group.id} has capacity ${bad} = ${String(pool.capacity[bad])}`;
  const violations = poolInvariantViolations(pool);
  return violations.length > 0 ? `pool of ${group.id} is inconsistent: ${violations.join('; ')}` : undefined;
};

/** Releases for reservations that expired by `now` (housekeeping that frees capacity before a reserve). */
export const sweepForPlan = (group: GroupView, pool: ResourcePool, now: number): { readonly pool: ResourcePool; readonly actions: Action[] } => {
  const swept = sweepExpired(pool, now);
  const actions: Action[] = [...swept.released].sort().map((reservationId) => ({
    kind: 'release',
    groupId: group.id,
    reservationId,
    reason: `expired before ${now}`,
  }));
  return { pool: swept.pool, actions };
};

export type PlannedReserve =
  /** `loans`: what the reservation borrows from lower-priority instances (empty when it fits as it is). */
  | { readonly kind: 'reserved'; readonly pool: ResourcePool; readonly alreadyHeld: boolean; readonly loans: readonly Loan[] }
  | { readonly kind: 'refused'; readonly shortfall: Resources }
  /** The reservation itself is malformed (NaN amount or priority, expiry not after now): fail closed. */
  | { readonly kind: 'invalid'; readonly reason: string };

/** Where a reservation that does not fit may borrow its shortfall (lambda/core/pool/borrowing.ts). */
export interface PlanBorrowing {
  readonly lenders: readonly Lender[];
  readonly borrowLimit: number;
}

/**
 * Reserves on the plan's copy of the pool; an id already in the ledger counts as held (idempotent). With
 * `borrowing`, a reservation that does not fit borrows its shortfall from lower-priority lenders when they can
 * cover all of it. The pool's typed validation errors are data problems, not bugs: they come back as 'invalid'
 * so a plan never throws because a forecast or an instance tag was bad.
 */
export const reserveInPlan = (pool: ResourcePool, reservation: Reservation, now: number, borrowing?: PlanBorrowing): PlannedReserve => {
  let outcome: ReturnType<typeof reserveWithBorrowing>;
  try {
    outcome = reserveWithBorrowing(pool, reservation, { lenders: borrowing?.lenders ?? [], borrowLimit: borrowing?.borrowLimit ?? 0, now });
  } catch (error) {
    if (error instanceof InvalidReservationError || error instanceof InvalidAmountError || error instanceof InvalidResourcesError) {
      return { kind: 'invalid', reason: error.message };
    }
    throw error;
  }
  switch (outcome.kind) {
    case 'reserved':
      return { kind: 'reserved', pool: outcome.pool, alreadyHeld: false, loans: outcome.loans };
    case 'already-reserved':
      return { kind: 'reserved', pool: outcome.pool, alreadyHeld: true, loans: outcome.loans };
    case 'refused':
      return { kind: 'refused', shortfall: outcome.shortfall };
  }
};
