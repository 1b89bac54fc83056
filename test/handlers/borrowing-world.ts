import { parseSpotwiseConfig } from '../../lambda/contracts/config';
import { groupId, instanceId, type InstanceId, type InstanceTypeSpec, type MetricSample } from '../../lambda/core/domain';
import { FleetBuilder } from '../../lambda/sim/fleet/fleet-builder';
import { createInMemoryPorts } from '../../lambda/sim/memory';
import { profilerDeps } from './profiler-deps';

/**
 * The borrowing world the handler and `spotwise plan` tests share: a batch group whose pool has POOL_GIB of memory.
 * HI (priority 90) uses 5 GiB; LO (priority 10) used 6 GiB for most of the hour and 1 GiB for the last ten minutes,
 * so its allocation (its steady p90) is 6 GiB while it uses 1. `requestEvent` asks to interrupt HI.
 */
export const GROUP = groupId('batch-asg');
export const NOW = Date.parse('2026-03-02T10:00:30Z');
export const MINUTE = 60_000;
const LAUNCHED = NOW - 86_400_000;
export const HI = instanceId('i-0aaaaaaaaaaaaaaa1');
export const LO = instanceId('i-0ccccccccccccccc9');
export const POOL_GIB = 13;
const spec = (name: string, memoryGiB: number, usd: number): InstanceTypeSpec => ({
  name,
  resources: { vcpu: 2, memoryGiB, networkMbps: 5_000, diskIops: 10_000 },
  onDemandHourlyUsd: usd,
  spotHourlyUsd: usd * 0.35,
});
const CATALOG = [spec('m5.large', 8, 0.096)];
export const samples = (from: number, minutes: number, memoryGiB: (k: number) => number): MetricSample[] =>
  Array.from({ length: minutes }, (_, k) => ({
    at: from + k * MINUTE,
    cpuPercent: 20,
    cpuMaxPercent: 30,
    memoryGiB: memoryGiB(k),
    networkMbps: 10,
    diskIops: 10,
  }));

export const borrowingWorld = (borrowLimit: number, throttle: { enabled: boolean; over_allocation_minutes?: number } = { enabled: false }) => {
  const fleet = new FleetBuilder({ catalog: CATALOG }).addGroup({ id: GROUP, desiredCapacity: 2, minSize: 0, maxSize: 4, availabilityZones: ['eu-west-1a'] });
  const member = (id: InstanceId, priority: number): void => {
    fleet.addMember({
      id,
      groupId: GROUP,
      instanceType: 'm5.large',
      availabilityZone: 'eu-west-1a',
      lifecycle: 'on-demand',
      launchedAt: LAUNCHED,
      priority,
      jobType: 'batch',
    });
  };
  member(HI, 90);
  member(LO, 10);
  const ports = createInMemoryPorts({ now: NOW, cloud: fleet.cloudState() });
  ports.metrics.addSamples(
    HI,
    samples(NOW - 90 * MINUTE, 90, () => 5),
  );
  ports.metrics.addSamples(
    LO,
    samples(NOW - 90 * MINUTE, 90, (k) => (k < 80 ? 6 : 1)),
  );
  const config = parseSpotwiseConfig({
    groups: [{ name: GROUP, policy: 'batch', capacity: { vcpu: 64, memory_gib: POOL_GIB, network_mbps: 100_000, disk_iops: 200_000 } }],
    policies: [{ policy_name: 'batch', priority: 'low', borrow_limit: borrowLimit, disruption_budget: { max_unavailable: 1 }, throttle }],
    dry_run: false,
  });
  const deps = profilerDeps(ports, config);
  return { ports, deps };
};

export const tick = { source: 'spotwise', 'detail-type': 'Profile Tick', detail: { groupName: GROUP } };
export const requestEvent = {
  version: '0',
  id: '6f1c3f8e-2b7d-4f47-9a53-0c1e9d2f4a99',
  'detail-type': 'Interruption Requested',
  source: 'spotwise',
  account: '123456789012',
  time: new Date(NOW).toISOString(),
  region: 'eu-west-1',
  resources: [],
  detail: {
    requestId: 'patch-hi',
    instanceId: HI,
    reason: 'kernel patch',
    notBefore: new Date(NOW + 10 * MINUTE).toISOString(),
    deadline: new Date(NOW + 6 * 60 * MINUTE).toISOString(),
    mode: 'terminate',
  },
};
export const domainEvents = (ports: ReturnType<typeof borrowingWorld>['ports'], kind: string) =>
  ports.publisher.entries.filter((e) => e.detailType === 'Domain Event' && (e.detail as { kind: string }).kind === kind).map((e) => e.detail);
