import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Resources } from '../../../lambda/core/domain';
import { standInLoad } from '../../../lambda/core/planner/plan-rebalance';
import { CATALOG, res, standardFleet } from '../fixtures/fleet-builders';

const fleet = standardFleet();
const RUNS = { numRuns: Number(process.env.SPOTWISE_PROPERTY_RUNS ?? 300) };

describe("standInLoad: a named victim's stand-in holds its p90 up to its own type, beyond it its p50", () => {
  it.each<{ name: string; type: string; p90: Partial<Resources>; p50?: Partial<Resources>; want: Partial<Resources> }>([
    {
      name: 'a p90 within its own type is staged for as forecast',
      type: 'm5.large',
      p90: { vcpu: 1.5, memoryGiB: 6, networkMbps: 200, diskIops: 500 },
      p50: { vcpu: 1, memoryGiB: 5 },
      want: { vcpu: 1.5, memoryGiB: 6, networkMbps: 200, diskIops: 500 },
    },
    {
      name: 'a p90 above its own type, the p50 within it: the own type (network and disk as asked)',
      type: 'm5.large',
      p90: { vcpu: 3, memoryGiB: 12, networkMbps: 200, diskIops: 500 },
      p50: { vcpu: 1.5, memoryGiB: 6 },
      want: { vcpu: 2, memoryGiB: 8, networkMbps: 200, diskIops: 500 },
    },
    {
      name: 'a p50 above its own type too: the p50',
      type: 'm5.large',
      p90: { vcpu: 3, memoryGiB: 12 },
      p50: { vcpu: 2.4, memoryGiB: 9.6 },
      want: { vcpu: 2.4, memoryGiB: 9.6 },
    },
    {
      name: 'each dimension on its own: vCPU at the type, memory at its p50',
      type: 'c5.large',
      p90: { vcpu: 2.6, memoryGiB: 6 },
      p50: { vcpu: 1.8, memoryGiB: 5 },
      want: { vcpu: 2, memoryGiB: 5 },
    },
    {
      name: 'never above the p90 (a p50 above its p90 from an override)',
      type: 'c5.large',
      p90: { vcpu: 3, memoryGiB: 3 },
      p50: { vcpu: 5, memoryGiB: 2 },
      want: { vcpu: 3, memoryGiB: 3 },
    },
    {
      name: 'no usable p50: the p90 up to the own type',
      type: 'c5.large',
      p90: { vcpu: 3, memoryGiB: 5.5 },
      want: { vcpu: 2, memoryGiB: 4 },
    },
    {
      name: 'a type the catalog does not list: the p90 as asked (no own type to hold it to)',
      type: 'x9.huge',
      p90: { vcpu: 12, memoryGiB: 6 },
      p50: { vcpu: 1, memoryGiB: 1 },
      want: { vcpu: 12, memoryGiB: 6 },
    },
  ])('$name', ({ type, p90, p50, want }) => {
    expect(standInLoad(res(p90), p50 === undefined ? undefined : res(p50), { instanceType: type }, fleet)).toEqual(res(want));
  });

  it('a NaN p50 counts as none', () => {
    expect(standInLoad(res({ vcpu: 3, memoryGiB: 12 }), { ...res({ memoryGiB: 9 }), vcpu: Number.NaN }, { instanceType: 'm5.large' }, fleet)).toEqual(
      res({ vcpu: 2, memoryGiB: 9 }),
    );
  });

  it('holds at least the p90 up to the own type and the p50 up to the p90, and never more than the p90 or than both', () => {
    const types = [...CATALOG.keys()];
    const amount = fc.double({ min: 0, max: 64, noNaN: true });
    fc.assert(
      fc.property(
        fc.constantFrom(...types),
        fc.tuple(amount, amount, amount, amount),
        fc.tuple(amount, amount),
        (type, [vcpu, memoryGiB, networkMbps, diskIops], [v50, m50]) => {
          const asked = res({ vcpu, memoryGiB, networkMbps, diskIops });
          const own = CATALOG.get(type)?.resources;
          expect(own).toBeDefined();
          if (own === undefined) return;
          const out = standInLoad(asked, res({ vcpu: v50, memoryGiB: m50 }), { instanceType: type }, fleet);
          for (const [d, p50] of [
            ['vcpu', v50],
            ['memoryGiB', m50],
          ] as const) {
            expect(out[d]).toBeLessThanOrEqual(asked[d]);
            expect(out[d]).toBeGreaterThanOrEqual(Math.min(asked[d], own[d]));
            expect(out[d]).toBeGreaterThanOrEqual(Math.min(asked[d], p50));
            expect(out[d]).toBeLessThanOrEqual(Math.max(own[d], p50));
          }
          expect([out.networkMbps, out.diskIops]).toEqual([networkMbps, diskIops]);
          if (vcpu <= own.vcpu && memoryGiB <= own.memoryGiB) expect(out).toEqual(asked);
        },
      ),
      RUNS,
    );
  });
});
