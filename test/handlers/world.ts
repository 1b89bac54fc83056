import { parseSpotwiseConfig } from '../../lambda/contracts/config';
import { groupId, instanceId, type Forecast, type InstanceId, type InstanceTypeSpec, type Resources } from '../../lambda/core/domain';
import { toManagedGroups } from '../../lambda/app/managed-groups';
import type { NoticeDeps } from '../../lambda/handlers/notice';
import { FleetBuilder, historyForecast, type MemberInput } from '../../lambda/sim/fleet/fleet-builder';
import { RecordingTelemetry, type InMemoryPorts } from '../../lambda/sim/memory';

/**
 * A small fleet around the instances the real event fixtures name: "my-asg" (the AWS docs' group) runs
 * them on Spot, backed by "my-asg-standby", an On-Demand group with a warm pool of stopped instances.
 */
export const GROUP = groupId('my-asg');
export const STANDBY = groupId('my-asg-standby');
/** Instance ids in the fixtures. */
export const FIXTURE_INSTANCES = {
  docs: instanceId('i-1234567890abcdef0'),
  nth: instanceId('i-0b662ef9931388ba0'),
  karpenter: instanceId('i-0123456789'),
  stateChange: instanceId('i-abcd1111'),
} as const;
export const OTHER = instanceId('i-0aaaaaaaaaaaaaaa1');
export const WARM = [instanceId('i-0cccccccccccccc01'), instanceId('i-0cccccccccccccc02')] as const;
/** Friday 12 August 2022 14:00 UTC: the Karpenter sample's time, so its warning is fresh. */
export const NOW = Date.parse('2022-08-11T14:00:30Z');

const spec = (name: string, vcpu: number, memoryGiB: number, usd: number): InstanceTypeSpec => ({
  name,
  resources: { vcpu, memoryGiB, networkMbps: 10_000, diskIops: 20_000 },
  onDemandHourlyUsd: usd,
  spotHourlyUsd: usd * 0.35,
});
export const CATALOG = [spec('m5.large', 2, 8, 0.096), spec('m5.xlarge', 4, 16, 0.192), spec('m5.2xlarge', 8, 32, 0.384)];

export const knownForecast = (id: string, p90: Partial<Resources>, madeAt = NOW - 60_000): Forecast =>
  historyForecast(instanceId(id), madeAt, (d) => {
    const v = p90[d] ?? 0;
    return { p50: v * 0.8, p90: v };
  });

/** The instance the request fixtures name (spotwise-interruption-requested-instance.json). */
export const REQUEST_VICTIM = instanceId('i-0a1b2c3d4e5f60718');

/**
 * Adds the request fixtures' victim to the world's group: an On-Demand m5.xlarge running for a day before `now`,
 * with a known forecast (3 vCPU, 10 GiB) made a minute before `now` unless `forecast` is false.
 */
export const addRequestVictim = (w: World, now: number, opts: { readonly forecast?: boolean } = {}): void => {
  w.ports.cloud.putInstance({
    id: REQUEST_VICTIM,
    groupId: GROUP,
    instanceType: 'm5.xlarge',
    availabilityZone: 'us-west-2a',
    lifecycle: 'on-demand',
    state: 'running',
    launchedAt: now - 86_400_000,
    warm: false,
    priority: 50,
    jobType: 'web',
    tags: { 'aws:autoscaling:groupName': GROUP },
  });
  if (opts.forecast !== false)
    w.ports.stateStore.seedForecasts([knownForecast(REQUEST_VICTIM, { vcpu: 3, memoryGiB: 10, networkMbps: 100, diskIops: 200 }, now - 60_000)]);
};

export const configInput = (over: Record<string, unknown> = {}) => ({
  groups: [{ name: GROUP, policy: 'web', capacity: { vcpu: 32, memory_gib: 128, network_mbps: 100_000, disk_iops: 200_000 }, standby: STANDBY }],
  standby_groups: [{ name: STANDBY, warm_pool: { min_size: 2 } }],
  policies: [{ policy_name: 'web', priority: 'high', allowed_instance_types: ['m5.large', 'm5.xlarge', 'm5.2xlarge'] }],
  dry_run: false,
  ...over,
});

export interface World {
  readonly ports: InMemoryPorts;
  readonly telemetry: RecordingTelemetry;
  readonly deps: NoticeDeps;
}

/** A fresh world; `seedState` false leaves the store without pools and forecasts. */
export const buildWorld = async (
  opts: { readonly dryRun?: boolean; readonly config?: Record<string, unknown>; readonly seedState?: boolean } = {},
): Promise<World> => {
  const fleet = new FleetBuilder({ catalog: CATALOG })
    .addGroup({ id: GROUP, desiredCapacity: 5, minSize: 1, maxSize: 10, availabilityZones: ['us-west-2a', 'us-west-2b'] })
    .addGroup({
      id: STANDBY,
      desiredCapacity: 0,
      minSize: 0,
      maxSize: 6,
      availabilityZones: ['us-west-2a', 'us-west-2b'],
      warmPool: { minSize: 2, maxGroupPreparedCapacity: -1, poolState: 'Stopped', reuseOnScaleIn: true },
    });
  const primary = (id: InstanceId, over: Partial<MemberInput> = {}): void => {
    fleet.addMember({
      id,
      groupId: GROUP,
      instanceType: 'm5.large',
      availabilityZone: 'us-west-2a',
      launchedAt: NOW - 86_400_000,
      priority: 90,
      jobType: 'web',
      ...over,
    });
  };
  primary(FIXTURE_INSTANCES.docs);
  primary(FIXTURE_INSTANCES.nth, { availabilityZone: 'us-west-2b' });
  primary(FIXTURE_INSTANCES.karpenter);
  primary(FIXTURE_INSTANCES.stateChange, { state: 'pending' });
  primary(OTHER, { instanceType: 'm5.xlarge' });
  fleet.addWarmMembers({
    groupId: STANDBY,
    ids: WARM,
    instanceType: 'm5.large',
    azs: ['us-west-2a'],
    launchedAt: NOW - 86_400_000,
    priority: 90,
    jobType: 'web',
  });
  if (opts.seedState !== false) {
    fleet
      .setPool({ groupId: GROUP, capacity: { vcpu: 32, memoryGiB: 128, networkMbps: 100_000, diskIops: 200_000 } })
      .setPool({ groupId: STANDBY, capacity: { vcpu: 8, memoryGiB: 32, networkMbps: 20_000, diskIops: 40_000 } })
      .addForecasts([
        ...Object.values(FIXTURE_INSTANCES).map((id) => knownForecast(id, { vcpu: 1.5, memoryGiB: 4, networkMbps: 100, diskIops: 200 })),
        knownForecast(OTHER, { vcpu: 3, memoryGiB: 10, networkMbps: 100, diskIops: 200 }),
      ]);
  }
  const ports = await fleet.createPorts({ now: NOW });
  const telemetry = new RecordingTelemetry();
  const managed = toManagedGroups(parseSpotwiseConfig(configInput(opts.config)));
  const deps: NoticeDeps = {
    ports: ports.handlerPorts(),
    managed,
    dryRun: opts.dryRun ?? false,
    telemetry,
  };
  return { ports, telemetry, deps };
};
