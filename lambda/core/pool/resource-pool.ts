import {
  DIMENSIONS,
  type Dimension,
  type GroupId,
  type InstanceId,
  type Loan,
  type Reservation,
  type ReservationId,
  type ResourcePool,
  type Resources,
} from '../domain';
import { ZERO_RESOURCES, addResources, formatResources, isZero, maxResources, subtractResources, validateResources } from '../resources/resources';
import { ExactSum } from './exact-sum';
import { GRID_STEPS_PER_UNIT, MAX_POOL_AMOUNT, checkPoolResources, isOnGrid } from './pool-amounts';

/**
 * A group's resource pool (DESIGN.md §2, seed 10572412's ResourcePool): a capacity envelope, the
 * allocation of each running instance, and a ledger of reservations for instances about to restart.
 *
 * Invariant, on every dimension: allocations + reservations ≤ capacity. Every function here is pure
 * and returns a new pool (bumping `version` only when something changed); a write that would break
 * the invariant is refused with the per-dimension shortfall instead. The pool keeps no running
 * totals: committed amounts are always derived from the ledger, so they cannot disagree with it.
 * Amounts are rounded onto an exact 1/1024 grid on the way in (see pool-amounts.ts), and totals are
 * summed exactly and rounded once (exact-sum.ts), so they do not depend on the order of the ledger —
 * which is what lets setAllocations keep one running total for the length of a call.
 */

/** A reservation that cannot be taken as given (wrong group, bad times, empty id, malformed loans). */
export class InvalidReservationError extends Error {
  override readonly name = 'InvalidReservationError';
  constructor(
    readonly reservationId: string,
    readonly field: string,
    readonly value: unknown,
    readonly expected: string,
  ) {
    super(`reservation ${JSON.stringify(reservationId)} ${field}: expected ${expected}, got ${describeValue(value)}`);
  }
}

/** A value as an error message shows it: strings and objects as JSON, anything else as it prints (NaN, undefined). */
const describeValue = (value: unknown): string =>
  typeof value === 'string' || (typeof value === 'object' && value !== null) ? JSON.stringify(value) : String(value);

export type ReserveResult =
  /** Held now; `reservation` is what the ledger stores (amount rounded up onto the grid). */
  | { readonly kind: 'reserved'; readonly pool: ResourcePool; readonly reservation: Reservation }
  /** The id was already in the ledger: nothing changed, the stored reservation wins (idempotency). */
  | { readonly kind: 'already-reserved'; readonly pool: ResourcePool; readonly reservation: Reservation }
  /** Some dimension does not fit; `shortfall` is what is missing on each (0 where it fits). */
  | { readonly kind: 'refused'; readonly shortfall: Resources; readonly reason: string };

export type AllocateResult =
  { readonly kind: 'allocated'; readonly pool: ResourcePool } | { readonly kind: 'refused'; readonly shortfall: Resources; readonly reason: string };

export type ResizeResult =
  { readonly kind: 'resized'; readonly pool: ResourcePool } | { readonly kind: 'refused'; readonly shortfall: Resources; readonly reason: string };

export type HandOverResult =
  /** The reservation left the ledger and `instanceId`'s allocation is now max(its allocation, the reserved amount). */
  | { readonly kind: 'handed-over'; readonly pool: ResourcePool; readonly instanceId: InstanceId; readonly allocation: Resources; readonly late: boolean }
  /** Unknown (already handed over, released or swept): nothing changed. */
  | { readonly kind: 'not-found'; readonly pool: ResourcePool };

/** An empty pool with `capacity` (validated, rounded DOWN onto the grid). */
export const createPool = (groupId: GroupId, capacity: Resources): ResourcePool => ({
  groupId,
  capacity: checkCapacity(capacity, `pool ${groupId} capacity`),
  allocations: new Map(),
  reservations: new Map(),
  version: 0,
});

