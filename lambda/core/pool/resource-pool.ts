import {
  DIMENSIONS,
  type GroupId, type InstanceId, type Reservation, type ReservationId, type ResourcePool, type Resources,
} from '../domain';
import { ZERO_RESOURCES, addResources, formatResources, isZero, maxResources, validateResources } from '../resources/resources';
import { GRID_STEPS_PER_UNIT, MAX_POOL_AMOUNT, checkPoolResources, isOnGrid } from './pool-amounts';

/**
 * A group's resource pool (DESIGN.md §2, seed 10572412's ResourcePool): a capacity envelope, the
 * allocation of each running instance, and a ledger of reservations for instances about to restart.
 *
 * Invariant, on every dimension: allocations + reservations ≤ capacity. Every function here is pure
 * and returns a new pool (bumping `version` only when something changed); a write that would break
 * the invariant is refused with the per-dimension shortfall instead. The pool keeps no running
 * totals: committed amounts are always derived from the ledger, so they cannot disagree with it.
 * Amounts are rounded onto an exact 1/1024 grid on the way in (see pool-amounts.ts).
 */

/** A reservation that cannot be taken as given (wrong group, bad times, empty id). */
export class InvalidReservationError extends Error {
  override readonly name = 'InvalidReservationError';
  constructor(
    readonly reservationId: string,
    readonly field: string,
    readonly value: unknown,
    readonly expected: string,
  ) {
    super(`reservation ${JSON.stringify(reservationId)} ${field}: expected ${expected}, got ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`);
  }
}

export type ReserveResult =
  /** Held now; `reservation` is what the ledger stores (amount rounded up onto the grid). */
  | { readonly kind: 'reserved'; readonly pool: ResourcePool; readonly reservation: Reservation }
  /** The id was already in the ledger: nothing changed, the stored reservation wins (idempotency). */
  | { readonly kind: 'already-reserved'; readonly pool: ResourcePool; readonly reservation: Reservation }
  /** Some dimension does not fit; `shortfall` is what is missing on each (0 where it fits). */
  | { readonly kind: 'refused'; readonly shortfall: Resources; readonly reason: string };

export type AllocateResult =
  | { readonly kind: 'allocated'; readonly pool: ResourcePool }
  | { readonly kind: 'refused'; readonly shortfall: Resources; readonly reason: string };

export type ResizeResult =
  | { readonly kind: 'resized'; readonly pool: ResourcePool }
  | { readonly kind: 'refused'; readonly shortfall: Resources; readonly reason: string };

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

/** Sum of the allocations alone. */
export const allocatedResources = (pool: ResourcePool): Resources => [...pool.allocations.values()].reduce(addResources, ZERO_RESOURCES);

/** Sum of the reservations alone. */
export const reservedResources = (pool: ResourcePool): Resources => [...pool.reservations.values()].reduce((s, r) => addResources(s, r.amount), ZERO_RESOURCES);

/**
 * Allocations + reservations: what the pool has promised. Always summed in ledger order (allocations,
 * then reservations, in insertion order) so that every check in this file computes the same number.
 */
export const committedResources = (pool: ResourcePool): Resources => addResources(allocatedResources(pool), reservedResources(pool));

/** What can still be promised: capacity − committed per dimension, never below 0. */
export const availableResources = (pool: ResourcePool): Resources => {
  const committed = committedResources(pool);
  return perDimension((d) => Math.max(0, pool.capacity[d] - committed[d]));
};

const perDimension = (f: (d: (typeof DIMENSIONS)[number]) => number): Resources =>
  ({ vcpu: f('vcpu'), memoryGiB: f('memoryGiB'), networkMbps: f('networkMbps'), diskIops: f('diskIops') });

/** How far `pool` is over its capacity per dimension (all 0 when the invariant holds). */
export const overCommitment = (pool: ResourcePool): Resources => {
  const committed = committedResources(pool);
  return perDimension((d) => Math.max(0, committed[d] - pool.capacity[d]));
};

