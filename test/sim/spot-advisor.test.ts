import { describe, expect, it } from 'vitest';
import { BUNDLED_OS, BUNDLED_PRICE_FILE, BUNDLED_REGION, BUNDLED_SPOT_ADVISOR_FILE } from '../../lambda/sim/bundled-data';
import { hourlyCost, loadPriceTable, parsePriceTable, STOPPED_STORAGE_USD_PER_HOUR } from '../../lambda/sim/price-table';
import { advisorEntry, BUCKET_MONTHLY_RATE, loadSpotAdvisor, monthlyRateOfBucket, parseSpotAdvisor } from '../../lambda/sim/spot-advisor';

const doc = {
  ranges: [
    { index: 0, label: '<5%', max: 5 },
    { index: 1, label: '5-10%', max: 11 },
    { index: 4, label: '>20%', max: 100 },
  ],
  spot_advisor: { 'us-east-1': { Linux: { 'm5.large': { s: 66, r: 4 }, 'c5.large': { s: 59, r: 0 } } } },
};

describe('Spot Advisor', () => {
  it('maps buckets to representative monthly rates', () => {
    const a = parseSpotAdvisor(doc, 'us-east-1', 'Linux');
    expect(advisorEntry(a, 'm5.large')).toEqual({ bucket: 4, bucketLabel: '>20%', savingsPercent: 66, monthlyReclaimRate: 0.25 });
    expect(advisorEntry(a, 'c5.large').monthlyReclaimRate).toBe(0.025);
    expect(BUCKET_MONTHLY_RATE).toEqual([0.025, 0.075, 0.125, 0.175, 0.25]);
  });

  it.each([
    [() => parseSpotAdvisor(doc, 'eu-west-1', 'Linux'), /no entries for region "eu-west-1" and OS "Linux"/],
    [() => advisorEntry(parseSpotAdvisor(doc, 'us-east-1', 'Linux'), 'x1.huge'), /no Spot Advisor entry for instance type "x1.huge" in us-east-1\/Linux/],
    [
      () => parseSpotAdvisor({ ...doc, spot_advisor: { 'us-east-1': { Linux: { 'm5.large': { s: 66, r: 3 } } } } }, 'us-east-1', 'Linux'),
      /us-east-1\/Linux\/m5.large.r is 3, which is not a bucket/,
    ],
    [() => parseSpotAdvisor({ ranges: [] }, 'us-east-1', 'Linux'), /ranges/],
    [() => monthlyRateOfBucket(7), /unknown Spot Advisor bucket 7/],
  ])('fails with a message naming what is wrong (%#)', (fn, message) => {
    expect(fn).toThrow(message);
  });

  it('loads the bundled us-east-1 Linux slice', () => {
    const a = loadSpotAdvisor(BUNDLED_SPOT_ADVISOR_FILE, BUNDLED_REGION, BUNDLED_OS);
    expect(a.entries.size).toBeGreaterThan(800);
    expect(advisorEntry(a, 'm5.large').bucket).toBeGreaterThanOrEqual(0);
  });
});

describe('price table', () => {
  const advisor = parseSpotAdvisor(doc, 'us-east-1', 'Linux');
  const header = 'instance_type,vcpu,memory_gib,network_baseline_mbps,ebs_baseline_iops,on_demand_usd_per_hour';

  it('derives the spot price from the Advisor savings', () => {
    const [m5, r5] = parsePriceTable(`${header}\nm5.large,2,8,750,3600,0.096\nr5.large,2,16,750,3600,0.126\n`, advisor);
    expect(m5).toEqual({
      name: 'm5.large',
      resources: { vcpu: 2, memoryGiB: 8, networkMbps: 750, diskIops: 3600 },
      onDemandHourlyUsd: 0.096,
      spotHourlyUsd: 0.0326,
    });
    expect(r5?.spotHourlyUsd).toBeUndefined();
    expect(hourlyCost(m5!, 'spot', 'running')).toBe(0.0326);
    expect(hourlyCost(r5!, 'spot', 'running')).toBe(0.126);
    expect(hourlyCost(m5!, 'on-demand', 'running')).toBe(0.096);
    expect(hourlyCost(m5!, 'on-demand', 'stopped')).toBe(STOPPED_STORAGE_USD_PER_HOUR);
  });

  it.each([
    [`instance_type,vcpu\nm5.large,2`, /header lacks column\(s\) memory_gib/],
    [`${header}\nm5.large,two,8,750,3600,0.096`, /line 2: vcpu/],
    [`${header}\nm5.large,2,8,750,3600,-1`, /on_demand_usd_per_hour/],
  ])('names the bad column or line (%#)', (csv, message) => {
    expect(() => parsePriceTable(csv, advisor)).toThrow(message);
  });

  it('loads the bundled table, every type priced, most with a spot price', () => {
    const specs = loadPriceTable(BUNDLED_PRICE_FILE, loadSpotAdvisor(BUNDLED_SPOT_ADVISOR_FILE, BUNDLED_REGION, BUNDLED_OS));
    expect(specs.length).toBeGreaterThan(30);
    for (const s of specs) {
      expect(s.onDemandHourlyUsd).toBeGreaterThan(0);
      if (s.spotHourlyUsd !== undefined) expect(s.spotHourlyUsd).toBeLessThan(s.onDemandHourlyUsd);
    }
    expect(specs.filter((s) => s.spotHourlyUsd !== undefined).length).toBeGreaterThan(30);
  });
});