const checkCapacity = (r: Resources, what: string): Resources => checkPoolResources(validateResources(r, what), what, 'down');
const checkDemand = (r: Resources, what: string): Resources => checkPoolResources(validateResources(r, what), what, 'up');

/** Exact per-dimension sums of a ledger (see exact-sum.ts). */
type LedgerSums = Readonly<Record<Dimension, ExactSum>>;

const sumsOf = (...amounts: Iterable<Resources>[]): LedgerSums => {
  const sums: LedgerSums = { vcpu: new ExactSum(), memoryGiB: new ExactSum(), networkMbps: new ExactSum(), diskIops: new ExactSum() };
  for (const list of amounts) for (const r of list) for (const d of DIMENSIONS) sums[d].add(r[d]);
  return sums;
};

const reservationAmounts = function* (pool: ResourcePool): Iterable<Resources> {
  for (const r of pool.reservations.values()) yield r.amount;
};

/** Allocations + reservations, summed exactly. */
const committedSums = (pool: ResourcePool): LedgerSums => sumsOf(pool.allocations.values(), reservationAmounts(pool));

/** Sum of the allocations alone. */
export const allocatedResources = (pool: ResourcePool): Resources => {
  const sums = sumsOf(pool.allocations.values());
  return perDimension((d) => sums[d].value());
};

/** Sum of the reservations alone. */
export const reservedResources = (pool: ResourcePool): Resources => {
  const sums = sumsOf(reservationAmounts(pool));
  return perDimension((d) => sums[d].value());
};

/** Allocations + reservations: what the pool has promised, summed exactly and rounded once. */
export const committedResources = (pool: ResourcePool): Resources => {
  const sums = committedSums(pool);
  return perDimension((d) => sums[d].value());
};

/** capacity − committed per dimension, never below 0 (taken exactly, then rounded: see overBy). */
const freeBy = (sums: LedgerSums, capacity: Resources): Resources => perDimension((d) => Math.max(0, -sums[d].minus(capacity[d])));

/**
 * committed − capacity per dimension, never below 0: the difference is taken exactly and rounded once, so it is
 * positive exactly when the ledger exceeds the capacity. (freeBy negates the same rounded difference: rounding to
 * nearest is symmetric, so that is capacity − committed rounded once.)
 */
const overBy = (sums: LedgerSums, capacity: Resources): Resources => perDimension((d) => Math.max(0, sums[d].minus(capacity[d])));

/** What can still be promised: capacity − committed per dimension, never below 0. */
export const availableResources = (pool: ResourcePool): Resources => freeBy(committedSums(pool), pool.capacity);

const perDimension = (f: (d: (typeof DIMENSIONS)[number]) => number): Resources => ({
  vcpu: f('vcpu'),
  memoryGiB: f('memoryGiB'),
  networkMbps: f('networkMbps'),
  diskIops: f('diskIops'),
});

/** How far `pool` is over its capacity per dimension (all 0 when the invariant holds). */
export const overCommitment = (pool: ResourcePool): Resources => overBy(committedSums(pool), pool.capacity);

/**
 * Why writing `allocated` beside `reserved` under `capacity` would over-commit a pool, naming each short dimension with
 * its three amounts; undefined when it fits. What every store checks before it rewrites a pool's capacity or allocations.
 */
export const overCommitReason = (groupId: string, capacity: Resources, allocated: Resources, reserved: Resources): string | undefined => {
  const over = DIMENSIONS.filter((d) => capacity[d] - allocated[d] - reserved[d] < 0);
  if (over.length === 0) return undefined;
  return `pool of group ${groupId} would be over-committed on ${over.map((d) => `${d} (capacity ${capacity[d]}, allocated ${allocated[d]}, reserved ${reserved[d]})`).join(', ')}`;
};

/** The candidate is accepted only if it is not over-committed: compared exactly, on the grid, no tolerance. */
const admit = <T>(candidate: ResourcePool, accept: (p: ResourcePool) => T, what: string): T | { kind: 'refused'; shortfall: Resources; reason: string } => {
  const over = overCommitment(candidate);
  if (isZero(over)) return accept(candidate);
  return { kind: 'refused', ...notFitting(what, candidate.groupId, over) };
};