/** The candidate is accepted only if it is not over-committed: compared exactly, on the grid, no tolerance. */
const admit = <T>(candidate: ResourcePool, accept: (p: ResourcePool) => T, what: string): T | { kind: 'refused'; shortfall: Resources; reason: string } => {
  const over = overCommitment(candidate);
  if (isZero(over)) return accept(candidate);
  return { kind: 'refused', shortfall: over, reason: `${what} does not fit in pool ${candidate.groupId}: short of ${formatResources(over)}` };
};

const checkTime = (r: Reservation, field: 'createdAt' | 'expiresAt'): number => {
  const v = r[field];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new InvalidReservationError(r.id, field, v, 'a finite epoch-millisecond time');
  return v;
};

/**
 * Reserves `reservation.amount` for an instance's post-restart demand (seed 10572412's
 * allocateResources): held only if EVERY dimension fits in what is available, else refused with the
 * shortfall per dimension. Idempotent on the reservation id: reserving an id already in the ledger
 * changes nothing and returns the stored reservation (a redelivered event re-plans the same id).
 *
 * Expired reservations still count until swept: call `sweepExpired(pool, now)` first, as the store
 * does, so a refusal is never caused by a reservation that is already dead.
 *
 * @throws InvalidReservationError for an empty id, a reservation for another group, non-finite
 *   times, `expiresAt ≤ createdAt`, `expiresAt ≤ now` or a non-finite priority.
 * @throws InvalidResourcesError / InvalidAmountError naming the dimension for NaN, negative, infinite
 *   or oversized amounts.
 */
export const tryReserve = (pool: ResourcePool, reservation: Reservation, now: number): ReserveResult => {
  if (typeof reservation.id !== 'string' || reservation.id.length === 0) throw new InvalidReservationError(String(reservation.id), 'id', reservation.id, 'a non-empty id');
  const held = pool.reservations.get(reservation.id);
  if (held) return { kind: 'already-reserved', pool, reservation: held };
  if (reservation.groupId !== pool.groupId) throw new InvalidReservationError(reservation.id, 'groupId', reservation.groupId, `the pool's group ${JSON.stringify(pool.groupId)}`);
  const createdAt = checkTime(reservation, 'createdAt');
  const expiresAt = checkTime(reservation, 'expiresAt');
  if (expiresAt <= createdAt) throw new InvalidReservationError(reservation.id, 'expiresAt', expiresAt, `a time after createdAt ${createdAt}`);
  if (expiresAt <= now) throw new InvalidReservationError(reservation.id, 'expiresAt', expiresAt, `a time after now ${now}`);
  if (typeof reservation.priority !== 'number' || !Number.isFinite(reservation.priority)) {
    throw new InvalidReservationError(reservation.id, 'priority', reservation.priority, 'a finite number');
  }
  const stored: Reservation = { ...reservation, amount: checkDemand(reservation.amount, `reservation ${reservation.id} amount`) };
  const reservations = new Map(pool.reservations).set(stored.id, stored);
  return admit(
    { ...pool, reservations, version: pool.version + 1 },
    (p) => ({ kind: 'reserved' as const, pool: p, reservation: stored }),
    `reservation ${stored.id} of ${formatResources(stored.amount)}`,
  );
};

/** Removes a reservation; idempotent (an unknown id changes nothing and reports `released: false`). */
export const releaseReservation = (pool: ResourcePool, id: ReservationId): { pool: ResourcePool; released: boolean } => {
  if (!pool.reservations.has(id)) return { pool, released: false };
  const reservations = new Map(pool.reservations);
  reservations.delete(id);
  return { pool: { ...pool, reservations, version: pool.version + 1 }, released: true };
};

/**
 * Releases every reservation with `expiresAt ≤ now` (the same boundary as the store's sweep: a
 * reservation is live strictly before its expiry). Returns the released ids in ledger order.
 */
