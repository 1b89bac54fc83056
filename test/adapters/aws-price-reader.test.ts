import 'aws-sdk-client-mock-vitest/extend';
import { DescribeSpotPriceHistoryCommand, EC2Client } from '@aws-sdk/client-ec2';
import { GetProductsCommand, PricingClient } from '@aws-sdk/client-pricing';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { AwsPriceReader, onDemandFilters, onDemandHourlyUsdOf, pricingEndpointRegion, SPOT_PRICE_TTL_MS } from '../../lambda/adapters/aws-price-reader';
import { ec2Error } from './aws-errors';

const ec2 = mockClient(EC2Client);
afterAll(() => ec2.restore());
const pricing = mockClient(PricingClient);
afterAll(() => pricing.restore());
const NOW = Date.parse('2026-01-15T12:00:00Z');
const reader = () => new AwsPriceReader(new EC2Client({}), new PricingClient({}), { regionCode: 'us-west-2' });

/** A Price List product document as GetProducts returns it (one JSON string per product), trimmed to what is read. */
const product = (type: string, usd: string, unit = 'Hrs'): string =>
  JSON.stringify({
    product: { productFamily: 'Compute Instance', attributes: { instanceType: type, regionCode: 'us-west-2', operatingSystem: 'Linux', tenancy: 'Shared' } },
    serviceCode: 'AmazonEC2',
    terms: {
      OnDemand: {
        'ABCD.JRTCKXETXF': {
          offerTermCode: 'JRTCKXETXF',
          priceDimensions: {
            'ABCD.JRTCKXETXF.6YS6EN2CT7': { unit, pricePerUnit: { USD: usd }, description: `$${usd} per On Demand Linux ${type} Instance Hour` },
          },
        },
      },
    },
  });

beforeEach(() => {
  ec2.reset();
  pricing.reset();
});