/** Why `what` was refused: the over-commitment it would cause, as the shortfall and in words. */
const notFitting = (what: string, groupId: GroupId, over: Resources): { shortfall: Resources; reason: string } => ({
  shortfall: over,
  reason: `${what} does not fit in pool ${groupId}: short of ${formatResources(over)}`,
});

/**
 * Reserves `reservation.amount` for an instance's post-restart demand (seed 10572412's
 * allocateResources): held only if EVERY dimension fits in what is available, else refused with the
 * shortfall per dimension. Idempotent on the reservation id: reserving an id already in the ledger
 * changes nothing and returns the stored reservation (a redelivered event re-plans the same id).
 *
 * Expired reservations still count until swept: call `sweepExpired(pool, now)` first, as the store
 * does, so a refusal is never caused by a reservation that is already dead.
 *
 * @throws InvalidReservationError / InvalidResourcesError / InvalidAmountError for a reservation that
 *   validateReservation refuses against this pool at `now`.
 */
export const tryReserve = (pool: ResourcePool, reservation: Reservation, now: number): ReserveResult => {
  const held = pool.reservations.get(checkReservationId(reservation));
  if (held) return { kind: 'already-reserved', pool, reservation: held };
  const stored = validateReservation(reservation, { pool, now });
  const reservations = new Map(pool.reservations).set(stored.id, stored);
  return admit(
    { ...pool, allocations: lend(pool.allocations, stored.loans ?? [], -1), reservations, version: pool.version + 1 },
    (p) => ({ kind: 'reserved' as const, pool: p, reservation: stored }),
    `reservation ${stored.id} of ${formatResources(stored.amount)}`,
  );
};

/**
 * A reservation's terms, checked as every pool takes them — tryReserve here, and a store before it writes one —
 * and returned as a ledger stores them: the amount rounded UP onto the grid (never under-reserve), the loans kept
 * only when there are any. Checked in this order, the first failure thrown: a non-empty id, group and instance;
 * finite times with `expiresAt` after `createdAt`; a finite priority; the amount; then each loan — a lender named
 * once, not the reservation's own instance, an amount exactly on the grid (lending moves capacity between
 * allocations and the ledger, so rounding it either way would create or lose some) — and all of them together at
 * most the amount (a loan is part of what is held, never more).
 *
 * With `against`, also what only the pool can say, in the same order: the reservation is for the pool's group,
 * has not expired by `now`, and each lender holds an allocation of at least what it lends on every dimension.
 * A store decides those on its own state (its clock, and a fresh read of the pool) instead.
 *
 * @throws InvalidReservationError naming the reservation, the field, what was expected and the value.
 * @throws InvalidResourcesError / InvalidAmountError naming the dimension for a NaN, negative, infinite or
 *   oversized amount.
 */
export const validateReservation = (reservation: Reservation, against?: { readonly pool: ResourcePool; readonly now: number }): Reservation => {
  const id = checkReservationId(reservation);
  const invalid = (field: string, value: unknown, expected: string): never => {
    throw new InvalidReservationError(id, field, value, expected);
  };
  if (against !== undefined) {
    if (reservation.groupId !== against.pool.groupId) invalid('groupId', reservation.groupId, `the pool's group ${JSON.stringify(against.pool.groupId)}`);
  } else if (!isNonEmptyString(reservation.groupId)) invalid('groupId', reservation.groupId, 'a non-empty group id');
  if (!isNonEmptyString(reservation.instanceId)) invalid('instanceId', reservation.instanceId, 'a non-empty instance id');
  const createdAt = checkTime(reservation, 'createdAt');
  const expiresAt = checkTime(reservation, 'expiresAt');
  if (expiresAt <= createdAt) invalid('expiresAt', expiresAt, `a time after createdAt ${createdAt}`);
  if (against !== undefined && expiresAt <= against.now) invalid('expiresAt', expiresAt, `a time after now ${against.now}`);
  if (typeof reservation.priority !== 'number' || !Number.isFinite(reservation.priority)) invalid('priority', reservation.priority, 'a finite number');
  const amount = checkDemand(reservation.amount, `reservation ${id} amount`);
  const loans = checkLoans(reservation, amount, against?.pool);
  const { loans: _given, ...terms } = reservation;
  return { ...terms, amount, ...(loans.length > 0 ? { loans } : {}) };
};

