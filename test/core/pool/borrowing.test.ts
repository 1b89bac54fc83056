import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  groupId, instanceId, reservationId,
  type Reservation, type ResourcePool, type Resources,
} from '../../../lambda/core/domain';
import {
  InvalidLoanError, borrow, emptyLoanBook, lendableHeadroom, lentOut, loanBookViolations, reclaimLoans, repointLoans, reserveWithBorrowing,
  revokeLoan, settleLoans, type Lender, type LoanBook,
} from '../../../lambda/core/pool/borrowing';
import { InvalidAmountError } from '../../../lambda/core/pool/pool-amounts';
import {
  availableResources, committedResources, createPool, handOver, poolInvariantViolations, releaseReservation, removeAllocation, setAllocation,
  sweepExpired, tryReserve,
} from '../../../lambda/core/pool/resource-pool';

const res = (vcpu: number, memoryGiB: number, networkMbps = 0, diskIops = 0): Resources => ({ vcpu, memoryGiB, networkMbps, diskIops });
const G = groupId('web');
const T0 = 1_700_000_000_000;
const MIN = 60_000;
const id = instanceId;

const poolWith = (capacity: Resources, allocations: Record<string, Resources>): ResourcePool => {
  let pool = createPool(G, capacity);
  for (const [k, v] of Object.entries(allocations)) {
    const r = setAllocation(pool, id(k), v);
    if (r.kind !== 'allocated') throw new Error(`setup: ${r.reason}`);
    pool = r.pool;
  }
  return pool;
};
const lender = (name: string, priority: number, usage: Resources): Lender => ({ instanceId: id(name), priority, usage });
const reservation = (name: string, amount: Resources, priority: number, over: Partial<Reservation> = {}): Reservation => ({
  id: reservationId(name),
  groupId: G,
  instanceId: id(`i-victim-${name}`),
  amount,
  createdAt: T0,
  expiresAt: T0 + 30 * MIN,
  reason: 'post-restart demand of the victim',
  priority,
  ...over,
});
const book0 = emptyLoanBook(G);

describe('lendableHeadroom', () => {
  const pool = poolWith(res(32, 64), { low: res(8, 16) });
  it.each<[string, Resources, number, Resources]>([
    ['half of the unused part', res(2, 4), 0.5, res(3, 6)],
    ['a limit of 1 lends all unused', res(2, 4), 1, res(6, 12)],
    ['a limit of 0 lends nothing', res(2, 4), 0, res(0, 0)],
    ['using more than its allocation lends nothing', res(9, 20), 0.5, res(0, 0)],
    ['off-grid results round DOWN', res(2, 4), 1 / 3, res(2, 4)],
    ['off-grid usage rounds down', res(0.1, 0), 0.5, res(4044 / 1024, 8)],
  ])('%s', (_name, usage, limit, expected) => {
    expect(lendableHeadroom(pool, book0, { instanceId: id('low'), usage }, limit)).toEqual(expected);
  });

  it('an instance without an allocation lends nothing', () => {
    expect(lendableHeadroom(pool, book0, { instanceId: id('stranger'), usage: res(0, 0) }, 1)).toEqual(res(0, 0));
  });

  it('repeated borrowing cannot drain more than the limit of the unused part', () => {
    let p = pool;
    let b: LoanBook = book0;
    for (let round = 0; round < 5; round += 1) {
      const can = lendableHeadroom(p, b, { instanceId: id('low'), usage: res(2, 4) }, 0.5);
      if (can.vcpu === 0) break;
      const result = borrow(p, b, { borrowId: `b${round}`, borrower: { kind: 'instance', instanceId: id('high') }, borrowerPriority: 90, amount: res(can.vcpu, 0), lenders: [lender('low', 10, res(2, 4))], borrowLimit: 0.5, now: T0, reason: 'spike' });
      if (result.kind !== 'borrowed') throw new Error(result.kind);
      p = result.pool;
      b = result.book;
    }
    expect(lentOut(b, id('low')).vcpu).toBe(3); // 50% of the 6 vCPU it did not use, not 3 + 1.5 + …
  });

  it.each([Number.NaN, -0.1, 1.5])('rejects a borrow limit of %d, naming it', (limit) => {
    expect(() => lendableHeadroom(pool, book0, { instanceId: id('low'), usage: res(0, 0) }, limit)).toThrowError(InvalidAmountError);
    expect(() => lendableHeadroom(pool, book0, { instanceId: id('low'), usage: res(0, 0) }, limit)).toThrowError(`borrowLimit: expected a share between 0 and 1, got ${limit}`);
  });

  it('rejects a NaN usage, naming the lender', () => {
    expect(() => lendableHeadroom(pool, book0, { instanceId: id('low'), usage: res(Number.NaN, 0) }, 0.5)).toThrowError('usage of lender low: vcpu must be a finite number ≥ 0 (got NaN)');
  });
});

