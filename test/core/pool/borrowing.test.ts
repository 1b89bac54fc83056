import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { groupId, instanceId, reservationId, type Reservation, type ResourcePool, type Resources } from '../../../lambda/core/domain';
import {
  borrowedResources,
  lendableHeadroom,
  lentOut,
  planLoanRevocations,
  planLoans,
  recentUse,
  reserveWithBorrowing,
  RECENT_USE_MINUTES,
  type Lender,
} from '../../../lambda/core/pool/borrowing';
import { InvalidAmountError } from '../../../lambda/core/pool/pool-amounts';
import {
  InvalidReservationError,
  availableResources,
  committedResources,
  createPool,
  handOver,
  loanDeficit,
  poolInvariantViolations,
  releaseReservation,
  setAllocation,
  sweepExpired,
  tryReserve,
} from '../../../lambda/core/pool/resource-pool';

const res = (vcpu: number, memoryGiB: number, networkMbps = 0, diskIops = 0): Resources => ({ vcpu, memoryGiB, networkMbps, diskIops });
const G = groupId('web');
const T0 = 1_700_000_000_000;
const MIN = 60_000;
const id = instanceId;
const RUNS = Number(process.env['SPOTWISE_PROPERTY_RUNS'] ?? 300);

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

describe('recentUse', () => {
  const at = (minutesAgo: number, demand: Partial<Resources>) => ({ at: T0 - minutesAgo * MIN, demand });
  const full = (v: number): Partial<Resources> => res(v, v, v, v);
  it.each<[string, { at: number; demand: Partial<Resources> }[], Resources | undefined]>([
    ['the peak of the newest points, per dimension', [at(1, res(1, 4, 10, 5)), at(2, res(3, 2, 20, 1))], res(3, 4, 20, 5)],
    [
      `only the newest ${RECENT_USE_MINUTES} points count`,
      [...Array.from({ length: RECENT_USE_MINUTES }, (_, k) => at(k + 1, full(1))), at(RECENT_USE_MINUTES + 1, full(9))],
      res(1, 1, 1, 1),
    ],
    ['a dimension with no point: unknown', [at(1, { vcpu: 1, memoryGiB: 1, networkMbps: 1 })], undefined],
    ['NaN is no point', [at(1, { ...full(1), diskIops: Number.NaN })], undefined],
    ['stale newest point: unknown', [at(11, full(1))], undefined],
    ['no points: unknown', [], undefined],
    ['points after now do not count', [{ at: T0 + MIN, demand: full(9) }, at(1, full(2))], res(2, 2, 2, 2)],
  ])('%s', (_name, recent, expected) => {
    expect(recentUse({ recent }, T0, 10 * MIN)).toEqual(expected);
  });
});