const isNonEmptyString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/** The id, which must be a non-empty string before anything else (it names the reservation in every other error). */
const checkReservationId = (r: Reservation): ReservationId => {
  if (!isNonEmptyString(r.id)) throw new InvalidReservationError(String(r.id), 'id', r.id, 'a non-empty id');
  return r.id;
};

const checkTime = (r: Reservation, field: 'createdAt' | 'expiresAt'): number => {
  const v = r[field];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new InvalidReservationError(r.id, field, v, 'a finite epoch-millisecond time');
  return v;
};

/** A reservation's loans checked (see validateReservation), against the lenders' allocations in `pool` when given. */
const checkLoans = (reservation: Reservation, amount: Resources, pool: ResourcePool | undefined): Loan[] => {
  const given: unknown = reservation.loans ?? [];
  const invalid = (field: string, value: unknown, expected: string): never => {
    throw new InvalidReservationError(reservation.id, field, value, expected);
  };
  if (!Array.isArray(given)) return invalid('loans', given, 'a list of loans');
  const seen = new Set<InstanceId>();
  let total = ZERO_RESOURCES;
  const loans = (given as unknown[]).map((loan, i): Loan => {
    const field = `loans[${i}]`;
    if (loan === null || typeof loan !== 'object') return invalid(field, loan, 'a loan ({ lender, amount })');
    const { lender, amount: lent } = loan as Partial<Loan>;
    if (!isNonEmptyString(lender)) return invalid(`${field}.lender`, lender, 'a non-empty instance id');
    if (lender === reservation.instanceId)
      invalid(`${field}.lender`, lender, `an instance other than the one the reservation is for (${reservation.instanceId})`);
    if (seen.has(lender)) invalid(`${field}.lender`, lender, 'a lender listed once');
    seen.add(lender);
    const checked = checkPoolResources(lent as Resources, `reservation ${reservation.id} ${field}.amount`, 'up');
    if (!isOnGrid(lent as Resources)) invalid(`${field}.amount`, lent, `amounts on the pool's 1/${GRID_STEPS_PER_UNIT} grid`);
    if (pool !== undefined) {
      const allocation = pool.allocations.get(lender);
      const short = DIMENSIONS.find((d) => checked[d] > (allocation?.[d] ?? 0));
      if (short !== undefined) {
        invalid(`${field}.amount.${short}`, checked[short], `at most lender ${lender}'s allocation ${allocation === undefined ? '(none)' : allocation[short]}`);
      }
    }
    total = addResources(total, checked);
    return { lender, amount: checked };
  });
  const over = DIMENSIONS.find((d) => total[d] > amount[d]);
  if (over !== undefined) invalid(`loans (total ${over})`, total[over], `at most the reserved ${amount[over]}`);
  return loans;
};

/**
 * Per dimension, how much of `loans` their lenders can no longer lend: a lender without an allocation, or with
 * less than its loan (the plan saw an older pool). A store refuses such a reservation with this as the shortfall.
 */
export const loanDeficit = (pool: ResourcePool, loans: readonly Loan[]): Resources =>
  loans.reduce((sum, loan) => {
    const held = pool.allocations.get(loan.lender) ?? ZERO_RESOURCES;
    return addResources(
      sum,
      perDimension((d) => Math.max(0, loan.amount[d] - held[d])),
    );
  }, ZERO_RESOURCES);

