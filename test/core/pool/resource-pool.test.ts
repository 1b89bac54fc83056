import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DIMENSIONS,
  groupId,
  instanceId,
  reservationId,
  type InstanceId,
  type Loan,
  type Reservation,
  type ResourcePool,
  type Resources,
} from '../../../lambda/core/domain';
import { InvalidAmountError, checkPoolResources } from '../../../lambda/core/pool/pool-amounts';
import {
  InvalidReservationError,
  availableResources,
  committedResources,
  createPool,
  handOver,
  lowerAllocation,
  lowerAllocations,
  overCommitment,
  poolInvariantViolations,
  releaseReservation,
  removeAllocations,
  resizePool,
  setAllocation,
  setAllocations,
  sweepExpired,
  tryReserve,
  validateReservation,
  type AllocationOutcome,
  type AllocationRequest,
} from '../../../lambda/core/pool/resource-pool';
import { InvalidResourcesError, ZERO_RESOURCES } from '../../../lambda/core/resources/resources';

const res = (vcpu: number, memoryGiB: number, networkMbps = 0, diskIops = 0): Resources => ({ vcpu, memoryGiB, networkMbps, diskIops });
const G = groupId('web');
const T0 = 1_700_000_000_000;
const MIN = 60_000;
const reservation = (id: string, amount: Resources, over: Partial<Reservation> = {}): Reservation => ({
  id: reservationId(id),
  groupId: G,
  instanceId: instanceId(`i-${id}`),
  amount,
  createdAt: T0,
  expiresAt: T0 + 30 * MIN,
  reason: 'spot interruption warning',
  priority: 50,
  ...over,
});
const reserved = (pool: ResourcePool, r: Reservation, now = T0): ResourcePool => {
  const result = tryReserve(pool, r, now);
  if (result.kind === 'refused') throw new Error(`setup: ${result.reason}`);
  return result.pool;
};
const allocated = (pool: ResourcePool, id: string, r: Resources): ResourcePool => {
  const result = setAllocation(pool, instanceId(id), r);
  if (result.kind === 'refused') throw new Error(`setup: ${result.reason}`);
  return result.pool;
};

/** A call's result, or the error it threw as its name and message. */
const attempt = <T>(f: () => T): { readonly value: T } | { readonly threw: string } => {
  try {
    return { value: f() };
  } catch (e) {
    return { threw: `${(e as Error).name}: ${(e as Error).message}` };
  }
};

describe('createPool', () => {
  it('starts empty with the capacity rounded DOWN onto the 1/1024 grid', () => {
    const pool = createPool(G, res(16, 64.0001, 1000, 3000));
    expect(pool.capacity).toEqual(res(16, 64, 1000, 3000));
    expect(pool.allocations.size + pool.reservations.size).toBe(0);
    expect(pool.version).toBe(0);
    expect(availableResources(pool)).toEqual(res(16, 64, 1000, 3000));
  });

  it.each<[string, Resources, new (...a: never[]) => Error, string]>([
    ['NaN', res(Number.NaN, 1), InvalidResourcesError, 'pool web capacity: vcpu must be a finite number ≥ 0 (got NaN)'],
    ['negative', res(1, -4), InvalidResourcesError, 'pool web capacity: memoryGiB must be a finite number ≥ 0 (got -4)'],
    ['infinite', res(1, 1, Number.POSITIVE_INFINITY), InvalidResourcesError, 'pool web capacity: networkMbps must be a finite number ≥ 0 (got Infinity)'],
    [
      'oversized',
      res(1, 1, 0, 2 ** 50),
      InvalidAmountError,
      'pool web capacity.diskIops: expected a finite number between 0 and 1099511627776, got 1125899906842624',
    ],
    [
      'missing dimension',
      { vcpu: 1, memoryGiB: 1, networkMbps: 1 } as Resources,
      InvalidResourcesError,
      'pool web capacity: diskIops must be a finite number ≥ 0 (got undefined)',
    ],
  ])('rejects a %s capacity with a typed error naming the dimension', (_name, capacity, type, message) => {
    expect(() => createPool(G, capacity)).toThrowError(type);
    expect(() => createPool(G, capacity)).toThrowError(message);
  });
});

