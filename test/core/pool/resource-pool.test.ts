import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DIMENSIONS, groupId, instanceId, reservationId,
  type InstanceId, type Reservation, type ResourcePool, type Resources,
} from '../../../lambda/core/domain';
import { InvalidAmountError } from '../../../lambda/core/pool/pool-amounts';
import {
  InvalidReservationError, availableResources, committedResources, createPool, handOver, poolInvariantViolations,
  releaseReservation, resizePool, setAllocation, sweepExpired, tryReserve, removeAllocation,
} from '../../../lambda/core/pool/resource-pool';
import { InvalidResourcesError } from '../../../lambda/core/resources/resources';

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
    ['oversized', res(1, 1, 0, 2 ** 50), InvalidAmountError, 'pool web capacity.diskIops: expected a finite number between 0 and 1099511627776, got 1125899906842624'],
    ['missing dimension', { vcpu: 1, memoryGiB: 1, networkMbps: 1 } as Resources, InvalidResourcesError, 'pool web capacity: diskIops must be a finite number ≥ 0 (got undefined)'],
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
        vcpu: 8 + amount.vcpu, memoryGiB: 32 + amount.memoryGiB, networkMbps: 400 + amount.networkMbps, diskIops: 1000 + amount.diskIops,
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
    ['oversized amount', reservation('r-1', res(1, 2 ** 41)), InvalidAmountError, 'reservation r-1 amount.memoryGiB: expected a finite number between 0 and 1099511627776'],
    ['other group', reservation('r-1', res(1, 1), { groupId: groupId('db') }), InvalidReservationError, 'reservation "r-1" groupId: expected the pool\'s group "web", got "db"'],
    ['empty id', reservation('', res(1, 1)), InvalidReservationError, 'reservation "" id: expected a non-empty id'],
    ['expiry before creation', reservation('r-1', res(1, 1), { expiresAt: T0 - 1 }), InvalidReservationError, 'reservation "r-1" expiresAt: expected a time after createdAt'],
    ['already expired', reservation('r-1', res(1, 1), { createdAt: T0 - 10 * MIN, expiresAt: T0 }), InvalidReservationError, `reservation "r-1" expiresAt: expected a time after now ${T0}, got ${T0}`],
    ['NaN expiry', reservation('r-1', res(1, 1), { expiresAt: Number.NaN }), InvalidReservationError, 'reservation "r-1" expiresAt: expected a finite epoch-millisecond time, got NaN'],
    ['NaN priority', reservation('r-1', res(1, 1), { priority: Number.NaN }), InvalidReservationError, 'reservation "r-1" priority: expected a finite number, got NaN'],
  ])('rejects %s with a typed error, never a silent accept', (_name, r, type, message) => {
    expect(() => tryReserve(base, r, T0)).toThrowError(type);
    expect(() => tryReserve(base, r, T0)).toThrowError(message);
  });
});

describe('releaseReservation and sweepExpired', () => {
  const pool = reserved(reserved(createPool(G, res(16, 64)), reservation('a', res(2, 2), { expiresAt: T0 + MIN })), reservation('b', res(2, 2), { expiresAt: T0 + 5 * MIN }));

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
    ['off-grid amount', (p) => ({ ...p, allocations: new Map([[instanceId('i-a'), res(0.1, 1)]]) }), 'allocation of i-a: vcpu 0.1 not a finite amount in [0, 1099511627776] on the 1/1024 grid'],
    ['wrong ledger key', (p) => ({ ...p, reservations: new Map([[reservationId('x'), reservation('r', res(1, 1))]]) }), 'reservation stored under "x" has id "r"'],
    ['another group', (p) => ({ ...p, reservations: new Map([[reservationId('r'), reservation('r', res(1, 1), { groupId: groupId('db') })]]) }), 'reservation r belongs to group db, not web'],
    ['bad times', (p) => ({ ...p, reservations: new Map([[reservationId('r'), reservation('r', res(1, 1), { expiresAt: T0 })]]) }), `reservation r: expiresAt ${T0} is not after createdAt ${T0}`],
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
const vecArb = fc.tuple(fc.integer({ min: 0, max: 8 * 1024 }), fc.integer({ min: 0, max: 32 * 1024 }), fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 0, max: 500 })) as fc.Arbitrary<Vec>;
// Mostly grid-aligned, sometimes arbitrary doubles (rounded up by the pool) to exercise the grid.
const amountArb = fc.oneof(
  { weight: 4, arbitrary: vecArb.map(fromVec) },
  { weight: 1, arbitrary: fc.tuple(fc.double({ min: 0, max: 8, noNaN: true }), fc.double({ min: 0, max: 32, noNaN: true })).map(([v, m]) => res(v, m, 0.3, 0.7)) },
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
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('reserve' as const), id: fc.constantFrom(...ids), amount: amountArb, ttl: fc.integer({ min: 1, max: 20 * MIN }) }) },
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
  for (const a of [...m.allocations.values(), ...[...m.reservations.values()].map((r) => r.amount)]) for (let i = 0; i < 4; i += 1) sum[i] = (sum[i] ?? 0) + (a[i] ?? 0);
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
              const candidate: Model = { ...model, reservations: new Map(model.reservations).set(op.id, { amount: ceilVec(op.amount), expiresAt: r.expiresAt }) };
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