/** Allocations with each loan taken from (sign −1) or given back to (+1) its lender; a lender that left gets nothing back. */
const lend = (allocations: ReadonlyMap<InstanceId, Resources>, loans: readonly Loan[], sign: 1 | -1): ReadonlyMap<InstanceId, Resources> => {
  if (loans.length === 0) return allocations;
  const out = new Map(allocations);
  for (const loan of loans) {
    const held = out.get(loan.lender);
    if (held === undefined) continue;
    out.set(loan.lender, sign === 1 ? addResources(held, loan.amount) : subtractResources(held, loan.amount));
  }
  return out;
};

/**
 * The pool without `ids`' reservations, each one's loans given back to its lenders. What a reservation frees is
 * at least what its loans give back (they are part of its amount), so committed never rises.
 */
const withoutReservations = (pool: ResourcePool, ids: readonly ReservationId[]): ResourcePool => {
  const reservations = new Map(pool.reservations);
  let allocations = pool.allocations;
  for (const id of ids) {
    const r = reservations.get(id);
    if (r === undefined) continue;
    reservations.delete(id);
    allocations = lend(allocations, r.loans ?? [], 1);
  }
  return { ...pool, allocations, reservations, version: pool.version + 1 };
};

/**
 * Removes a reservation, giving its loans back to their lenders; idempotent (an unknown id changes nothing and
 * reports `released: false`).
 */
export const releaseReservation = (pool: ResourcePool, id: ReservationId): { pool: ResourcePool; released: boolean } => {
  if (!pool.reservations.has(id)) return { pool, released: false };
  return { pool: withoutReservations(pool, [id]), released: true };
};

/**
 * Releases every reservation with `expiresAt ≤ now` (the same boundary as the store's sweep: a
 * reservation is live strictly before its expiry). Returns the released ids in ledger order.
 */
export const sweepExpired = (pool: ResourcePool, now: number): { pool: ResourcePool; released: ReservationId[] } => {
  const released = [...pool.reservations.values()].filter((r) => r.expiresAt <= now).map((r) => r.id);
  if (released.length === 0) return { pool, released };
  return { pool: withoutReservations(pool, released), released };
};

/**
 * Sets a running instance's allocation (its demand envelope, rounded UP onto the grid). Refused with
 * the shortfall when the new allocation would over-commit the pool; lowering an allocation always
 * succeeds. Setting the value already stored changes nothing (no version bump).
 */
export const setAllocation = (pool: ResourcePool, instanceId: InstanceId, r: Resources): AllocateResult => {
  const amount = checkDemand(r, `allocation of ${instanceId}`);
  const writer = allocationWriter(pool);
  const refusal = writer.trySet(instanceId, amount);
  return refusal === undefined ? { kind: 'allocated', pool: writer.pool() } : { kind: 'refused', ...refusal };
};

/**
 * Lowers an instance's allocation to the per-dimension min of what it holds and `r` (rounded UP onto
 * the grid). Never refused: committed can only fall, so — unlike setAllocation — it is accepted even
 * in a pool that is already over-committed (one stored by an older version), which it can only help.
 * An instance with no allocation is left without one.
 */
export const lowerAllocation = (pool: ResourcePool, instanceId: InstanceId, r: Resources): ResourcePool => lowerAllocations(pool, [[instanceId, r]]);

/** One allocation to set in a batch (see setAllocations). */
export interface AllocationRequest {
  readonly instanceId: InstanceId;
  readonly amount: Resources;
}

/**
 * What a batch did with one request, in request order:
 * - `allocated`: stored as asked (rounded UP onto the grid), or already stored at that amount;
 * - `filled` (only with `onRefused: 'fill'`): refused as asked, recorded at what fits instead —
 *   `allocation` = per dimension min(asked, current allocation + available), which is what the pool
 *   stores (on the grid whenever the ledger is) — with `shortfall` = asked − allocation;
 * - `refused`: nothing changed for this instance (`reason` is the refusal of the last attempt).
 */