describe('tryReserve (seed 10572412 allocateResources: every dimension must fit)', () => {
  const base = allocated(createPool(G, res(16, 64, 1000, 4000)), 'i-running', res(8, 32, 400, 1000));

  it.each<[string, Resources, 'reserved' | 'refused', Resources | undefined]>([
    ['fits on every dimension', res(4, 16, 100, 100), 'reserved', undefined],
    ['fits exactly to the last unit', res(8, 32, 600, 3000), 'reserved', undefined],
    ['short on CPU only', res(9, 16, 100, 100), 'refused', res(1, 0, 0, 0)],
    ['short on memory only', res(4, 40, 100, 100), 'refused', res(0, 8, 0, 0)],
    ['short on network only', res(1, 1, 700, 0), 'refused', res(0, 0, 100, 0)],
    ['short on disk only', res(1, 1, 0, 3001), 'refused', res(0, 0, 0, 1)],
    ['short on all four', res(10, 40, 700, 3500), 'refused', res(2, 8, 100, 500)],
    ['a zero reservation always fits', res(0, 0), 'reserved', undefined],
  ])('%s', (_name, amount, kind, shortfall) => {
    const result = tryReserve(base, reservation('r-1', amount), T0);
    expect(result.kind).toBe(kind);
    if (result.kind === 'refused') {
      expect(result.shortfall).toEqual(shortfall);
      expect(result.reason).toContain('does not fit in pool web');
    }
    if (result.kind === 'reserved') {
      expect(result.pool.version).toBe(base.version + 1);
      expect(committedResources(result.pool)).toEqual({
        vcpu: 8 + amount.vcpu,
        memoryGiB: 32 + amount.memoryGiB,
        networkMbps: 400 + amount.networkMbps,
        diskIops: 1000 + amount.diskIops,
      });
    }
  });

  it('is idempotent on the reservation id: the stored reservation wins, nothing changes', () => {
    const first = tryReserve(base, reservation('r-1', res(4, 8)), T0);
    expect(first.kind).toBe('reserved');
    if (first.kind !== 'reserved') return;
    const again = tryReserve(first.pool, reservation('r-1', res(4, 8)), T0 + MIN);
    expect(again).toEqual({ kind: 'already-reserved', pool: first.pool, reservation: first.reservation });
    // A redelivered event with a re-computed (larger) forecast does not double-reserve.
    const bigger = tryReserve(first.pool, reservation('r-1', res(100, 100)), T0 + MIN);
    expect(bigger.kind).toBe('already-reserved');
    expect(bigger.kind === 'already-reserved' && bigger.pool).toBe(first.pool);
  });

  it('rounds the reserved amount UP onto the grid (never under-reserves)', () => {
    const result = tryReserve(base, reservation('r-1', res(0.1, 1 / 3)), T0);
    expect(result.kind === 'reserved' && result.reservation.amount).toEqual(res(103 / 1024, 342 / 1024));
  });

  it('counts reservations that expired but were not swept (sweep first)', () => {
    const full = reserved(createPool(G, res(4, 4)), reservation('old', res(4, 4), { expiresAt: T0 + MIN }));
    expect(tryReserve(full, reservation('new', res(1, 1), { expiresAt: T0 + 10 * MIN }), T0 + 2 * MIN).kind).toBe('refused');
    const swept = sweepExpired(full, T0 + 2 * MIN).pool;
    expect(tryReserve(swept, reservation('new', res(1, 1), { expiresAt: T0 + 10 * MIN }), T0 + 2 * MIN).kind).toBe('reserved');
  });

  it.each<[string, Reservation, new (...a: never[]) => Error, string]>([
    ['NaN amount', reservation('r-1', res(1, Number.NaN)), InvalidResourcesError, 'reservation r-1 amount: memoryGiB must be a finite number ≥ 0 (got NaN)'],
    ['negative amount', reservation('r-1', res(-1, 1)), InvalidResourcesError, 'reservation r-1 amount: vcpu must be a finite number ≥ 0 (got -1)'],
    [
      'oversized amount',
      reservation('r-1', res(1, 2 ** 41)),
      InvalidAmountError,
      'reservation r-1 amount.memoryGiB: expected a finite number between 0 and 1099511627776',
    ],
    [
      'other group',
      reservation('r-1', res(1, 1), { groupId: groupId('db') }),
      InvalidReservationError,
      'reservation "r-1" groupId: expected the pool\'s group "web", got "db"',
    ],
    ['empty id', reservation('', res(1, 1)), InvalidReservationError, 'reservation "" id: expected a non-empty id'],
    [
      'expiry before creation',
      reservation('r-1', res(1, 1), { expiresAt: T0 - 1 }),
      InvalidReservationError,
      'reservation "r-1" expiresAt: expected a time after createdAt',
    ],
    [
      'already expired',
      reservation('r-1', res(1, 1), { createdAt: T0 - 10 * MIN, expiresAt: T0 }),
      InvalidReservationError,
      `reservation "r-1" expiresAt: expected a time after now ${T0}, got ${T0}`,
    ],
    [
      'NaN expiry',
      reservation('r-1', res(1, 1), { expiresAt: Number.NaN }),
      InvalidReservationError,
      'reservation "r-1" expiresAt: expected a finite epoch-millisecond time, got NaN',
    ],
    [
      'NaN priority',
      reservation('r-1', res(1, 1), { priority: Number.NaN }),
      InvalidReservationError,
      'reservation "r-1" priority: expected a finite number, got NaN',
    ],
  ])('rejects %s with a typed error, never a silent accept', (_name, r, type, message) => {
    expect(() => tryReserve(base, r, T0)).toThrowError(type);
    expect(() => tryReserve(base, r, T0)).toThrowError(message);
  });
});