describe('borrow', () => {
  // 16 vCPU / 32 GiB, all allocated: no free room, so any growth must be borrowed.
  const pool = poolWith(res(16, 32), { high: res(4, 8), mid: res(4, 8), low: res(8, 16) });
  const lenders = [lender('mid', 50, res(0, 0)), lender('low', 10, res(2, 4)), lender('high', 90, res(1, 1))];
  const request = (amount: Resources, over: Partial<Parameters<typeof borrow>[2]> = {}) => ({
    borrowId: 'spike-1', borrower: { kind: 'instance' as const, instanceId: id('high') }, borrowerPriority: 90, amount, lenders, borrowLimit: 0.5, now: T0, reason: 'load spike', ...over,
  });

  it('takes from the lowest-priority lender first, then the next', () => {
    // low can lend 0.5 × (8 − 2) = 3 vCPU, 0.5 × (16 − 4) = 6 GiB; mid 2 vCPU, 4 GiB.
    const result = borrow(pool, book0, request(res(4, 7)));
    expect(result.kind).toBe('borrowed');
    if (result.kind !== 'borrowed') return;
    expect(result.loans.map((l) => [l.id, l.lender, l.amount])).toEqual([
      ['spike-1/low', 'low', res(3, 6)],
      ['spike-1/mid', 'mid', res(1, 1)],
    ]);
    expect(result.pool.allocations.get(id('high'))).toEqual(res(8, 15));
    expect(result.pool.allocations.get(id('low'))).toEqual(res(5, 10));
    expect(result.pool.allocations.get(id('mid'))).toEqual(res(3, 7));
    expect(committedResources(result.pool)).toEqual(committedResources(pool));
    expect(poolInvariantViolations(result.pool)).toEqual([]);
  });

  it('is all or nothing: refused with what lower-priority lenders cannot cover', () => {
    expect(borrow(pool, book0, request(res(6, 4)))).toMatchObject({ kind: 'refused', shortfall: res(1, 0) });
  });

  it('never borrows from equal or higher priority', () => {
    const result = borrow(pool, book0, request(res(1, 1), { borrower: { kind: 'instance', instanceId: id('low') }, borrowerPriority: 10 }));
    expect(result).toMatchObject({ kind: 'refused', shortfall: res(1, 1) });
  });

  it('is idempotent on the borrow id', () => {
    const first = borrow(pool, book0, request(res(2, 2)));
    if (first.kind !== 'borrowed') throw new Error(first.kind);
    const again = borrow(first.pool, first.book, request(res(2, 2)));
    expect(again).toEqual({ kind: 'already-borrowed', pool: first.pool, book: first.book, loans: first.loans });
  });

  it('can lend into an existing reservation', () => {
    const withRes = tryReserve(poolWith(res(16, 32), { low: res(8, 16) }), reservation('r', res(8, 16), 90), T0);
    if (withRes.kind !== 'reserved') throw new Error(withRes.kind);
    const result = borrow(withRes.pool, book0, request(res(2, 2), { borrower: { kind: 'reservation', reservationId: reservationId('r') } }));
    expect(result.kind === 'borrowed' && result.pool.reservations.get(reservationId('r'))?.amount).toEqual(res(10, 18));
  });

  it.each<[string, Parameters<typeof borrow>[2], new (...a: never[]) => Error, string]>([
    ['unknown reservation borrower', request(res(1, 1), { borrower: { kind: 'reservation', reservationId: reservationId('ghost') } }), InvalidLoanError, 'loan borrower: expected a reservation in pool web, got "ghost"'],
    ['duplicate lender', request(res(1, 1), { lenders: [lender('low', 10, res(0, 0)), lender('low', 10, res(0, 0))] }), InvalidLoanError, 'loan lenders[1].instanceId: expected a lender listed once, got "low"'],
    ['NaN lender priority', request(res(1, 1), { lenders: [lender('low', Number.NaN, res(0, 0))] }), InvalidLoanError, 'loan lenders[0].priority: expected a finite number, got NaN'],
    ['NaN borrower priority', request(res(1, 1), { borrowerPriority: Number.NaN }), InvalidLoanError, 'loan borrower priority: expected a finite number, got NaN'],
    ['negative amount', request(res(-1, 1)), Error, 'borrow spike-1 amount: vcpu must be a finite number ≥ 0 (got -1)'],
    ['bad limit', request(res(1, 1), { borrowLimit: 2 }), InvalidAmountError, 'borrowLimit: expected a share between 0 and 1, got 2'],
  ])('rejects %s with a typed error', (_name, req, type, message) => {
    expect(() => borrow(pool, book0, req)).toThrowError(type);
    expect(() => borrow(pool, book0, req)).toThrowError(message);
  });
});

