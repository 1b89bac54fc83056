import { describe, expect, it } from 'vitest';
import { groupId, instanceId, type Action, type Plan } from '../../../lambda/core/domain';
import { toCatalog } from '../../../lambda/core/resources/catalog';
import { computeExposure, planStaging, RESHAPE_SAVING_THRESHOLD } from '../../../lambda/core/staging/plan-staging';
import {
  CATALOG,
  forecast,
  group,
  instance,
  MINUTE,
  policy,
  pool,
  res,
  reservation,
  standardFleet,
  T0,
  unknownForecast,
  fleet as buildFleet,
} from '../fixtures/fleet-builders';

const kinds = (plan: Plan): string[] => plan.actions.map((a) => a.kind);
const only = <K extends Action['kind']>(plan: Plan, kind: K): Extract<Action, { kind: K }>[] =>
  plan.actions.filter((a): a is Extract<Action, { kind: K }> => a.kind === kind);
const warmPool = (minSize: number) => ({ minSize, maxGroupPreparedCapacity: -1, poolState: 'Stopped' as const, reuseOnScaleIn: true });
/** The standard primary's four instances all on `type` (two pools: us-east-1a p = 0.1, us-east-1b p = 0.05). */
const onType = (type: string) => ({
  instances: ['i-a1', 'i-a2', 'i-b1', 'i-b2'].map((id) =>
    instance(id, { availabilityZone: id.startsWith('i-a') ? 'us-east-1a' : 'us-east-1b', instanceType: type }),
  ),
  spotPools: [
    { instanceType: type, availabilityZone: 'us-east-1a', interruptionProbability: 0.1 },
    { instanceType: type, availabilityZone: 'us-east-1b', interruptionProbability: 0.05 },
  ],
});

describe('computeExposure', () => {
  it("sums each spot pool's p90 post-restart demand and weights it by the pool's interruption probability", () => {
    const f = standardFleet();
    const exposures = computeExposure(f.groups[0]!, f);
    expect(exposures).toEqual([
      expect.objectContaining({
        instanceType: 'c5.large',
        availabilityZone: 'us-east-1b',
        interruptionProbability: 0.05,
        probabilitySource: 'spot-advisor',
        instances: ['i-b1', 'i-b2'],
        demand: res({ vcpu: 2, memoryGiB: 5, networkMbps: 150, diskIops: 400 }),
        largest: res({ vcpu: 1.2, memoryGiB: 3, networkMbps: 100, diskIops: 300 }),
      }),
      expect.objectContaining({
        instanceType: 'm5.large',
        availabilityZone: 'us-east-1a',
        interruptionProbability: 0.1,
        instances: ['i-a1', 'i-a2'],
        demand: res({ vcpu: 2.5, memoryGiB: 10, networkMbps: 300, diskIops: 800 }),
      }),
    ]);
    expect(exposures[1]!.weighted.vcpu).toBeCloseTo(0.25, 12);
    expect(exposures[1]!.weighted.memoryGiB).toBeCloseTo(1, 12);
  });

  it("uses p90 whatever the policy's reservation quantile (staging sizes for the worst case)", () => {
    const f = standardFleet({ primary: { policy: policy({ forecastQuantile: 'p50' }) }, forecasts: [forecast('i-a1', { vcpu: 2 }, { vcpu: 1 })] });
    expect(computeExposure(f.groups[0]!, f).find((e) => e.instanceType === 'm5.large')?.largest.vcpu).toBe(2);
  });

  it('sizes instances with no usable forecast by their own type, and lists them', () => {
    const f = standardFleet({ forecasts: [unknownForecast('i-a1'), forecast('i-a2', { vcpu: Number.NaN })] });
    const m5 = computeExposure(f.groups[0]!, f).find((e) => e.instanceType === 'm5.large');
    expect(m5?.sizedByShape).toEqual(['i-a1', 'i-a2']);
    // vCPU and memory of two m5.large; network and disk ceilings are not counted as demand.
    expect(m5?.demand).toEqual(res({ vcpu: 4, memoryGiB: 16 }));
  });

  it.each([
    ['a pool missing from the spot pool list', [{ instanceType: 'c5.large', availabilityZone: 'us-east-1b', interruptionProbability: 0.05 }], 0.05],
    [
      'a pool listed with a NaN probability',
      [
        { instanceType: 'm5.large', availabilityZone: 'us-east-1a', interruptionProbability: Number.NaN },
        { instanceType: 'c5.large', availabilityZone: 'us-east-1b', interruptionProbability: 0.2 },
      ],
      0.2,
    ],
    ['any pool when none is listed', [], 1],
  ])('assumes %s is as likely as the most likely listed pool (1 when none)', (_what, spotPools, expected) => {
    const f = standardFleet({ primary: { spotPools } });
    const m5 = computeExposure(f.groups[0]!, f).find((e) => e.instanceType === 'm5.large');
    expect(m5).toMatchObject({ interruptionProbability: expected, probabilitySource: 'assumed' });
  });

  it('ignores On-Demand, warm and stopped instances', () => {
    const f = standardFleet({
      primary: {
        instances: [instance('i-od', { lifecycle: 'on-demand' }), instance('i-st', { state: 'stopped' }), instance('i-sp', { instanceType: 'm5.xlarge' })],
        spotPools: [],
      },
      forecasts: [forecast('i-sp', { vcpu: 3 })],
    });
    expect(computeExposure(f.groups[0]!, f).map((e) => e.instances)).toEqual([['i-sp']]);
  });
});