describe('validateReservation: the rules tryReserve and every store apply', () => {
  const LOW = instanceId('i-low');
  const pool = allocated(createPool(G, res(16, 64)), 'i-low', res(4, 8));
  const lending = (over: Partial<Reservation> = {}): Reservation => reservation('r-1', res(5, 4), { loans: [{ lender: LOW, amount: res(1, 0) }], ...over });

  it('returns the reservation as a ledger stores it: the amount rounded UP onto the grid, loans only when there are any', () => {
    expect(validateReservation(reservation('r-1', res(0.1, 1)))).toEqual(reservation('r-1', res(103 / 1024, 1)));
    expect(validateReservation(reservation('r-1', res(1, 1), { loans: [] }))).not.toHaveProperty('loans');
    expect(validateReservation(lending(), { pool, now: T0 }).loans).toEqual([{ lender: LOW, amount: res(1, 0) }]);
  });

  it.each<[string, Reservation, string]>([
    ['an empty group', reservation('r-1', res(1, 1), { groupId: groupId('') }), 'reservation "r-1" groupId: expected a non-empty group id, got ""'],
    [
      'an empty instance',
      reservation('r-1', res(1, 1), { instanceId: instanceId('') }),
      'reservation "r-1" instanceId: expected a non-empty instance id, got ""',
    ],
    ['loans that are no list', lending({ loans: 'x' as unknown as Loan[] }), 'reservation "r-1" loans: expected a list of loans, got "x"'],
    ['a loan that is no loan', lending({ loans: [null as unknown as Loan] }), 'reservation "r-1" loans[0]: expected a loan ({ lender, amount }), got null'],
    [
      'a lender without an id',
      lending({ loans: [{ lender: instanceId(''), amount: res(1, 0) }] }),
      'reservation "r-1" loans[0].lender: expected a non-empty instance id, got ""',
    ],
    [
      'a loan off the grid',
      lending({ loans: [{ lender: LOW, amount: res(0.1, 0) }] }),
      `reservation "r-1" loans[0].amount: expected amounts on the pool's 1/1024 grid, got {"vcpu":0.1,"memoryGiB":0,"networkMbps":0,"diskIops":0}`,
    ],
    [
      'a lender lending to its own reservation',
      lending({ instanceId: LOW }),
      'reservation "r-1" loans[0].lender: expected an instance other than the one the reservation is for (i-low), got "i-low"',
    ],
  ])('refuses %s, naming the field and the value', (_name, r, message) => {
    expect(() => validateReservation(r)).toThrowError(InvalidReservationError);
    expect(() => validateReservation(r)).toThrowError(message);
  });

  it("leaves to the pool what only the pool can say: its group, expiry by now, the lenders' allocations", () => {
    const r = lending({ groupId: groupId('db'), createdAt: T0 - 2 * MIN, expiresAt: T0 - MIN, loans: [{ lender: instanceId('i-gone'), amount: res(1, 0) }] });
    expect(() => validateReservation(r)).not.toThrow();
    expect(() => validateReservation(r, { pool, now: T0 })).toThrowError('reservation "r-1" groupId: expected the pool\'s group "web", got "db"');
    expect(() => validateReservation({ ...r, groupId: G }, { pool, now: T0 })).toThrowError(`expiresAt: expected a time after now ${T0}`);
    expect(() => validateReservation({ ...r, groupId: G, expiresAt: T0 + MIN }, { pool, now: T0 })).toThrowError(
      'reservation "r-1" loans[0].amount.vcpu: expected at most lender i-gone\'s allocation (none), got 1',
    );
  });

  it('property: tryReserve throws what validateReservation throws against the pool and stores what it returns; a store, without the pool, never refuses what the pool takes', () => {
    // Each field mostly valid, sometimes not: so that whole reservations are often valid, and each rule is met.
    const mostly = <T>(valid: T, ...others: T[]): fc.Arbitrary<T> =>
      fc.oneof({ weight: 6, arbitrary: fc.constant(valid) }, { weight: 1, arbitrary: fc.constantFrom(...others) });
    const loanArb: fc.Arbitrary<Loan> = fc.record({
      lender: mostly('i-low', 'i-gone', 'i-r-1', '').map(instanceId),
      amount: mostly(res(1, 0), res(5, 0), res(0.1, 0), res(Number.NaN, 0)),
    });
    const reservationArb: fc.Arbitrary<Reservation> = fc.record({
      id: mostly('r-1', 'held', '').map(reservationId),
      groupId: mostly('web', 'db', '').map(groupId),
      instanceId: mostly('i-r-1', '').map(instanceId),
      amount: mostly(res(2, 2), res(0.1, 1), res(20, 1), res(Number.NaN, 1), res(-1, 1), res(2 ** 41, 1)),
      createdAt: mostly(T0 - MIN, T0 + 30 * MIN, Number.NaN),
      expiresAt: mostly(T0 + 30 * MIN, T0, T0 - MIN, Number.NaN),
      reason: fc.constant('r'),
      priority: mostly(50, Number.NaN),
      loans: fc.option(fc.array(loanArb, { maxLength: 2 }), { nil: undefined }),
    });
    const withHeld = reserved(pool, reservation('held', res(1, 1)));
    fc.assert(
      fc.property(reservationArb, (r) => {
        const now = T0;
        const verdict = attempt(() => validateReservation(r, { pool: withHeld, now }));
        const reserve = attempt(() => tryReserve(withHeld, r, now));
        if (r.id === 'held') expect(reserve).toMatchObject({ value: { kind: 'already-reserved' } });
        else if ('threw' in verdict) expect(reserve).toEqual(verdict);
        else if ('value' in reserve && reserve.value.kind === 'reserved') expect(reserve.value.reservation).toEqual(verdict.value);
        if ('value' in verdict) expect(validateReservation(r)).toEqual(verdict.value);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('releaseReservation and sweepExpired', () => {
  const pool = reserved(
    reserved(createPool(G, res(16, 64)), reservation('a', res(2, 2), { expiresAt: T0 + MIN })),
    reservation('b', res(2, 2), { expiresAt: T0 + 5 * MIN }),
  );

  it('release is idempotent', () => {
    const once = releaseReservation(pool, reservationId('a'));
    expect(once.released).toBe(true);
    expect([...once.pool.reservations.keys()]).toEqual(['b']);
    const twice = releaseReservation(once.pool, reservationId('a'));
    expect(twice).toEqual({ pool: once.pool, released: false });
  });

  it.each<[number, string[]]>([
    [T0 + MIN - 1, []],
    [T0 + MIN, ['a']], // expiresAt ≤ now: the boundary itself is expired
    [T0 + 5 * MIN, ['a', 'b']],
  ])('sweep at %d releases %j', (now, ids) => {
    const { pool: after, released } = sweepExpired(pool, now);
    expect(released).toEqual(ids);
    expect(after.reservations.size).toBe(2 - ids.length);
    expect(after.version).toBe(pool.version + (ids.length > 0 ? 1 : 0));
  });
});

describe('allocations, resize and hand-over', () => {
  const pool = allocated(createPool(G, res(16, 64)), 'i-a', res(4, 16));

  it('refuses an allocation that would over-commit, with the shortfall; lowering always works', () => {
    expect(setAllocation(pool, instanceId('i-b'), res(13, 8))).toMatchObject({ kind: 'refused', shortfall: res(1, 0) });
    const lowered = setAllocation(pool, instanceId('i-a'), res(1, 1));
    expect(lowered.kind === 'allocated' && availableResources(lowered.pool)).toEqual(res(15, 63));
    expect(setAllocation(pool, instanceId('i-a'), res(4, 16))).toEqual({ kind: 'allocated', pool });
    expect(() => setAllocation(pool, instanceId('i-a'), res(1, Number.NaN))).toThrowError('allocation of i-a: memoryGiB must be a finite number ≥ 0 (got NaN)');
  });

  it('removeAllocations is idempotent', () => {
    const removed = removeAllocations(pool, [instanceId('i-a')]);
    expect(removed.allocations.size).toBe(0);
    expect(removeAllocations(removed, [instanceId('i-a')])).toBe(removed);
  });

  it('refuses to shrink capacity below what is committed', () => {
    const withRes = reserved(pool, reservation('r', res(4, 4)));
    expect(resizePool(withRes, res(6, 64))).toMatchObject({ kind: 'refused', shortfall: res(2, 0) });
    expect(resizePool(withRes, res(8, 20))).toMatchObject({ kind: 'resized', pool: { capacity: res(8, 20) } });
  });

  it.each<[string, InstanceId | undefined, string, Resources]>([
    ['stop/start keeps the id', undefined, 'i-r', res(6, 8)],
    ['a replacement instance gets it', instanceId('i-new'), 'i-new', res(6, 8)],
    ['an existing allocation becomes the max of both', instanceId('i-a'), 'i-a', res(6, 16)],
  ])('hands a reservation over: %s', (_name, to, expectedId, expectedAllocation) => {
    const before = reserved(pool, reservation('r', res(6, 8), { instanceId: instanceId('i-r') }));
    const result = handOver(before, reservationId('r'), T0 + MIN, to);
    expect(result.kind).toBe('handed-over');
    if (result.kind !== 'handed-over') return;
    expect(result.instanceId).toBe(expectedId);
    expect(result.allocation).toEqual(expectedAllocation);
    expect(result.pool.reservations.size).toBe(0);
    expect(result.pool.allocations.get(instanceId(expectedId))).toEqual(expectedAllocation);
    expect(result.late).toBe(false);
    for (const d of DIMENSIONS) expect(committedResources(result.pool)[d]).toBeLessThanOrEqual(committedResources(before)[d]);
    expect(poolInvariantViolations(result.pool)).toEqual([]);
  });

  it('hand-over after expiry still hands over (capacity was held) and says late; unknown id is a no-op', () => {
    const before = reserved(pool, reservation('r', res(1, 1)));
    const late = handOver(before, reservationId('r'), T0 + 31 * MIN);
    expect(late.kind === 'handed-over' && late.late).toBe(true);
    expect(handOver(before, reservationId('nope'), T0)).toEqual({ kind: 'not-found', pool: before });
  });
});

describe('poolInvariantViolations', () => {
  const sound = reserved(allocated(createPool(G, res(8, 8)), 'i-a', res(4, 4)), reservation('r', res(4, 4)));

  it('is empty for a pool built through the functions', () => {
    expect(poolInvariantViolations(sound)).toEqual([]);
  });

  it.each<[string, (p: ResourcePool) => ResourcePool, string]>([
    ['over-commitment', (p) => ({ ...p, capacity: res(7, 8) }), 'over-committed on vcpu by 1 (committed 8 > capacity 7)'],
    ['NaN allocation', (p) => ({ ...p, allocations: new Map([[instanceId('i-a'), res(Number.NaN, 1)]]) }), 'allocation of i-a: vcpu NaN not a finite amount'],
    [
      'off-grid amount',
      (p) => ({ ...p, allocations: new Map([[instanceId('i-a'), res(0.1, 1)]]) }),
      'allocation of i-a: vcpu 0.1 not a finite amount in [0, 1099511627776] on the 1/1024 grid',
    ],
    [
      'wrong ledger key',
      (p) => ({ ...p, reservations: new Map([[reservationId('x'), reservation('r', res(1, 1))]]) }),
      'reservation stored under "x" has id "r"',
    ],
    [
      'another group',
      (p) => ({ ...p, reservations: new Map([[reservationId('r'), reservation('r', res(1, 1), { groupId: groupId('db') })]]) }),
      'reservation r belongs to group db, not web',
    ],
    [
      'bad times',
      (p) => ({ ...p, reservations: new Map([[reservationId('r'), reservation('r', res(1, 1), { expiresAt: T0 })]]) }),
      `reservation r: expiresAt ${T0} is not after createdAt ${T0}`,
    ],
    ['bad version', (p) => ({ ...p, version: -1 }), 'version -1 is not a non-negative integer'],
  ])('reports %s', (_name, corrupt, message) => {
    expect(poolInvariantViolations(corrupt(sound)).join('\n')).toContain(message);
  });
});

// ---------------------------------------------------------------------------------------------
// Model-based property: the pool against an independent model kept in whole grid steps (integers).
// ---------------------------------------------------------------------------------------------
type Vec = [number, number, number, number];
const toVec = (r: Resources): Vec => [r.vcpu, r.memoryGiB, r.networkMbps, r.diskIops].map((v) => v * 1024) as Vec;
const fromVec = (v: Vec): Resources => res(v[0] / 1024, v[1] / 1024, v[2] / 1024, v[3] / 1024);
const vecArb = fc.tuple(
  fc.integer({ min: 0, max: 8 * 1024 }),
  fc.integer({ min: 0, max: 32 * 1024 }),
  fc.integer({ min: 0, max: 2000 }),
  fc.integer({ min: 0, max: 500 }),
) as fc.Arbitrary<Vec>;
// Mostly grid-aligned, sometimes arbitrary doubles (rounded up by the pool) to exercise the grid.
const amountArb = fc.oneof(
  { weight: 4, arbitrary: vecArb.map(fromVec) },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.double({ min: 0, max: 8, noNaN: true }), fc.double({ min: 0, max: 32, noNaN: true })).map(([v, m]) => res(v, m, 0.3, 0.7)),
  },
);
const ids = ['a', 'b', 'c', 'd', 'e'];

type Op =
  | { kind: 'reserve'; id: string; amount: Resources; ttl: number }
  | { kind: 'release'; id: string }
  | { kind: 'sweep' }
  | { kind: 'allocate'; id: string; amount: Resources }
  | { kind: 'remove'; id: string }
  | { kind: 'hand-over'; id: string; to: string }
  | { kind: 'tick'; ms: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('reserve' as const), id: fc.constantFrom(...ids), amount: amountArb, ttl: fc.integer({ min: 1, max: 20 * MIN }) }),
  },
  fc.record({ kind: fc.constant('release' as const), id: fc.constantFrom(...ids) }),
  fc.record({ kind: fc.constant('sweep' as const) }),
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('allocate' as const), id: fc.constantFrom(...ids), amount: amountArb }) },
  fc.record({ kind: fc.constant('remove' as const), id: fc.constantFrom(...ids) }),
  fc.record({ kind: fc.constant('hand-over' as const), id: fc.constantFrom(...ids), to: fc.constantFrom(...ids) }),
  fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 10 * MIN }) }),
);