export const sweepExpired = (pool: ResourcePool, now: number): { pool: ResourcePool; released: ReservationId[] } => {
  const released = [...pool.reservations.values()].filter((r) => r.expiresAt <= now).map((r) => r.id);
  if (released.length === 0) return { pool, released };
  const reservations = new Map(pool.reservations);
  for (const id of released) reservations.delete(id);
  return { pool: { ...pool, reservations, version: pool.version + 1 }, released };
};

/**
 * Sets a running instance's allocation (its demand envelope, rounded UP onto the grid). Refused with
 * the shortfall when the new allocation would over-commit the pool; lowering an allocation always
 * succeeds. Setting the value already stored changes nothing (no version bump).
 */
export const setAllocation = (pool: ResourcePool, instanceId: InstanceId, r: Resources): AllocateResult => {
  const amount = checkDemand(r, `allocation of ${instanceId}`);
  const current = pool.allocations.get(instanceId);
  if (current && DIMENSIONS.every((d) => current[d] === amount[d])) return { kind: 'allocated', pool };
  const allocations = new Map(pool.allocations).set(instanceId, amount);
  return admit({ ...pool, allocations, version: pool.version + 1 }, (p) => ({ kind: 'allocated' as const, pool: p }), `allocation of ${formatResources(amount)} to ${instanceId}`);
};

/**
 * Lowers an instance's allocation to the per-dimension min of what it holds and `r` (rounded UP onto
 * the grid). Never refused: committed can only fall, so — unlike setAllocation — it is accepted even
 * in a pool that is already over-committed (one stored by an older version), which it can only help.
 * An instance with no allocation is left without one.
 */
export const lowerAllocation = (pool: ResourcePool, instanceId: InstanceId, r: Resources): ResourcePool => {
  const current = pool.allocations.get(instanceId);
  if (current === undefined) return pool;
  const amount = checkDemand(r, `allocation of ${instanceId}`);
  const lower = perDimension((d) => Math.min(current[d], amount[d]));
  if (DIMENSIONS.every((d) => lower[d] === current[d])) return pool;
  return { ...pool, allocations: new Map(pool.allocations).set(instanceId, lower), version: pool.version + 1 };
};

/** Drops an instance's allocation (it left the group); idempotent. */
export const removeAllocation = (pool: ResourcePool, instanceId: InstanceId): ResourcePool => {
  if (!pool.allocations.has(instanceId)) return pool;
  const allocations = new Map(pool.allocations);
  allocations.delete(instanceId);
  return { ...pool, allocations, version: pool.version + 1 };
};

/**
 * Changes the pool's capacity (rounded DOWN onto the grid). Shrinking below what is committed is
 * refused with the shortfall: release reservations or lower allocations first.
 */
export const resizePool = (pool: ResourcePool, capacity: Resources): ResizeResult => {
  const checked = checkCapacity(capacity, `pool ${pool.groupId} capacity`);
  return admit({ ...pool, capacity: checked, version: pool.version + 1 }, (p) => ({ kind: 'resized' as const, pool: p }), `capacity ${formatResources(checked)}`);
};

/**
 * After the restart (DESIGN.md flow 4): the reservation leaves the ledger and becomes the allocation
 * of the restarted instance — `toInstance`, which defaults to the reservation's own instance (a
 * stop/start keeps its id; a terminated spot instance is replaced by a new one, so pass the new id).
 * If that instance already has an allocation it becomes the per-dimension max of the two, so the
 * committed total can only fall: handing over never over-commits. A reservation handed over after
 * its expiry (a slow restart, not yet swept) is still handed over — the capacity was still held —
 * and reported `late`.
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
  return { kind: 'handed-over', pool: { ...pool, allocations, reservations, version: pool.version + 1 }, instanceId, allocation, late: reservation.expiresAt <= now };
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
      problems.push(`${what}: ${bad.map((d) => `${d} ${String(r[d])}`).join(', ')} not a finite amount in [0, ${MAX_POOL_AMOUNT}] on the 1/${GRID_STEPS_PER_UNIT} grid`);
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
