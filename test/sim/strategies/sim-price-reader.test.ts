import { describe, expect, it } from 'vitest';
import type { InstanceCatalog, InstanceTypeSpec } from '../../../lambda/core/domain';
import { applyPrices, meanSpotUsd } from '../../../lambda/app/group-cost';
import { SimPriceReader } from '../../../lambda/sim/strategies/sim-price-reader';

const spec = (name: string, onDemandHourlyUsd: number, spotHourlyUsd?: number): InstanceTypeSpec => ({
  name,
  resources: { vcpu: 2, memoryGiB: 4, networkMbps: 100, diskIops: 100 },
  onDemandHourlyUsd,
  ...(spotHourlyUsd !== undefined ? { spotHourlyUsd } : {}),
});

const catalog: InstanceCatalog = new Map([
  ['m5.large', spec('m5.large', 0.096, 0.0371)],
  ['c5.xlarge', spec('c5.xlarge', 0.17, 0.0693)],
  ['m6i.large', spec('m6i.large', 0.096)],
]);
const zones = ['us-east-1a', 'us-east-1b'];

describe("SimPriceReader: the simulator's price table, quoted as the deployed reader quotes AWS", () => {
  it.each([
    ['m5.large', 0.096, [0.0371, 0.0371]],
    ['c5.xlarge', 0.17, [0.0693, 0.0693]],
    ['m6i.large (no Spot price in the table)', 0.096, []],
  ] as const)('%s: On-Demand %d, Spot per zone %j', async (label, onDemand, spot) => {
    const name = label.split(' ')[0] as string;
    const quote = await new SimPriceReader(catalog, zones).readPrices([name]);
    const prices = quote.prices.get(name);
    expect(prices?.onDemandHourlyUsd).toBe(onDemand);
    expect([...(prices?.spotByZone.values() ?? [])]).toEqual(spot);
    expect([...(prices?.spotByZone.keys() ?? [])]).toEqual(spot.length === 0 ? [] : zones);
    expect(quote.notes).toEqual([]);
  });

  it('says which type it cannot price, and prices the rest', async () => {
    const quote = await new SimPriceReader(catalog, zones).readPrices(['m5.large', 'x9.huge', 'm5.large']);
    expect([...quote.prices.keys()]).toEqual(['m5.large']);
    expect(quote.notes).toEqual(["x9.huge: not in the simulator's price table"]);
  });

  it('applied to the catalog, changes no price staging decides on (the quote is the table itself)', async () => {
    const quote = await new SimPriceReader(catalog, zones).readPrices([...catalog.keys()]);
    expect(applyPrices(catalog, quote)).toEqual(catalog);
    expect(meanSpotUsd(quote.prices.get('m5.large'))).toBe(0.0371);
  });
});
