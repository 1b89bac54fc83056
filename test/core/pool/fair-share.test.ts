import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fairShare, type FairShareDemand } from '../../../lambda/core/pool/fair-share';
import { GRID_STEPS_PER_UNIT, InvalidAmountError, quantise } from '../../../lambda/core/pool/pool-amounts';

const d = (id: string, priority: number, demand: number, minimum?: number): FairShareDemand => ({
  id,
  priority,
  demand,
  ...(minimum !== undefined ? { minimum } : {}),
});
const asObject = (m: Map<string, number>) => Object.fromEntries(m);

describe('fairShare: worked examples', () => {
  it.each<[string, number, FairShareDemand[], Record<string, number>]>([
    ['seed DRATP: 16 GiB, A 8 > B 4 > C 6', 16, [d('A', 3, 8), d('B', 2, 4), d('C', 1, 6)], { A: 8, B: 4, C: 4 }],
    ['DRATP demands in any input order', 16, [d('C', 1, 6), d('A', 3, 8), d('B', 2, 4)], { A: 8, B: 4, C: 4 }],
    ['equal priorities water-fill: 8 / 4 / 6 of 16', 16, [d('A', 1, 8), d('B', 1, 4), d('C', 1, 6)], { A: 6, B: 4, C: 6 }],
    ['enough for everyone', 20, [d('A', 3, 8), d('B', 2, 4), d('C', 1, 6)], { A: 8, B: 4, C: 6 }],
    ['top tier alone exceeds capacity', 6, [d('A', 3, 8), d('B', 2, 4), d('C', 1, 6)], { A: 6, B: 0, C: 0 }],
    ['a lower minimum is honoured before a higher tier beyond its minimum', 10, [d('A', 3, 10), d('B', 1, 5, 3)], { A: 7, B: 3 }],
    ['minimums in priority order when they do not all fit', 4, [d('A', 3, 10, 3), d('B', 1, 5, 3)], { A: 3, B: 1 }],
    ['a minimum above the demand is capped at the demand', 10, [d('A', 3, 10), d('B', 1, 2, 5)], { A: 8, B: 2 }],
    ['tier split with a minimum', 12, [d('A', 2, 10), d('B', 2, 10), d('C', 1, 10, 2)], { A: 5, B: 5, C: 2 }],
    ['two tiers, lower tier water-fills what is left', 20, [d('A', 9, 8), d('B', 5, 10), d('C', 5, 1), d('D', 5, 10)], { A: 8, B: 5.5, C: 1, D: 5.5 }],
    ['a minimum counts towards the level, not on top of it', 10, [d('A', 1, 10, 6), d('B', 1, 10)], { A: 6, B: 4 }],
    ['a small peer is served in full beside a large minimum', 25.75, [d('a', 0, 0.125), d('d', 0, 25.75, 25.625)], { a: 0.125, d: 25.625 }],
    ['zero capacity', 0, [d('A', 3, 8), d('B', 1, 4, 2)], { A: 0, B: 0 }],
    ['zero demand gets nothing', 10, [d('A', 3, 0), d('B', 1, 4)], { A: 0, B: 4 }],
    ['no demands', 10, [], {}],
    [
      'indivisible remainder goes to the earliest claimants',
      (1 / GRID_STEPS_PER_UNIT) * 5,
      [d('A', 1, 1), d('B', 1, 1), d('C', 1, 1)],
      { A: 2 / 1024, B: 2 / 1024, C: 1 / 1024 },
    ],
    ['negative and fractional priorities are just an order', 3, [d('A', -1.5, 2), d('B', -1, 2)], { A: 1, B: 2 }],
  ])('%s', (_name, capacity, demands, expected) => {
    expect(asObject(fairShare(capacity, demands))).toEqual(expected);
  });

  it('rounds onto the pool grid: capacity down, demand up', () => {
    // 10/3 GiB each is not on the grid; the three shares are whole grid steps and sum to ≤ 10.
    const shares = [...fairShare(10, [d('A', 1, 10), d('B', 1, 10), d('C', 1, 10)]).values()];
    expect(shares.every((s) => Number.isInteger(s * GRID_STEPS_PER_UNIT))).toBe(true);
    expect(shares.reduce((a, b) => a + b, 0)).toBe(10);
    expect(fairShare(100, [d('A', 1, 0.1)]).get('A')).toBe(quantise(0.1, 'up'));
    expect(fairShare(0.1, [d('A', 1, 5)]).get('A')).toBe(quantise(0.1, 'down'));
  });
});

