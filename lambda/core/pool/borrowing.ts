import {
  DIMENSIONS,
  type GroupId, type InstanceId, type Reservation, type ReservationId, type ResourcePool, type Resources,
} from '../domain';
import { ZERO_RESOURCES, addResources, formatResources, isZero, minResources, subtractResources, validateResources } from '../resources/resources';
import { InvalidAmountError, checkPoolResources, isOnGrid, quantise } from './pool-amounts';
import { availableResources, tryReserve, type ReserveResult } from './resource-pool';

/**
 * Resource borrowing (seed 9588822; DRATP's "idle resources reassigned"): an instance using less than
 * its allocation lends part of the headroom to higher-priority demand in the same pool, within the
 * policy's `borrowLimit` (the share of its unused allocation it may lend), and gets it back when it
 * needs it.
 *
 * A loan MOVES capacity: the lender's allocation shrinks by exactly what the borrower's holding (its
 * allocation, or a reservation) grows by. The committed total is unchanged, so lending can never
 * over-commit the pool — and on the pool's exact grid (pool-amounts.ts) "unchanged" is exact, not
 * approximately so. The loan book records who owes what to whom so the loan can be revoked.
 */

/** Who holds borrowed capacity: a running instance's allocation, or a reservation for a restart. */
export type Borrower =
  | { readonly kind: 'instance'; readonly instanceId: InstanceId }
  | { readonly kind: 'reservation'; readonly reservationId: ReservationId };

export interface Loan {
  /** `<borrow id>/<lender instance id>`: one loan per lender per borrowing. */
  readonly id: string;
  readonly lender: InstanceId;
  readonly borrower: Borrower;
  readonly amount: Resources;
  readonly lentAt: number;
  readonly reason: string;
}

/** Outstanding loans of one group's pool. */
export interface LoanBook {
  readonly groupId: GroupId;
  readonly loans: ReadonlyMap<string, Loan>;
}

/** A candidate lender: its priority and what it uses now (its allocation is read from the pool). */
export interface Lender {
  readonly instanceId: InstanceId;
  readonly priority: number;
  readonly usage: Resources;
}

/** A borrow/revoke that cannot be carried out as asked (bad limit, unknown borrower, duplicate lender). */
export class InvalidLoanError extends Error {
  override readonly name = 'InvalidLoanError';
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly expected: string,
  ) {
    super(`loan ${field}: expected ${expected}, got ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`);
  }
}

export const emptyLoanBook = (groupId: GroupId): LoanBook => ({ groupId, loans: new Map() });

const sum = (list: Iterable<Resources>): Resources => [...list].reduce(addResources, ZERO_RESOURCES);
const perDimension = (f: (d: (typeof DIMENSIONS)[number]) => number): Resources =>
  ({ vcpu: f('vcpu'), memoryGiB: f('memoryGiB'), networkMbps: f('networkMbps'), diskIops: f('diskIops') });

/** What `lender` has lent and not had back. */
export const lentOut = (book: LoanBook, lender: InstanceId): Resources => sum([...book.loans.values()].filter((l) => l.lender === lender).map((l) => l.amount));

const checkLimit = (borrowLimit: number): number => {
  if (typeof borrowLimit !== 'number' || !Number.isFinite(borrowLimit) || borrowLimit < 0 || borrowLimit > 1) {
    throw new InvalidAmountError('borrowLimit', borrowLimit, 'a share between 0 and 1');
  }
  return borrowLimit;
};

/**
 * How much more `lender` may lend now, per dimension:
 *
 *     floor_grid(borrowLimit × max(0, (allocation + lent out) − usage)) − lent out, at least 0
 *
 * "allocation + lent out" is the allocation it had before lending, so repeated borrowing cannot drain
 * more than `borrowLimit` of the unused part in total (lending 50% of what is left, again and again,
 * would). The result never exceeds the current allocation. An instance without an allocation lends
 * nothing. Rounded DOWN onto the grid: a lender never gives more than the limit allows.
 */
