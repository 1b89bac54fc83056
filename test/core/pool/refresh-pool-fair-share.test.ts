import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DIMENSIONS, groupId, instanceId, reservationId, type Resources } from '../../../lambda/core/domain';
import { refreshPool } from '../../../lambda/core/pool/refresh-pool';
import { createPool, poolInvariantViolations, setAllocation, tryReserve } from '../../../lambda/core/pool/resource-pool';

const G = groupId('web');
const T0 = 1_700_000_000_000;
const STEP = 1 / 1024;
const mem = (memoryGiB: number): Resources => ({ vcpu: 0.5, memoryGiB, networkMbps: 10, diskIops: 10 });
const CAP = { vcpu: 100, memoryGiB: 16, networkMbps: 10_000, diskIops: 10_000 };

describe('refreshPool: allocations under oversubscription follow priority-ordered fair share', () => {
  it('the DRATP example: 16 GiB for A 8 > B 4 > C 6 gives 8 / 4 / 4, whatever the stored allocations were', () => {
    // C (lowest tier) stored 10 GiB when the pool was not short; it gives up what A and B need.
    let stored = createPool(G, CAP);
    const s = setAllocation(stored, instanceId('i-c'), mem(10));
    if (s.kind !== 'allocated') throw new Error('fixture');
    stored = s.pool;
    const out = refreshPool(stored, {
      capacity: CAP,
      wanted: [
        { instanceId: instanceId('i-c'), amount: mem(6), priority: 10 },
        { instanceId: instanceId('i-a'), amount: mem(8), priority: 90 },
        { instanceId: instanceId('i-b'), amount: mem(4), priority: 50 },
      ],
      handOvers: [],
      now: T0,
    });
    expect(Object.fromEntries([...out.pool.allocations].map(([id, a]) => [id, a.memoryGiB]))).toEqual({ 'i-c': 4, 'i-a': 8, 'i-b': 4 });
    // vCPU is not short: everyone gets what it wants there.
    expect([...out.pool.allocations.values()].map((a) => a.vcpu)).toEqual([0.5, 0.5, 0.5]);
    expect(out.capped).toEqual([{ instanceId: 'i-c', wanted: mem(6), allocated: mem(4), shortfall: { vcpu: 0, memoryGiB: 2, networkMbps: 0, diskIops: 0 } }]);
    // The first store write only lowers: C from 10 to 4 before anyone rises.
    expect(out.lowered.get(instanceId('i-c'))?.memoryGiB).toBe(4);
  });

  it.each<[string, number | undefined, Record<string, number>]>([
    ['no minimum: the higher tiers first', undefined, { 'i-a': 8, 'i-b': 4, 'i-c': 4 }],
    // Minimums (the policy's resource_demand) first: A 5, B its 4, C 5 = 14 of 16; the 2 left go to the top tier.
    ['a 5 GiB minimum each: served before any tier beyond it', 5, { 'i-a': 7, 'i-b': 4, 'i-c': 5 }],
  ])('configured minimums: %s', (_name, minimum, expected) => {
    const out = refreshPool(createPool(G, CAP), {
      capacity: CAP,
      wanted: (
        [
          ['i-a', 8, 90],
          ['i-b', 4, 50],
          ['i-c', 6, 10],
        ] as const
      ).map(([id, m, priority]) => ({
        instanceId: instanceId(id),
        amount: mem(m),
        priority,
        ...(minimum !== undefined ? { minimum: { memoryGiB: minimum } } : {}),
      })),
      handOvers: [],
      now: T0,
    });
    expect(Object.fromEntries([...out.pool.allocations].map(([id, a]) => [id, a.memoryGiB]))).toEqual(expected);
    expect(poolInvariantViolations(out.pool)).toEqual([]);
  });

  it('within one tier a shortage is water-filled: 16 GiB among equals wanting 8 / 4 / 6 gives 6 / 4 / 6', () => {
    const out = refreshPool(createPool(G, CAP), {
      capacity: CAP,
      wanted: [8, 4, 6].map((m, k) => ({ instanceId: instanceId(`i-${k}`), amount: mem(m), priority: 50 })),
      handOvers: [],
      now: T0,
    });
    expect([...out.pool.allocations.values()].map((a) => a.memoryGiB)).toEqual([6, 4, 6]);
  });

  it('reservations are served before allocations: the share is of capacity minus what is reserved', () => {
    const r = tryReserve(
      createPool(G, CAP),
      { id: reservationId('r'), groupId: G, instanceId: instanceId('i-gone'), amount: mem(6), createdAt: T0, expiresAt: T0 + 60_000, reason: 'r', priority: 1 },
      T0,
    );
    if (r.kind !== 'reserved') throw new Error('fixture');
    const out = refreshPool(r.pool, {
      capacity: CAP,
      wanted: [
        { instanceId: instanceId('i-a'), amount: mem(8), priority: 90 },
        { instanceId: instanceId('i-b'), amount: mem(4), priority: 50 },
      ],
      handOvers: [],
      now: T0,
    });
    // 16 − 6 reserved = 10 for the allocations: A 8, B 2.
    expect(Object.fromEntries([...out.pool.allocations].map(([id, a]) => [id, a.memoryGiB]))).toEqual({ 'i-a': 8, 'i-b': 2 });
  });

  it('property: the pool stays sound; while a tier is short no lower tier holds anything on that dimension; a short tier is level to a grid step', () => {
    const ids = ['i-1', 'i-2', 'i-3', 'i-4', 'i-5', 'i-6'].map(instanceId);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 64 }), fc.constantFrom(10, 50, 90)), { minLength: 6, maxLength: 6 }),
        fc.array(fc.integer({ min: 0, max: 64 }), { minLength: 6, maxLength: 6 }),
        fc.integer({ min: 1, max: 128 }),
        (wantedEighths, storedEighths, capEighths) => {
          let stored = createPool(G, { ...CAP, memoryGiB: 64 });
          for (const [k, v] of storedEighths.entries()) {
            const r = setAllocation(stored, ids[k]!, mem(v / 8));
            if (r.kind === 'allocated') stored = r.pool;
          }
          const wanted = wantedEighths.map(([v, priority], k) => ({ instanceId: ids[k]!, amount: mem(v / 8), priority }));
          const out = refreshPool(stored, { capacity: { ...CAP, memoryGiB: capEighths / 8 }, wanted, handOvers: [], now: T0 });
          expect(poolInvariantViolations(out.pool)).toEqual([]);
          const got = (id: string): number => out.pool.allocations.get(instanceId(id))?.memoryGiB ?? 0;
          const short = wanted.filter((w) => got(w.instanceId) < w.amount.memoryGiB);
          for (const s of short) {
            for (const w of wanted) {
              if (w.priority < s.priority) expect(got(w.instanceId)).toBe(0);
              if (w.priority !== s.priority) continue;
              // Level: nobody of the tier is more than one grid step below a short member unless fully served,
              // and nobody is more than one step above it.
              expect(got(w.instanceId)).toBeGreaterThanOrEqual(Math.min(w.amount.memoryGiB, got(s.instanceId) - STEP));
              expect(got(w.instanceId)).toBeLessThanOrEqual(got(s.instanceId) + STEP);
            }
          }
          // Work-conserving: someone short means the pool is full on memory.
          if (short.length > 0) expect([...out.pool.allocations.values()].reduce((t, a) => t + a.memoryGiB, 0)).toBe(capEighths / 8);
          for (const d of DIMENSIONS) for (const w of wanted) expect(out.pool.allocations.get(w.instanceId)?.[d] ?? 0).toBeLessThanOrEqual(w.amount[d]);
        },
      ),
      { numRuns: 300 },
    );
  });
});