describe('fairShare: adversarial input', () => {
  it.each<[string, number, FairShareDemand[], string]>([
    ['NaN capacity', Number.NaN, [d('A', 1, 1)], 'fair share capacity: expected a finite number between 0 and 1099511627776, got NaN'],
    ['negative capacity', -1, [d('A', 1, 1)], 'fair share capacity: expected a finite number between 0 and 1099511627776, got -1'],
    ['infinite capacity', Number.POSITIVE_INFINITY, [], 'fair share capacity: expected a finite number between 0 and 1099511627776, got Infinity'],
    ['NaN demand', 10, [d('A', 1, 1), d('B', 1, Number.NaN)], 'fair share demands[1].demand: expected a finite number between 0 and 1099511627776, got NaN'],
    ['negative minimum', 10, [d('A', 1, 1, -2)], 'fair share demands[0].minimum: expected a finite number between 0 and 1099511627776, got -2'],
    ['NaN priority', 10, [d('A', Number.NaN, 1)], 'fair share demands[0].priority: expected a finite number, got NaN'],
    ['duplicate id', 10, [d('A', 1, 1), d('A', 2, 1)], 'fair share demands[1].id: expected an id not used by another demand, got "A"'],
    ['empty id', 10, [d('', 1, 1)], 'fair share demands[0].id: expected a non-empty string, got ""'],
    ['oversized demand', 10, [d('A', 1, 2 ** 41)], 'fair share demands[0].demand: expected a finite number between 0 and 1099511627776, got 2199023255552'],
  ])('%s → InvalidAmountError naming the field and value', (_name, capacity, demands, message) => {
    expect(() => fairShare(capacity, demands)).toThrowError(InvalidAmountError);
    expect(() => fairShare(capacity, demands)).toThrowError(message);
  });
});

// Grid-aligned amounts so expected values can be computed exactly; the grid itself is tested above.
const amount = fc.integer({ min: 0, max: 64 * 8 }).map((n) => n / 8);
const demandsArb = fc
  .uniqueArray(
    fc.record({
      id: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g'),
      priority: fc.integer({ min: 0, max: 3 }),
      demand: amount,
      minimum: fc.option(amount, { nil: undefined }),
    }),
    { selector: (x) => x.id, maxLength: 7 },
  )
  .map((xs) => xs.map((x) => d(x.id, x.priority, x.demand, x.minimum)));
const capacityArb = fc.integer({ min: 0, max: 64 * 8 * 4 }).map((n) => n / 8);
const step = 1 / GRID_STEPS_PER_UNIT;
const effectiveMinimum = (x: FairShareDemand) => Math.min(x.minimum ?? 0, x.demand);

describe('fairShare: properties', () => {
  it('never exceeds the capacity, nor anyone its demand; leaves capacity only when all are served', () => {
    fc.assert(
      fc.property(capacityArb, demandsArb, (capacity, demands) => {
        const shares = fairShare(capacity, demands);
        const total = [...shares.values()].reduce((a, b) => a + b, 0);
        expect(total).toBeLessThanOrEqual(capacity);
        for (const x of demands) {
          const s = shares.get(x.id) ?? Number.NaN;
          expect(s).toBeGreaterThanOrEqual(0);
          expect(s).toBeLessThanOrEqual(x.demand);
        }
        if (total < capacity) for (const x of demands) expect(shares.get(x.id)).toBe(x.demand);
      }),
    );
  });

  it('a lower tier gets nothing beyond its minimum while a higher tier is still short', () => {
    fc.assert(
      fc.property(capacityArb, demandsArb, (capacity, demands) => {
        const shares = fairShare(capacity, demands);
        for (const high of demands) {
          if ((shares.get(high.id) ?? 0) >= high.demand) continue;
          for (const low of demands.filter((x) => x.priority < high.priority)) {
            expect(shares.get(low.id)).toBeLessThanOrEqual(effectiveMinimum(low));
          }
        }
      }),
    );
  });

  it('minimums are honoured in priority order: a member short of its minimum means lower tiers get nothing', () => {
    fc.assert(
      fc.property(capacityArb, demandsArb, (capacity, demands) => {
        const shares = fairShare(capacity, demands);
        for (const x of demands) {
          if ((shares.get(x.id) ?? 0) >= effectiveMinimum(x)) continue;
          for (const low of demands.filter((y) => y.priority < x.priority)) expect(shares.get(low.id)).toBe(0);
        }
      }),
    );
  });

  it('within a tier, a short member gets at least as much as any peer (to one grid step) unless the peer holds its minimum', () => {
    fc.assert(
      fc.property(capacityArb, demandsArb, (capacity, demands) => {
        const shares = fairShare(capacity, demands);
        for (const short of demands) {
          const s = shares.get(short.id) ?? 0;
          if (s >= short.demand) continue;
          for (const peer of demands.filter((y) => y.priority === short.priority && y.id !== short.id)) {
            expect(shares.get(peer.id)).toBeLessThanOrEqual(Math.max(s + step, effectiveMinimum(peer)));
          }
        }
      }),
    );
  });

  it('input order only moves indivisible remainder steps', () => {
    fc.assert(
      fc.property(capacityArb, demandsArb, (capacity, demands) => {
        const forward = fairShare(capacity, demands);
        const backward = fairShare(capacity, [...demands].reverse());
        for (const x of demands) expect(Math.abs((forward.get(x.id) ?? 0) - (backward.get(x.id) ?? 0))).toBeLessThanOrEqual(step);
      }),
    );
  });

  it('holds for arbitrary (off-grid) doubles too: within capacity and demand after rounding', () => {
    const raw = fc.double({ min: 0, max: 1e6, noNaN: true });
    fc.assert(
      fc.property(raw, fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), raw), { maxLength: 6 }), (capacity, xs) => {
        const demands = xs.map(([p, v], i) => d(`x${i}`, p, v));
        const shares = fairShare(capacity, demands);
        expect([...shares.values()].reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(capacity);
        demands.forEach((x) => expect(shares.get(x.id)).toBeLessThanOrEqual(quantise(x.demand, 'up')));
      }),
    );
  });
});
