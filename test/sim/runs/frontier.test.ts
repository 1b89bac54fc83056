import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareWithFrontiers, costAtUnserved, unservedAtCost, type FrontierPoint } from '../../../lambda/sim/runs/frontier';

const p = (knob: number, cost: number, unservedVcpuMinutes: number): FrontierPoint => ({ knob, cost, unservedVcpuMinutes, availability: 1 });

/** A typical knob baseline: each warm instance costs more and leaves less unserved. */
const WARM: FrontierPoint[] = [p(0, 100, 60), p(2, 104, 20), p(4, 108, 4), p(8, 116, 0)];

describe('unservedAtCost', () => {
  it.each([
    ['at a grid point, its unserved', WARM, 104, 20],
    ['between two knob values, linear', WARM, 102, 40],
    ['at the cheapest end', WARM, 100, 60],
    ['at the dearest end', WARM, 116, 0],
    ['cheaper than the cheapest knob: outside', WARM, 99.99, undefined],
    ['dearer than the dearest knob: the best knob (an operator with that budget picks it)', WARM, 117, 0],
    ['points given out of knob order are taken in knob order', [WARM[2]!, WARM[0]!, WARM[3]!, WARM[1]!], 106, 12],
    ['a lone point only at its own cost', [p(0, 100, 5)], 100, 5],
    ['a lone point at a higher budget: that point', [p(0, 100, 5)], 101, 5],
    ['a lone point dearer than the budget: outside', [p(0, 100, 5)], 99, undefined],
    ['no points: outside', [], 100, undefined],
    ['a non-finite cost: outside', WARM, Number.NaN, undefined],
    // Noise: knob 2 cheaper than knob 0; cost 101 is passed twice (0→2 and 2→4); the better pass counts.
    ['a curve passing the cost twice: the least unserved', [p(0, 102, 50), p(2, 100, 30), p(4, 106, 10)], 101, 30 - 20 / 6],
    ['a flat segment (same cost at two knobs): the lesser end', [p(0, 100, 50), p(1, 104, 30), p(2, 104, 10)], 104, 10],
    // Noise: knob 2 is cheaper than the budget and leaves less than where the curve passes it.
    ['a cheaper knob that leaves less than the pass: that knob', [p(0, 100, 50), p(2, 103, 5), p(4, 110, 20)], 106, 5],
  ])('%s', (_, frontier, cost, expected) => {
    const got = unservedAtCost(frontier, cost);
    if (expected === undefined) expect(got).toBeUndefined();
    else expect(got).toBeCloseTo(expected, 9);
  });
});

describe('costAtUnserved', () => {
  it.each([
    ['at a grid point, its cost', WARM, 4, 108],
    ['between two knob values, linear', WARM, 12, 106],
    ['more unserved than knob 0 leaves: the cheapest knob', WARM, 61, 100],
    ['less unserved than the largest knob reaches: outside', [p(0, 100, 60), p(4, 108, 4)], 2, undefined],
    ['zero, reached at the largest knob', WARM, 0, 116],
    ['a curve passing the unserved twice: the cheapest', [p(0, 100, 40), p(2, 110, 10), p(4, 104, 30)], 20, 106.6666666667],
    ['a knob that leaves less for less than the pass: that knob', [p(0, 100, 40), p(2, 110, 30), p(4, 105, 10)], 20, 105],
  ])('%s', (_, frontier, unserved, expected) => {
    const got = costAtUnserved(frontier, unserved);
    if (expected === undefined) expect(got).toBeUndefined();
    else expect(got).toBeCloseTo(expected, 6);
  });
});

/** Frontiers where cost rises and unserved falls strictly with the knob (the shape a knob should give). */
const monotoneFrontier = fc
  .array(fc.tuple(fc.double({ min: 0.01, max: 50, noNaN: true }), fc.double({ min: 0.01, max: 50, noNaN: true })), { minLength: 2, maxLength: 10 })
  .map((steps) => {
    let cost = 100;
    let unserved = steps.reduce((a, [, du]) => a + du, 0);
    const points = [p(0, cost, unserved)];
    steps.forEach(([dc, du], i) => {
      cost += dc;
      unserved = Math.max(0, unserved - du);
      points.push(p(i + 1, cost, unserved));
    });
    return points;
  });

