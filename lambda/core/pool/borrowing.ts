import {
  DIMENSIONS,
  type BehaviourProfile,
  type FleetView,
  type GroupView,
  type InstanceId,
  type Loan,
  type Reservation,
  type ResourcePool,
  type Resources,
} from '../domain';
import { ZERO_RESOURCES, addResources, formatResources, isZero, minResources, subtractResources, validateResources } from '../resources/resources';
import { InvalidAmountError, quantise } from './pool-amounts';
import { releaseReservation, tryReserve, type ReserveResult } from './resource-pool';

/**
 * Resource borrowing (seed 9588822: resource borrowing "subject to pre-defined limits and priorities"; DRATP's
 * "idle resources reassigned"): a priority request's reservation that does not fit its group's pool may borrow
 * the shortfall from the unused allocation of lower-priority instances of the same pool, each lending at most
 * the policy's `borrow_limit` share of what it does not use.
 *
 * A loan MOVES capacity: it is recorded on the reservation (`Reservation.loans`), and the pool takes it out of
 * the lender's allocation in the same write that adds the reservation (resource-pool.ts tryReserve; in DynamoDB
 * one transaction), so lending never over-commits the pool. Releasing or sweeping the reservation gives the loans
 * back; handing it over to the restarted instance ends them (the capacity is then that instance's allocation).
 *
 * A lender takes its capacity back when it needs it: at a profiler tick, a lender whose recent use exceeds its
 * allocation has its loans revoked newest first, and a revoked loan releases the whole borrowing reservation —
 * the request behind it is then handled like any reservation that no longer fits (re-admitted when due, or
 * deferred with the shortfall). So is every loan of a throttled instance's reservation.
 */

/** How many of the newest one-minute points say what an instance "uses now" (recentUse). */
export const RECENT_USE_MINUTES = 5;

/** A candidate lender: its priority and what it uses now (its allocation is read from the pool). */
export interface Lender {
  readonly instanceId: InstanceId;
  readonly priority: number;
  readonly usage: Resources;
}

/**
 * What an instance uses now: per dimension, the peak of its newest RECENT_USE_MINUTES one-minute points. Undefined
 * — so it lends nothing and is never judged short — when its newest point is older than `staleAfterMs` or a
 * dimension has no finite value among those points (unknown use is never "unused").
 */
export const recentUse = (profile: Pick<BehaviourProfile, 'recent'>, now: number, staleAfterMs: number): Resources | undefined => {
  const points = profile.recent
    .filter((p) => Number.isFinite(p.at) && p.at <= now)
    .sort((a, b) => b.at - a.at)
    .slice(0, RECENT_USE_MINUTES);
  const newest = points[0];
  if (newest === undefined || now - newest.at > staleAfterMs) return undefined;
  const use: Record<string, number> = {};
  for (const d of DIMENSIONS) {
    const values = points.map((p) => p.demand[d]).filter((v): v is number => v !== undefined && Number.isFinite(v) && v >= 0);
    if (values.length === 0) return undefined;
    use[d] = Math.max(...values);
  }
  return use as unknown as Resources;
};

const checkLimit = (borrowLimit: number): number => {
  if (typeof borrowLimit !== 'number' || !Number.isFinite(borrowLimit) || borrowLimit < 0 || borrowLimit > 1) {
    throw new InvalidAmountError('borrowLimit', borrowLimit, 'a share between 0 and 1');
  }
  return borrowLimit;
};

const perDimension = (f: (d: (typeof DIMENSIONS)[number]) => number): Resources => ({
  vcpu: f('vcpu'),
  memoryGiB: f('memoryGiB'),
  networkMbps: f('networkMbps'),
  diskIops: f('diskIops'),
});

/** Every loan outstanding in the pool, with the reservation that holds it. */
export const outstandingLoans = (pool: ResourcePool): { readonly reservation: Reservation; readonly loan: Loan }[] =>
  [...pool.reservations.values()].flatMap((reservation) => (reservation.loans ?? []).map((loan) => ({ reservation, loan })));

