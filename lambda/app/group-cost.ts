import type { GroupView, InstanceCatalog, InstanceTypeSpec, ManagedInstance } from '../core/domain';
import type { PriceQuote, TypePrices } from '../ports/price-reader';
import { GET_METRIC_DATA_USD_PER_1000_METRICS } from '../adapters/cloudwatch-cost';

/** The mean Spot price over the zones quoted; undefined when none is. */
export const meanSpotUsd = (p: TypePrices | undefined): number | undefined => {
  const zones = [...(p?.spotByZone.values() ?? [])];
  return zones.length === 0 ? undefined : zones.reduce((a, b) => a + b, 0) / zones.length;
};

/**
 * The catalog with the quoted prices: On-Demand from the Price List, Spot as the mean over the zones. A type
 * the quote does not price keeps what it had (Infinity On-Demand when unknown: see ec2-instance-gateway).
 */
export const applyPrices = (catalog: InstanceCatalog, quote: PriceQuote): InstanceCatalog =>
  new Map(
    [...catalog].map(([name, spec]): [string, InstanceTypeSpec] => {
      const p = quote.prices.get(name);
      const spot = meanSpotUsd(p);
      return [
        name,
        {
          ...spec,
          ...(p?.onDemandHourlyUsd !== undefined ? { onDemandHourlyUsd: p.onDemandHourlyUsd } : {}),
          ...(spot !== undefined ? { spotHourlyUsd: spot } : {}),
        },
      ];
    }),
  );

export interface GroupCost {
  /** What the group's serving instances cost per hour now: Spot ones at their zone's Spot price, On-Demand at On-Demand. */
  readonly estimatedHourlyUsd: number;
  /** The same instances all at On-Demand prices: what the group would cost without Spot. */
  readonly onDemandEquivalentHourlyUsd: number;
  /** spotwise's standby: instances of a standby group in service or running in its warm pool, at On-Demand. */
  readonly standbyHourlyUsd: number;
  /** Instances left out because a price is missing (named with the type): the figures are then lower bounds. */
  readonly unpriced: readonly string[];
}

const serving = (i: ManagedInstance): boolean => !i.warm && (i.state === 'running' || i.state === 'pending');

/**
 * The group's hourly cost from current prices. Stopped warm-pool instances cost only their EBS volumes,
 * which no price here covers, so they are left out (said in the README); running warm instances count.
 */
export const groupCost = (group: GroupView, quote: PriceQuote): GroupCost => {
  let estimated = 0;
  let onDemand = 0;
  let standby = 0;
  const unpriced: string[] = [];
  const seen = new Set<string>();
  for (const i of group.instances) {
    // A warm instance can be listed both as a group member and from the warm pool: count it once.
    if (seen.has(i.id)) continue;
    seen.add(i.id);
    const running = serving(i) || (i.warm && i.state === 'running');
    if (!running) continue;
    const p = quote.prices.get(i.instanceType);
    const od = p?.onDemandHourlyUsd;
    const spot = p?.spotByZone.get(i.availabilityZone) ?? meanSpotUsd(p);
    const price = i.lifecycle === 'spot' ? spot : od;
    if (od === undefined || price === undefined) {
      unpriced.push(`${i.id} (${i.instanceType}${i.lifecycle === 'spot' ? ' Spot' : ''})`);
      continue;
    }
    if (group.role === 'standby') standby += od;
    if (!serving(i)) continue;
    estimated += price;
    onDemand += od;
  }
  return { estimatedHourlyUsd: estimated, onDemandEquivalentHourlyUsd: onDemand, standbyHourlyUsd: standby, unpriced };
};

/** USD of one metric read: GetMetricData is billed per metric requested. */
export const metricReadCostUsd = (queries: number): number => (queries * GET_METRIC_DATA_USD_PER_1000_METRICS) / 1000;
