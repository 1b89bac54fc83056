import { PricingClient } from '@aws-sdk/client-pricing';
import { awsClientConfig, createEc2Client } from '../adapters/aws-clients';
import { AwsPriceReader, pricingEndpointRegion } from '../adapters/aws-price-reader';
import type { FleetView, GroupView } from '../core/domain';
import { MetricDimension, MetricName } from '../contracts/metrics';
import type { PriceQuote, PriceReader } from '../ports/price-reader';
import { applyPrices, groupCost, metricReadCostUsd } from './group-cost';
import type { Telemetry } from './telemetry';

/**
 * The profiler's prices for one tick: the types of the related groups' instances and of their policies'
 * allowed types, read through the PriceReader (cached per day / hour inside it), applied to the fleet's
 * catalog so staging compares real prices. Without a reader, or when the read fails, the catalog keeps
 * unknown prices and staging says it picks by shape (a guess at the cheapest).
 */
export const priceFleet = async (
  deps: { readonly prices?: PriceReader; readonly telemetry: Telemetry },
  fleet: FleetView,
  now: number,
  keys: Record<string, string>,
): Promise<{ readonly fleet: FleetView; readonly quote?: PriceQuote }> => {
  if (deps.prices === undefined) return { fleet };
  const types = [...new Set(fleet.groups.flatMap((g) => [...g.instances.map((i) => i.instanceType), ...g.policy.allowedInstanceTypes]))];
  try {
    const quote = await deps.prices.readPrices(types, now);
    for (const note of quote.notes) deps.telemetry.log.warn('price not known', { ...keys, note });
    return { fleet: { ...fleet, catalog: applyPrices(fleet.catalog, quote) }, quote };
  } catch (error) {
    deps.telemetry.log.error('reading prices failed: staging picks types by shape this tick', { ...keys, error: (error as Error).message });
    return { fleet };
  }
};

/** EstimatedHourlyCost, OnDemandEquivalentHourlyCost and spotwise's overhead (StandbyHourlyCost, MetricReadCostUsd) for the group. */
export const emitCostMetrics = (
  telemetry: Telemetry,
  group: GroupView,
  quote: PriceQuote | undefined,
  metricQueries: number,
  keys: Record<string, string>,
): void => {
  const dims = { [MetricDimension.group]: group.id };
  telemetry.metrics.metric(MetricName.metricReadCost, 'None', metricReadCostUsd(metricQueries), dims);
  if (quote === undefined) return;
  const cost = groupCost(group, quote);
  if (cost.unpriced.length > 0) telemetry.log.warn('instances left out of the cost figures: no price', { ...keys, instances: cost.unpriced });
  telemetry.metrics.metric(MetricName.estimatedHourlyCost, 'None', cost.estimatedHourlyUsd, dims);
  telemetry.metrics.metric(MetricName.onDemandEquivalentHourlyCost, 'None', cost.onDemandEquivalentHourlyUsd, dims);
  if (group.role === 'standby') telemetry.metrics.metric(MetricName.standbyHourlyCost, 'None', cost.standbyHourlyUsd, dims);
};

/**
 * The profiler's PriceReader: Spot prices from EC2 in the function's own region (AWS_REGION, which Lambda
 * sets), On-Demand prices from the Price List endpoint nearest to it. Undefined outside Lambda without a region.
 */
export const defaultPriceReader = (env: Readonly<Record<string, string | undefined>> = process.env): PriceReader | undefined => {
  const region = env.AWS_REGION;
  if (region === undefined || region.trim() === '') return undefined;
  return new AwsPriceReader(createEc2Client({ region }), new PricingClient(awsClientConfig({ region: pricingEndpointRegion(region) })), { regionCode: region });
};
