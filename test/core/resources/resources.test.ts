import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Resources } from '../../../lambda/core/domain';
import {
  InvalidResourcesError,
  ZERO_RESOURCES,
  addResources,
  fits,
  formatResources,
  isZero,
  maxResources,
  minResources,
  scaleResources,
  shortfall,
  subtractResources,
  sumResources,
  toResources,
  validateResources,
} from '../../../lambda/core/resources/resources';

const r = (vcpu: number, memoryGiB: number, networkMbps = 0, diskIops = 0): Resources => ({ vcpu, memoryGiB, networkMbps, diskIops });

/** Finite, non-negative, modest values (so sums stay exact enough to compare). */
const amount = fc.double({ min: 0, max: 1e6, noNaN: true, noDefaultInfinity: true });
const resources = fc.record({ vcpu: amount, memoryGiB: amount, networkMbps: amount, diskIops: amount });
/** Integer-valued vectors, for properties that need exact arithmetic. */
const intResources = fc.record({ vcpu: fc.nat(1000), memoryGiB: fc.nat(4096), networkMbps: fc.nat(100_000), diskIops: fc.nat(100_000) });

describe('toResources', () => {
  it.each([
    [{}, r(0, 0, 0, 0)],
    [{ vcpu: 2 }, r(2, 0, 0, 0)],
    [{ memoryGiB: 4, diskIops: 300 }, r(0, 4, 0, 300)],
    [{ vcpu: 1, memoryGiB: 2, networkMbps: 3, diskIops: 4 }, r(1, 2, 3, 4)],
  ])('fills missing dimensions of %j with 0', (partial, expected) => {
    expect(toResources(partial)).toEqual(expected);
  });
});

describe('arithmetic', () => {
  it.each([
    ['add', addResources(r(1, 2, 3, 4), r(10, 20, 30, 40)), r(11, 22, 33, 44)],
    ['subtract (may go negative)', subtractResources(r(1, 2, 3, 4), r(2, 1, 3, 0)), r(-1, 1, 0, 4)],
    ['scale', scaleResources(r(1, 2, 3, 4), 1.5), r(1.5, 3, 4.5, 6)],
    ['max', maxResources(r(1, 5, 3, 0), r(2, 4, 3, 1)), r(2, 5, 3, 1)],
    ['min', minResources(r(1, 5, 3, 0), r(2, 4, 3, 1)), r(1, 4, 3, 0)],
    ['sum of none', sumResources([]), ZERO_RESOURCES],
    ['sum', sumResources([r(1, 1), r(2, 2, 5), r(3, 3, 0, 7)]), r(6, 6, 5, 7)],
  ])('%s', (_name, actual, expected) => {
    expect(actual).toEqual(expected);
  });

  it('add and subtract are inverse (integer vectors, exact)', () => {
    fc.assert(
      fc.property(intResources, intResources, (a, b) => {
        expect(subtractResources(addResources(a, b), b)).toEqual(a);
        expect(addResources(subtractResources(a, b), b)).toEqual(a);
      }),
    );
  });

  it('add and subtract are inverse within rounding (fractional vectors)', () => {
    fc.assert(
      fc.property(resources, resources, (a, b) => {
        const back = subtractResources(addResources(a, b), b);
        for (const d of ['vcpu', 'memoryGiB', 'networkMbps', 'diskIops'] as const) expect(back[d]).toBeCloseTo(a[d], 3);
      }),
    );
  });

  it('max dominates both arguments and sum equals folded add', () => {
    fc.assert(
      fc.property(fc.array(intResources, { maxLength: 8 }), (list) => {
        const total = sumResources(list);
        for (const x of list) expect(fits(x, total)).toBe(true);
        const m = list.reduce(maxResources, ZERO_RESOURCES);
        for (const x of list) expect(fits(x, m)).toBe(true);
      }),
    );
  });
});

