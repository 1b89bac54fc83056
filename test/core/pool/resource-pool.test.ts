import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DIMENSIONS,
  groupId,
  instanceId,
  reservationId,
  type InstanceId,
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
  hasExactLedger,
  lowerAllocation,
  lowerAllocations,
  poolInvariantViolations,
  releaseReservation,
  removeAllocations,
  resizePool,
  setAllocation,
  setAllocations,
  sweepExpired,
  tryReserve,
  removeAllocation,
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

  it('removeAllocation is idempotent', () => {
    const removed = removeAllocation(pool, instanceId('i-a'));
    expect(removed.allocations.size).toBe(0);
    expect(removeAllocation(removed, instanceId('i-a'))).toBe(removed);
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
              pool = removeAllocation(pool, instanceId(op.id));
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
// Batches: setAllocations / lowerAllocations / removeAllocations against one-by-one calls.
// ---------------------------------------------------------------------------------------------
const I = (id: string): InstanceId => instanceId(`i-${id}`);
const cpuOnly = (vcpu: number): Resources => res(vcpu, 1);

/** The reference the batch must equal: setAllocation one request at a time (fill = min(asked, current + available)). */
const setOneByOne = (
  start: ResourcePool,
  requests: readonly AllocationRequest[],
  onRefused: 'keep' | 'fill',
): { pool: ResourcePool; outcomes: AllocationOutcome[] } => {
  let pool = start;
  const outcomes: AllocationOutcome[] = [];
  for (const { instanceId: id, amount } of requests) {
    const attempt = setAllocation(pool, id, amount);
    if (attempt.kind === 'allocated') {
      pool = attempt.pool;
      outcomes.push({ kind: 'allocated', instanceId: id, allocation: pool.allocations.get(id) ?? ZERO_RESOURCES });
    } else if (onRefused === 'keep') {
      outcomes.push({ kind: 'refused', instanceId: id, shortfall: attempt.shortfall, reason: attempt.reason });
    } else {
      const wanted = checkPoolResources(amount, 'wanted', 'up');
      const current = pool.allocations.get(id) ?? ZERO_RESOURCES;
      const free = availableResources(pool);
      const allocation = res(...(DIMENSIONS.map((d) => Math.min(wanted[d], current[d] + free[d])) as Vec));
      const fill = setAllocation(pool, id, allocation);
      if (fill.kind === 'refused') outcomes.push({ kind: 'refused', instanceId: id, shortfall: fill.shortfall, reason: fill.reason });
      else {
        pool = fill.pool;
        outcomes.push({ kind: 'filled', instanceId: id, wanted, allocation, shortfall: res(...(DIMENSIONS.map((d) => wanted[d] - allocation[d]) as Vec)) });
      }
    }
  }
  return { pool, outcomes };
};

/** Everything observable about a result, Map order included; a throw becomes its error name and message. */
const observe = (f: () => { pool: ResourcePool; outcomes?: readonly AllocationOutcome[] } | ResourcePool): unknown => {
  try {
    const out = f();
    const pool = 'groupId' in out ? out : out.pool;
    return {
      pool: { ...pool, allocations: [...pool.allocations], reservations: [...pool.reservations] },
      outcomes: 'groupId' in out ? undefined : out.outcomes,
    };
  } catch (e) {
    return { threw: `${(e as Error).name}: ${(e as Error).message}` };
  }
};

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

describe('hasExactLedger', () => {
  const sound = allocated(reserved(createPool(G, res(2 ** 40, 2 ** 40)), reservation('r', res(1, 1))), 'i-a', res(2 ** 40 - 1, 1));
  it.each<[string, ResourcePool, boolean]>([
    ['a pool built through the API', sound, true],
    ['an empty pool', createPool(G, res(1, 1)), true],
    ['an allocation stored off the grid', { ...sound, allocations: new Map([[I('x'), res(0.1, 1)]]) }, false],
    ['a reservation stored off the grid', { ...sound, reservations: new Map([[reservationId('r'), reservation('r', res(1, 0.3))]]) }, false],
    ['a capacity off the grid', { ...sound, capacity: res(1.0001, 1) }, false],
    ['a total above 2^42 (sums could round)', { ...sound, allocations: new Map(['w', 'x', 'y', 'z', 'v'].map((k) => [I(k), res(2 ** 40, 0)])) }, false],
  ])('%s', (_name, p, exact) => {
    expect(hasExactLedger(p)).toBe(exact);
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

describe('batches: property, the same pool and outcomes as one call at a time', () => {
  const batchIds = ['a', 'b', 'c', 'd', 'e', 'f'];
  // Mostly on the grid (the fast path), sometimes off it, huge (totals past 2^42) or invalid (the same error must be thrown).
  const anyAmountArb: fc.Arbitrary<Resources> = fc.oneof(
    { weight: 8, arbitrary: vecArb.map(fromVec) },
    { weight: 2, arbitrary: amountArb },
    { weight: 1, arbitrary: fc.constantFrom(res(2 ** 40, 1), res(2 ** 40 - 1 / 1024, 2 ** 39)) },
    { weight: 1, arbitrary: fc.constantFrom(res(Number.NaN, 1), res(1, -1), res(2 ** 41, 0)) },
  );
  // A stored pool as any version may have left it: not necessarily sound (over-committed, off the grid).
  const storedArb = fc.record({
    capacity: fc.oneof({ weight: 6, arbitrary: vecArb.map(fromVec) }, { weight: 1, arbitrary: fc.constantFrom(res(2 ** 40, 2 ** 40), res(7.3, 20.01)) }),
    allocations: fc.array(
      fc.tuple(
        fc.constantFrom(...batchIds),
        fc.oneof({ weight: 6, arbitrary: vecArb.map(fromVec) }, { weight: 1, arbitrary: fc.constantFrom(res(0.1, 0.2), res(2 ** 40, 3)) }),
      ),
      { maxLength: 6 },
    ),
    reserved: fc.option(vecArb.map(fromVec), { nil: undefined }),
  });
  const toPool = (s: { capacity: Resources; allocations: [string, Resources][]; reserved: Resources | undefined }): ResourcePool => ({
    ...createPool(G, res(0, 0)),
    capacity: s.capacity,
    allocations: new Map(s.allocations.map(([k, v]) => [I(k), v])),
    reservations: s.reserved === undefined ? new Map() : new Map([[reservationId('r'), reservation('r', s.reserved)]]),
    version: 3,
  });

  it('setAllocations (keep and fill), lowerAllocations and removeAllocations', () => {
    let exactRuns = 0;
    let runs = 0;
    fc.assert(
      fc.property(
        storedArb,
        fc.array(fc.record({ id: fc.constantFrom(...batchIds), amount: anyAmountArb }), { maxLength: 10 }),
        fc.constantFrom('keep' as const, 'fill' as const),
        (stored, reqs, onRefused) => {
          const pool = toPool(stored);
          runs += 1;
          if (hasExactLedger(pool)) exactRuns += 1;
          const requests = reqs.map((r) => ({ instanceId: I(r.id), amount: r.amount }));
          expect(observe(() => setAllocations(pool, requests, onRefused))).toEqual(observe(() => setOneByOne(pool, requests, onRefused)));
          const lowerings = requests.map((r) => [r.instanceId, r.amount] as const);
          expect(observe(() => lowerAllocations(pool, lowerings))).toEqual(observe(() => lowerings.reduce((p, [id, r]) => lowerAllocation(p, id, r), pool)));
          const gone = requests.map((r) => r.instanceId);
          expect(observe(() => removeAllocations(pool, gone))).toEqual(observe(() => gone.reduce(removeAllocation, pool)));
        },
      ),
      { numRuns: 400 },
    );
    // Both paths were exercised: the incremental one on most pools, the one-by-one fallback on some.
    expect(exactRuns).toBeGreaterThan(runs / 2);
    expect(exactRuns).toBeLessThan(runs);
  });
});
