import { describe, expect, it } from 'vitest';
import { MetricName } from '../../lambda/contracts/metrics';
import { groupId, instanceId, type GroupView, type ManagedInstance } from '../../lambda/core/domain';
import { FallbackPredictor } from '../../lambda/core/predict/fallback-predictor';
import { applyPrices, groupCost, metricReadCostUsd } from '../../lambda/app/group-cost';
import { makeHandler, type ProfilerDeps } from '../../lambda/handlers/profiler';
import type { PriceQuote, PriceReader } from '../../lambda/ports/price-reader';
import { DEFAULT_POLICY } from '../core/fixtures/fleet-builders';
import { GROUP, NOW, STANDBY, buildWorld, CATALOG } from './world';

const QUOTE: PriceQuote = {
  prices: new Map([
    [
      'm5.large',
      {
        onDemandHourlyUsd: 0.096,
        spotByZone: new Map([
          ['us-west-2a', 0.035],
          ['us-west-2b', 0.04],
        ]),
      },
    ],
    ['m5.xlarge', { onDemandHourlyUsd: 0.192, spotByZone: new Map([['us-west-2a', 0.07]]) }],
    ['m5.2xlarge', { onDemandHourlyUsd: 0.384, spotByZone: new Map() }],
  ]),
  notes: [],
};

/** A PriceReader that answers a fixed quote and records what it was asked. */
class FixedPriceReader implements PriceReader {
  readonly asked: string[][] = [];
  constructor(private readonly quote: PriceQuote) {}
  async readPrices(types: readonly string[]): Promise<PriceQuote> {
    this.asked.push([...types].sort());
    return this.quote;
  }
}

const tick = (groupName: string) => ({ source: 'spotwise', 'detail-type': 'Profile Tick', detail: { groupName } });

const profilerDeps = async (prices?: PriceReader) => {
  const w = await buildWorld();
  const deps: ProfilerDeps = {
    ...w.deps,
    metricsReader: w.ports.metrics,
    predictor: new FallbackPredictor(),
    profiler: { windowMinutes: 60, halfLifeMs: 86_400_000 },
    ...(prices !== undefined ? { prices } : {}),
  };
  return { w, deps };
};

describe('profiler: prices and cost metrics', () => {
  it("emits the group's estimated cost (Spot at each zone's price) and its On-Demand equivalent, and the metric reads' cost", async () => {
    const reader = new FixedPriceReader(QUOTE);
    const { w, deps } = await profilerDeps(reader);
    await makeHandler(deps)(tick(GROUP));
    expect(reader.asked).toEqual([['m5.2xlarge', 'm5.large', 'm5.xlarge']]);
    // Serving: three m5.large in us-west-2a (one pending), one in us-west-2b, OTHER an m5.xlarge in us-west-2a.
    expect(w.telemetry.total(MetricName.estimatedHourlyCost, { GroupName: GROUP })).toBeCloseTo(3 * 0.035 + 0.04 + 0.07, 12);
    expect(w.telemetry.total(MetricName.onDemandEquivalentHourlyCost, { GroupName: GROUP })).toBeCloseTo(4 * 0.096 + 0.192, 12);
    const queries = w.ports.metrics.log.callsTo('read').length;
    expect(queries).toBe(1);
    expect(w.telemetry.total(MetricName.metricReadCost, { GroupName: GROUP })).toBeGreaterThan(0);
    expect(w.telemetry.total(MetricName.standbyHourlyCost, { GroupName: GROUP })).toBe(0);
  });

  it("a standby group's ticks report its standby cost; stopped warm instances cost no instance hours", async () => {
    const { w, deps } = await profilerDeps(new FixedPriceReader(QUOTE));
    await makeHandler(deps)(tick(STANDBY));
    const first = w.telemetry.total(MetricName.standbyHourlyCost, { GroupName: STANDBY });
    w.ports.cloud.setInstanceState(instanceId('i-0cccccccccccccc01'), 'running');
    await makeHandler(deps)(tick(STANDBY));
    expect(first).toBe(0);
    // The first tick's staging retyped the stopped warm instances to the type that covers the exposure.
    const type = w.ports.cloud.instance(instanceId('i-0cccccccccccccc01'))?.instanceType ?? '';
    expect(type).toBe('m5.xlarge');
    expect(w.telemetry.total(MetricName.standbyHourlyCost, { GroupName: STANDBY }) - first).toBeCloseTo(
      QUOTE.prices.get(type)?.onDemandHourlyUsd ?? Number.NaN,
      12,
    );
  });

  it("without a price reader there are no cost figures, only the metric reads' cost", async () => {
    const { w, deps } = await profilerDeps();
    await makeHandler(deps)(tick(GROUP));
    expect(w.telemetry.total(MetricName.estimatedHourlyCost, { GroupName: GROUP })).toBe(0);
    expect(w.telemetry.total(MetricName.metricReadCost, { GroupName: GROUP })).toBeGreaterThan(0);
  });

  it('a failing price read leaves the tick running on the catalog as it was, and says so', async () => {
    const failing: PriceReader = {
      readPrices: async () => {
        throw new Error('pricing:GetProducts AccessDenied');
      },
    };
    const { w, deps } = await profilerDeps(failing);
    expect(await makeHandler(deps)(tick(GROUP))).toMatchObject({ status: 'planned', succeeded: true });
    expect(
      w.telemetry.logs.some((l) => l.message === 'reading prices failed: staging picks types by shape this tick' && JSON.stringify(l).includes('AccessDenied')),
    ).toBe(true);
  });
});

