import { paginateDescribeSpotPriceHistory, type _InstanceType, type EC2Client } from '@aws-sdk/client-ec2';
import { paginateGetProducts, type PricingClient } from '@aws-sdk/client-pricing';
import type { PriceQuote, PriceReader, TypePrices } from '../ports/price-reader';
import { callAws } from './errors';

/**
 * The Price List API answers only from its own endpoints (Pricing API reference, "Endpoints"): us-east-1,
 * eu-central-1 and ap-south-1. The nearest one for a deployment region; prices are the same from each.
 */
export const pricingEndpointRegion = (region: string): 'us-east-1' | 'eu-central-1' | 'ap-south-1' =>
  region.startsWith('eu-') || region.startsWith('me-') || region.startsWith('af-') || region.startsWith('il-')
    ? 'eu-central-1'
    : region.startsWith('ap-')
      ? 'ap-south-1'
      : 'us-east-1';

/** The Price List filters that pick the plain On-Demand Linux price of one type in one region. */
export const onDemandFilters = (instanceType: string, regionCode: string) => [
  { Type: 'TERM_MATCH' as const, Field: 'instanceType', Value: instanceType },
  { Type: 'TERM_MATCH' as const, Field: 'regionCode', Value: regionCode },
  { Type: 'TERM_MATCH' as const, Field: 'operatingSystem', Value: 'Linux' },
  { Type: 'TERM_MATCH' as const, Field: 'tenancy', Value: 'Shared' },
  { Type: 'TERM_MATCH' as const, Field: 'preInstalledSw', Value: 'NA' },
  { Type: 'TERM_MATCH' as const, Field: 'capacitystatus', Value: 'Used' },
  { Type: 'TERM_MATCH' as const, Field: 'licenseModel', Value: 'No License required' },
];

/**
 * The hourly USD price in one Price List product (a JSON document): terms.OnDemand.<offer>.priceDimensions
 * .<dimension>.pricePerUnit.USD with unit "Hrs". Undefined when the document has none.
 */
export const onDemandHourlyUsdOf = (product: unknown): number | undefined => {
  const doc = (typeof product === 'string' ? JSON.parse(product) : product) as {
    terms?: { OnDemand?: Record<string, { priceDimensions?: Record<string, { unit?: string; pricePerUnit?: { USD?: string } }> }> };
  };
  let best: number | undefined;
  for (const offer of Object.values(doc.terms?.OnDemand ?? {})) {
    for (const dim of Object.values(offer.priceDimensions ?? {})) {
      const usd = Number(dim.pricePerUnit?.USD);
      if (dim.unit !== 'Hrs' || !Number.isFinite(usd) || usd <= 0) continue;
      best = best === undefined ? usd : Math.min(best, usd);
    }
  }
  return best;
};

const DAY_MS = 86_400_000;
/** Spot prices move at most a few times an hour; one read per hour per type serves every tick in between. */
export const SPOT_PRICE_TTL_MS = 3_600_000;

export interface AwsPriceReaderOptions {
  /** The deployment's region code (us-west-2, ...): the Price List filter and the Spot prices' region. */
  readonly regionCode: string;
  /** The Spot product whose prices count (DescribeSpotPriceHistory ProductDescriptions). */
  readonly productDescription?: string;
}

/**
 * PriceReader over EC2 DescribeSpotPriceHistory (paginated, the newest price per type × AZ) and the Price
 * List's GetProducts (from its own endpoint: pass a PricingClient made for pricingEndpointRegion(region)).
 * On-Demand prices are cached per UTC day and Spot prices for an hour, per container: GetProducts is one call
 * per type, so a profiler ticking every 5 minutes asks once a day instead of 288 times. Read-only IAM:
 * ec2:DescribeSpotPriceHistory and pricing:GetProducts.
 */
export class AwsPriceReader implements PriceReader {
  private readonly onDemand = new Map<string, { readonly day: number; readonly usd: number | undefined }>();
  private readonly spot = new Map<string, { readonly at: number; readonly byZone: ReadonlyMap<string, number> }>();
  /** Priced calls made (GetProducts pages, DescribeSpotPriceHistory pages): for tests and logs. */
  calls = 0;