export type AllocationOutcome =
  | { readonly kind: 'allocated'; readonly instanceId: InstanceId; readonly allocation: Resources }
  | { readonly kind: 'filled'; readonly instanceId: InstanceId; readonly wanted: Resources; readonly allocation: Resources; readonly shortfall: Resources }
  | { readonly kind: 'refused'; readonly instanceId: InstanceId; readonly shortfall: Resources; readonly reason: string };

/** Drops the allocations of many instances with one copy of the ledger, one version per instance that had one. */
export const removeAllocations = (pool: ResourcePool, instanceIds: Iterable<InstanceId>): ResourcePool => {
  let allocations: Map<InstanceId, Resources> | undefined;
  let changes = 0;
  for (const id of instanceIds) {
    if (!(allocations ?? pool.allocations).has(id)) continue;
    allocations ??= new Map(pool.allocations);
    allocations.delete(id);
    changes += 1;
  }
  return allocations === undefined ? pool : { ...pool, allocations, version: pool.version + changes };
};

/**
 * lowerAllocation for many instances, in iteration order, with one copy of the ledger (lowerAllocation is this
 * with one): one version per allocation that fell; a bad amount throws, naming the instance, before anything else.
 */
export const lowerAllocations = (pool: ResourcePool, lowerings: Iterable<readonly [InstanceId, Resources]>): ResourcePool => {
  let allocations: Map<InstanceId, Resources> | undefined;
  let changes = 0;
  for (const [id, r] of lowerings) {
    const current = (allocations ?? pool.allocations).get(id);
    if (current === undefined) continue;
    const amount = checkDemand(r, `allocation of ${id}`);
    const lower = perDimension((d) => Math.min(current[d], amount[d]));
    if (DIMENSIONS.every((d) => lower[d] === current[d])) continue;
    allocations ??= new Map(pool.allocations);
    allocations.set(id, lower);
    changes += 1;
  }
  return allocations === undefined ? pool : { ...pool, allocations, version: pool.version + changes };
};

/**
 * setAllocation for many instances, in request order, with one copy of the ledger and one running committed
 * total instead of a re-sum per request (which made a 10,000-instance refresh O(n²)). Each request is decided
 * as setAllocation would decide it on the pool the requests before it left — the same check on the same number,
 * because the total is exact (exact-sum.ts), and the same refusal text — so the pool (allocations, their order,
 * version) and the outcomes are those of calling setAllocation one request at a time, for any pool. With
 * `onRefused: 'fill'`, a refused request is set at what fits instead (see AllocationOutcome), again as
 * setAllocation would take it.
 *
 * @throws InvalidResourcesError / InvalidAmountError for a bad amount, like setAllocation (the first in request order).
 */
export const setAllocations = (
  pool: ResourcePool,
  requests: readonly AllocationRequest[],
  onRefused: 'keep' | 'fill' = 'keep',
): { readonly pool: ResourcePool; readonly outcomes: readonly AllocationOutcome[] } => {
  const writer = allocationWriter(pool);
  const outcomes: AllocationOutcome[] = [];
  for (const { instanceId, amount } of requests) {
    const wanted = checkDemand(amount, `allocation of ${instanceId}`);
    const refusal = writer.trySet(instanceId, wanted);
    if (refusal === undefined) {
      outcomes.push({ kind: 'allocated', instanceId, allocation: writer.current(instanceId) ?? ZERO_RESOURCES });
      continue;
    }
    if (onRefused === 'keep') {
      outcomes.push({ kind: 'refused', instanceId, ...refusal });
      continue;
    }
    const allocation = fillAmount(wanted, writer.current(instanceId) ?? ZERO_RESOURCES, writer.available());
    // Validated and rounded UP onto the grid as setAllocation takes any amount; a fill on a ledger on the grid is on it already.
    const fillRefusal = writer.trySet(instanceId, checkDemand(allocation, `allocation of ${instanceId}`));
    if (fillRefusal !== undefined) {
      outcomes.push({ kind: 'refused', instanceId, ...fillRefusal });
      continue;
    }
    outcomes.push({ kind: 'filled', instanceId, wanted, allocation, shortfall: subtractResources(wanted, allocation) });
  }
  return { pool: writer.pool(), outcomes };
};