describe('fits and shortfall', () => {
  it.each([
    ['equal', r(2, 4), r(2, 4), true, r(0, 0)],
    ['smaller everywhere', r(1, 1, 1, 1), r(2, 2, 2, 2), true, r(0, 0)],
    ['one dimension over', r(1, 5, 0, 0), r(2, 4, 0, 0), false, r(0, 1)],
    ['only IOPS over', r(0, 0, 0, 3001), r(8, 32, 1000, 3000), false, r(0, 0, 0, 1)],
    ['float sum within tolerance', r(10, 0), r(3.3 + 3.3 + 3.4 - 1e-12, 0), true, r(0, 0)],
    ['zero demand always fits zero', ZERO_RESOURCES, ZERO_RESOURCES, true, ZERO_RESOURCES],
    ['negative availability', r(0, 1), r(0, -1), false, r(0, 2)],
  ])('%s', (_name, demand, available, expectedFits, expectedShortfall) => {
    expect(fits(demand, available)).toBe(expectedFits);
    const s = shortfall(demand, available);
    for (const d of ['vcpu', 'memoryGiB', 'networkMbps', 'diskIops'] as const) expect(s[d]).toBeCloseTo(expectedShortfall[d], 9);
  });

  it('NaN never fits and yields a NaN (not zero) shortfall', () => {
    expect(fits(r(Number.NaN, 0), r(10, 10))).toBe(false);
    expect(fits(r(1, 0), r(Number.NaN, 10))).toBe(false);
    expect(Number.isNaN(shortfall(r(Number.NaN, 0), r(10, 10)).vcpu)).toBe(true);
    expect(isZero(shortfall(r(Number.NaN, 0), r(10, 10)))).toBe(false);
  });

  it('property: fits ⇔ shortfall is zero', () => {
    fc.assert(
      fc.property(resources, resources, (demand, available) => {
        expect(fits(demand, available)).toBe(isZero(shortfall(demand, available)));
      }),
    );
  });

  it('property: shortfall is ≥ 0 and adding it to the availability makes the demand fit', () => {
    fc.assert(
      fc.property(resources, resources, (demand, available) => {
        const s = shortfall(demand, available);
        for (const d of ['vcpu', 'memoryGiB', 'networkMbps', 'diskIops'] as const) expect(s[d]).toBeGreaterThanOrEqual(0);
        expect(fits(demand, addResources(available, s))).toBe(true);
      }),
    );
  });

  it('property: a demand fits its own sum with anything non-negative', () => {
    fc.assert(fc.property(resources, resources, (a, b) => fits(a, addResources(a, b))));
  });
});

describe('validateResources', () => {
  it('returns a valid vector unchanged', () => {
    const v = r(1, 2, 3, 4);
    expect(validateResources(v, 'demand')).toBe(v);
    expect(validateResources(ZERO_RESOURCES, 'demand')).toBe(ZERO_RESOURCES);
  });

  it.each([
    [r(Number.NaN, 1), 'vcpu', 'NaN'],
    [r(1, -2), 'memoryGiB', '-2'],
    [r(1, 1, Number.POSITIVE_INFINITY), 'networkMbps', 'Infinity'],
    [{ vcpu: 1, memoryGiB: 1, networkMbps: 1 } as unknown as Resources, 'diskIops', 'undefined'],
    [{ vcpu: '2', memoryGiB: 1, networkMbps: 1, diskIops: 1 } as unknown as Resources, 'vcpu', '2'],
  ])('rejects %j naming %s and the value', (bad, dimension, shown) => {
    expect(() => validateResources(bad, 'reservation for i-1')).toThrow(InvalidResourcesError);
    expect(() => validateResources(bad, 'reservation for i-1')).toThrow(`reservation for i-1: ${dimension} must be a finite number ≥ 0 (got ${shown})`);
  });

  it('rejects a non-object', () => {
    expect(() => validateResources(null as unknown as Resources, 'capacity')).toThrow(/capacity: \(vector\)/);
  });

  it('carries the dimension and value on the error', () => {
    try {
      validateResources(r(1, -3), 'capacity');
      expect.unreachable('validateResources accepted a negative value');
    } catch (e) {
      expect(e).toBeInstanceOf(InvalidResourcesError);
      expect((e as InvalidResourcesError).dimension).toBe('memoryGiB');
      expect((e as InvalidResourcesError).value).toBe(-3);
      expect((e as InvalidResourcesError).name).toBe('InvalidResourcesError');
    }
  });
});

describe('formatResources', () => {
  it('prints units and trims long fractions', () => {
    expect(formatResources(r(2, 4.123456, 100, 0))).toBe('2 vCPU, 4.123 GiB, 100 Mbps, 0 IOPS');
  });
});