export const lendableHeadroom = (pool: ResourcePool, book: LoanBook, lender: { readonly instanceId: InstanceId; readonly usage: Resources }, borrowLimit: number): Resources => {
  const limit = checkLimit(borrowLimit);
  const usage = validateResources(lender.usage, `usage of lender ${lender.instanceId}`);
  const allocation = pool.allocations.get(lender.instanceId);
  if (!allocation) return ZERO_RESOURCES;
  const lent = lentOut(book, lender.instanceId);
  return perDimension((d) => {
    const unused = Math.max(0, allocation[d] + lent[d] - usage[d]);
    return Math.min(allocation[d], Math.max(0, quantise(limit * unused, 'down') - lent[d]));
  });
};

const borrowerInstance = (b: Borrower): InstanceId | undefined => (b.kind === 'instance' ? b.instanceId : undefined);

/**
 * Which lenders give how much towards `need`: only lenders of strictly lower priority than the
 * borrower, lowest priority first (then by instance id, so the choice is deterministic); each gives,
 * per dimension, what it can up to what is still needed. `missing` is what no lender could cover.
 */
const planTakes = (
  pool: ResourcePool, book: LoanBook, lenders: readonly Lender[], borrowerPriority: number, need: Resources, borrowLimit: number, exclude: InstanceId | undefined,
): { takes: Map<InstanceId, Resources>; missing: Resources } => {
  if (!Number.isFinite(borrowerPriority)) throw new InvalidLoanError('borrower priority', borrowerPriority, 'a finite number');
  const seen = new Set<InstanceId>();
  lenders.forEach((l, i) => {
    if (seen.has(l.instanceId)) throw new InvalidLoanError(`lenders[${i}].instanceId`, l.instanceId, 'a lender listed once');
    seen.add(l.instanceId);
    if (!Number.isFinite(l.priority)) throw new InvalidLoanError(`lenders[${i}].priority`, l.priority, 'a finite number');
  });
  const eligible = lenders
    .filter((l) => l.priority < borrowerPriority && l.instanceId !== exclude)
    .sort((a, b) => a.priority - b.priority || (a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0));
  let still = need;
  const takes = new Map<InstanceId, Resources>();
  for (const lender of eligible) {
    const take = minResources(still, lendableHeadroom(pool, book, lender, borrowLimit));
    if (isZero(take)) continue;
    takes.set(lender.instanceId, take);
    still = subtractResources(still, take);
  }
  return { takes, missing: still };
};

/** The pool with each lender's allocation reduced by its take (never below 0: takes ≤ allocation). */
const withTakes = (pool: ResourcePool, takes: ReadonlyMap<InstanceId, Resources>): ResourcePool => {
  if (takes.size === 0) return pool;
  const allocations = new Map(pool.allocations);
  for (const [id, take] of takes) allocations.set(id, subtractResources(allocations.get(id) ?? ZERO_RESOURCES, take));
  return { ...pool, allocations, version: pool.version + 1 };
};

const recordLoans = (book: LoanBook, borrowId: string, borrower: Borrower, takes: ReadonlyMap<InstanceId, Resources>, now: number, reason: string): { book: LoanBook; loans: Loan[] } => {
  const loans = [...takes].map(([lender, amount]): Loan => ({ id: `${borrowId}/${lender}`, lender, borrower, amount, lentAt: now, reason }));
  const all = new Map(book.loans);
  for (const loan of loans) all.set(loan.id, loan);
  return { book: { ...book, loans: all }, loans };
};

const loansOf = (book: LoanBook, borrowId: string): Loan[] => [...book.loans.values()].filter((l) => l.id.startsWith(`${borrowId}/`));

export interface BorrowRequest {
  /** Idempotency key of this borrowing; loans are `<borrowId>/<lender>`. */
  readonly borrowId: string;
  readonly borrower: Borrower;
  readonly borrowerPriority: number;
  readonly amount: Resources;
  readonly lenders: readonly Lender[];
  /** The group policy's `borrowLimit`. */
  readonly borrowLimit: number;
  readonly now: number;
  readonly reason: string;
}