describe('group cost', () => {
  const member = (id: string, over: Partial<ManagedInstance>): ManagedInstance => ({
    id: instanceId(id),
    groupId: GROUP,
    instanceType: 'm5.large',
    availabilityZone: 'us-west-2a',
    lifecycle: 'spot',
    state: 'running',
    launchedAt: NOW,
    warm: false,
    priority: 50,
    jobType: 'web',
    ...over,
  });
  const view = (instances: ManagedInstance[], role: GroupView['role'] = 'primary'): GroupView => ({
    id: groupId('g'),
    role,
    policy: DEFAULT_POLICY,
    pool: {
      groupId: groupId('g'),
      capacity: { vcpu: 0, memoryGiB: 0, networkMbps: 0, diskIops: 0 },
      allocations: new Map(),
      reservations: new Map(),
      version: 0,
    },
    instances,
    desiredCapacity: instances.length,
    minSize: 0,
    maxSize: 10,
    spotPools: [],
    disruptionsInFlight: 0,
  });

  it.each([
    ["Spot at its zone's price", [member('i-1', {})], 0.035, 0.096, 0],
    ['Spot in a zone without a quote: the mean over the quoted zones', [member('i-1', { availabilityZone: 'us-west-2c' })], 0.0375, 0.096, 0],
    ['On-Demand at On-Demand', [member('i-1', { lifecycle: 'on-demand' })], 0.096, 0.096, 0],
    ['stopped and terminated instances cost nothing here', [member('i-1', { state: 'stopped' }), member('i-2', { state: 'terminated' })], 0, 0, 0],
  ] as const)('%s', (_what, instances, estimated, onDemand, standby) => {
    const cost = groupCost(view([...instances]), QUOTE);
    expect(cost.estimatedHourlyUsd).toBeCloseTo(estimated, 12);
    expect(cost.onDemandEquivalentHourlyUsd).toBeCloseTo(onDemand, 12);
    expect(cost.standbyHourlyUsd).toBeCloseTo(standby, 12);
    expect(cost.unpriced).toEqual([]);
  });

  it('a standby group: in-service and running warm instances at On-Demand are the standby cost', () => {
    const cost = groupCost(
      view(
        [
          member('i-1', { lifecycle: 'on-demand' }),
          member('i-2', { lifecycle: 'on-demand', warm: true }),
          member('i-3', { lifecycle: 'on-demand', warm: true, state: 'stopped' }),
        ],
        'standby',
      ),
      QUOTE,
    );
    expect(cost).toEqual({ estimatedHourlyUsd: 0.096, onDemandEquivalentHourlyUsd: 0.096, standbyHourlyUsd: 0.192, unpriced: [] });
  });

  it('names instances it cannot price, and leaves them out (the figures are then lower bounds)', () => {
    const cost = groupCost(view([member('i-1', { instanceType: 'x9.huge' }), member('i-2', { instanceType: 'm5.2xlarge' })]), QUOTE);
    expect(cost).toEqual({
      estimatedHourlyUsd: 0,
      onDemandEquivalentHourlyUsd: 0,
      standbyHourlyUsd: 0,
      unpriced: ['i-1 (x9.huge Spot)', 'i-2 (m5.2xlarge Spot)'],
    });
  });

  it('applies the quote to the catalog: On-Demand from the Price List, Spot as the mean over zones', () => {
    const unknown = new Map(CATALOG.map((s) => [s.name, { name: s.name, resources: s.resources, onDemandHourlyUsd: Number.POSITIVE_INFINITY }]));
    const priced = applyPrices(unknown, QUOTE);
    expect(priced.get('m5.large')?.onDemandHourlyUsd).toBe(0.096);
    expect(priced.get('m5.large')?.spotHourlyUsd).toBeCloseTo(0.0375, 12);
    expect(priced.get('m5.2xlarge')).toEqual({ name: 'm5.2xlarge', resources: CATALOG[2]?.resources, onDemandHourlyUsd: 0.384 });
    expect(['m5.large', 'm5.xlarge', 'm5.2xlarge'].map((t) => Number.isFinite(priced.get(t)?.onDemandHourlyUsd))).toEqual([true, true, true]);
  });

  it('prices a metric read at $0.01 per 1,000 metrics requested', () => {
    expect(metricReadCostUsd(500)).toBeCloseTo(0.005, 12);
  });
});