describe('planStaging', () => {
  it('sizes the standby warm pool to the expected restore and shapes it for the own types of 90 % of the exposure', () => {
    // Expected restore: 0.1 × (2.5 vCPU, 10 GiB) + 0.05 × (2 vCPU, 5 GiB) = 0.35 vCPU, 1.25 GiB → one instance.
    // Interruption weight 0.1 + 0.1 + 0.05 + 0.05 = 0.3. The two c5.large instances carry 0.1, under 90 % of it: the
    // m5.large ones (2 vCPU, 8 GiB) are in, and the cheapest type holding that is m5.large.
    const plan = planStaging(groupId('web'), standardFleet(), { now: T0 });
    expect(plan.actions).toEqual([
      { kind: 'put-warm-pool', groupId: 'web-standby', warmPool: warmPool(1), readMinSize: 2, reason: expect.stringContaining('1 × m5.large') },
    ]);
    expect(plan.events).toEqual([
      expect.objectContaining({ kind: 'capacity-staged', groupId: 'web-standby', detail: expect.stringContaining('minSize 2 → 1') }),
    ]);
  });

  it('raises the warm pool when the exposure grows (whole-pool loss × probability, rounded up)', () => {
    const f = standardFleet({
      primary: {
        spotPools: [
          { instanceType: 'm5.large', availabilityZone: 'us-east-1a', interruptionProbability: 0.8 },
          { instanceType: 'c5.large', availabilityZone: 'us-east-1b', interruptionProbability: 0.8 },
        ],
      },
      forecasts: ['i-a1', 'i-a2', 'i-b1', 'i-b2'].map((id) => forecast(id, { vcpu: 1.5, memoryGiB: 6 })),
    });
    // 0.8 × 4 × (1.5 vCPU, 6 GiB) = 4.8 vCPU, 19.2 GiB → 3 × m5.large (2 vCPU, 8 GiB).
    expect(only(planStaging(groupId('web'), f, { now: T0 }), 'put-warm-pool')[0]?.warmPool.minSize).toBe(3);
  });

  it('caps the warm pool at what can come into service (max size − desired)', () => {
    const f = standardFleet({
      primary: { spotPools: [] }, // every pool assumed certain to be interrupted
      standby: { maxSize: 2, desiredCapacity: 1 },
      forecasts: ['i-a1', 'i-a2', 'i-b1', 'i-b2'].map((id) => forecast(id, { vcpu: 1.5, memoryGiB: 6 })),
    });
    const plan = planStaging(groupId('web'), f, { now: T0 });
    expect(only(plan, 'put-warm-pool')[0]?.warmPool.minSize).toBe(1);
    expect(plan.events[0]).toMatchObject({ detail: expect.stringContaining('only 1 can come into service') });
  });

  it('caps the warm pool at the pool budget (free capacity plus what the worst spot pool would free)', () => {
    const allocations = {
      'i-a1': { vcpu: 1, memoryGiB: 4 },
      'i-a2': { vcpu: 1, memoryGiB: 4 },
      'i-b1': { vcpu: 2.5, memoryGiB: 8 },
      'i-b2': { vcpu: 2.5, memoryGiB: 8 },
    };
    const withCapacity = (vcpu: number) =>
      standardFleet({
        primary: { spotPools: [], pool: pool('web', { vcpu, memoryGiB: 32, networkMbps: 100_000, diskIops: 1_000_000 }, { allocations }) },
        standby: { warmPool: warmPool(0) },
        forecasts: ['i-a1', 'i-a2', 'i-b1', 'i-b2'].map((id) => forecast(id, { vcpu: 1.5, memoryGiB: 6 })),
      });
    // Wanted: every pool assumed certain → 4 × (1.5 vCPU, 6 GiB) = 6 vCPU, 24 GiB → 3 × m5.large.
    // Capacity 8 vCPU: 1 free + 5 freed by the c5.large pool = 6 vCPU, 8 + 16 = 24 GiB → room for 3.
    expect(only(planStaging(groupId('web'), withCapacity(8), { now: T0 }), 'put-warm-pool')[0]?.warmPool.minSize).toBe(3);
    // Capacity 7 vCPU: 0 free + 5 freed = 5 vCPU → room for 2.
    const capped = planStaging(groupId('web'), withCapacity(7), { now: T0 });
    expect(only(capped, 'put-warm-pool')[0]?.warmPool.minSize).toBe(2);
    expect(capped.events[0]).toMatchObject({ detail: expect.stringContaining('budget allows 2 of 3') });
  });

  it("retypes stopped warm instances that do not hold the exposed instances' own type to the cheapest allowed type that does", () => {
    const f = standardFleet({ primary: onType('m5.xlarge'), standby: { policy: policy({ allowedInstanceTypes: ['m5.large', 'm5.xlarge', 'm5.2xlarge'] }) } });
    const plan = planStaging(groupId('web'), f, { now: T0 });
    expect(only(plan, 'retype-stopped-instance')).toEqual([
      expect.objectContaining({
        groupId: 'web-standby',
        instanceId: 'i-w1',
        fromType: 'm5.large',
        toType: 'm5.xlarge',
        reason: expect.stringContaining('does not cover 4 vCPU, 16 GiB'),
      }),
      expect.objectContaining({ groupId: 'web-standby', instanceId: 'i-w2', fromType: 'm5.large', toType: 'm5.xlarge' }),
    ]);
  });

  it('does not shape the warm pool by the forecasts: restarts larger than the own types are left to other hosts, and said so', () => {
    // Every instance is forecast at 3 vCPU, 10 GiB (p90) and 2.4 vCPU, 8 GiB (p50), beyond m5.large; they run on m5.large
    // and c5.large, so the warm m5.large instances stay as they are (a named victim's p90 is staged when it is named).
    const f = standardFleet({
      standby: { policy: policy({ allowedInstanceTypes: ['m5.large', 'm5.xlarge', 'm5.2xlarge'] }) },
      forecasts: ['i-a1', 'i-a2', 'i-b1', 'i-b2'].map((id) => forecast(id, { vcpu: 3, memoryGiB: 10 })),
    });
    const plan = planStaging(groupId('web'), f, { now: T0 });
    expect(only(plan, 'retype-stopped-instance')).toEqual([]);
    const said = plan.events[0]?.kind === 'capacity-staged' ? plan.events[0].detail : plan.actions[0]?.kind === 'noop' ? plan.actions[0].reason : '';
    expect(said).toContain('m5.large holds the expected restart of 0 of 4 exposed instance(s)');
    expect(said).toContain('goes to a sibling or a scale-out, or is staged for when a rebalance recommendation names its instance');
  });

  it('stages the cheapest type that covers a need no allowed type covers as far as one can (the most vCPU, not also the most memory)', () => {
    const c52x = { name: 'c5.2xlarge', resources: { vcpu: 8, memoryGiB: 16, networkMbps: 10_000, diskIops: 20_000 }, onDemandHourlyUsd: 0.34 };
    // The exposed instances run on a 12-vCPU type with 6 GiB (a test type), or with 20 GiB.
    const big = (memoryGiB: number) => ({
      name: 'c5.3xlarge',
      resources: { vcpu: 12, memoryGiB, networkMbps: 10_000, diskIops: 20_000 },
      onDemandHourlyUsd: 0.51,
    });
    const withCatalog = (memoryGiB: number) => {
      const base = standardFleet({
        primary: onType('c5.3xlarge'),
        standby: { policy: policy({ allowedInstanceTypes: ['m5.xlarge', 'm5.2xlarge', 'c5.2xlarge'] }) },
      });
      return { ...base, catalog: toCatalog([...CATALOG.values(), c52x, big(memoryGiB)]) };
    };
    const plan = planStaging(groupId('web'), withCatalog(6), { now: T0 });
    expect(only(plan, 'retype-stopped-instance').map((a) => a.toType)).toEqual(['c5.2xlarge', 'c5.2xlarge']);
    expect(plan.events[0]).toMatchObject({ detail: expect.stringContaining('no allowed type covers 12 vCPU, 6 GiB') });
    expect(plan.events[0]).toMatchObject({ detail: expect.stringContaining('staging c5.2xlarge') });
    // The memory asked for is beyond c5.2xlarge too: the 8-vCPU type with the memory.
    expect(only(planStaging(groupId('web'), withCatalog(20), { now: T0 }), 'retype-stopped-instance').map((a) => a.toType)).toEqual([
      'm5.2xlarge',
      'm5.2xlarge',
    ]);
  });

  // i-a1 and i-a2 in us-east-1a (p = 0.2 each), i-b1 and i-b2 in us-east-1b (p = 0.01 each): 90 % of the interruption
  // weight is 0.378. The instances run on m5.large (1a) and c5.large (1b) unless they are `big` (on `bigType`).
  it.each([
    { what: 'every instance on m5.large or c5.large', big: [], bigType: 'm5.large', toType: undefined },
    { what: 'one m5.2xlarge in the likely pool (0.2 of 0.42)', big: ['i-a1'], bigType: 'm5.2xlarge', toType: 'm5.2xlarge' },
    { what: 'one m5.2xlarge in the rarely reclaimed pool (0.01 of 0.42)', big: ['i-b1'], bigType: 'm5.2xlarge', toType: undefined },
    { what: 'two m5.xlarge in the rarely reclaimed pool (0.02 of 0.42)', big: ['i-b1', 'i-b2'], bigType: 'm5.xlarge', toType: undefined },
    { what: 'two m5.xlarge in the likely pool (0.4 of 0.42)', big: ['i-a1', 'i-a2'], bigType: 'm5.xlarge', toType: 'm5.xlarge' },
  ])('shapes the warm pool for the own types of 90 % of the interruption weight: $what → $toType', ({ big, bigType, toType }) => {
    const zone = (id: string): string => (id.startsWith('i-a') ? 'us-east-1a' : 'us-east-1b');
    const probability = (id: string): number => (id.startsWith('i-a') ? 0.2 : 0.01);
    const instances = ['i-a1', 'i-a2', 'i-b1', 'i-b2'].map((id) =>
      instance(id, { availabilityZone: zone(id), instanceType: big.includes(id) ? bigType : id.startsWith('i-a') ? 'm5.large' : 'c5.large' }),
    );
    const spotPools = [...new Map(instances.map((i) => [`${i.instanceType}/${i.availabilityZone}`, i] as const)).values()].map((i) => ({
      instanceType: i.instanceType,
      availabilityZone: i.availabilityZone,
      interruptionProbability: probability(i.id),
    }));
    const f = standardFleet({
      primary: { instances, spotPools },
      standby: { policy: policy({ allowedInstanceTypes: ['m5.large', 'm5.xlarge', 'm5.2xlarge'] }) },
    });
    const plan = planStaging(groupId('web'), f, { now: T0 });
    // The warm instances are m5.large: kept where it holds the shape's need, else retyped to the cheapest that does.
    expect(only(plan, 'retype-stopped-instance').map((a) => a.toType)).toEqual(toType === undefined ? [] : [toType, toType]);
  });

  it("shapes for an instance with no usable forecast by its own type's stand-in, as its p90 is", () => {
    const f = standardFleet({
      primary: { instances: [instance('i-x', { instanceType: 'm5.xlarge' })], spotPools: [] },
      standby: { policy: policy({ allowedInstanceTypes: ['m5.large', 'm5.xlarge', 'm5.2xlarge'] }) },
      forecasts: [unknownForecast('i-x')],
    });
    const [exposure] = computeExposure(f.groups[0]!, f);
    expect(exposure?.expected.map((x) => x.amount)).toEqual([exposure?.largest]);
    expect(only(planStaging(groupId('web'), f, { now: T0 }), 'retype-stopped-instance').map((a) => a.toType)).toEqual(['m5.xlarge', 'm5.xlarge']);
  });

  it('does not retype warm instances while the plan shrinks the pool below its members (Auto Scaling picks which go)', () => {
    const wp = { minSize: 2, maxGroupPreparedCapacity: 0, poolState: 'Stopped' as const, reuseOnScaleIn: true };
    const f = standardFleet({
      primary: onType('m5.xlarge'),
      standby: { policy: policy({ allowedInstanceTypes: ['m5.large', 'm5.xlarge', 'm5.2xlarge'] }), warmPool: wp },
    });
    const plan = planStaging(groupId('web'), f, { now: T0 });
    expect(only(plan, 'put-warm-pool')[0]?.warmPool.minSize).toBe(1);
    expect(only(plan, 'retype-stopped-instance')).toEqual([]);
    expect(plan.events[0]).toMatchObject({ kind: 'capacity-staged', detail: expect.stringContaining('warm pool shrinking: retypes wait for the next tick') });
    // Not shrinking below its members (the pool is kept at max prepared − desired): the retypes go ahead.
    const kept = standardFleet({
      primary: onType('m5.xlarge'),
      standby: { policy: policy({ allowedInstanceTypes: ['m5.large', 'm5.xlarge', 'm5.2xlarge'] }), warmPool: { ...wp, maxGroupPreparedCapacity: 2 } },
    });
    expect(only(planStaging(groupId('web'), kept, { now: T0 }), 'retype-stopped-instance')).toHaveLength(2);
  });

  it(`retypes a covering warm instance down only when it costs over ${RESHAPE_SAVING_THRESHOLD * 100} % more (hysteresis)`, () => {
    const withWarm = (type: string) =>
      standardFleet({
        standby: {
          policy: policy({ allowedInstanceTypes: ['m5.large', 'r5.large', 'm5.xlarge'] }),
          instances: [instance('i-w1', { groupId: 'web-standby', lifecycle: 'on-demand', state: 'stopped', warm: true, instanceType: type })],
          warmPool: warmPool(1),
        },
      });
    // r5.large costs 0.126 vs m5.large 0.096: +31 % → retype down. m5.xlarge 0.192: +100 % → retype down.
    expect(only(planStaging(groupId('web'), withWarm('r5.large'), { now: T0 }), 'retype-stopped-instance')[0]).toMatchObject({ toType: 'm5.large' });
    expect(only(planStaging(groupId('web'), withWarm('m5.xlarge'), { now: T0 }), 'retype-stopped-instance')[0]).toMatchObject({ toType: 'm5.large' });
    expect(kinds(planStaging(groupId('web'), withWarm('m5.large'), { now: T0 }))).toEqual(['noop']);
  });

  it('retypes a stopped warm instance of a type the policy does not allow, even one that covers the need for as little', () => {
    // The exposed instances run on c5.large (2 vCPU, 4 GiB): a warm c5.large covers them.
    const f = standardFleet({
      primary: onType('c5.large'),
      standby: {
        policy: policy({ allowedInstanceTypes: ['m5.large', 'm5.xlarge'] }),
        instances: [instance('i-w1', { groupId: 'web-standby', lifecycle: 'on-demand', state: 'stopped', warm: true, instanceType: 'c5.large' })],
        warmPool: warmPool(1),
      },
      forecasts: ['i-a1', 'i-a2', 'i-b1', 'i-b2'].map((id) => forecast(id, { vcpu: 1, memoryGiB: 3 })),
    });
    expect(only(planStaging(groupId('web'), f, { now: T0 }), 'retype-stopped-instance')).toEqual([
      expect.objectContaining({ instanceId: 'i-w1', fromType: 'c5.large', toType: 'm5.large', reason: 'c5.large is not among the allowed instance types' }),
    ]);
    // Allowed, it stays.
    const allowed = standardFleet({
      primary: onType('c5.large'),
      standby: {
        policy: policy({ allowedInstanceTypes: ['m5.large', 'm5.xlarge', 'c5.large'] }),
        instances: [instance('i-w1', { groupId: 'web-standby', lifecycle: 'on-demand', state: 'stopped', warm: true, instanceType: 'c5.large' })],
        warmPool: warmPool(1),
      },
      forecasts: ['i-a1', 'i-a2', 'i-b1', 'i-b2'].map((id) => forecast(id, { vcpu: 1, memoryGiB: 3 })),
    });
    expect(kinds(planStaging(groupId('web'), allowed, { now: T0 }))).toEqual(['noop']);
  });

  it.each([
    { what: 'while its rebalance reservation is live', purpose: 'rebalance' as const, expiresAt: T0 + 30 * MINUTE, kept: true },
    { what: 'once it has expired', purpose: 'rebalance' as const, expiresAt: T0 - MINUTE, kept: false },
    { what: 'for a reservation of another purpose', purpose: 'warning' as const, expiresAt: T0 + 30 * MINUTE, kept: false },
  ])('keeps the warm instance a rebalance recommendation staged, $what', ({ purpose, expiresAt, kept }) => {
    // The recommendation retyped i-w1 to m5.2xlarge for a 6-vCPU restart; the shape staging picks is m5.large.
    const held = reservation('rebalance:evt-1:i-a1', {
      purpose,
      instanceId: 'i-a1',
      amount: res({ vcpu: 6, memoryGiB: 20 }),
      createdAt: T0 - 5 * MINUTE,
      expiresAt,
    });
    const f = standardFleet({
      primary: { pool: pool('web', { vcpu: 64, memoryGiB: 256, networkMbps: 100_000, diskIops: 1_000_000 }, { reservations: [held] }) },
      standby: {
        policy: policy({ allowedInstanceTypes: ['m5.large', 'm5.xlarge', 'm5.2xlarge'] }),
        instances: [
          instance('i-w1', { groupId: 'web-standby', lifecycle: 'on-demand', state: 'stopped', warm: true, instanceType: 'm5.2xlarge' }),
          instance('i-w2', { groupId: 'web-standby', lifecycle: 'on-demand', state: 'stopped', warm: true, instanceType: 'm5.2xlarge' }),
        ],
      },
    });
    const plan = planStaging(groupId('web'), f, { now: T0 });
    // m5.2xlarge costs 4× m5.large: without the hold both are retyped down; with it, the first that holds it stays.
    expect(only(plan, 'retype-stopped-instance').map((a) => a.instanceId)).toEqual(kept ? ['i-w2'] : ['i-w1', 'i-w2']);
    expect(plan.events[0]).toMatchObject({ kind: 'capacity-staged' });
    const detail = plan.events[0]?.kind === 'capacity-staged' ? plan.events[0].detail : '';
    expect(detail.includes("warm m5.2xlarge i-w1 kept for a rebalance recommendation's restart")).toBe(kept);
  });

  it.each([
    { what: 'the claimed instance, not the first that holds the reservation', claims: [['i-w2', 'i-a1', 30]], victims: ['i-a1'], retyped: ['i-w1'] },
    {
      what: 'one per claim, and the unclaimed reservation of another victim by inference',
      claims: [['i-w2', 'i-a2', 30]],
      victims: ['i-a1', 'i-a2'],
      retyped: [],
    },
    { what: 'nothing for a claim that ran out (the reservation is inferred as before)', claims: [['i-w2', 'i-a1', -1]], victims: ['i-a1'], retyped: ['i-w2'] },
    { what: "nothing for a claim whose victim's reservation was handed over", claims: [['i-w2', 'i-a2', 30]], victims: ['i-a1'], retyped: ['i-w2'] },
  ] as const)('keeps the warm instance a standing claim names: $what', ({ claims, victims, retyped }) => {
    // Each victim's reservation holds 6 vCPU; both warm instances are m5.2xlarge, which staging would retype down.
    const held = victims.map((v) =>
      reservation(`rebalance:evt-1:${v}`, {
        purpose: 'rebalance',
        instanceId: v,
        amount: res({ vcpu: 6, memoryGiB: 20 }),
        createdAt: T0 - 5 * MINUTE,
        expiresAt: T0 + 30 * MINUTE,
      }),
    );
    const f = standardFleet({
      primary: { pool: pool('web', { vcpu: 64, memoryGiB: 256, networkMbps: 100_000, diskIops: 1_000_000 }, { reservations: held }) },
      standby: {
        policy: policy({ allowedInstanceTypes: ['m5.large', 'm5.xlarge', 'm5.2xlarge'] }),
        instances: [
          instance('i-w1', { groupId: 'web-standby', lifecycle: 'on-demand', state: 'stopped', warm: true, instanceType: 'm5.2xlarge' }),
          instance('i-w2', { groupId: 'web-standby', lifecycle: 'on-demand', state: 'stopped', warm: true, instanceType: 'm5.2xlarge' }),
        ],
        warmClaims: claims.map(([w, v, minutes]) => ({
          groupId: groupId('web-standby'),
          instanceId: instanceId(w),
          victimId: instanceId(v),
          until: T0 + minutes * MINUTE,
        })),
      },
    });
    expect(only(planStaging(groupId('web'), f, { now: T0 }), 'retype-stopped-instance').map((a) => a.instanceId)).toEqual(retyped);
  });

  it('never retypes running warm instances (a type change needs the instance stopped)', () => {
    const f = standardFleet({
      standby: {
        instances: [instance('i-w1', { groupId: 'web-standby', lifecycle: 'on-demand', state: 'running', warm: true })],
        warmPool: { ...warmPool(1), poolState: 'Running' },
      },
      forecasts: [forecast('i-a1', { vcpu: 3, memoryGiB: 10 })],
    });
    expect(kinds(planStaging(groupId('web'), f, { now: T0 }))).not.toContain('retype-stopped-instance');
  });

  it('says nothing changes with a noop when the warm pool is already right', () => {
    const f = standardFleet({ standby: { warmPool: warmPool(1) } });
    expect(kinds(planStaging(groupId('web'), f, { now: T0 }))).toEqual(['noop']);
  });

  it('stages a standby group through every primary it backs (one size for the shared warm pool)', () => {
    const base = standardFleet({ standby: { warmPool: warmPool(0) } });
    const other = group('api', {
      standbyGroupId: groupId('web-standby'),
      instances: [instance('i-x1', { groupId: 'api', instanceType: 'm5.xlarge' }), instance('i-x2', { groupId: 'api', instanceType: 'm5.xlarge' })],
      spotPools: [{ instanceType: 'm5.xlarge', availabilityZone: 'us-east-1a', interruptionProbability: 1 }],
    });
    const f = {
      ...base,
      groups: [...base.groups, other],
      forecasts: new Map([
        ...base.forecasts,
        ...[forecast('i-x1', { vcpu: 3, memoryGiB: 12 }), forecast('i-x2', { vcpu: 3, memoryGiB: 12 })].map((fc) => [fc.instanceId, fc] as const),
      ]),
    };
    const fromStandby = planStaging(groupId('web-standby'), f, { now: T0 });
    // 0.35 vCPU (web) + 6 vCPU (api) = 6.35 vCPU, in m5.xlarge (covers api's 3 vCPU / 12 GiB) → 2.
    expect(only(fromStandby, 'put-warm-pool')[0]?.warmPool.minSize).toBe(2);
    expect(planStaging(groupId('web'), f, { now: T0 })).toEqual(fromStandby);
    expect(planStaging(groupId('api'), f, { now: T0 })).toEqual(fromStandby);
  });

  it("stages into a primary group's own warm pool when it has one (On-Demand primary)", () => {
    const f = buildFleet(
      [
        group('od', {
          instances: [instance('i-1', { groupId: 'od' }), instance('i-w', { groupId: 'od', lifecycle: 'on-demand', warm: true, state: 'stopped' })],
          desiredCapacity: 1,
          warmPool: warmPool(0),
          spotPools: [{ instanceType: 'm5.large', availabilityZone: 'us-east-1a', interruptionProbability: 0.5 }],
        }),
      ],
      [forecast('i-1', { vcpu: 1 })],
    );
    expect(only(planStaging(groupId('od'), f, { now: T0 }), 'put-warm-pool')[0]).toMatchObject({ groupId: 'od', warmPool: { minSize: 1 } });
  });

  it.each([
    ['an unknown group', 'nope', 'not a managed group'],
    ['a group with no warm pool', 'plain', 'no warm pool'],
  ])('is a noop with a reason for %s', (_what, id, reason) => {
    const f = buildFleet([group('plain', { instances: [instance('i-1', { groupId: 'plain' })] })], [forecast('i-1', { vcpu: 1 })]);
    expect(planStaging(groupId(id), f, { now: T0 }).actions).toEqual([{ kind: 'noop', reason: expect.stringContaining(reason) }]);
  });

  it('leaves the size unchanged (but still shapes) when a pool cannot be evaluated', () => {
    const broken = { ...standardFleet().groups[0]!.pool, capacity: res({ vcpu: Number.NaN, memoryGiB: 64 }) };
    const f = standardFleet({ primary: { ...onType('m5.xlarge'), pool: broken } });
    const plan = planStaging(groupId('web'), f, { now: T0 });
    expect(kinds(plan)).toEqual(['retype-stopped-instance', 'retype-stopped-instance']);
    expect(plan.events[0]).toMatchObject({ detail: expect.stringContaining('left unchanged') });
  });

  it('lowers the warm pool to 0 and leaves its shapes alone when nothing is exposed', () => {
    const f = standardFleet({ primary: { instances: [instance('i-od', { lifecycle: 'on-demand' })] } });
    expect(planStaging(groupId('web'), f, { now: T0 }).actions).toEqual([expect.objectContaining({ kind: 'put-warm-pool', warmPool: warmPool(0) })]);
  });
});