describe('reserveWithBorrowing: the victim reservation held on loan from idle siblings', () => {
  // 8 free vCPU; the victim needs 12 after restart. A low-priority batch sibling uses 2 of its 12.
  const pool = poolWith(res(32, 64), { batch: res(12, 24), web: res(12, 24) });
  const lenders = [lender('batch', 10, res(2, 4)), lender('web', 90, res(1, 1))];
  const opts = { lenders, borrowLimit: 0.5, now: T0 };

  it('borrows exactly the shortfall and reserves', () => {
    const result = reserveWithBorrowing(pool, book0, reservation('r-victim', res(12, 16), 50), opts);
    expect(result.kind).toBe('reserved');
    if (result.kind !== 'reserved') return;
    expect(result.loans).toEqual([
      { id: 'r-victim/batch', lender: 'batch', borrower: { kind: 'reservation', reservationId: 'r-victim' }, amount: res(4, 0), lentAt: T0, reason: 'post-restart demand of the victim' },
    ]);
    expect(result.pool.allocations.get(id('batch'))).toEqual(res(8, 24));
    expect(availableResources(result.pool)).toEqual(res(0, 0));
    expect(poolInvariantViolations(result.pool)).toEqual([]);
    expect(reserveWithBorrowing(result.pool, result.book, reservation('r-victim', res(12, 16), 50), opts)).toMatchObject({ kind: 'already-reserved', loans: result.loans });
  });

  it('does not borrow when the reservation fits', () => {
    expect(reserveWithBorrowing(pool, book0, reservation('r', res(8, 16), 50), opts)).toMatchObject({ kind: 'reserved', loans: [] });
  });

  it('refuses with what is still missing after borrowing, lending nothing', () => {
    // batch can lend 5 vCPU; the shortfall is 8 → still 3 short (web has higher priority than the victim).
    expect(reserveWithBorrowing(pool, book0, reservation('r', res(16, 16), 50), opts)).toMatchObject({ kind: 'refused', shortfall: res(3, 0) });
  });
});

