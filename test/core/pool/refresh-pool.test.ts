import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DIMENSIONS,
  groupId,
  instanceId,
  reservationId,
  type InstanceId,
  type Reservation,
  type ReservationId,
  type ResourcePool,
  type Resources,
} from '../../../lambda/core/domain';
import { refreshPool, type CappedAllocation, type PoolRefreshInput } from '../../../lambda/core/pool/refresh-pool';
import {
  availableResources,
  committedResources,
  createPool,
  poolInvariantViolations,
  setAllocation,
  tryReserve,
} from '../../../lambda/core/pool/resource-pool';
import { ZERO_RESOURCES, isZero } from '../../../lambda/core/resources/resources';

const G = groupId('web');
const T0 = 1_700_000_000_000;
const cpu = (vcpu: number): Resources => ({ vcpu, memoryGiB: 1, networkMbps: 10, diskIops: 10 });
const CAP = { vcpu: 10, memoryGiB: 100, networkMbps: 1000, diskIops: 1000 };
const A = instanceId('i-a');
const B = instanceId('i-b');
const NEW = instanceId('i-new');
const GONE = instanceId('i-gone');
const R = reservationId('request:r1:i-gone');

const poolWith = (allocs: readonly [InstanceId, number][], reserved?: number, expiresAt = T0 + 60_000): ResourcePool => {
  let p = createPool(G, CAP);
  for (const [id, v] of allocs) {
    const r = setAllocation(p, id, cpu(v));
    if (r.kind !== 'allocated') throw new Error('fixture does not fit');
    p = r.pool;
  }
  if (reserved !== undefined) {
    const r = tryReserve(
      p,
      { id: R, groupId: G, instanceId: GONE, amount: cpu(reserved), createdAt: T0 - 1000, expiresAt, reason: 'r1', priority: 50 },
      T0 - 1000,
    );
    if (r.kind !== 'reserved') throw new Error('fixture does not fit');
    p = r.pool;
  }
  return p;
};