/** What fits for `wanted` next to `current` with `available` free: never more than wanted, on the grid when all three are. */
const fillAmount = (wanted: Resources, current: Resources, available: Resources): Resources =>
  perDimension((d) => Math.min(wanted[d], current[d] + available[d]));

/**
 * A pool being given new allocations one at a time: where setAllocation and setAllocations admit one. The ledger is
 * copied on the first change, and the committed total is summed on the first request that needs it and then kept by
 * taking an instance's old allocation out and adding its new one. The sums are exact, so the total after any
 * number of changes is the one a re-sum of the changed ledger gives, whatever the ledger holds.
 */
const allocationWriter = (pool: ResourcePool) => {
  let allocations: Map<InstanceId, Resources> | undefined;
  let sums: LedgerSums | undefined;
  let changes = 0;
  const current = (instanceId: InstanceId): Resources | undefined => (allocations ?? pool.allocations).get(instanceId);
  const move = (s: LedgerSums, out: Resources | undefined, into: Resources): void => {
    for (const d of DIMENSIONS) {
      s[d].subtract(out?.[d] ?? 0);
      s[d].add(into[d]);
    }
  };
  return {
    current,
    /** What is free in the pool built so far (availableResources of it). */
    available: (): Resources => freeBy((sums ??= committedSums(pool)), pool.capacity),
    /**
     * Sets `amount` (validated, on the grid) as `instanceId`'s allocation if the pool built so far stays within its
     * capacity, and returns undefined; else changes nothing and returns the refusal. Setting what is stored changes nothing.
     */
    trySet: (instanceId: InstanceId, amount: Resources): { shortfall: Resources; reason: string } | undefined => {
      const was = current(instanceId);
      if (was && DIMENSIONS.every((d) => was[d] === amount[d])) return undefined;
      sums ??= committedSums(pool);
      move(sums, was, amount);
      const over = overBy(sums, pool.capacity);
      if (!isZero(over)) {
        move(sums, amount, was ?? ZERO_RESOURCES);
        return notFitting(`allocation of ${formatResources(amount)} to ${instanceId}`, pool.groupId, over);
      }
      allocations ??= new Map(pool.allocations);
      allocations.set(instanceId, amount);
      changes += 1;
      return undefined;
    },
    pool: (): ResourcePool => (allocations === undefined ? pool : { ...pool, allocations, version: pool.version + changes }),
  };
};

/**
 * Changes the pool's capacity (rounded DOWN onto the grid). Shrinking below what is committed is
 * refused with the shortfall: release reservations or lower allocations first.
 */
export const resizePool = (pool: ResourcePool, capacity: Resources): ResizeResult => {
  const checked = checkCapacity(capacity, `pool ${pool.groupId} capacity`);
  return admit(
    { ...pool, capacity: checked, version: pool.version + 1 },
    (p) => ({ kind: 'resized' as const, pool: p }),
    `capacity ${formatResources(checked)}`,
  );
};

/**
 * After the restart (DESIGN.md flow 4): the reservation leaves the ledger and becomes the allocation
 * of the restarted instance — `toInstance`, which defaults to the reservation's own instance (a
 * stop/start keeps its id; a terminated spot instance is replaced by a new one, so pass the new id).
 * If that instance already has an allocation it becomes the per-dimension max of the two, so the
 * committed total can only fall: handing over never over-commits. A reservation handed over after
 * its expiry (a slow restart, not yet swept) is still handed over — the capacity was still held —
 * and reported `late`. Loans end here without going back: the borrowed capacity is now the restarted
 * instance's allocation (giving it back as well would count it twice), and the next pool refresh divides
 * the pool again by priority-ordered fair share.
 */