describe('AwsPriceReader', () => {
  it('asks the Price List for the plain On-Demand Linux price of each type and EC2 for the Spot price per zone at now', async () => {
    pricing.on(GetProductsCommand).callsFake((input: { Filters: { Field: string; Value: string }[] }) => {
      const type = input.Filters.find((f) => f.Field === 'instanceType')?.Value ?? '';
      return { PriceList: [product(type, type === 'm5.large' ? '0.0960000000' : '0.1920000000')], FormatVersion: 'aws_v1' };
    });
    // The SDK's paginator sets NextToken on one input object: record a copy of each call as it is sent.
    const sent: Record<string, unknown>[] = [];
    const pages = [
      {
        SpotPriceHistory: [
          {
            InstanceType: 'm5.large',
            AvailabilityZone: 'us-west-2a',
            ProductDescription: 'Linux/UNIX',
            SpotPrice: '0.035100',
            Timestamp: new Date(NOW - 600_000),
          },
          {
            InstanceType: 'm5.large',
            AvailabilityZone: 'us-west-2a',
            ProductDescription: 'Linux/UNIX',
            SpotPrice: '0.031000',
            Timestamp: new Date(NOW - 7_200_000),
          },
        ],
        NextToken: 'page-2',
      },
      {
        SpotPriceHistory: [
          {
            InstanceType: 'm5.large',
            AvailabilityZone: 'us-west-2b',
            ProductDescription: 'Linux/UNIX',
            SpotPrice: '0.037300',
            Timestamp: new Date(NOW - 60_000),
          },
          {
            InstanceType: 'm5.xlarge',
            AvailabilityZone: 'us-west-2a',
            ProductDescription: 'Linux/UNIX',
            SpotPrice: '0.070200',
            Timestamp: new Date(NOW - 60_000),
          },
        ],
      },
    ];
    ec2.on(DescribeSpotPriceHistoryCommand).callsFake((input: Record<string, unknown>) => {
      sent.push({ ...input });
      return pages[sent.length - 1];
    });

    const quote = await reader().readPrices(['m5.xlarge', 'm5.large', 'm5.large'], NOW);
    expect(quote.notes).toEqual([]);
    expect(quote.prices.get('m5.large')).toEqual({
      onDemandHourlyUsd: 0.096,
      spotByZone: new Map([
        ['us-west-2a', 0.0351],
        ['us-west-2b', 0.0373],
      ]),
    });
    expect(quote.prices.get('m5.xlarge')).toEqual({ onDemandHourlyUsd: 0.192, spotByZone: new Map([['us-west-2a', 0.0702]]) });

    expect(pricing).toHaveReceivedCommandTimes(GetProductsCommand, 2);
    expect(pricing).toHaveReceivedNthCommandWith(GetProductsCommand, 1, {
      ServiceCode: 'AmazonEC2',
      FormatVersion: 'aws_v1',
      MaxResults: 100,
      Filters: [
        { Type: 'TERM_MATCH', Field: 'instanceType', Value: 'm5.large' },
        { Type: 'TERM_MATCH', Field: 'regionCode', Value: 'us-west-2' },
        { Type: 'TERM_MATCH', Field: 'operatingSystem', Value: 'Linux' },
        { Type: 'TERM_MATCH', Field: 'tenancy', Value: 'Shared' },
        { Type: 'TERM_MATCH', Field: 'preInstalledSw', Value: 'NA' },
        { Type: 'TERM_MATCH', Field: 'capacitystatus', Value: 'Used' },
        { Type: 'TERM_MATCH', Field: 'licenseModel', Value: 'No License required' },
      ],
    });
    expect(sent).toEqual([
      { InstanceTypes: ['m5.large', 'm5.xlarge'], ProductDescriptions: ['Linux/UNIX'], StartTime: new Date(NOW), EndTime: new Date(NOW), MaxResults: 1000 },
      {
        InstanceTypes: ['m5.large', 'm5.xlarge'],
        ProductDescriptions: ['Linux/UNIX'],
        StartTime: new Date(NOW),
        EndTime: new Date(NOW),
        MaxResults: 1000,
        NextToken: 'page-2',
      },
    ]);
  });

  it('caches On-Demand prices per UTC day and Spot prices for an hour', async () => {
    pricing.on(GetProductsCommand).resolves({ PriceList: [product('m5.large', '0.096')] });
    ec2
      .on(DescribeSpotPriceHistoryCommand)
      .resolves({ SpotPriceHistory: [{ InstanceType: 'm5.large', AvailabilityZone: 'us-west-2a', SpotPrice: '0.0351', Timestamp: new Date(NOW) }] });
    const r = reader();
    await r.readPrices(['m5.large'], NOW);
    await r.readPrices(['m5.large'], NOW + SPOT_PRICE_TTL_MS - 1);
    expect(pricing).toHaveReceivedCommandTimes(GetProductsCommand, 1);
    expect(ec2).toHaveReceivedCommandTimes(DescribeSpotPriceHistoryCommand, 1);
    await r.readPrices(['m5.large'], NOW + SPOT_PRICE_TTL_MS);
    expect(ec2).toHaveReceivedCommandTimes(DescribeSpotPriceHistoryCommand, 2);
    expect(pricing).toHaveReceivedCommandTimes(GetProductsCommand, 1);
    // 2026-01-16T00:00:00Z: a new day.
    await r.readPrices(['m5.large'], Date.parse('2026-01-16T00:00:00Z'));
    expect(pricing).toHaveReceivedCommandTimes(GetProductsCommand, 2);
  });

  it('says what it could not price, and still returns what it could', async () => {
    pricing.on(GetProductsCommand).resolves({ PriceList: [] });
    ec2.on(DescribeSpotPriceHistoryCommand).rejects(ec2Error('UnauthorizedOperation', 'You are not authorized to perform this operation.', 403));
    const quote = await reader().readPrices(['x9.huge'], NOW);
    expect(quote.prices.get('x9.huge')).toEqual({ spotByZone: new Map() });
    expect(quote.notes).toEqual([
      'Spot prices of x9.huge not read: reading the Spot prices of 1 instance type(s) (DescribeSpotPriceHistory): AWS call failed (UnauthorizedOperation, HTTP 403)',
      'the Price List has no On-Demand Linux price for x9.huge in us-west-2',
    ]);
  });
});

describe('Price List documents', () => {
  it.each([
    ['an hourly price', product('m5.large', '0.0960000000'), 0.096],
    ['a zero price (a reserved-capacity placeholder) is no price', product('m5.large', '0.0000000000'), undefined],
    ['a price per something else than hours', product('m5.large', '0.5', 'Quantity'), undefined],
    ['no On-Demand terms', JSON.stringify({ terms: {} }), undefined],
  ])('%s', (_what, doc, usd) => {
    expect(onDemandHourlyUsdOf(doc)).toBe(usd);
  });

  it('filters name the type and the region code', () => {
    expect(onDemandFilters('c7g.large', 'eu-west-1').slice(0, 2)).toEqual([
      { Type: 'TERM_MATCH', Field: 'instanceType', Value: 'c7g.large' },
      { Type: 'TERM_MATCH', Field: 'regionCode', Value: 'eu-west-1' },
    ]);
  });

  it.each([
    ['us-west-2', 'us-east-1'],
    ['us-east-1', 'us-east-1'],
    ['ca-central-1', 'us-east-1'],
    ['sa-east-1', 'us-east-1'],
    ['eu-west-1', 'eu-central-1'],
    ['me-south-1', 'eu-central-1'],
    ['af-south-1', 'eu-central-1'],
    ['ap-northeast-1', 'ap-south-1'],
  ])('the Price List endpoint for %s is %s', (region, endpoint) => {
    expect(pricingEndpointRegion(region)).toBe(endpoint);
  });
});