export type BorrowResult =
  | { readonly kind: 'borrowed'; readonly pool: ResourcePool; readonly book: LoanBook; readonly loans: readonly Loan[] }
  /** This borrowId was already carried out: nothing changed. */
  | { readonly kind: 'already-borrowed'; readonly pool: ResourcePool; readonly book: LoanBook; readonly loans: readonly Loan[] }
  /** Lower-priority lenders cannot cover `amount` on every dimension: nothing is lent (all or nothing). */
  | { readonly kind: 'refused'; readonly shortfall: Resources; readonly reason: string };

/**
 * Moves `amount` (rounded up onto the grid) from lower-priority lenders' unused allocation to the
 * borrower's holding — its allocation (created if absent) or an existing reservation's amount — and
 * records one loan per lender. All or nothing: refused with what is missing per dimension when the
 * eligible lenders cannot cover every dimension. Idempotent on `borrowId`.
 *
 * @throws InvalidLoanError for an unknown reservation borrower, duplicate lenders or non-finite
 *   priorities; InvalidAmountError for a borrow limit outside [0, 1]; InvalidResourcesError /
 *   InvalidAmountError for bad amounts or usages.
 */
export const borrow = (pool: ResourcePool, book: LoanBook, request: BorrowRequest): BorrowResult => {
  const existing = loansOf(book, request.borrowId);
  if (existing.length > 0) return { kind: 'already-borrowed', pool, book, loans: existing };
  const amount = checkPoolResources(validateResources(request.amount, `borrow ${request.borrowId} amount`), `borrow ${request.borrowId} amount`, 'up');
  const b = request.borrower;
  if (b.kind === 'reservation' && !pool.reservations.has(b.reservationId)) {
    throw new InvalidLoanError('borrower', b.reservationId, `a reservation in pool ${pool.groupId}`);
  }
  const { takes, missing } = planTakes(pool, book, request.lenders, request.borrowerPriority, amount, request.borrowLimit, borrowerInstance(b));
  if (!isZero(missing)) {
    return { kind: 'refused', shortfall: missing, reason: `borrowing ${formatResources(amount)}: lower-priority lenders are short of ${formatResources(missing)}` };
  }
  const lent = withTakes(pool, takes);
  const pool2 = giveTo(lent, b, amount);
  const { book: book2, loans } = recordLoans(book, request.borrowId, b, takes, request.now, request.reason);
  return { kind: 'borrowed', pool: pool2, book: book2, loans };
};

/** The pool with the borrower's holding changed by `delta` (positive: gives; negative: takes back). */
const giveTo = (pool: ResourcePool, borrower: Borrower, delta: Resources): ResourcePool => {
  if (borrower.kind === 'instance') {
    const allocations = new Map(pool.allocations).set(borrower.instanceId, addResources(pool.allocations.get(borrower.instanceId) ?? ZERO_RESOURCES, delta));
    return { ...pool, allocations, version: pool.version + 1 };
  }
  const r = pool.reservations.get(borrower.reservationId);
  if (!r) return pool;
  const reservations = new Map(pool.reservations).set(r.id, { ...r, amount: addResources(r.amount, delta) });
  return { ...pool, reservations, version: pool.version + 1 };
};

const holdingOf = (pool: ResourcePool, borrower: Borrower): Resources | undefined =>
  borrower.kind === 'instance' ? pool.allocations.get(borrower.instanceId) : pool.reservations.get(borrower.reservationId)?.amount;

export type ReserveWithBorrowingResult =
  | (Exclude<ReserveResult, { kind: 'refused' }> & { readonly book: LoanBook; readonly loans: readonly Loan[] })
  | { readonly kind: 'refused'; readonly shortfall: Resources; readonly reason: string };

/**
 * `tryReserve`, and when it is refused, borrow exactly the shortfall from lenders of lower priority
 * than `reservation.priority` (within `borrowLimit`) and reserve again: the victim's post-restart
 * reservation is held on loan from idle siblings. All or nothing: when lenders cannot cover the
 * shortfall, refused with what is STILL missing after borrowing, and nothing is lent. Idempotent on
 * the reservation id (the loans already made for it are returned).
 */