interface Model {
  allocations: Map<string, Vec>;
  reservations: Map<string, { amount: Vec; expiresAt: number }>;
}
const ceilVec = (r: Resources): Vec => toVec(r).map(Math.ceil) as Vec;
const modelCommitted = (m: Model): Vec => {
  const sum: Vec = [0, 0, 0, 0];
  for (const a of [...m.allocations.values(), ...[...m.reservations.values()].map((r) => r.amount)])
    for (let i = 0; i < 4; i += 1) sum[i] = (sum[i] ?? 0) + (a[i] ?? 0);
  return sum;
};
const fitsModel = (m: Model, capacity: Vec): boolean => modelCommitted(m).every((v, i) => v <= (capacity[i] ?? 0));

describe('resource pool: any sequence of reserve / release / expire / allocate / hand-over', () => {
  it('never over-commits, and its ledger equals an independent integer model after every step', () => {
    fc.assert(
      fc.property(vecArb, fc.array(opArb, { maxLength: 40 }), (capVec, ops) => {
        let pool = createPool(G, fromVec(capVec));
        let now = T0;
        const model: Model = { allocations: new Map(), reservations: new Map() };
        for (const op of ops) {
          switch (op.kind) {
            case 'reserve': {
              const r = reservation(op.id, op.amount, { createdAt: now, expiresAt: now + op.ttl, instanceId: instanceId(op.id) });
              const result = tryReserve(pool, r, now);
              if (model.reservations.has(op.id)) {
                expect(result.kind).toBe('already-reserved');
                break;
              }
              const candidate: Model = {
                ...model,
                reservations: new Map(model.reservations).set(op.id, { amount: ceilVec(op.amount), expiresAt: r.expiresAt }),
              };
              expect(result.kind).toBe(fitsModel(candidate, capVec) ? 'reserved' : 'refused');
              if (result.kind === 'refused') {
                const c = modelCommitted(candidate);
                expect(toVec(result.shortfall)).toEqual(c.map((v, i) => Math.max(0, v - (capVec[i] ?? 0))));
              } else {
                model.reservations = candidate.reservations;
                pool = result.pool;
              }
              break;
            }
            case 'release': {
              const result = releaseReservation(pool, reservationId(op.id));
              expect(result.released).toBe(model.reservations.delete(op.id));
              pool = result.pool;
              break;
            }
            case 'sweep': {
              const result = sweepExpired(pool, now);
              const expired = [...model.reservations].filter(([, r]) => r.expiresAt <= now).map(([id]) => id);
              expect([...result.released].sort()).toEqual([...expired].sort());
              for (const id of expired) model.reservations.delete(id);
              pool = result.pool;
              break;
            }
            case 'allocate': {
              const result = setAllocation(pool, instanceId(op.id), op.amount);
              const candidate: Model = { ...model, allocations: new Map(model.allocations).set(op.id, ceilVec(op.amount)) };
              expect(result.kind).toBe(fitsModel(candidate, capVec) ? 'allocated' : 'refused');
              if (result.kind === 'allocated') {
                model.allocations = candidate.allocations;
                pool = result.pool;
              }
              break;
            }
            case 'remove':
              pool = removeAllocations(pool, [instanceId(op.id)]);
              model.allocations.delete(op.id);
              break;
            case 'hand-over': {
              const result = handOver(pool, reservationId(op.id), now, instanceId(op.to));
              const held = model.reservations.get(op.id);
              expect(result.kind).toBe(held ? 'handed-over' : 'not-found');
              if (held) {
                const existing = model.allocations.get(op.to);
                model.allocations.set(op.to, existing ? (held.amount.map((v, i) => Math.max(v, existing[i] ?? 0)) as Vec) : held.amount);
                model.reservations.delete(op.id);
              }
              pool = result.pool;
              break;
            }
            case 'tick':
              now += op.ms;
              break;
          }
          expect(poolInvariantViolations(pool)).toEqual([]);
          expect(Object.fromEntries([...pool.allocations].map(([k, v]) => [k, toVec(v)]))).toEqual(Object.fromEntries(model.allocations));
          expect(Object.fromEntries([...pool.reservations].map(([k, v]) => [k, toVec(v.amount)]))).toEqual(
            Object.fromEntries([...model.reservations].map(([k, v]) => [k, v.amount])),
          );
          expect(toVec(committedResources(pool))).toEqual(modelCommitted(model));
          expect(toVec(availableResources(pool))).toEqual(modelCommitted(model).map((v, i) => (capVec[i] ?? 0) - v));
        }
      }),
      { numRuns: 200 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Batches: setAllocations / lowerAllocations / removeAllocations, stated against the single-instance calls.
// ---------------------------------------------------------------------------------------------
const I = (id: string): InstanceId => instanceId(`i-${id}`);
const cpuOnly = (vcpu: number): Resources => res(vcpu, 1);

/** Everything observable about a pool, Map order included. */
const snapshot = (p: ResourcePool): unknown => ({ ...p, allocations: [...p.allocations], reservations: [...p.reservations] });

describe('setAllocations', () => {
  const pool = allocated(allocated(createPool(G, res(10, 64)), 'i-a', cpuOnly(3)), 'i-b', cpuOnly(3));

  it.each<[string, 'keep' | 'fill', [string, number][], Record<string, number>, string[], number]>([
    [
      'all fit: set in order, one version per change',
      'keep',
      [
        ['a', 4],
        ['c', 2],
      ],
      { 'i-a': 4, 'i-b': 3, 'i-c': 2 },
      ['allocated', 'allocated'],
      2,
    ],
    [
      'a raise that does not fit is refused, later ones still go in',
      'keep',
      [
        ['c', 5],
        ['d', 4],
      ],
      { 'i-a': 3, 'i-b': 3, 'i-d': 4 },
      ['refused', 'allocated'],
      1,
    ],
    // i-d still gets the memory it asked for: a fill is per dimension (vCPU full, memory free).
    [
      'fill records what fits instead',
      'fill',
      [
        ['c', 5],
        ['d', 4],
      ],
      { 'i-a': 3, 'i-b': 3, 'i-c': 4, 'i-d': 0 },
      ['filled', 'filled'],
      2,
    ],
    [
      'lowering first makes room for a later raise',
      'keep',
      [
        ['a', 1],
        ['c', 6],
      ],
      { 'i-a': 1, 'i-b': 3, 'i-c': 6 },
      ['allocated', 'allocated'],
      2,
    ],
    [
      'setting what is stored changes nothing',
      'keep',
      [
        ['a', 3],
        ['b', 3],
      ],
      { 'i-a': 3, 'i-b': 3 },
      ['allocated', 'allocated'],
      0,
    ],
  ])('%s', (_name, onRefused, requests, allocs, kinds, bumps) => {
    const out = setAllocations(
      pool,
      requests.map(([id, v]) => ({ instanceId: I(id), amount: cpuOnly(v) })),
      onRefused,
    );
    expect(Object.fromEntries([...out.pool.allocations].map(([id, a]) => [id, a.vcpu]))).toEqual(allocs);
    expect(out.outcomes.map((o) => o.kind)).toEqual(kinds);
    expect(out.pool.version).toBe(pool.version + bumps);
    if (bumps === 0) expect(out.pool).toBe(pool);
    expect(poolInvariantViolations(out.pool)).toEqual([]);
  });

  it('reports a refusal and a fill with the shortfall per dimension and the same reason setAllocation gives', () => {
    const keep = setAllocations(pool, [{ instanceId: I('c'), amount: res(5, 1) }]);
    expect(keep.outcomes).toEqual([
      {
        kind: 'refused',
        instanceId: I('c'),
        shortfall: res(1, 0),
        reason: 'allocation of 5 vCPU, 1 GiB, 0 Mbps, 0 IOPS to i-c does not fit in pool web: short of 1 vCPU, 0 GiB, 0 Mbps, 0 IOPS',
      },
    ]);
    const single = setAllocation(pool, I('c'), res(5, 1));
    expect(single.kind === 'refused' && single.reason).toBe(keep.outcomes[0]?.kind === 'refused' && keep.outcomes[0].reason);
    const fill = setAllocations(pool, [{ instanceId: I('c'), amount: res(5, 1) }], 'fill');
    expect(fill.outcomes).toEqual([{ kind: 'filled', instanceId: I('c'), wanted: res(5, 1), allocation: res(4, 1), shortfall: res(1, 0) }]);
  });

  it('rounds requests UP onto the grid and rejects a bad amount naming the instance and dimension, leaving the input pool untouched', () => {
    const before = [...pool.allocations];
    const out = setAllocations(pool, [{ instanceId: I('c'), amount: res(0.0001, 1) }]);
    expect(out.pool.allocations.get(I('c'))?.vcpu).toBe(1 / 1024);
    expect(() =>
      setAllocations(pool, [
        { instanceId: I('c'), amount: res(1, 1) },
        { instanceId: I('d'), amount: res(Number.NaN, 1) },
      ]),
    ).toThrowError('allocation of i-d: vcpu must be a finite number ≥ 0 (got NaN)');
    expect(() => setAllocations(pool, [{ instanceId: I('c'), amount: res(2 ** 41, 1) }])).toThrowError(InvalidAmountError);
    expect([...pool.allocations]).toEqual(before);
  });
});

describe('setAllocations on pools an older version may have stored', () => {
  const stored = (capacity: Resources, allocations: readonly (readonly [string, Resources])[]): ResourcePool => ({
    ...createPool(G, res(0, 0)),
    capacity,
    allocations: new Map(allocations.map(([k, v]) => [I(k), v])),
    version: 3,
  });
  // 8 × 2^40 + 2/1024: past 2^43, where a floating-point sum rounds each 1/1024 away.
  const huge = stored(res(2 ** 40, 8), [
    ...['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((k) => [k, res(2 ** 40, 0)] as const),
    ['x', res(1 / 1024, 0)],
    ['y', res(1 / 1024, 0)],
  ]);
  // Ten allocations of 0.1 (off the grid) are 1 + 5.6e-17: over a capacity of 1, though a floating-point sum in ledger order says 0.9999999999999999.
  const tenths = stored(
    res(1, 1),
    ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'].map((k) => [k, res(0.1, 0)] as const),
  );
  const withNaN = stored(res(8, 8), [
    ['a', res(Number.NaN, 1)],
    ['b', res(1, 1)],
  ]);
  const withInfinity = stored(res(8, 8), [
    ['a', res(Infinity, 1)],
    ['b', res(1, 1)],
  ]);
  const offGridCapacity = stored(res(7.3, 20.01), [['a', res(7, 1)]]);

  it.each<[string, ResourcePool, [string, Resources][], 'keep' | 'fill', Partial<AllocationOutcome>[]]>([
    [
      'past 2^43 the total is exact: the shortfall keeps the 1/1024 a floating-point sum drops',
      huge,
      [['x', res(0, 0)]],
      'keep',
      [{ kind: 'refused', shortfall: res(7 * 2 ** 40 + 1 / 1024, 0) }],
    ],
    [
      'off the grid the total is exact: ten 0.1 are over a capacity of 1',
      tenths,
      [['k', res(0, 0)]],
      'keep',
      [{ kind: 'refused', shortfall: res(5.551115123125783e-17, 0) }],
    ],
    [
      'off the grid, taking one 0.1 out brings the rest (0.9 + 5e-17) within it',
      tenths,
      [
        ['j', res(0, 0)],
        ['k', res(0.05, 0)],
      ],
      'keep',
      [{ kind: 'allocated' }, { kind: 'allocated', allocation: res(52 / 1024, 0) }],
    ],
    [
      'a NaN stored allocation: a change beside it cannot be evaluated and is refused; replacing it is decided on the rest',
      withNaN,
      [
        ['b', res(2, 1)],
        ['a', res(1, 1)],
        ['b', res(2, 1)],
      ],
      'keep',
      [{ kind: 'refused', shortfall: res(Number.NaN, 0) }, { kind: 'allocated' }, { kind: 'allocated' }],
    ],
    [
      'an infinite stored allocation: nothing is free beside it, so a raise is filled at what it holds; replacing it is decided on the rest',
      withInfinity,
      [
        ['b', res(2, 1)],
        ['a', res(1, 1)],
      ],
      'fill',
      [{ kind: 'filled', allocation: res(1, 1), shortfall: res(1, 0) }, { kind: 'allocated' }],
    ],
    [
      'a capacity off the grid: what fits is rounded UP onto the grid, so even the fill may not fit',
      offGridCapacity,
      [['b', res(0.3, 0)]],
      'fill',
      [{ kind: 'refused', shortfall: res(0.0007812500000001776, 0) }],
    ],
  ])('%s', (_name, pool, requests, onRefused, expected) => {
    const out = setAllocations(
      pool,
      requests.map(([id, amount]) => ({ instanceId: I(id), amount })),
      onRefused,
    );
    expect(out.outcomes).toHaveLength(expected.length);
    expected.forEach((e, i) => expect(out.outcomes[i]).toMatchObject(e));
    // The same, one call at a time.
    let one = pool;
    for (const [id, amount] of requests) {
      const single = setAllocation(one, I(id), amount);
      if (single.kind === 'allocated') one = single.pool;
    }
    if (onRefused === 'keep') expect(snapshot(out.pool)).toEqual(snapshot(one));
  });

  it('the committed total is exact, rounded once: ten 0.1 commit 1 (the nearest double), and are still over it', () => {
    expect(committedResources(tenths).vcpu).toBe(1);
    expect(poolInvariantViolations(tenths).join('\n')).toContain('over-committed on vcpu by 5.551115123125783e-17');
    expect(committedResources(huge).vcpu).toBe(2 ** 43 + 2 / 1024);
  });
});

describe('removeAllocations / lowerAllocations', () => {
  const pool = allocated(allocated(allocated(createPool(G, res(10, 64)), 'i-a', cpuOnly(3)), 'i-b', cpuOnly(3)), 'i-c', cpuOnly(1));
  it('remove drops the listed instances with one version each, and returns the same pool when nothing is known', () => {
    const out = removeAllocations(pool, [I('b'), I('zz'), I('b'), I('a')]);
    expect([...out.allocations.keys()]).toEqual([I('c')]);
    expect(out.version).toBe(pool.version + 2);
    expect(removeAllocations(pool, [I('zz')])).toBe(pool);
  });
  it('lower takes the per-dimension min, leaves unknown instances without one, and is the same pool when nothing falls', () => {
    const out = lowerAllocations(pool, [
      [I('a'), res(5, 0.5)],
      [I('zz'), res(0, 0)],
      [I('c'), res(0.5, 4)],
    ]);
    expect(Object.fromEntries(out.allocations)).toEqual({ 'i-a': res(3, 0.5), 'i-b': cpuOnly(3), 'i-c': res(0.5, 1) });
    expect(out.version).toBe(pool.version + 2);
    expect(lowerAllocations(pool, [[I('a'), cpuOnly(8)]])).toBe(pool);
    expect(() => lowerAllocations(pool, [[I('a'), res(-1, 0)]])).toThrowError('allocation of i-a: vcpu must be a finite number ≥ 0 (got -1)');
  });
});

describe('batches: properties', () => {
  const batchIds = ['a', 'b', 'c', 'd', 'e', 'f'];
  // Mostly on the grid, sometimes off it, huge (totals past 2^43) or invalid (the same error must be thrown).
  const anyAmountArb: fc.Arbitrary<Resources> = fc.oneof(
    { weight: 8, arbitrary: vecArb.map(fromVec) },
    { weight: 2, arbitrary: amountArb },
    { weight: 1, arbitrary: fc.constantFrom(res(2 ** 40, 1), res(2 ** 40 - 1 / 1024, 2 ** 39)) },
    { weight: 1, arbitrary: fc.constantFrom(res(Number.NaN, 1), res(1, -1), res(2 ** 41, 0)) },
  );
  // A stored pool as any version may have left it: not necessarily sound (over-committed, off the grid, huge).
  const storedArb: fc.Arbitrary<ResourcePool> = fc
    .record({
      capacity: fc.oneof({ weight: 6, arbitrary: vecArb.map(fromVec) }, { weight: 1, arbitrary: fc.constantFrom(res(2 ** 40, 2 ** 40), res(7.3, 20.01)) }),
      allocations: fc.array(
        fc.tuple(
          fc.constantFrom(...batchIds),
          fc.oneof({ weight: 6, arbitrary: vecArb.map(fromVec) }, { weight: 1, arbitrary: fc.constantFrom(res(0.1, 0.2), res(2 ** 40, 3)) }),
        ),
        { maxLength: 6 },
      ),
      reserved: fc.option(vecArb.map(fromVec), { nil: undefined }),
    })
    .map((s) => ({
      ...createPool(G, res(0, 0)),
      capacity: s.capacity,
      allocations: new Map(s.allocations.map(([k, v]) => [I(k), v])),
      reservations: s.reserved === undefined ? new Map() : new Map([[reservationId('r'), reservation('r', s.reserved)]]),
      version: 3,
    }));
  // A pool as this version writes it: built through the pool's own functions.
  const soundArb: fc.Arbitrary<ResourcePool> = fc
    .tuple(
      vecArb.map(fromVec),
      fc.array(fc.tuple(fc.constantFrom(...batchIds), vecArb.map(fromVec)), { maxLength: 6 }),
      fc.option(vecArb.map(fromVec), { nil: undefined }),
    )
    .map(([capacity, allocations, held]) => {
      let pool = createPool(G, capacity);
      for (const [id, a] of allocations) {
        const r = setAllocation(pool, I(id), a);
        if (r.kind === 'allocated') pool = r.pool;
      }
      const r = held === undefined ? undefined : tryReserve(pool, reservation('r', held), T0);
      return r?.kind === 'reserved' ? r.pool : pool;
    });
  const requestsArb = (amount: fc.Arbitrary<Resources>): fc.Arbitrary<AllocationRequest[]> =>
    fc.array(fc.record({ instanceId: fc.constantFrom(...batchIds).map(I), amount }), { maxLength: 10 });
  const modeArb = fc.constantFrom('keep' as const, 'fill' as const);

  it('keep: the pool and each outcome are those of setAllocation called once per request, in order (errors included)', () => {
    fc.assert(
      fc.property(storedArb, requestsArb(anyAmountArb), (pool, requests) => {
        const oneByOne = attempt(() =>
          requests.reduce<{ pool: ResourcePool; outcomes: AllocationOutcome[] }>(
            (acc, { instanceId: id, amount }) => {
              const single = setAllocation(acc.pool, id, amount);
              if (single.kind === 'refused')
                return { ...acc, outcomes: [...acc.outcomes, { kind: 'refused', instanceId: id, shortfall: single.shortfall, reason: single.reason }] };
              return {
                pool: single.pool,
                outcomes: [...acc.outcomes, { kind: 'allocated', instanceId: id, allocation: single.pool.allocations.get(id) ?? ZERO_RESOURCES }],
              };
            },
            { pool, outcomes: [] },
          ),
        );
        const batch = attempt(() => setAllocations(pool, requests));
        if ('threw' in oneByOne) expect(batch).toEqual(oneByOne);
        else if ('threw' in batch) expect.fail(`the batch threw ${batch.threw}; one call at a time did not`);
        else {
          expect(snapshot(batch.value.pool)).toEqual(snapshot(oneByOne.value.pool));
          expect(batch.value.outcomes).toEqual(oneByOne.value.outcomes);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('each request is decided on the pool the requests before it left: allocated as setAllocation would, refused without a change, filled at min(asked, current + free)', () => {
    fc.assert(
      fc.property(fc.oneof(storedArb, soundArb), requestsArb(anyAmountArb), modeArb, (pool, requests, onRefused) => {
        const whole = attempt(() => setAllocations(pool, requests, onRefused));
        for (let k = 0; k < requests.length; k++) {
          const request = requests[k];
          if (request === undefined) break;
          const before = setAllocations(pool, requests.slice(0, k), onRefused);
          const after = attempt(() => setAllocations(pool, requests.slice(0, k + 1), onRefused));
          // A left fold: the first k outcomes do not depend on what comes after them.
          if ('value' in whole && 'value' in after) expect(after.value.outcomes).toEqual(whole.value.outcomes.slice(0, k + 1));
          const single = attempt(() => setAllocation(before.pool, request.instanceId, request.amount));
          if ('threw' in single) {
            expect(after).toEqual(single);
            break;
          }
          if ('threw' in after) {
            // Only the fill can throw where the request itself did not: it is validated as any amount is.
            expect(onRefused).toBe('fill');
            expect(after.threw).toMatch(`allocation of ${request.instanceId}`);
            break;
          }
          const o = after.value.outcomes[k];
          if (o?.kind === 'allocated') {
            expect(single.value.kind).toBe('allocated');
            expect(snapshot(after.value.pool)).toEqual(snapshot(single.value.kind === 'allocated' ? single.value.pool : before.pool));
            expect(o.allocation).toEqual(after.value.pool.allocations.get(request.instanceId));
            continue;
          }
          expect(single.value.kind).toBe('refused');
          const current = before.pool.allocations.get(request.instanceId) ?? ZERO_RESOURCES;
          const free = availableResources(before.pool);
          const wanted = checkPoolResources(request.amount, 'asked', 'up');
          const fits = res(...(DIMENSIONS.map((d) => Math.min(wanted[d], current[d] + free[d])) as Vec));
          if (o?.kind === 'refused') {
            expect(snapshot(after.value.pool)).toEqual(snapshot(before.pool));
            // Refused as asked and, with fill, at what fits too: the reason is that of the last attempt.
            const last = onRefused === 'keep' ? single.value : setAllocation(before.pool, request.instanceId, fits);
            expect(last).toMatchObject({ kind: 'refused', shortfall: o.shortfall, reason: o.reason });
            continue;
          }
          expect(o?.kind).toBe('filled');
          if (o?.kind !== 'filled') return;
          expect(o.wanted).toEqual(wanted);
          expect(o.allocation).toEqual(fits);
          for (const d of DIMENSIONS) expect(o.shortfall[d]).toBe(o.wanted[d] - o.allocation[d]);
          const filled = setAllocation(before.pool, request.instanceId, o.allocation);
          expect(filled.kind).toBe('allocated');
          if (filled.kind === 'allocated') expect(snapshot(after.value.pool)).toEqual(snapshot(filled.pool));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('from a sound pool: never over-committed, every invariant holds, and a fill is never refused and leaves the short dimensions full', () => {
    fc.assert(
      fc.property(soundArb, requestsArb(amountArb), modeArb, (pool, requests, onRefused) => {
        expect(poolInvariantViolations(pool)).toEqual([]);
        const out = setAllocations(pool, requests, onRefused);
        expect(poolInvariantViolations(out.pool)).toEqual([]);
        for (const d of DIMENSIONS) expect(committedResources(out.pool)[d]).toBeLessThanOrEqual(out.pool.capacity[d]);
        if (onRefused === 'keep') return;
        expect(out.outcomes.filter((o) => o.kind === 'refused')).toEqual([]);
        out.outcomes.forEach((o, k) => {
          if (o.kind !== 'filled') return;
          const then = setAllocations(pool, requests.slice(0, k + 1), 'fill').pool;
          for (const d of DIMENSIONS) {
            expect(o.allocation[d]).toBeLessThanOrEqual(o.wanted[d]);
            if (o.shortfall[d] > 0) expect(availableResources(then)[d]).toBe(0);
          }
        });
      }),
      { numRuns: 300 },
    );
  });

  it('committed, free and over-commitment do not depend on the order of the ledger (they are exact), on any stored pool', () => {
    fc.assert(
      fc.property(storedArb, (pool) => {
        const reversed = { ...pool, allocations: new Map([...pool.allocations].reverse()) };
        expect(committedResources(reversed)).toEqual(committedResources(pool));
        expect(availableResources(reversed)).toEqual(availableResources(pool));
        expect(overCommitment(reversed)).toEqual(overCommitment(pool));
      }),
      { numRuns: 300 },
    );
  });

  it('lowerAllocations and removeAllocations: the pool of lowering or removing one instance at a time, in order (errors included)', () => {
    fc.assert(
      fc.property(storedArb, requestsArb(anyAmountArb), (pool, requests) => {
        const lowerings = requests.map((r) => [r.instanceId, r.amount] as const);
        const lowered = (f: () => ResourcePool) => {
          const a = attempt(f);
          return 'value' in a ? snapshot(a.value) : a;
        };
        expect(lowered(() => lowerAllocations(pool, lowerings))).toEqual(lowered(() => lowerings.reduce((p, [id, r]) => lowerAllocation(p, id, r), pool)));
        const gone = requests.map((r) => r.instanceId);
        expect(snapshot(removeAllocations(pool, gone))).toEqual(snapshot(gone.reduce((p, id) => removeAllocations(p, [id]), pool)));
      }),
      { numRuns: 300 },
    );
  });

  it('the stored pools cover what this version would not write: off the grid, over-committed', () => {
    const pools = fc.sample(storedArb, 400);
    expect(pools.filter((p) => poolInvariantViolations(p).some((v) => v.includes('grid'))).length).toBeGreaterThan(20);
    expect(pools.filter((p) => poolInvariantViolations(p).some((v) => v.includes('over-committed'))).length).toBeGreaterThan(20);
  });
});