/** What `lender` has lent and not had back. */
export const lentOut = (pool: ResourcePool, lender: InstanceId): Resources =>
  outstandingLoans(pool)
    .filter((o) => o.loan.lender === lender)
    .reduce((s, o) => addResources(s, o.loan.amount), ZERO_RESOURCES);

/** Everything the pool's reservations hold on loan. */
export const borrowedResources = (pool: ResourcePool): Resources => outstandingLoans(pool).reduce((s, o) => addResources(s, o.loan.amount), ZERO_RESOURCES);

/**
 * How much more `lender` may lend now, per dimension:
 *
 *     floor_grid(borrowLimit × max(0, (allocation + lent out) − usage)) − lent out, at least 0
 *
 * "allocation + lent out" is the allocation it had before lending, so repeated borrowing cannot drain more than
 * `borrowLimit` of the unused part in total. Never more than its current allocation. Rounded DOWN onto the grid.
 */
export const lendableHeadroom = (
  pool: ResourcePool,
  lender: { readonly instanceId: InstanceId; readonly usage: Resources },
  borrowLimit: number,
): Resources => {
  const limit = checkLimit(borrowLimit);
  const usage = validateResources(lender.usage, `usage of lender ${lender.instanceId}`);
  const allocation = pool.allocations.get(lender.instanceId);
  if (!allocation) return ZERO_RESOURCES;
  const lent = lentOut(pool, lender.instanceId);
  return perDimension((d) => {
    const unused = Math.max(0, allocation[d] + lent[d] - usage[d]);
    return Math.min(allocation[d], Math.max(0, quantise(limit * unused, 'down') - lent[d]));
  });
};

const byId = (a: { readonly instanceId: InstanceId }, b: { readonly instanceId: InstanceId }): number =>
  a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0;

/**
 * Which lenders give how much towards `need` (on the grid): only lenders of strictly lower priority than the
 * borrower and other than its own instance, lowest priority first (then by instance id, so the choice is
 * deterministic); each gives, per dimension, what it can up to what is still needed. `missing` is what no
 * lender could cover.
 */
export const planLoans = (
  pool: ResourcePool,
  borrower: Pick<Reservation, 'instanceId' | 'priority'>,
  need: Resources,
  lenders: readonly Lender[],
  borrowLimit: number,
): { readonly loans: readonly Loan[]; readonly missing: Resources } => {
  const eligible = lenders
    .filter((l) => l.priority < borrower.priority && l.instanceId !== borrower.instanceId)
    .sort((a, b) => a.priority - b.priority || byId(a, b));
  let still = need;
  const loans: Loan[] = [];
  for (const lender of eligible) {
    if (isZero(still)) break;
    const take = minResources(still, lendableHeadroom(pool, lender, borrowLimit));
    if (isZero(take)) continue;
    loans.push({ lender: lender.instanceId, amount: take });
    still = subtractResources(still, take);
  }
  return { loans, missing: still };
};

export type BorrowingReserveResult =
  | (Exclude<ReserveResult, { kind: 'refused' }> & { readonly loans: readonly Loan[] })
  | { readonly kind: 'refused'; readonly shortfall: Resources; readonly reason: string; readonly lendable?: Resources };

/**
 * `tryReserve`, and when it is refused, borrow exactly the shortfall from lenders of lower priority than the
 * reservation (within `borrowLimit`) and reserve again with the loans on the reservation. All or nothing: when
 * lenders cannot cover the shortfall on every dimension, refused with what is STILL missing after borrowing, and
 * nothing is lent. Idempotent on the reservation id (a held one keeps the loans it was made with).
 */