describe('revoking loans', () => {
  const start = poolWith(res(16, 32), { low: res(8, 16), high: res(8, 16) });
  const lent = borrow(start, book0, { borrowId: 'b', borrower: { kind: 'instance', instanceId: id('high') }, borrowerPriority: 90, amount: res(2, 4), lenders: [lender('low', 10, res(0, 0))], borrowLimit: 0.5, now: T0, reason: 'spike' });
  if (lent.kind !== 'borrowed') throw new Error(lent.kind);

  it('takes back from the borrower when there is no free room', () => {
    const result = revokeLoan(lent.pool, lent.book, 'b/low');
    expect(result).toMatchObject({ kind: 'revoked', returned: res(2, 4), takenFromBorrower: res(2, 4), unreturned: res(0, 0), lenderGone: false });
    if (result.kind !== 'revoked') return;
    expect(result.pool.allocations.get(id('low'))).toEqual(res(8, 16));
    expect(result.pool.allocations.get(id('high'))).toEqual(res(8, 16));
    expect(result.book.loans.size).toBe(0);
    expect(revokeLoan(result.pool, result.book, 'b/low')).toEqual({ kind: 'not-found', pool: result.pool, book: result.book });
  });

  it('returns from free room first, leaving the borrower its holding', () => {
    const grown = { ...lent.pool, capacity: res(20, 40) };
    const result = revokeLoan(grown, lent.book, 'b/low');
    expect(result).toMatchObject({ kind: 'revoked', returned: res(2, 4), takenFromBorrower: res(0, 0) });
    expect(result.kind === 'revoked' && result.pool.allocations.get(id('high'))).toEqual(res(10, 20));
  });

  it('reports what cannot be returned when the borrower left and the room was taken', () => {
    const gone = removeAllocation(lent.pool, id('high'));
    const taken = setAllocation(gone, id('other'), res(9, 18));
    if (taken.kind !== 'allocated') throw new Error(taken.kind);
    expect(revokeLoan(taken.pool, lent.book, 'b/low')).toMatchObject({ kind: 'revoked', returned: res(1, 2), unreturned: res(1, 2) });
  });

  it('closes the loan without moving anything when the lender left', () => {
    const result = revokeLoan(removeAllocation(lent.pool, id('low')), lent.book, 'b/low');
    expect(result).toMatchObject({ kind: 'revoked', returned: res(0, 0), unreturned: res(2, 4), lenderGone: true });
  });

  it('reclaims newest loans first until the lender’s usage is covered', () => {
    const second = borrow(lent.pool, lent.book, { borrowId: 'c', borrower: { kind: 'instance', instanceId: id('high') }, borrowerPriority: 90, amount: res(1, 1), lenders: [lender('low', 10, res(0, 0))], borrowLimit: 0.5, now: T0 + MIN, reason: 'spike' });
    if (second.kind !== 'borrowed') throw new Error(second.kind);
    // low now holds 5 vCPU; its load comes back to 6: the newest loan (1 vCPU) is enough.
    const some = reclaimLoans(second.pool, second.book, { instanceId: id('low'), usage: res(6, 4) });
    expect(some.revoked).toEqual(['c/low']);
    expect(some.stillShort).toEqual(res(0, 0));
    // Load of 12 vCPU: both loans back and still 4 short.
    const all = reclaimLoans(second.pool, second.book, { instanceId: id('low'), usage: res(12, 4) });
    expect(all.revoked).toEqual(['c/low', 'b/low']);
    expect(all.stillShort).toEqual(res(4, 0));
    expect(all.book.loans.size).toBe(0);
  });

  it('loans follow a reservation handed over to the restarted instance, and orphans are settled', () => {
    const pool = poolWith(res(16, 32), { batch: res(12, 24) });
    const r = reserveWithBorrowing(pool, book0, reservation('r', res(8, 8), 50), { lenders: [lender('batch', 10, res(0, 0))], borrowLimit: 0.5, now: T0 });
    if (r.kind !== 'reserved') throw new Error(r.kind);
    const handed = handOver(r.pool, reservationId('r'), T0 + MIN, id('i-new'));
    if (handed.kind !== 'handed-over') throw new Error(handed.kind);
    const book = repointLoans(r.book, { kind: 'reservation', reservationId: reservationId('r') }, { kind: 'instance', instanceId: id('i-new') });
    expect(settleLoans(handed.pool, book).settled).toEqual([]); // the new instance holds it
    const reclaimed = reclaimLoans(handed.pool, book, { instanceId: id('batch'), usage: res(12, 0) });
    expect(reclaimed.pool.allocations.get(id('i-new'))).toEqual(res(4, 8));
    // Had the loans not been re-pointed, the reservation is gone: the loan is settled from free room.
    const orphan = settleLoans(handed.pool, r.book);
    expect(orphan.settled).toEqual(['r/batch']);
    expect(poolInvariantViolations(orphan.pool)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Property: any sequence of reserve / release / expire / allocate / borrow / revoke / reclaim.
// ---------------------------------------------------------------------------------------------
const names = ['a', 'b', 'c', 'd', 'e'];
const PRIORITY: Record<string, number> = { a: 10, b: 30, c: 30, d: 60, e: 90 };
const gridAmount = fc.tuple(fc.integer({ min: 0, max: 8 * 16 }), fc.integer({ min: 0, max: 16 * 16 }), fc.integer({ min: 0, max: 100 })).map(([v, m, n]) => res(v / 16, m / 16, n, 0));
const smallAmount = fc.tuple(fc.integer({ min: 0, max: 2 * 16 }), fc.integer({ min: 0, max: 4 * 16 }), fc.integer({ min: 0, max: 20 })).map(([v, m, n]) => res(v / 16, m / 16, n, 0));
const usageArb = fc.oneof({ weight: 3, arbitrary: smallAmount }, gridAmount, fc.tuple(fc.double({ min: 0, max: 8, noNaN: true }), fc.double({ min: 0, max: 16, noNaN: true })).map(([v, m]) => res(v, m)));
const name = fc.constantFrom(...names);
type Op =
  | { kind: 'allocate'; who: string; amount: Resources }
  | { kind: 'remove'; who: string }
  | { kind: 'reserve'; rid: string; priority: number; amount: Resources; ttl: number; usages: Resources[]; limit: number }
  | { kind: 'release'; rid: string }
  | { kind: 'sweep'; advance: number }
  | { kind: 'borrow'; bid: string; who: string; amount: Resources; usages: Resources[]; limit: number }
  | { kind: 'revoke'; pick: number }
  | { kind: 'reclaim'; who: string; usage: Resources }
  | { kind: 'settle' }
  | { kind: 'hand-over'; rid: string; to: string };
const rid = fc.constantFrom('r1', 'r2', 'r3');
const usages = fc.array(usageArb, { minLength: names.length, maxLength: names.length });
const limit = fc.constantFrom(0, 0.25, 0.5, 1);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('allocate' as const), who: name, amount: gridAmount }) },
  fc.record({ kind: fc.constant('remove' as const), who: name }),
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('reserve' as const), rid, priority: fc.constantFrom(20, 50, 95), amount: gridAmount, ttl: fc.integer({ min: 1, max: 30 * MIN }), usages, limit }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('release' as const), rid }) },
  fc.record({ kind: fc.constant('sweep' as const), advance: fc.integer({ min: 0, max: 20 * MIN }) }),
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('borrow' as const), bid: fc.constantFrom('x', 'y', 'z', 'w'), who: name, amount: smallAmount, usages, limit }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('revoke' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('reclaim' as const), who: name, usage: gridAmount }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('settle' as const) }) },
  fc.record({ kind: fc.constant('hand-over' as const), rid, to: name }),
);
const lendersFrom = (us: readonly Resources[]): Lender[] => names.map((n, i) => lender(n, PRIORITY[n] ?? 0, us[i] ?? res(0, 0)));
const same = (a: Resources, b: Resources) => expect(a).toEqual(b);

