import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { InstanceTypeSpec, Resources } from '../../../lambda/core/domain';
import {
  InvalidCatalogError,
  UnknownInstanceTypeError,
  cheapestClosest,
  cheapestCovering,
  hourlyPrice,
  lookupInstanceType,
  toCatalog,
} from '../../../lambda/core/resources/catalog';
import { InvalidResourcesError, fits } from '../../../lambda/core/resources/resources';

const spec = (
  name: string,
  vcpu: number,
  memoryGiB: number,
  onDemandHourlyUsd: number,
  spotHourlyUsd?: number,
  networkMbps = 10_000,
  diskIops = 20_000,
): InstanceTypeSpec => ({
  name,
  resources: { vcpu, memoryGiB, networkMbps, diskIops },
  onDemandHourlyUsd,
  ...(spotHourlyUsd !== undefined ? { spotHourlyUsd } : {}),
});

/** A small catalog with us-east-1 On-Demand list prices (Linux) and typical spot prices. */
const SPECS = [
  spec('m5.large', 2, 8, 0.096, 0.035),
  spec('m5.xlarge', 4, 16, 0.192, 0.07),
  spec('m5.2xlarge', 8, 32, 0.384, 0.15),
  spec('c5.xlarge', 4, 8, 0.17, 0.065),
  spec('r5.large', 2, 16, 0.126, 0.04),
  spec('r5.xlarge', 4, 32, 0.252),
];
const catalog = toCatalog(SPECS);
const d = (vcpu: number, memoryGiB: number, networkMbps = 0, diskIops = 0): Resources => ({ vcpu, memoryGiB, networkMbps, diskIops });

describe('toCatalog', () => {
  it('keys every spec by name', () => {
    expect([...catalog.keys()]).toEqual(SPECS.map((s) => s.name));
  });

  it.each([
    [[spec('m5.large', 2, 8, 0.096), spec('m5.large', 2, 8, 0.1)], InvalidCatalogError, 'instance catalog entry "m5.large": name is listed twice'],
    [[spec('x.large', 2, 8, 0)], InvalidCatalogError, 'onDemandHourlyUsd must be a finite price > 0 (got 0)'],
    [[spec('x.large', 2, 8, 0.1, Number.NaN)], InvalidCatalogError, 'spotHourlyUsd must be a finite price > 0 (got NaN)'],
    [[spec('x.large', 0, 8, 0.1)], InvalidCatalogError, 'resources.vcpu must be > 0 (got 0)'],
    [[spec('x.large', 2, -1, 0.1)], InvalidResourcesError, 'instance type x.large: memoryGiB must be a finite number ≥ 0 (got -1)'],
    [[spec('', 2, 8, 0.1)], InvalidCatalogError, 'name must be a non-empty string'],
  ])('rejects bad entries (%#)', (specs, errorClass, message) => {
    expect(() => toCatalog(specs)).toThrow(errorClass);
    expect(() => toCatalog(specs)).toThrow(message);
  });
});

describe('lookupInstanceType', () => {
  it('finds a known type', () => {
    expect(lookupInstanceType(catalog, 'c5.xlarge').resources.vcpu).toBe(4);
  });
  it('throws UnknownInstanceTypeError naming the type', () => {
    expect(() => lookupInstanceType(catalog, 'z9.huge')).toThrow(UnknownInstanceTypeError);
    expect(() => lookupInstanceType(catalog, 'z9.huge')).toThrow('unknown instance type "z9.huge"');
  });
});

describe('hourlyPrice', () => {
  it('uses the spot price when known and falls back to On-Demand otherwise', () => {
    expect(hourlyPrice(lookupInstanceType(catalog, 'm5.large'), 'spot')).toBe(0.035);
    expect(hourlyPrice(lookupInstanceType(catalog, 'm5.large'), 'on-demand')).toBe(0.096);
    expect(hourlyPrice(lookupInstanceType(catalog, 'r5.xlarge'), 'spot')).toBe(0.252);
  });
});