describe('planStaging: the configured warm_pool.min_size is a floor', () => {
  // standardFleet's exposure needs 1 × m5.large and its warm pool holds minSize 2 now.
  it.each([
    ['no floor: staging lowers the pool to the exposure', undefined, 1],
    ['floor 0: the same', 0, 1],
    ['floor 4 above the exposure: staging raises the pool to it', 4, 4],
    ['floor 1 at the exposure: staging sets the exposure', 1, 1],
  ])('%s', (_name, floor, expected) => {
    const f = standardFleet({ standby: floor === undefined ? {} : { configuredWarmPool: warmPool(floor) } });
    const plan = planStaging(groupId('web'), f, { now: T0 });
    expect(only(plan, 'put-warm-pool')[0]?.warmPool.minSize).toBe(expected);
  });

  it('leaves a pool already at the floor alone, saying why', () => {
    const f = standardFleet({ standby: { configuredWarmPool: warmPool(2) } });
    const plan = planStaging(groupId('web'), f, { now: T0 });
    expect(kinds(plan)).toEqual(['noop']);
    expect(plan.actions[0]).toEqual({ kind: 'noop', reason: expect.stringContaining('configured min_size 2 kept (staging alone would set 1)') });
  });

  it('keeps the floor when the budget has no room for it', () => {
    const f = standardFleet({
      primary: { pool: pool('web', res({ vcpu: 1, memoryGiB: 1, networkMbps: 1, diskIops: 1 })) },
      standby: { configuredWarmPool: warmPool(3) },
    });
    const plan = planStaging(groupId('web'), f, { now: T0 });
    expect(only(plan, 'put-warm-pool')[0]?.warmPool.minSize).toBe(3);
    expect(plan.events[0]).toEqual(expect.objectContaining({ detail: expect.stringContaining('configured min_size 3 kept (staging alone would set 0)') }));
  });
});