describe('borrowing: any sequence of operations', () => {
  it('never over-commits, keeps the ledger exact, and lends only downwards within the limit', () => {
    fc.assert(
      fc.property(fc.array(gridAmount, { minLength: names.length, maxLength: names.length }), smallAmount, fc.array(opArb, { maxLength: 30 }), (initial, spare, ops) => {
        // Every instance starts allocated (so there is something to lend) in a pool with a little spare room.
        const total = [...initial, spare].reduce((a, b) => res(a.vcpu + b.vcpu, a.memoryGiB + b.memoryGiB, a.networkMbps + b.networkMbps, 0), res(0, 0));
        let pool = poolWith(total, Object.fromEntries(names.map((n, i) => [n, initial[i] ?? res(0, 0)])));
        let book: LoanBook = emptyLoanBook(G);
        let now = T0;
        for (const op of ops) {
          const before = committedResources(pool);
          switch (op.kind) {
            case 'allocate': {
              const r = setAllocation(pool, id(op.who), op.amount);
              if (r.kind === 'allocated') pool = r.pool;
              break;
            }
            case 'remove':
              pool = removeAllocation(pool, id(op.who));
              break;
            case 'reserve': {
              const r = reserveWithBorrowing(pool, book, reservation(op.rid, op.amount, op.priority, { createdAt: now, expiresAt: now + op.ttl }), { lenders: lendersFrom(op.usages), borrowLimit: op.limit, now });
              if (r.kind !== 'refused') {
                // (an already-reserved id returns the loans made for it then, at its own priority)
                if (r.kind === 'reserved') for (const loan of r.loans) expect(PRIORITY[loan.lender]).toBeLessThan(op.priority);
                pool = r.pool;
                book = r.book;
              }
              break;
            }
            case 'release':
              pool = releaseReservation(pool, reservationId(op.rid)).pool;
              break;
            case 'sweep':
              now += op.advance;
              pool = sweepExpired(pool, now).pool;
              break;
            case 'borrow': {
              const lenders = lendersFrom(op.usages);
              const headroom = new Map(lenders.map((l) => [l.instanceId, lendableHeadroom(pool, book, l, op.limit)]));
              const r = borrow(pool, book, { borrowId: op.bid, borrower: { kind: 'instance', instanceId: id(op.who) }, borrowerPriority: PRIORITY[op.who] ?? 0, amount: op.amount, lenders, borrowLimit: op.limit, now, reason: 'p' });
              if (r.kind === 'borrowed') {
                same(committedResources(r.pool), before); // a loan moves capacity, never creates it
                for (const loan of r.loans) {
                  expect(PRIORITY[loan.lender]).toBeLessThan(PRIORITY[op.who] ?? 0);
                  const h = headroom.get(loan.lender) ?? res(0, 0);
                  for (const d of ['vcpu', 'memoryGiB', 'networkMbps', 'diskIops'] as const) expect(loan.amount[d]).toBeLessThanOrEqual(h[d]);
                }
                pool = r.pool;
                book = r.book;
              }
              break;
            }
            case 'revoke': {
              const ids = [...book.loans.keys()];
              if (ids.length === 0) break;
              const loanId = ids[op.pick % ids.length] ?? '';
              const r = revokeLoan(pool, book, loanId);
              expect(r.kind).toBe('revoked');
              if (r.kind === 'revoked') {
                same(subtractAll(r.loan.amount, r.returned), r.unreturned);
                pool = r.pool;
                book = r.book;
              }
              break;
            }
            case 'reclaim': {
              const r = reclaimLoans(pool, book, { instanceId: id(op.who), usage: op.usage });
              // Either the lender is covered, or it has no loans left to call back.
              if (!Object.values(r.stillShort).every((v) => v === 0)) expect([...r.book.loans.values()].some((l) => l.lender === op.who)).toBe(false);
              pool = r.pool;
              book = r.book;
              break;
            }
            case 'settle': {
              const r = settleLoans(pool, book);
              pool = r.pool;
              book = r.book;
              for (const l of book.loans.values()) expect(pool.allocations.has(l.lender)).toBe(true);
              break;
            }
            case 'hand-over': {
              const r = handOver(pool, reservationId(op.rid), now, id(op.to));
              if (r.kind === 'handed-over') {
                pool = r.pool;
                book = repointLoans(book, { kind: 'reservation', reservationId: reservationId(op.rid) }, { kind: 'instance', instanceId: id(op.to) });
              }
              break;
            }
          }
          expect(poolInvariantViolations(pool)).toEqual([]);
          expect(loanBookViolations(pool, book)).toEqual([]);
        }
      }),
      { numRuns: 200 },
    );
  });
});