describe('lendableHeadroom', () => {
  const pool = poolWith(res(32, 64), { low: res(8, 16) });
  it.each<[string, Resources, number, Resources]>([
    ['half of the unused part', res(2, 4), 0.5, res(3, 6)],
    ['a limit of 1 lends all unused', res(2, 4), 1, res(6, 12)],
    ['a limit of 0 lends nothing', res(2, 4), 0, res(0, 0)],
    ['using more than its allocation lends nothing', res(9, 20), 0.5, res(0, 0)],
    ['off-grid results round DOWN', res(2, 4), 1 / 3, res(2, 4)],
  ])('%s', (_name, usage, limit, expected) => {
    expect(lendableHeadroom(pool, { instanceId: id('low'), usage }, limit)).toEqual(expected);
  });

  it('an instance without an allocation lends nothing', () => {
    expect(lendableHeadroom(pool, { instanceId: id('stranger'), usage: res(0, 0) }, 1)).toEqual(res(0, 0));
  });

  it.each([-0.1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('a borrow limit of %s is refused, naming the field', (limit) => {
    expect(() => lendableHeadroom(pool, { instanceId: id('low'), usage: res(0, 0) }, limit)).toThrow(InvalidAmountError);
    expect(() => lendableHeadroom(pool, { instanceId: id('low'), usage: res(0, 0) }, limit)).toThrow(/borrowLimit/);
  });

  it('what is lent counts against the limit: repeated borrowing never drains more than the limit of the unused part', () => {
    // low: 8 vCPU allocated, uses 2 → 6 unused; at 0.5 it may lend 3 in all.
    const p0 = poolWith(res(10, 64), { low: res(8, 16) });
    const lenders = [lender('low', 10, res(2, 4))];
    const a = reserveWithBorrowing(p0, reservation('a', res(4, 0), 50), { lenders, borrowLimit: 0.5, now: T0 });
    expect(a.kind).toBe('reserved');
    if (a.kind !== 'reserved') return;
    expect(a.loans).toEqual([{ lender: id('low'), amount: res(2, 0) }]);
    expect(lentOut(a.pool, id('low'))).toEqual(res(2, 0));
    expect(lendableHeadroom(a.pool, lenders[0]!, 0.5)).toEqual(res(1, 6));
    const b = reserveWithBorrowing(a.pool, reservation('b', res(2, 0), 50), { lenders, borrowLimit: 0.5, now: T0 });
    expect(b.kind).toBe('refused');
    if (b.kind === 'refused') expect(b.shortfall).toEqual(res(1, 0));
  });
});

describe('reserveWithBorrowing', () => {
  // 16 vCPU: high-priority work holds 6, a low-priority instance 8 (using 2) → 2 free.
  const pool = poolWith(res(16, 64), { hi: res(6, 8), low: res(8, 8) });
  const lenders = [lender('hi', 90, res(6, 8)), lender('low', 10, res(2, 2))];

  it('a reservation that fits borrows nothing', () => {
    const r = reserveWithBorrowing(pool, reservation('fits', res(2, 4), 90), { lenders, borrowLimit: 0.5, now: T0 });
    expect(r.kind).toBe('reserved');
    if (r.kind === 'reserved') expect(r.loans).toEqual([]);
  });

  it('borrows exactly the shortfall from lower priority, recorded on the reservation, and never over-commits', () => {
    const r = reserveWithBorrowing(pool, reservation('big', res(5, 4), 90), { lenders, borrowLimit: 0.5, now: T0 });
    expect(r.kind).toBe('reserved');
    if (r.kind !== 'reserved') return;
    expect(r.loans).toEqual([{ lender: id('low'), amount: res(3, 0) }]);
    expect(r.reservation.loans).toEqual(r.loans);
    expect(r.pool.allocations.get(id('low'))).toEqual(res(5, 8));
    expect(availableResources(r.pool).vcpu).toBe(0);
    expect(poolInvariantViolations(r.pool)).toEqual([]);
    expect(borrowedResources(r.pool)).toEqual(res(3, 0));
  });

  it('never borrows from equal or higher priority, nor from the victim itself', () => {
    const r = reserveWithBorrowing(pool, reservation('big', res(5, 4), 10, { instanceId: id('low') }), { lenders, borrowLimit: 1, now: T0 });
    expect(r.kind).toBe('refused');
  });

  it('all or nothing: lenders short on one dimension lend nothing and say what is still missing', () => {
    const r = reserveWithBorrowing(pool, reservation('huge', res(8, 4), 90), { lenders, borrowLimit: 0.5, now: T0 });
    expect(r).toMatchObject({ kind: 'refused', shortfall: res(3, 0), lendable: res(3, 0) });
  });

  it('a borrow limit of 0 is plain tryReserve', () => {
    const r = reserveWithBorrowing(pool, reservation('big', res(5, 4), 90), { lenders, borrowLimit: 0, now: T0 });
    expect(r).toEqual(tryReserve(pool, reservation('big', res(5, 4), 90), T0));
    expect(r).toMatchObject({ kind: 'refused', shortfall: res(3, 0) });
  });

  it('lowest priority lends first, then by instance id', () => {
    const p = poolWith(res(12, 64), { b: res(4, 1), a: res(4, 1), mid: res(4, 1) });
    const ls = [lender('mid', 20, res(0, 0)), lender('b', 5, res(0, 0)), lender('a', 5, res(0, 0))];
    const r = planLoans(p, { instanceId: id('i-x'), priority: 90 }, res(6, 0), ls, 1);
    expect(r.loans.map((l) => [l.lender, l.amount.vcpu])).toEqual([
      [id('a'), 4],
      [id('b'), 2],
    ]);
  });

  it('is idempotent on the reservation id: the held one keeps its loans', () => {
    const first = reserveWithBorrowing(pool, reservation('big', res(5, 4), 90), { lenders, borrowLimit: 0.5, now: T0 });
    if (first.kind !== 'reserved') throw new Error('setup');
    const again = reserveWithBorrowing(first.pool, reservation('big', res(5, 4), 90), { lenders, borrowLimit: 0.5, now: T0 });
    expect(again.kind).toBe('already-reserved');
    if (again.kind === 'already-reserved') {
      expect(again.pool).toBe(first.pool);
      expect(again.loans).toEqual(first.loans);
    }
  });
});

describe('loans in the pool ledger', () => {
  const pool = poolWith(res(16, 64), { hi: res(6, 8), low: res(8, 8) });
  const borrowed = (): ResourcePool => {
    const r = tryReserve(pool, reservation('big', res(5, 4), 90, { loans: [{ lender: id('low'), amount: res(3, 0) }] }), T0);
    if (r.kind !== 'reserved') throw new Error('setup');
    return r.pool;
  };

  it('releasing gives the loans back to their lenders', () => {
    const released = releaseReservation(borrowed(), reservationId('big'));
    expect(released.released).toBe(true);
    expect(released.pool.allocations.get(id('low'))).toEqual(res(8, 8));
    expect(committedResources(released.pool)).toEqual(committedResources(pool));
  });

  it('sweeping an expired borrowing reservation gives its loans back too', () => {
    const swept = sweepExpired(borrowed(), T0 + 30 * MIN);
    expect(swept.released).toEqual([reservationId('big')]);
    expect(swept.pool.allocations.get(id('low'))).toEqual(res(8, 8));
  });

  it('a lender that left gets nothing back, and nothing is over-committed', () => {
    const p = borrowed();
    const gone = { ...p, allocations: new Map([...p.allocations].filter(([k]) => k !== id('low'))) };
    const released = releaseReservation(gone, reservationId('big'));
    expect(released.pool.allocations.has(id('low'))).toBe(false);
    expect(poolInvariantViolations(released.pool)).toEqual([]);
  });

  it("handing over ends the loans without giving anything back (the capacity is the restarted instance's now)", () => {
    const out = handOver(borrowed(), reservationId('big'), T0, id('i-new'));
    expect(out.kind).toBe('handed-over');
    if (out.kind !== 'handed-over') return;
    expect(out.pool.allocations.get(id('low'))).toEqual(res(5, 8));
    expect(out.pool.allocations.get(id('i-new'))).toEqual(res(5, 4));
    expect(borrowedResources(out.pool)).toEqual(res(0, 0));
    expect(poolInvariantViolations(out.pool)).toEqual([]);
  });

  it.each<[string, Partial<Reservation>, RegExp]>([
    [
      'a lender listed twice',
      {
        loans: [
          { lender: id('low'), amount: res(1, 0) },
          { lender: id('low'), amount: res(1, 0) },
        ],
      },
      /loans\[1\]\.lender/,
    ],
    ['lending to itself', { instanceId: id('low'), loans: [{ lender: id('low'), amount: res(1, 0) }] }, /loans\[0\]\.lender/],
    ['more than the lender holds', { loans: [{ lender: id('low'), amount: res(9, 0) }] }, /loans\[0\]\.amount\.vcpu/],
    ['an unknown lender', { loans: [{ lender: id('stranger'), amount: res(1, 0) }] }, /loans\[0\]\.amount\.vcpu.*\(none\)/],
    ['more than the reservation holds', { amount: res(1, 4), loans: [{ lender: id('low'), amount: res(2, 0) }] }, /loans \(total vcpu\)/],
    ['an amount off the grid', { loans: [{ lender: id('low'), amount: res(0.0001, 0) }] }, /grid/],
  ])('a reservation with %s is refused, naming the field', (_name, over, message) => {
    expect(() => tryReserve(pool, reservation('bad', res(5, 4), 90, over), T0)).toThrow(InvalidReservationError);
    expect(() => tryReserve(pool, reservation('bad', res(5, 4), 90, over), T0)).toThrow(message);
  });

  it('loanDeficit: what lenders can no longer lend (a store refuses with it)', () => {
    expect(loanDeficit(pool, [{ lender: id('low'), amount: res(3, 0) }])).toEqual(res(0, 0));
    expect(
      loanDeficit(pool, [
        { lender: id('low'), amount: res(10, 9) },
        { lender: id('gone'), amount: res(1, 1) },
      ]),
    ).toEqual(res(3, 2));
  });
});

describe('planLoanRevocations', () => {
  // low lends 3 vCPU to "old" (made first) and 1 to "new" (made a minute later).
  const setup = (): ResourcePool => {
    let p = poolWith(res(16, 64), { hi: res(6, 8), low: res(8, 8) });
    for (const [name, vcpu, at] of [
      ['old', 3, T0],
      ['new', 1, T0 + MIN],
    ] as const) {
      const r = tryReserve(p, reservation(name, res(vcpu, 0), 90, { createdAt: at, loans: [{ lender: id('low'), amount: res(vcpu, 0) }] }), T0 + MIN);
      if (r.kind !== 'reserved') throw new Error('setup');
      p = r.pool;
    }
    return p;
  };

  it('a lender within its allocation keeps lending', () => {
    expect(planLoanRevocations(setup(), new Map([[id('low'), res(4, 4)]]), new Set()).revocations).toEqual([]);
  });

  it('a lender whose use rises above its allocation calls back its newest loan first, and only as many as it needs', () => {
    // low holds 4 after lending 4; uses 4.5 → the newest loan (1 vCPU) back makes 5 ≥ 4.5.
    const out = planLoanRevocations(setup(), new Map([[id('low'), res(4.5, 4)]]), new Set());
    expect(out.revocations.map((r) => r.reservation.id)).toEqual([reservationId('new')]);
    expect(out.pool.allocations.get(id('low'))).toEqual(res(5, 8));
    const more = planLoanRevocations(setup(), new Map([[id('low'), res(7, 4)]]), new Set());
    expect(more.revocations.map((r) => r.reservation.id)).toEqual([reservationId('new'), reservationId('old')]);
    expect(more.revocations[0]!.reason).toMatch(/lender low uses 7 vcpu > its allocation 4/);
  });

  it('a lender whose use is unknown is not judged', () => {
    expect(planLoanRevocations(setup(), new Map(), new Set()).revocations).toEqual([]);
  });

  it('every borrowing reservation of a throttled instance is released', () => {
    const out = planLoanRevocations(setup(), new Map(), new Set([id('i-victim-old')]));
    expect(out.revocations.map((r) => [r.reservation.id, r.throttled])).toEqual([[reservationId('old'), true]]);
  });
});

describe('properties', () => {
  const capacity = res(16, 64, 1000, 1000);
  const names = ['a', 'b', 'c', 'd'];
  type Op =
    | { kind: 'reserve'; name: string; vcpu: number; mem: number; priority: number; limit: number }
    | { kind: 'release'; name: string }
    | { kind: 'handOver'; name: string }
    | { kind: 'revoke'; lender: string; vcpu: number }
    | { kind: 'sweep'; minutes: number };
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({
      kind: fc.constant('reserve' as const),
      name: fc.constantFrom('r1', 'r2', 'r3', 'r4', 'r5'),
      vcpu: fc.integer({ min: 0, max: 64 }).map((n) => n / 4),
      mem: fc.integer({ min: 0, max: 32 }),
      priority: fc.integer({ min: 0, max: 100 }),
      limit: fc.constantFrom(0, 0.25, 0.5, 1),
    }),
    fc.record({ kind: fc.constant('release' as const), name: fc.constantFrom('r1', 'r2', 'r3', 'r4', 'r5') }),
    fc.record({ kind: fc.constant('handOver' as const), name: fc.constantFrom('r1', 'r2', 'r3', 'r4', 'r5') }),
    fc.record({ kind: fc.constant('revoke' as const), lender: fc.constantFrom(...names), vcpu: fc.integer({ min: 0, max: 40 }).map((n) => n / 4) }),
    fc.record({ kind: fc.constant('sweep' as const), minutes: fc.integer({ min: 0, max: 40 }) }),
  );

  it('no sequence of borrowing reserves, releases, hand-overs, revocations and sweeps over-commits the pool or leaves a negative allocation', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 16 }), { minLength: 4, maxLength: 4 }), fc.array(op, { maxLength: 30 }), (alloc, ops) => {
        let pool = createPool(G, capacity);
        names.forEach((n, k) => {
          const r = setAllocation(pool, id(n), res(alloc[k]! / 4, alloc[k]!, 10, 10));
          if (r.kind === 'allocated') pool = r.pool;
        });
        const usage = new Map(names.map((n, k) => [id(n), res(alloc[k]! / 8, alloc[k]! / 2, 5, 5)] as const));
        const priorities = new Map(names.map((n, k) => [n, k * 20] as const));
        let now = T0;
        for (const o of ops) {
          if (o.kind === 'reserve') {
            const lenders = names.map((n) => lender(n, priorities.get(n)!, usage.get(id(n))!));
            const r = reserveWithBorrowing(pool, reservation(o.name, res(o.vcpu, o.mem), o.priority, { createdAt: now, expiresAt: now + 30 * MIN }), {
              lenders,
              borrowLimit: o.limit,
              now,
            });
            if (r.kind !== 'refused') pool = r.pool;
          } else if (o.kind === 'release') pool = releaseReservation(pool, reservationId(o.name)).pool;
          else if (o.kind === 'handOver') pool = handOver(pool, reservationId(o.name), now, id('i-new')).pool;
          else if (o.kind === 'revoke') {
            usage.set(id(o.lender), res(o.vcpu, 0, 0, 0));
            pool = planLoanRevocations(pool, usage, new Set()).pool;
          } else {
            now += o.minutes * MIN;
            pool = sweepExpired(pool, now).pool;
          }
          expect(poolInvariantViolations(pool)).toEqual([]);
          for (const a of pool.allocations.values()) expect(Math.min(a.vcpu, a.memoryGiB, a.networkMbps, a.diskIops)).toBeGreaterThanOrEqual(0);
        }
        // Nothing lent is lost: after every reservation goes, the lenders still present hold at least what they held.
        const cleared = [...pool.reservations.keys()].reduce((p, k) => releaseReservation(p, k).pool, pool);
        expect(borrowedResources(cleared)).toEqual(res(0, 0, 0, 0));
      }),
      { numRuns: RUNS },
    );
  });

  it('after revocation no lender with known use is left above its allocation while it still has loans out', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 4 }), fc.integer({ min: 0, max: 64 }), (loans, use) => {
        let pool = poolWith(res(64, 64), { low: res(32, 8) });
        loans.forEach((v, k) => {
          const r = tryReserve(pool, reservation(`r${k}`, res(v, 0), 90, { createdAt: T0 + k, loans: [{ lender: id('low'), amount: res(v, 0) }] }), T0 + 10);
          if (r.kind === 'reserved') pool = r.pool;
        });
        const out = planLoanRevocations(pool, new Map([[id('low'), res(use, 0)]]), new Set());
        const left = lentOut(out.pool, id('low'));
        if (left.vcpu > 0) expect(use).toBeLessThanOrEqual(out.pool.allocations.get(id('low'))!.vcpu);
        // Newest first: what is left is the oldest loans.
        const kept = [...out.pool.reservations.values()].map((r) => r.createdAt).sort((a, b) => a - b);
        const revoked = out.revocations.map((r) => r.reservation.createdAt);
        for (const k of kept) for (const r of revoked) expect(k).toBeLessThan(r);
      }),
      { numRuns: RUNS },
    );
  });
});