describe('refreshPool', () => {
  it.each([
    {
      name: 'everything fits: allocations become what is wanted',
      pool: poolWith(
        [
          [A, 2],
          [B, 2],
        ],
        3,
      ),
      wanted: [
        [A, 3, 50],
        [B, 1, 50],
      ] as const,
      handOvers: [],
      capacity: 10,
      allocs: { 'i-a': 3, 'i-b': 1 },
      reservations: [R],
      capped: [],
    },
    {
      // 7 vCPU beside the 3 reserved for 3 + 3 + 2 of one tier: water-filling, 2.5 / 2.5 / 2.
      name: "a newcomer with a full shape beside the victim's reservation: one tier shares the shortage evenly (pool full)",
      pool: poolWith(
        [
          [A, 3],
          [B, 3],
        ],
        3,
      ),
      wanted: [
        [A, 3, 50],
        [B, 3, 50],
        [NEW, 2, 50],
      ] as const,
      handOvers: [],
      capacity: 10,
      allocs: { 'i-a': 2.5, 'i-b': 2.5, 'i-new': 2 },
      reservations: [R],
      capped: ['i-a', 'i-b'],
    },
    {
      name: 'a lower tier that holds more than a higher tier leaves it gives it up',
      pool: poolWith([[A, 8]]),
      wanted: [
        [A, 8, 10],
        [NEW, 6, 90],
      ] as const,
      handOvers: [],
      capacity: 10,
      allocs: { 'i-a': 4, 'i-new': 6 },
      reservations: [],
      capped: ['i-a'],
    },
    {
      name: 'the newcomer takes the reservation over instead: nothing is capped',
      pool: poolWith(
        [
          [A, 3],
          [B, 3],
        ],
        3,
      ),
      wanted: [
        [A, 3, 50],
        [B, 3, 50],
        [NEW, 2, 50],
      ] as const,
      handOvers: [{ reservationId: R, instanceId: NEW }],
      capacity: 10,
      allocs: { 'i-a': 3, 'i-b': 3, 'i-new': 2 },
      reservations: [],
      capped: [],
    },
    {
      name: 'an instance that left frees its allocation before anyone rises',
      pool: poolWith([
        [A, 4],
        [B, 4],
      ]),
      wanted: [[A, 6, 50]] as const,
      handOvers: [],
      capacity: 10,
      allocs: { 'i-a': 6 },
      reservations: [],
      capped: [],
    },
    {
      name: 'when short, the higher priority rises first',
      pool: poolWith([
        [A, 2],
        [B, 2],
      ]),
      wanted: [
        [A, 6, 10],
        [B, 6, 90],
      ] as const,
      handOvers: [],
      capacity: 10,
      allocs: { 'i-a': 4, 'i-b': 6 },
      reservations: [],
      capped: ['i-a'],
    },
    {
      name: 'a capacity below the reservations is held at what is committed',
      pool: poolWith([[A, 2]], 5),
      wanted: [[A, 2, 50]] as const,
      handOvers: [],
      capacity: 4,
      allocs: { 'i-a': 2 },
      reservations: [R],
      capped: [],
    },
  ])('$name', ({ pool, wanted, handOvers, capacity, allocs, reservations, capped }) => {
    const out = refreshPool(pool, {
      capacity: { ...CAP, vcpu: capacity },
      wanted: wanted.map(([id, v, priority]) => ({ instanceId: id, amount: cpu(v), priority })),
      handOvers,
      now: T0,
    });
    expect(poolInvariantViolations(out.pool)).toEqual([]);
    expect(Object.fromEntries([...out.pool.allocations].map(([id, a]) => [id, a.vcpu]))).toEqual(allocs);
    expect([...out.pool.reservations.keys()]).toEqual(reservations);
    expect(out.capped.map((c) => c.instanceId)).toEqual(capped);
    for (const c of out.capped) expect(c.shortfall.vcpu).toBeCloseTo(c.wanted.vcpu - c.allocated.vcpu, 9);
  });

  it('holds the capacity only on the short dimension and reports it', () => {
    const out = refreshPool(poolWith([[A, 2]], 5), {
      capacity: { ...CAP, vcpu: 4 },
      wanted: [{ instanceId: A, amount: cpu(2), priority: 50 }],
      handOvers: [],
      now: T0,
    });
    expect(out.capacityHeld).toEqual({ ...CAP, vcpu: 7 });
    expect(out.pool.capacity).toEqual({ ...CAP, vcpu: 7 });
  });

  it('sweeps expired reservations first, and never hands one over', () => {
    const out = refreshPool(poolWith([[A, 3]], 3, T0), {
      capacity: CAP,
      wanted: [{ instanceId: NEW, amount: cpu(2), priority: 50 }],
      handOvers: [{ reservationId: R, instanceId: NEW }],
      now: T0,
    });
    expect(out.swept).toEqual([R]);
    expect(out.handedOver).toEqual([]);
    expect(out.pool.allocations.get(NEW)?.vcpu).toBe(2);
  });

  it('the lowered map only ever lowers what was stored, and leaves newcomers out', () => {
    const out = refreshPool(
      poolWith(
        [
          [A, 3],
          [B, 3],
        ],
        3,
      ),
      {
        capacity: CAP,
        wanted: [
          { instanceId: A, amount: cpu(1), priority: 50 },
          { instanceId: B, amount: cpu(5), priority: 50 },
          { instanceId: NEW, amount: cpu(1), priority: 50 },
        ],
        handOvers: [{ reservationId: R, instanceId: NEW }],
        now: T0,
      },
    );
    expect(Object.fromEntries([...out.lowered].map(([id, a]) => [id, a.vcpu]))).toEqual({ 'i-a': 1, 'i-b': 3 });
  });

  it('property: from a sound pool, whatever is wanted, the result is sound, lowered + stored reservations fit, and no one gets more than wanted', () => {
    const ids = ['i-1', 'i-2', 'i-3', 'i-4', 'i-5'].map(instanceId);
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 4 * 8 }), { minLength: 5, maxLength: 5 }),
        fc.array(fc.option(fc.integer({ min: 0, max: 6 * 8 }), { nil: undefined }), { minLength: 5, maxLength: 5 }),
        fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 5, maxLength: 5 }),
        fc.integer({ min: 0, max: 4 * 8 }),
        fc.integer({ min: 0, max: 16 * 8 }),
        fc.boolean(),
        (stored, wanted, priorities, reserved, capEighths, handOver) => {
          let p = createPool(G, CAP);
          for (const [k, v] of stored.entries()) {
            const r = setAllocation(p, ids[k]!, cpu(v / 8));
            if (r.kind === 'allocated') p = r.pool;
          }
          const res = tryReserve(
            p,
            { id: R, groupId: G, instanceId: GONE, amount: cpu(reserved / 8), createdAt: T0, expiresAt: T0 + 1000, reason: 'r', priority: 1 },
            T0,
          );
          if (res.kind === 'reserved') p = res.pool;
          const want = wanted.flatMap((v, k) => (v === undefined ? [] : [{ instanceId: ids[k]!, amount: cpu(v / 8), priority: priorities[k]! }]));
          const target = want[0];
          const out = refreshPool(p, {
            capacity: { ...CAP, vcpu: capEighths / 8 },
            wanted: want,
            handOvers: handOver && target ? [{ reservationId: R, instanceId: target.instanceId }] : [],
            now: T0,
          });
          expect(poolInvariantViolations(out.pool)).toEqual([]);
          // The first store write (lowered allocations, every stored reservation still held, stored capacity) fits.
          expect(poolInvariantViolations({ ...p, allocations: out.lowered })).toEqual([]);
          for (const w of want) expect(out.pool.allocations.get(w.instanceId)?.vcpu ?? 0).toBeLessThanOrEqual(w.amount.vcpu);
          expect([...out.pool.allocations.keys()].every((id) => want.some((w) => w.instanceId === id))).toBe(true);
          if (out.capacityHeld === undefined) expect(out.pool.capacity.vcpu).toBe(capEighths / 8);
          else expect(out.pool.capacity.vcpu).toBeGreaterThan(capEighths / 8);
          // Nothing capped while room was left: a capped instance means the pool is full on vCPU.
          if (out.capped.length > 0) expect(committedResources(out.pool).vcpu).toBe(out.pool.capacity.vcpu);
        },
      ),
      { numRuns: 300 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// What a refresh promises for any pool on the grid a store may hold: over-committed by an older version,
// with reservations expired or handed over.
// ---------------------------------------------------------------------------------------------
describe('refreshPool: property, on any stored pool on the grid', () => {
  const ids = ['i-1', 'i-2', 'i-3', 'i-4', 'i-5', 'i-6'].map(instanceId);
  const rids = ['r1', 'r2', 'r3'].map(reservationId);
  const amount = (k: number): fc.Arbitrary<Resources> =>
    fc
      .tuple(fc.integer({ min: 0, max: k * 8 }), fc.integer({ min: 0, max: k * 8 }), fc.integer({ min: 0, max: k }))
      .map(([v, m, n]) => ({ vcpu: v / 8, memoryGiB: m / 8, networkMbps: n, diskIops: 10 }));
  const byId = <T extends { readonly instanceId: InstanceId }>(list: readonly T[]): T[] =>
    [...list].sort((a, b) => (a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0));

  it('comes out sound; sweeps exactly the expired; keeps allocations only for wanted instances, none above what it wants; caps exactly those left short, on a full dimension', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...ids), amount(4)), { maxLength: 6 }),
        fc.array(fc.tuple(fc.constantFrom(...rids), fc.constantFrom(...ids), amount(3), fc.integer({ min: -2, max: 2 })), { maxLength: 3 }),
        fc.array(
          fc.tuple(
            fc.constantFrom(...ids),
            amount(6),
            fc.integer({ min: 0, max: 3 }).map((p) => p * 30),
          ),
          { maxLength: 6 },
        ),
        fc.array(fc.tuple(fc.constantFrom(...rids), fc.constantFrom(...ids)), { maxLength: 3 }),
        amount(16),
        fc.boolean(),
        (allocs, reservations, want, handOvers, capacity, throughApi) => {
          const held = (rid: ReservationId, iid: InstanceId, a: Resources, ttl: number): Reservation => ({
            id: rid,
            groupId: G,
            instanceId: iid,
            amount: a,
            createdAt: T0 - 5000,
            expiresAt: T0 + ttl * 1000 + 1,
            reason: 'r',
            priority: 1,
          });
          let stored = createPool(G, { vcpu: 12, memoryGiB: 12, networkMbps: 12, diskIops: 1000 });
          if (throughApi) {
            // A sound pool, as this version writes it.
            for (const [id, a] of allocs) {
              const r = setAllocation(stored, id, a);
              if (r.kind === 'allocated') stored = r.pool;
            }
            for (const [rid, iid, a, ttl] of reservations) {
              const r = tryReserve(stored, held(rid, iid, a, ttl), T0 - 5000);
              if (r.kind === 'reserved') stored = r.pool;
            }
          } else {
            // As an older version may have stored it: nothing admitted, so often over-committed.
            stored = {
              ...stored,
              capacity: { vcpu: 6, memoryGiB: 6, networkMbps: 6, diskIops: 1000 },
              allocations: new Map(allocs),
              reservations: new Map(reservations.map(([rid, iid, a, ttl]) => [rid, held(rid, iid, a, ttl)])),
              version: 7,
            };
          }
          const input: PoolRefreshInput = {
            capacity,
            wanted: want.map(([id, a, priority]) => ({ instanceId: id, amount: a, priority })),
            handOvers: handOvers.map(([reservationId, instanceId]) => ({ reservationId, instanceId })),
            now: T0,
          };
          const out = refreshPool(stored, input);
          expect(poolInvariantViolations(out.pool)).toEqual([]);

          const live = [...stored.reservations.values()].filter((r) => r.expiresAt > T0);
          expect(out.swept).toEqual([...stored.reservations.values()].filter((r) => r.expiresAt <= T0).map((r) => r.id));
          for (const h of out.handedOver) {
            expect(input.handOvers).toContainEqual(h);
            expect(live.map((r) => r.id)).toContain(h.reservationId);
          }
          expect([...out.pool.reservations.keys()]).toEqual(live.map((r) => r.id).filter((id) => !out.handedOver.some((h) => h.reservationId === id)));

          // The last entry for an instance is the one that counts.
          const wanted = new Map(input.wanted.map((w) => [w.instanceId, w.amount]));
          for (const [id, a] of out.pool.allocations) {
            const w = wanted.get(id);
            expect(w).toBeDefined();
            for (const d of DIMENSIONS) expect(a[d]).toBeLessThanOrEqual(w?.[d] ?? 0);
          }
          const short: CappedAllocation[] = [...wanted].flatMap(([instanceId, w]) => {
            const allocated = out.pool.allocations.get(instanceId) ?? ZERO_RESOURCES;
            const gap = (d: (typeof DIMENSIONS)[number]): number => Math.max(0, w[d] - allocated[d]);
            const shortfall: Resources = { vcpu: gap('vcpu'), memoryGiB: gap('memoryGiB'), networkMbps: gap('networkMbps'), diskIops: gap('diskIops') };
            return isZero(shortfall) ? [] : [{ instanceId, wanted: w, allocated, shortfall }];
          });
          expect(byId(out.capped)).toEqual(byId(short));
          const free = availableResources(out.pool);
          for (const c of out.capped) for (const d of DIMENSIONS) if (c.shortfall[d] > 0) expect(free[d]).toBe(0);

          // What is written first only ever lowers: at most what was stored and what the refresh ends with.
          for (const [id, l] of out.lowered) {
            for (const d of DIMENSIONS) {
              expect(l[d]).toBeLessThanOrEqual(stored.allocations.get(id)?.[d] ?? -1);
              expect(l[d]).toBeLessThanOrEqual(out.pool.allocations.get(id)?.[d] ?? -1);
            }
          }
          if (out.capacityHeld === undefined) expect(out.pool.capacity).toEqual(capacity);
          else for (const d of DIMENSIONS) expect(out.pool.capacity[d]).toBe(Math.max(capacity[d], out.capacityHeld[d]));
        },
      ),
      { numRuns: 500 },
    );
  });
});