export const reserveWithBorrowing = (
  pool: ResourcePool,
  book: LoanBook,
  reservation: Reservation,
  opts: { readonly lenders: readonly Lender[]; readonly borrowLimit: number; readonly now: number },
): ReserveWithBorrowingResult => {
  const first = tryReserve(pool, reservation, opts.now);
  if (first.kind === 'already-reserved') return { ...first, book, loans: loansOf(book, reservation.id) };
  if (first.kind === 'reserved') return { ...first, book, loans: [] };
  const { takes, missing } = planTakes(pool, book, opts.lenders, reservation.priority, first.shortfall, opts.borrowLimit, undefined);
  if (!isZero(missing)) {
    return { kind: 'refused', shortfall: missing, reason: `${first.reason}; lower-priority lenders can cover only part of it, still short of ${formatResources(missing)}` };
  }
  const second = tryReserve(withTakes(pool, takes), reservation, opts.now);
  // Exact grid arithmetic: freeing exactly the shortfall makes the reservation fit exactly.
  if (second.kind !== 'reserved') throw new Error(`internal: reservation ${reservation.id} did not fit after borrowing its shortfall`);
  const { book: book2, loans } = recordLoans(book, reservation.id, { kind: 'reservation', reservationId: reservation.id }, takes, opts.now, reservation.reason);
  return { ...second, book: book2, loans };
};

export type RevokeResult =
  | {
      readonly kind: 'revoked';
      readonly pool: ResourcePool;
      readonly book: LoanBook;
      readonly loan: Loan;
      /** What went back to the lender's allocation. */
      readonly returned: Resources;
      /** Part of `returned` taken back from the borrower's holding (the rest came from free capacity). */
      readonly takenFromBorrower: Resources;
      /** What could not be returned: the borrower no longer held it and the pool has no free room. */
      readonly unreturned: Resources;
      /** The lender left the pool: the loan is closed and nothing moves. */
      readonly lenderGone: boolean;
    }
  | { readonly kind: 'not-found'; readonly pool: ResourcePool; readonly book: LoanBook };

/**
 * Closes a loan and returns its amount to the lender: first out of the pool's free capacity (so the
 * borrower keeps what it holds when it can), then taken back from the borrower's holding. Never
 * over-commits: the lender gets back at most free capacity + what is taken from the borrower.
 * Idempotent: an unknown loan id changes nothing.
 */
export const revokeLoan = (pool: ResourcePool, book: LoanBook, loanId: string): RevokeResult => {
  const loan = book.loans.get(loanId);
  if (!loan) return { kind: 'not-found', pool, book };
  const loans = new Map(book.loans);
  loans.delete(loanId);
  const book2 = { ...book, loans };
  const lenderAllocation = pool.allocations.get(loan.lender);
  if (!lenderAllocation) {
    return { kind: 'revoked', pool, book: book2, loan, returned: ZERO_RESOURCES, takenFromBorrower: ZERO_RESOURCES, unreturned: loan.amount, lenderGone: true };
  }
  const free = availableResources(pool);
  const holding = holdingOf(pool, loan.borrower) ?? ZERO_RESOURCES;
  const returned = perDimension((d) => Math.min(loan.amount[d], free[d] + holding[d]));
  const takenFromBorrower = perDimension((d) => Math.max(0, returned[d] - free[d]));
  const fromBorrower = isZero(takenFromBorrower) ? pool : giveTo(pool, loan.borrower, perDimension((d) => -takenFromBorrower[d]));
  const allocations = new Map(fromBorrower.allocations).set(loan.lender, addResources(lenderAllocation, returned));
  return {
    kind: 'revoked',
    pool: { ...fromBorrower, allocations, version: pool.version + 1 },
    book: book2,
    loan,
    returned,
    takenFromBorrower,
    unreturned: subtractResources(loan.amount, returned),
    lenderGone: false,
  };
};

/** Newest first (latest lentAt, then id descending): the most recent loan is the first called back. */
const newestFirst = (a: Loan, b: Loan): number => b.lentAt - a.lentAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/**
 * The lender needs its capacity back: while its `usage` exceeds its allocation on any dimension,
 * revoke its loans, newest first. `stillShort` is what its usage still exceeds its allocation by
 * when every loan is back (or could not be fully returned) — the caller's signal to evict or scale.
 */