const subtractAll = (a: Resources, b: Resources): Resources => res(a.vcpu - b.vcpu, a.memoryGiB - b.memoryGiB, a.networkMbps - b.networkMbps, a.diskIops - b.diskIops);

describe('hand-over to the lender itself', () => {
  it('closes the loan instead of leaving a loan to itself (found by the ledger property)', () => {
    const pool = poolWith(res(0, 0, 46), { a: res(0, 0, 46) });
    const r = reserveWithBorrowing(pool, book0, reservation('r3', res(0, 0, 1), 20), { lenders: [lender('a', 10, res(0, 0, 0))], borrowLimit: 0.5, now: T0 });
    expect(r.kind).toBe('reserved');
    if (r.kind !== 'reserved') return;
    expect(r.book.loans.size).toBe(1);
    const h = handOver(r.pool, reservationId('r3'), T0, id('a'));
    expect(h.kind).toBe('handed-over');
    if (h.kind !== 'handed-over') return;
    const book = repointLoans(r.book, { kind: 'reservation', reservationId: reservationId('r3') }, { kind: 'instance', instanceId: id('a') });
    expect(book.loans.size).toBe(0);
    expect(loanBookViolations(h.pool, book)).toEqual([]);
    expect(poolInvariantViolations(h.pool)).toEqual([]);
  });
});