describe('planStaging: the configured warm pool settings are what it writes', () => {
  it.each([
    ['max_prepared_capacity', { maxGroupPreparedCapacity: 3 }, 'max_prepared_capacity -1 → 3'],
    ['pool_state', { poolState: 'Hibernated' as const }, 'pool_state Stopped → Hibernated'],
    ['reuse_on_scale_in', { reuseOnScaleIn: false }, 'reuse_on_scale_in true → false'],
  ])('a warm pool whose %s differs from the configuration is written back to it', (_field, change, said) => {
    // The size needs no change (configured floor 2 = the pool's minSize): only the drift makes the write.
    const configured = { ...warmPool(2), ...change };
    const plan = planStaging(groupId('web'), standardFleet({ standby: { configuredWarmPool: configured } }), { now: T0 });
    expect(only(plan, 'put-warm-pool')).toEqual([expect.objectContaining({ warmPool: configured, reason: expect.stringContaining(`configured ${said}`) })]);
  });

  it("a resize carries the configured settings, not AWS's", () => {
    const configured = { ...warmPool(0), poolState: 'Running' as const };
    const plan = planStaging(groupId('web'), standardFleet({ standby: { configuredWarmPool: configured } }), { now: T0 });
    expect(only(plan, 'put-warm-pool')[0]?.warmPool).toEqual({ ...configured, minSize: 1 });
  });

  it("without a configured warm pool AWS's settings are kept", () => {
    const plan = planStaging(groupId('web'), standardFleet({ standby: { warmPool: { ...warmPool(2), poolState: 'Running' } } }), { now: T0 });
    expect(only(plan, 'put-warm-pool')[0]?.warmPool).toEqual({ ...warmPool(1), poolState: 'Running' });
  });
});