export const reclaimLoans = (
  pool: ResourcePool,
  book: LoanBook,
  lender: { readonly instanceId: InstanceId; readonly usage: Resources },
): { pool: ResourcePool; book: LoanBook; revoked: string[]; stillShort: Resources } => {
  const usage = validateResources(lender.usage, `usage of lender ${lender.instanceId}`);
  const short = (p: ResourcePool): Resources => {
    const allocation = p.allocations.get(lender.instanceId) ?? ZERO_RESOURCES;
    return perDimension((d) => Math.max(0, usage[d] - allocation[d]));
  };
  let p = pool;
  let b = book;
  const revoked: string[] = [];
  for (const loan of [...book.loans.values()].filter((l) => l.lender === lender.instanceId).sort(newestFirst)) {
    if (isZero(short(p))) break;
    const result = revokeLoan(p, b, loan.id);
    if (result.kind !== 'revoked') continue;
    p = result.pool;
    b = result.book;
    revoked.push(loan.id);
  }
  return { pool: p, book: b, revoked, stillShort: short(p) };
};

/**
 * Re-points loans held by one borrower to another — call it with `handOver`, when a reservation
 * becomes the restarted instance's allocation, so the loans follow the capacity they paid for.
 */
export const repointLoans = (book: LoanBook, from: Borrower, to: Borrower): LoanBook => {
  const same = (a: Borrower, b: Borrower): boolean =>
    a.kind === 'instance' ? b.kind === 'instance' && a.instanceId === b.instanceId : b.kind === 'reservation' && a.reservationId === b.reservationId;
  let changed = false;
  const loans = new Map(book.loans);
  for (const [id, loan] of book.loans) {
    if (!same(loan.borrower, from)) continue;
    // Handed over to the lender itself: the lent capacity is already back in its own allocation,
    // so the loan is closed rather than turned into a loan to itself.
    if (to.kind === 'instance' && to.instanceId === loan.lender) loans.delete(id);
    else loans.set(id, { ...loan, borrower: to });
    changed = true;
  }
  return changed ? { ...book, loans } : book;
};

/**
 * Closes loans that nobody holds any more — the borrower's reservation was released or swept, its
 * allocation removed, or the lender left — returning what free capacity allows to the lenders.
 */
export const settleLoans = (pool: ResourcePool, book: LoanBook): { pool: ResourcePool; book: LoanBook; settled: string[] } => {
  let p = pool;
  let b = book;
  const settled: string[] = [];
  for (const loan of book.loans.values()) {
    if (holdingOf(p, loan.borrower) !== undefined && p.allocations.has(loan.lender)) continue;
    const result = revokeLoan(p, b, loan.id);
    if (result.kind !== 'revoked') continue;
    p = result.pool;
    b = result.book;
    settled.push(loan.id);
  }
  return { pool: p, book: b, settled };
};

/** Everything wrong with a loan book (empty = sound): keys, group, amounts, self-loans. */
export const loanBookViolations = (pool: ResourcePool, book: LoanBook): string[] => {
  const problems: string[] = [];
  if (book.groupId !== pool.groupId) problems.push(`loan book of group ${book.groupId} used with pool ${pool.groupId}`);
  for (const [key, loan] of book.loans) {
    if (key !== loan.id) problems.push(`loan stored under ${JSON.stringify(key)} has id ${JSON.stringify(loan.id)}`);
    if (!isOnGrid(loan.amount)) problems.push(`loan ${loan.id}: amount ${formatResources(loan.amount)} is not a valid amount on the pool grid`);
    if (loan.borrower.kind === 'instance' && loan.borrower.instanceId === loan.lender) problems.push(`loan ${loan.id}: ${loan.lender} lends to itself`);
    if (!Number.isFinite(loan.lentAt)) problems.push(`loan ${loan.id}: lentAt ${loan.lentAt} is not a time`);
  }
  return problems;
};
