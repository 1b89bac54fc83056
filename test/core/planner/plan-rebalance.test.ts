import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { standInLoad } from '../../../lambda/core/planner/plan-rebalance';
import { CATALOG, res, standardFleet } from '../fixtures/fleet-builders';

const fleet = standardFleet();
const RUNS = { numRuns: Number(process.env.SPOTWISE_PROPERTY_RUNS ?? 300) };

describe("standInLoad: a named victim's stand-in is staged for its p90, at most its own type", () => {
  it.each([
    {
      name: 'a p90 within its own type is staged for as forecast',
      type: 'm5.large',
      p90: { vcpu: 1.5, memoryGiB: 6, networkMbps: 200, diskIops: 500 },
      want: { vcpu: 1.5, memoryGiB: 6, networkMbps: 200, diskIops: 500 },
    },
    {
      name: 'a p90 above its own type in vCPU and memory stops at the type (network and disk as asked)',
      type: 'm5.large',
      p90: { vcpu: 3, memoryGiB: 12, networkMbps: 200, diskIops: 500 },
      want: { vcpu: 2, memoryGiB: 8, networkMbps: 200, diskIops: 500 },
    },
    {
      name: 'each dimension on its own: above in vCPU only',
      type: 'c5.large',
      p90: { vcpu: 2.6, memoryGiB: 3 },
      want: { vcpu: 2, memoryGiB: 3 },
    },
    {
      name: 'each dimension on its own: above in memory only',
      type: 'c5.large',
      p90: { vcpu: 1, memoryGiB: 5.5 },
      want: { vcpu: 1, memoryGiB: 4 },
    },
    {
      name: 'a type the catalog does not list: the p90 as asked (no own type to hold it to)',
      type: 'x9.huge',
      p90: { vcpu: 12, memoryGiB: 6 },
      want: { vcpu: 12, memoryGiB: 6 },
    },
  ])('$name', ({ type, p90, want }) => {
    expect(standInLoad(res(p90), { instanceType: type }, fleet)).toEqual(res(want));
  });

  it('never asks for more than the p90 nor, in vCPU and memory, than the own type; unchanged when the type holds the p90', () => {
    const types = [...CATALOG.keys()];
    const amount = fc.double({ min: 0, max: 64, noNaN: true });
    fc.assert(
      fc.property(fc.constantFrom(...types), amount, amount, amount, amount, (type, vcpu, memoryGiB, networkMbps, diskIops) => {
        const asked = res({ vcpu, memoryGiB, networkMbps, diskIops });
        const own = CATALOG.get(type)?.resources;
        const out = standInLoad(asked, { instanceType: type }, fleet);
        expect(own).toBeDefined();
        if (own === undefined) return;
        expect(out.vcpu).toBe(Math.min(vcpu, own.vcpu));
        expect(out.memoryGiB).toBe(Math.min(memoryGiB, own.memoryGiB));
        expect([out.networkMbps, out.diskIops]).toEqual([networkMbps, diskIops]);
        if (vcpu <= own.vcpu && memoryGiB <= own.memoryGiB) expect(out).toEqual(asked);
      }),
      RUNS,
    );
  });
});