export const reserveWithBorrowing = (
  pool: ResourcePool,
  reservation: Reservation,
  opts: { readonly lenders: readonly Lender[]; readonly borrowLimit: number; readonly now: number },
): BorrowingReserveResult => {
  const first = tryReserve(pool, reservation, opts.now);
  if (first.kind !== 'refused') return { ...first, loans: first.reservation.loans ?? [] };
  if (opts.borrowLimit <= 0 || opts.lenders.length === 0) return first;
  const { loans, missing } = planLoans(pool, reservation, first.shortfall, opts.lenders, opts.borrowLimit);
  if (!isZero(missing)) {
    return {
      kind: 'refused',
      shortfall: missing,
      lendable: subtractResources(first.shortfall, missing),
      reason: `${first.reason}; lower-priority instances can lend only ${formatResources(subtractResources(first.shortfall, missing))} of it (borrow_limit ${opts.borrowLimit})`,
    };
  }
  const second = tryReserve(pool, { ...reservation, loans }, opts.now);
  // Exact grid arithmetic: taking exactly the shortfall out of lenders' allocations makes the reservation fit exactly.
  if (second.kind !== 'reserved') throw new Error(`internal: reservation ${reservation.id} did not fit after borrowing its shortfall`);
  return { ...second, loans };
};

/** Lenders of `group` for a reservation: running members whose forecast says what they use now (recentUse). */
export const lendersOf = (group: GroupView, fleet: Pick<FleetView, 'forecasts'>): Lender[] =>
  group.instances.flatMap((i) => {
    if (i.warm || i.state !== 'running') return [];
    const f = fleet.forecasts.get(i.id);
    return f?.kind === 'known' && f.recentUse !== undefined ? [{ instanceId: i.id, priority: i.priority, usage: f.recentUse }] : [];
  });

export interface LoanRevocation {
  readonly reservation: Reservation;
  /** The loan whose lender needed it back (the throttled borrower's first loan when `throttled`). */
  readonly loan: Loan;
  readonly throttled: boolean;
  readonly reason: string;
}

/** Newest first (latest createdAt, then id descending): the most recent loan is the first called back. */
const newestFirst = (a: Reservation, b: Reservation): number => b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/**
 * The borrowing reservations a profiler tick releases: first every one held for a throttled instance (a throttled
 * instance may not borrow), then, while some lender's recent use exceeds its allocation on a dimension, the newest
 * reservation holding a loan from it — each release gives the loans back, so the lender's allocation is judged
 * again after every one. A lender whose use is unknown is not judged. Returns the releases in order and the pool
 * after them.
 */
export const planLoanRevocations = (
  pool: ResourcePool,
  usage: ReadonlyMap<InstanceId, Resources>,
  throttled: ReadonlySet<InstanceId>,
): { readonly revocations: readonly LoanRevocation[]; readonly pool: ResourcePool } => {
  let p = pool;
  const revocations: LoanRevocation[] = [];
  const release = (reservation: Reservation, loan: Loan, isThrottled: boolean, reason: string): void => {
    p = releaseReservation(p, reservation.id).pool;
    revocations.push({ reservation, loan, throttled: isThrottled, reason });
  };
  for (const r of [...p.reservations.values()].filter((r) => (r.loans?.length ?? 0) > 0 && throttled.has(r.instanceId)).sort(newestFirst)) {
    release(r, r.loans![0]!, true, `${r.instanceId} is throttled (over its allocation): it may not borrow`);
  }
  for (;;) {
    const short = outstandingLoans(p)
      .map((o) => o.loan.lender)
      .filter((lender, i, all) => all.indexOf(lender) === i)
      .sort()
      .map((lender) => {
        const use = usage.get(lender);
        const allocation = p.allocations.get(lender);
        if (use === undefined || allocation === undefined) return undefined;
        const d = DIMENSIONS.find((dim) => use[dim] > allocation[dim]);
        return d === undefined ? undefined : { lender, d, use: use[d], allocation: allocation[d] };
      })
      .find((x) => x !== undefined);
    if (short === undefined) break;
    const newest = [...p.reservations.values()].filter((r) => (r.loans ?? []).some((l) => l.lender === short.lender)).sort(newestFirst)[0]!;
    const loan = newest.loans!.find((l) => l.lender === short.lender)!;
    release(
      newest,
      loan,
      false,
      `lender ${short.lender} uses ${short.use} ${short.d} > its allocation ${short.allocation}: its newest loan (${formatResources(loan.amount)} to ${newest.id}) is called back`,
    );
  }
  return { revocations, pool: p };
};
