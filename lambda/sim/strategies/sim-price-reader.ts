import type { InstanceCatalog } from '../../core/domain';
import type { PriceQuote, PriceReader, TypePrices } from '../../ports/price-reader';

/**
 * The profiler's prices inside the simulator: the world's own price table (the prices the simulator bills instances
 * at), quoted as the deployed reader quotes AWS's — On-Demand from the Price List, Spot per Availability Zone (the
 * simulated Spot price of a type is the same in every zone). Staging's catalog already carries these prices, so
 * applying the quote changes no decision; what it adds is what the deployed profiler does with a quote: the cost
 * metrics (EstimatedHourlyCost, OnDemandEquivalentHourlyCost per group, StandbyHourlyCost per standby group), which
 * CloudWatch bills as spotwise's own metrics. The deployed reader's calls (Pricing GetProducts, EC2
 * DescribeSpotPriceHistory) cost nothing and are cached a day and an hour, so none is counted here.
 */
export class SimPriceReader implements PriceReader {
  constructor(
    private readonly catalog: InstanceCatalog,
    private readonly zones: readonly string[],
  ) {}

  async readPrices(instanceTypes: readonly string[]): Promise<PriceQuote> {
    const prices = new Map<string, TypePrices>();
    const notes: string[] = [];
    for (const name of new Set(instanceTypes)) {
      const spec = this.catalog.get(name);
      if (spec === undefined) {
        notes.push(`${name}: not in the simulator's price table`);
        continue;
      }
      const spot = spec.spotHourlyUsd;
      prices.set(name, {
        onDemandHourlyUsd: spec.onDemandHourlyUsd,
        spotByZone: new Map(spot === undefined ? [] : this.zones.map((z) => [z, spot] as const)),
      });
    }
    return { prices, notes };
  }
}