describe('frontier properties', () => {
  it("within the cost range, the unserved lies between the frontier's least and largest", () => {
    fc.assert(
      fc.property(monotoneFrontier, fc.double({ min: 0, max: 1, noNaN: true }), (f, t) => {
        const cost = f[0]!.cost + t * (f.at(-1)!.cost - f[0]!.cost);
        const u = unservedAtCost(f, cost);
        expect(u).toBeDefined();
        expect(u!).toBeGreaterThanOrEqual(Math.min(...f.map((x) => x.unservedVcpuMinutes)) - 1e-9);
        expect(u!).toBeLessThanOrEqual(Math.max(...f.map((x) => x.unservedVcpuMinutes)) + 1e-9);
      }),
    );
  });

  it('on any frontier, a larger budget never leaves more unserved, nor a larger allowance costs more', () => {
    const anyFrontier = fc
      .array(fc.tuple(fc.double({ min: 90, max: 130, noNaN: true }), fc.double({ min: 0, max: 80, noNaN: true })), { minLength: 1, maxLength: 8 })
      .map((xs) => xs.map(([cost, unserved], knob) => p(knob, cost, unserved)));
    fc.assert(
      fc.property(anyFrontier, fc.double({ min: 80, max: 140, noNaN: true }), fc.double({ min: 0, max: 20, noNaN: true }), (f, lo, d) => {
        const [a, b] = [unservedAtCost(f, lo), unservedAtCost(f, lo + d)];
        if (a !== undefined) expect(b!).toBeLessThanOrEqual(a + 1e-9);
        const [x, y] = [costAtUnserved(f, lo - 80), costAtUnserved(f, lo - 80 + d)];
        if (x !== undefined) expect(y!).toBeLessThanOrEqual(x + 1e-9);
      }),
    );
  });

  it('on a strictly monotone frontier, cost at unserved undoes unserved at cost', () => {
    fc.assert(
      fc.property(monotoneFrontier, fc.double({ min: 0, max: 1, noNaN: true }), (f, t) => {
        const strict = f.every((x, i) => i === 0 || x.unservedVcpuMinutes < f[i - 1]!.unservedVcpuMinutes);
        fc.pre(strict);
        const cost = f[0]!.cost + t * (f.at(-1)!.cost - f[0]!.cost);
        expect(costAtUnserved(f, unservedAtCost(f, cost)!)).toBeCloseTo(cost, 6);
      }),
    );
  });

  it('below the cheapest knob there is no answer; above the dearest, the least unserved of the curve', () => {
    fc.assert(
      fc.property(monotoneFrontier, fc.double({ min: 0.001, max: 1000, noNaN: true }), (f, d) => {
        expect(unservedAtCost(f, f[0]!.cost - d)).toBeUndefined();
        expect(unservedAtCost(f, f.at(-1)!.cost + d)).toBe(Math.min(...f.map((x) => x.unservedVcpuMinutes)));
      }),
    );
  });
});

describe('compareWithFrontiers', () => {
  it("names the best baseline at the point's cost and the cheapest at its unserved, per baseline otherwise", () => {
    const c = compareWithFrontiers(
      { cost: 106, unservedVcpuMinutes: 4 },
      {
        'warm-reactive': WARM,
        'static-headroom': [p(0, 100, 60), p(1, 110, 30), p(2, 120, 5)],
        'asg-native': [p(0, 100, 70), p(2, 103, 65)],
      },
    );
    // asg-native's dearest knob costs less than the point: its best knob counts.
    expect(c.unservedAtCost).toEqual({ 'warm-reactive': 12, 'static-headroom': 42, 'asg-native': 65 });
    expect(c.bestAtCost).toEqual({ name: 'warm-reactive', unservedVcpuMinutes: 12 });
    expect(c.costAtUnserved['warm-reactive']).toBeCloseTo(108, 9);
    expect(c.costAtUnserved['static-headroom']).toBeUndefined();
    expect(c.cheapestAtUnserved).toEqual({ name: 'warm-reactive', cost: 108 });
  });

  it('says nothing of a best when every knob costs more and none leaves that little', () => {
    const c = compareWithFrontiers({ cost: 50, unservedVcpuMinutes: -1 }, { 'warm-reactive': WARM });
    expect(c.bestAtCost).toBeUndefined();
    expect(c.cheapestAtUnserved).toBeUndefined();
  });
});