describe('cheapestCovering', () => {
  it.each([
    ['tiny demand, any type, on-demand', d(0.5, 1), [], 'on-demand', 'm5.large'],
    ['memory-heavy', d(2, 12), [], 'on-demand', 'r5.large'],
    ['cpu-heavy, memory-light', d(3, 6), [], 'on-demand', 'c5.xlarge'],
    ['cpu-heavy, spot', d(3, 6), [], 'spot', 'c5.xlarge'],
    ['restricted to m5', d(3, 6), ['m5.large', 'm5.xlarge', 'm5.2xlarge'], 'on-demand', 'm5.xlarge'],
    ['exact fit', d(8, 32), [], 'on-demand', 'm5.2xlarge'],
    ['unknown allowed names are skipped', d(1, 1), ['nope.large', 'm5.xlarge'], 'on-demand', 'm5.xlarge'],
    ['too big for everything', d(16, 8), [], 'on-demand', undefined],
    ['allowed list with nothing big enough', d(4, 20), ['m5.large', 'm5.xlarge'], 'spot', undefined],
    ['network dimension matters', d(1, 1, 20_000), [], 'on-demand', undefined],
    ['r5.xlarge has no spot price: compared at On-Demand', d(4, 24), [], 'spot', 'm5.2xlarge'],
  ] as const)('%s', (_name, demand, allowed, pricing, expected) => {
    expect(cheapestCovering(catalog, demand, allowed, pricing)?.name).toBe(expected);
  });

  it('is deterministic on price ties (fewer vCPUs, then less memory, then name)', () => {
    const tied = toCatalog([spec('b.large', 4, 8, 0.1), spec('a.large', 4, 8, 0.1), spec('c.large', 2, 16, 0.1), spec('d.large', 2, 8, 0.1)]);
    expect(cheapestCovering(tied, d(1, 1), [], 'on-demand')?.name).toBe('d.large');
    expect(cheapestCovering(tied, d(3, 1), [], 'on-demand')?.name).toBe('a.large');
  });

  it.each([
    [d(Number.NaN, 1), 'vcpu'],
    [d(1, -1), 'memoryGiB'],
  ])('rejects an invalid demand %j with a typed error naming %s', (demand, dim) => {
    expect(() => cheapestCovering(catalog, demand, [], 'spot')).toThrow(InvalidResourcesError);
    expect(() => cheapestCovering(catalog, demand, [], 'spot')).toThrow(dim);
  });

  const demandArb = fc.record({
    vcpu: fc.double({ min: 0, max: 10, noNaN: true }),
    memoryGiB: fc.double({ min: 0, max: 40, noNaN: true }),
    networkMbps: fc.double({ min: 0, max: 12_000, noNaN: true }),
    diskIops: fc.double({ min: 0, max: 25_000, noNaN: true }),
  });
  const allowedArb = fc.subarray(SPECS.map((s) => s.name));
  const pricingArb = fc.constantFrom('on-demand' as const, 'spot' as const);

  it('property: the answer covers the demand, is allowed, and no cheaper allowed type covers it', () => {
    fc.assert(
      fc.property(demandArb, allowedArb, pricingArb, (demand, allowed, pricing) => {
        const chosen = cheapestCovering(catalog, demand, allowed, pricing);
        const pool = allowed.length === 0 ? SPECS : SPECS.filter((s) => allowed.includes(s.name));
        const covering = pool.filter((s) => fits(demand, s.resources));
        if (chosen === undefined) {
          expect(covering).toEqual([]);
          return;
        }
        expect(fits(demand, chosen.resources)).toBe(true);
        expect(pool).toContain(chosen);
        for (const other of covering) expect(hourlyPrice(other, pricing)).toBeGreaterThanOrEqual(hourlyPrice(chosen, pricing));
      }),
    );
  });
});