export const handOver = (pool: ResourcePool, reservationId: ReservationId, now: number, toInstance?: InstanceId): HandOverResult => {
  const reservation = pool.reservations.get(reservationId);
  if (!reservation) return { kind: 'not-found', pool };
  const instanceId = toInstance ?? reservation.instanceId;
  const existing = pool.allocations.get(instanceId);
  const allocation = existing ? maxResources(existing, reservation.amount) : reservation.amount;
  const reservations = new Map(pool.reservations);
  reservations.delete(reservationId);
  const allocations = new Map(pool.allocations).set(instanceId, allocation);
  return {
    kind: 'handed-over',
    pool: { ...pool, allocations, reservations, version: pool.version + 1 },
    instanceId,
    allocation,
    late: reservation.expiresAt <= now,
  };
};

/**
 * Everything wrong with `pool` (empty = sound): over-commitment per dimension, invalid or off-grid
 * amounts, ledger keys that differ from the reservation id, reservations of another group, bad times,
 * a bad version. Used by tests and by adapters that load a pool from storage.
 */
export const poolInvariantViolations = (pool: ResourcePool): string[] => {
  const problems: string[] = [];
  const checkVector = (r: Resources, what: string): void => {
    if (!isOnGrid(r)) {
      const bad = DIMENSIONS.filter((d) => !isOnGrid({ ...ZERO_RESOURCES, [d]: r[d] }));
      problems.push(
        `${what}: ${bad.map((d) => `${d} ${String(r[d])}`).join(', ')} not a finite amount in [0, ${MAX_POOL_AMOUNT}] on the 1/${GRID_STEPS_PER_UNIT} grid`,
      );
    }
  };
  checkVector(pool.capacity, 'capacity');
  for (const [id, a] of pool.allocations) checkVector(a, `allocation of ${id}`);
  for (const [key, r] of pool.reservations) {
    if (key !== r.id) problems.push(`reservation stored under ${JSON.stringify(key)} has id ${JSON.stringify(r.id)}`);
    if (r.groupId !== pool.groupId) problems.push(`reservation ${r.id} belongs to group ${r.groupId}, not ${pool.groupId}`);
    if (!Number.isFinite(r.createdAt) || !Number.isFinite(r.expiresAt) || r.expiresAt <= r.createdAt) {
      problems.push(`reservation ${r.id}: expiresAt ${r.expiresAt} is not after createdAt ${r.createdAt}`);
    }
    checkVector(r.amount, `reservation ${r.id} amount`);
    const lenders = new Set<InstanceId>();
    let lent = ZERO_RESOURCES;
    for (const loan of r.loans ?? []) {
      checkVector(loan.amount, `reservation ${r.id} loan from ${loan.lender}`);
      if (loan.lender === r.instanceId) problems.push(`reservation ${r.id} borrows from its own instance ${loan.lender}`);
      if (lenders.has(loan.lender)) problems.push(`reservation ${r.id} lists lender ${loan.lender} twice`);
      lenders.add(loan.lender);
      lent = addResources(lent, loan.amount);
    }
    const overLent = DIMENSIONS.filter((d) => lent[d] > r.amount[d]);
    if (overLent.length > 0) problems.push(`reservation ${r.id} borrows more than it holds on ${overLent.join(', ')}`);
  }
  if (!Number.isInteger(pool.version) || pool.version < 0) problems.push(`version ${pool.version} is not a non-negative integer`);
  const over = overCommitment(pool);
  for (const d of DIMENSIONS) {
    // A NaN comparison is false both ways: report it rather than letting it pass as "not over".
    if (Number.isNaN(over[d])) problems.push(`committed ${d} cannot be evaluated (NaN)`);
    else if (over[d] > 0) problems.push(`over-committed on ${d} by ${over[d]} (committed ${committedResources(pool)[d]} > capacity ${pool.capacity[d]})`);
  }
  return problems;
};