  constructor(
    private readonly ec2: EC2Client,
    private readonly pricing: PricingClient,
    private readonly options: AwsPriceReaderOptions,
  ) {
    if (options.regionCode.trim() === '') throw new RangeError('regionCode must not be empty (got "")');
  }

  async readPrices(instanceTypes: readonly string[], now: number): Promise<PriceQuote> {
    const types = [...new Set(instanceTypes)].sort();
    const notes: string[] = [];
    const day = Math.floor(now / DAY_MS);
    for (const type of types) {
      if (this.onDemand.get(type)?.day === day) continue;
      try {
        this.onDemand.set(type, { day, usd: await this.readOnDemand(type) });
      } catch (error) {
        notes.push(`On-Demand price of ${type} not read: ${(error as Error).message}`);
      }
    }
    const staleSpot = types.filter((t) => {
      const s = this.spot.get(t);
      return s === undefined || now - s.at >= SPOT_PRICE_TTL_MS;
    });
    if (staleSpot.length > 0) {
      try {
        const read = await this.readSpot(staleSpot, now);
        for (const t of staleSpot) this.spot.set(t, { at: now, byZone: read.get(t) ?? new Map() });
      } catch (error) {
        notes.push(`Spot prices of ${staleSpot.join(', ')} not read: ${(error as Error).message}`);
      }
    }
    const prices = new Map<string, TypePrices>();
    for (const type of types) {
      const od = this.onDemand.get(type);
      const spot = this.spot.get(type)?.byZone ?? new Map<string, number>();
      if (od !== undefined && od.usd === undefined) notes.push(`the Price List has no On-Demand Linux price for ${type} in ${this.options.regionCode}`);
      prices.set(type, { ...(od?.usd !== undefined ? { onDemandHourlyUsd: od.usd } : {}), spotByZone: spot });
    }
    return { prices, notes };
  }

  private async readOnDemand(type: string): Promise<number | undefined> {
    const operation = `reading the On-Demand price of ${type} in ${this.options.regionCode} (Pricing GetProducts)`;
    return callAws(operation, async () => {
      let best: number | undefined;
      const pages = paginateGetProducts(
        { client: this.pricing },
        { ServiceCode: 'AmazonEC2', Filters: onDemandFilters(type, this.options.regionCode), FormatVersion: 'aws_v1', MaxResults: 100 },
      );
      for await (const page of pages) {
        this.calls += 1;
        for (const product of page.PriceList ?? []) {
          const usd = onDemandHourlyUsdOf(product);
          if (usd !== undefined) best = best === undefined ? usd : Math.min(best, usd);
        }
      }
      return best;
    });
  }

  /** The newest price per type × AZ in effect at `now` (StartTime = EndTime = now asks for exactly that). */
  private async readSpot(types: readonly string[], now: number): Promise<Map<string, Map<string, number>>> {
    const operation = `reading the Spot prices of ${types.length} instance type(s) (DescribeSpotPriceHistory)`;
    return callAws(operation, async () => {
      const newest = new Map<string, { at: number; usd: number }>();
      const pages = paginateDescribeSpotPriceHistory(
        { client: this.ec2, pageSize: 1000 },
        {
          // The SDK types InstanceTypes as its enum of known names; a newer type name is still a valid filter.
          InstanceTypes: [...types] as _InstanceType[],
          ProductDescriptions: [this.options.productDescription ?? 'Linux/UNIX'],
          StartTime: new Date(now),
          EndTime: new Date(now),
        },
      );
      for await (const page of pages) {
        this.calls += 1;
        for (const p of page.SpotPriceHistory ?? []) {
          const usd = Number(p.SpotPrice);
          if (p.InstanceType === undefined || p.AvailabilityZone === undefined || !Number.isFinite(usd) || usd <= 0) continue;
          const key = `${p.InstanceType}\u0000${p.AvailabilityZone}`;
          const at = p.Timestamp?.getTime() ?? 0;
          const seen = newest.get(key);
          if (seen === undefined || at > seen.at) newest.set(key, { at, usd });
        }
      }
      const out = new Map<string, Map<string, number>>();
      for (const [key, { usd }] of newest) {
        const [type = '', zone = ''] = key.split('\u0000');
        const zones = out.get(type) ?? new Map<string, number>();
        zones.set(zone, usd);
        out.set(type, zones);
      }
      return out;
    });
  }
}