describe('cheapestClosest', () => {
  it.each([
    // 12 vCPU is more than any type has: capped at 8, the cheapest 8-vCPU type with 6 GiB. With memory 20 GiB only m5.2xlarge.
    ['more vCPU than any type: the cheapest with the most vCPU', d(12, 6), [], 'on-demand', 'm5.2xlarge'],
    [
      'restricted to types with 4 vCPU at most: the cheapest 4-vCPU type with the memory',
      d(12, 6),
      ['m5.large', 'c5.xlarge', 'm5.xlarge'],
      'on-demand',
      'c5.xlarge',
    ],
    [
      'memory over every type in the list: the cheapest with the most memory and the vCPU',
      d(2, 40),
      ['m5.large', 'r5.large', 'm5.xlarge'],
      'on-demand',
      'r5.large',
    ],
    ['a demand some type covers: the same answer as cheapestCovering', d(3, 6), [], 'on-demand', 'c5.xlarge'],
    ['the most vCPU and the most memory are on no one type', d(8, 40), ['m5.2xlarge', 'c5.xlarge', 'r5.xlarge'], 'on-demand', 'm5.2xlarge'],
    ['nothing allowed is in the catalog', d(1, 1), ['nope.large'], 'on-demand', undefined],
  ] as const)('%s', (_name, demand, allowed, pricing, expected) => {
    expect(cheapestClosest(catalog, demand, allowed, pricing)?.name).toBe(expected);
  });

  it('prefers the cheaper of two types with the most vCPU when the memory asked fits both', () => {
    const wide = toCatalog([spec('m5.2xlarge', 8, 32, 0.384), spec('c5.2xlarge', 8, 16, 0.34), spec('c5.xlarge', 4, 8, 0.17)]);
    expect(cheapestClosest(wide, d(14, 6), [], 'on-demand')?.name).toBe('c5.2xlarge');
    expect(cheapestClosest(wide, d(14, 20), [], 'on-demand')?.name).toBe('m5.2xlarge');
  });

  it('rejects an invalid demand naming the dimension', () => {
    expect(() => cheapestClosest(catalog, d(Number.NaN, 1), [], 'spot')).toThrow(InvalidResourcesError);
    expect(() => cheapestClosest(catalog, d(Number.NaN, 1), [], 'spot')).toThrow('vcpu');
  });

  it('property: where a type covers the demand it is cheapestCovering; otherwise no allowed type covers more of every dimension for less', () => {
    const demandArb = fc.record({
      vcpu: fc.double({ min: 0, max: 20, noNaN: true }),
      memoryGiB: fc.double({ min: 0, max: 60, noNaN: true }),
      networkMbps: fc.double({ min: 0, max: 12_000, noNaN: true }),
      diskIops: fc.double({ min: 0, max: 25_000, noNaN: true }),
    });
    fc.assert(
      fc.property(demandArb, fc.subarray(SPECS.map((s) => s.name)), fc.constantFrom('on-demand' as const, 'spot' as const), (demand, allowed, pricing) => {
        const chosen = cheapestClosest(catalog, demand, allowed, pricing);
        const covering = cheapestCovering(catalog, demand, allowed, pricing);
        if (covering !== undefined) {
          expect(chosen).toBe(covering);
          return;
        }
        const pool = allowed.length === 0 ? SPECS : SPECS.filter((s) => allowed.includes(s.name));
        if (chosen === undefined) return;
        expect(pool).toContain(chosen);
        // Every allowed type that gives at least as much of the demand in every dimension costs at least as much.
        const gives = (s: InstanceTypeSpec, dim: keyof Resources): number => Math.min(demand[dim], s.resources[dim]);
        for (const other of pool) {
          const dims = ['vcpu', 'memoryGiB', 'networkMbps', 'diskIops'] as const;
          if (dims.every((k) => gives(other, k) >= gives(chosen, k))) expect(hourlyPrice(other, pricing)).toBeGreaterThanOrEqual(hourlyPrice(chosen, pricing));
        }
      }),
    );
  });
});
