import { describe, expect, it } from 'vitest';
import { groupId, type InstanceTypeSpec } from '../../../lambda/core/domain';
import { FleetBuilder, historyForecast, makeInstanceId, makeInstanceIds, spreadSlot } from '../../../lambda/sim/fleet/fleet-builder';

const spec = (name: string, vcpu: number, memoryGiB: number): InstanceTypeSpec => ({
  name,
  resources: { vcpu, memoryGiB, networkMbps: 10_000, diskIops: 20_000 },
  onDemandHourlyUsd: vcpu * 0.048,
  spotHourlyUsd: vcpu * 0.017,
});
const CATALOG = [spec('m5.large', 2, 8), spec('m5.xlarge', 4, 16)];
const WEB = groupId('web');
const STANDBY = groupId('standby');

const build = (managedTag?: boolean) => {
  const fleet = new FleetBuilder({ catalog: CATALOG, ...(managedTag !== undefined ? { managedTag } : {}) })
    .addGroup({ id: WEB, desiredCapacity: 2, minSize: 0, maxSize: 4, availabilityZones: ['us-east-1a'], tags: { 'spotwise:role': 'primary' } })
    .addGroup({
      id: STANDBY,
      desiredCapacity: 0,
      minSize: 0,
      maxSize: 2,
      availabilityZones: ['us-east-1a', 'us-east-1b'],
      warmPool: { minSize: 2, maxGroupPreparedCapacity: 2, poolState: 'Stopped', reuseOnScaleIn: true },
    });
  const web = [
    fleet.addMember({
      id: makeInstanceId('a', 1),
      groupId: WEB,
      instanceType: 'm5.large',
      availabilityZone: 'us-east-1a',
      launchedAt: 5,
      priority: 90,
      jobType: 'web',
    }),
    fleet.addMember({
      id: makeInstanceId('a', 2),
      groupId: WEB,
      instanceType: 'm5.xlarge',
      availabilityZone: 'us-east-1a',
      lifecycle: 'on-demand',
      state: 'pending',
      launchedAt: 6,
      priority: 90,
      jobType: 'web',
    }),
  ];
  const warm = fleet.addWarmMembers({
    groupId: STANDBY,
    ids: makeInstanceIds('c', 3),
    instanceType: 'm5.xlarge',
    azs: ['us-east-1a', 'us-east-1b'],
    launchedAt: 1,
    priority: 90,
  });
  return { fleet, web, warm };
};

describe('fleet builder ids and spreads', () => {
  it('makes EC2-like ids: "i-0", the prefix, the number in hex, 17 characters after "i-"', () => {
    expect(makeInstanceId('a', 255)).toBe('i-0a0000000000000ff');
    expect(makeInstanceId('f1a2b3c', 1)).toBe('i-0f1a2b3c000000001');
    expect(makeInstanceIds('e', 2)).toEqual([makeInstanceId('e', 1), makeInstanceId('e', 2)]);
    expect(makeInstanceId('a', 1).length).toBe(19);
  });

  it('spreads members round-robin over types, then AZs', () => {
    const slots = [0, 1, 2, 3, 4, 5].map((k) => spreadSlot(k, ['x', 'y'], ['a', 'b']));
    expect(slots.map((s) => `${s.instanceType}@${s.availabilityZone}`)).toEqual(['x@a', 'y@a', 'x@b', 'y@b', 'x@a', 'y@a']);
  });
});

describe('FleetBuilder', () => {
  it('makes members running on Spot unless told otherwise, and warm members stopped On-Demand spread over the AZs', () => {
    const { web, warm } = build();
    expect(web[0]).toEqual({
      id: makeInstanceId('a', 1),
      groupId: WEB,
      instanceType: 'm5.large',
      availabilityZone: 'us-east-1a',
      lifecycle: 'spot',
      state: 'running',
      launchedAt: 5,
      warm: false,
      priority: 90,
      jobType: 'web',
    });
    expect(web[1]).toMatchObject({ lifecycle: 'on-demand', state: 'pending', warm: false });
    expect(warm.map((w) => [w.availabilityZone, w.lifecycle, w.state, w.warm, w.jobType])).toEqual([
      ['us-east-1a', 'on-demand', 'stopped', true, 'standby'],
      ['us-east-1b', 'on-demand', 'stopped', true, 'standby'],
      ['us-east-1a', 'on-demand', 'stopped', true, 'standby'],
    ]);
  });

  it('tags members with their group as Auto Scaling does; with managedTag, groups and members also carry spotwise:managed', () => {
    const plain = build().fleet.cloudState();
    expect(plain.instances?.[0]?.tags).toEqual({ 'aws:autoscaling:groupName': WEB });
    expect(plain.groups?.map((g) => g.tags)).toEqual([{ 'spotwise:role': 'primary' }, {}]);
    const managed = build(true).fleet.cloudState();
    expect(managed.instances?.[4]?.tags).toEqual({ 'spotwise:managed': 'true', 'aws:autoscaling:groupName': STANDBY });
    expect(managed.groups?.map((g) => g.tags)).toEqual([{ 'spotwise:managed': 'true', 'spotwise:role': 'primary' }, { 'spotwise:managed': 'true' }]);
    expect(managed.catalog).toBe(CATALOG);
    expect(managed.groups?.[1]?.warmPool?.minSize).toBe(2);
  });

  it('sums the members shapes from the catalog and refuses a type it does not price', () => {
    const { fleet, web } = build();
    expect(fleet.shapes(web)).toEqual({ vcpu: 6, memoryGiB: 24, networkMbps: 20_000, diskIops: 40_000 });
    expect(() => fleet.shapeOf('x9.huge')).toThrow('x9.huge');
  });

  it('stores pools, allocations and forecasts through the port, then leaves every call log empty', async () => {
    const { fleet, web } = build();
    const forecast = historyForecast(web[0]!.id, 100, (d) => ({ p50: d === 'vcpu' ? 1 : 0, p90: d === 'vcpu' ? 1.5 : 0 }));
    fleet
      .setPool({
        groupId: WEB,
        capacity: { vcpu: 8, memoryGiB: 32, networkMbps: 40_000, diskIops: 80_000 },
        allocations: new Map([[web[0]!.id, { vcpu: 1, memoryGiB: 2, networkMbps: 0, diskIops: 0 }]]),
      })
      .setPool({ groupId: STANDBY, capacity: { vcpu: 12, memoryGiB: 48, networkMbps: 30_000, diskIops: 60_000 } })
      .addForecasts([forecast]);
    const ports = await fleet.createPorts({ now: 1_000 });
    expect(ports.journal.calls).toEqual([]);
    expect(ports.stateStore.log.calls).toEqual([]);
    expect(ports.clock.now()).toBe(1_000);
    expect(ports.stateStore.poolSnapshot(WEB)).toMatchObject({ capacity: { vcpu: 8 }, version: 2 });
    expect(ports.stateStore.poolSnapshot(WEB)?.allocations.get(web[0]!.id)).toEqual({ vcpu: 1, memoryGiB: 2, networkMbps: 0, diskIops: 0 });
    expect(ports.stateStore.poolSnapshot(STANDBY)?.allocations.size).toBe(0);
    expect((await ports.stateStore.getForecasts([web[0]!.id])).get(web[0]!.id)).toEqual(forecast);
    expect(forecast).toMatchObject({
      kind: 'known',
      downtimeSeconds: 120,
      windowMinutes: 30,
      dims: { vcpu: { p50: 1, p90: 1.5, basis: 'instance-history', confidence: 0.8 } },
    });
    expect((await ports.cloud.describeInstances({ groupIds: [STANDBY] })).map((i) => i.id)).toEqual(makeInstanceIds('c', 3));
  });
});
