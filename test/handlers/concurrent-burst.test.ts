import { describe, expect, it } from 'vitest';
import { parseSpotwiseConfig } from '../../lambda/contracts/config';
import { instanceId, type InstanceId } from '../../lambda/core/domain';
import { toManagedGroups } from '../../lambda/app/managed-groups';
import { makeHandler, type NoticeDeps } from '../../lambda/handlers/notice';
import { createInMemoryPorts, RecordingTelemetry } from '../../lambda/sim/memory';
import { CATALOG, configInput, GROUP, knownForecast, NOW, STANDBY } from './world';

const BURST = 24;

/** A Spot warning in the EC2 User Guide's shape, for one instance. */
const warning = (id: InstanceId, k: number) => ({
  version: '0',
  id: `burst-${k.toString().padStart(4, '0')}-7370-4164db56a40e`,
  'detail-type': 'EC2 Spot Instance Interruption Warning',
  source: 'aws.ec2',
  account: '123456789012',
  time: new Date(NOW).toISOString(),
  region: 'us-west-2',
  resources: [`arn:aws:ec2:us-west-2a:instance/${id}`],
  detail: { 'instance-id': id, 'instance-action': 'terminate' },
});

/**
 * A whole Spot pool reclaimed at once (DESIGN.md §1): 24 warnings delivered to the notice handler at the same
 * moment, as Lambda runs them — concurrently, their awaits interleaved over the shared in-memory cloud and
 * store. Every warning that raises the standby group must count: the group ends at its start plus every
 * increase the executed plans asked for, never at one warning's snapshot + 1.
 */
describe('notice handler: one burst of concurrent Spot warnings', () => {
  it(`raises the standby group once per warning that needs it (${BURST} concurrent deliveries), losing no increase`, async () => {
    const victims = Array.from({ length: BURST }, (_, k) => instanceId(`i-0b0000000000${(k + 1).toString(16).padStart(5, '0')}`));
    const ports = createInMemoryPorts({
      now: NOW,
      cloud: {
        catalog: CATALOG,
        groups: [
          { id: GROUP, desiredCapacity: BURST, minSize: 1, maxSize: 60, availabilityZones: ['us-west-2a'], tags: {} },
          {
            id: STANDBY,
            desiredCapacity: 0,
            minSize: 0,
            maxSize: 60,
            availabilityZones: ['us-west-2a'],
            tags: {},
            warmPool: { minSize: 2, maxGroupPreparedCapacity: -1, poolState: 'Stopped', reuseOnScaleIn: true },
          },
        ],
        instances: victims.map((id) => ({
          id,
          groupId: GROUP,
          instanceType: 'm5.large',
          availabilityZone: 'us-west-2a',
          lifecycle: 'spot' as const,
          state: 'running' as const,
          launchedAt: NOW - 86_400_000,
          warm: false,
          priority: 90,
          jobType: 'web',
          tags: { 'aws:autoscaling:groupName': GROUP },
        })),
      },
    });
    await ports.stateStore.putPoolCapacity(GROUP, { vcpu: 256, memoryGiB: 1024, networkMbps: 1_000_000, diskIops: 2_000_000 });
    await ports.stateStore.putPoolCapacity(STANDBY, { vcpu: 256, memoryGiB: 1024, networkMbps: 1_000_000, diskIops: 2_000_000 });
    ports.stateStore.seedForecasts(victims.map((id) => knownForecast(id, { vcpu: 1.5, memoryGiB: 4, networkMbps: 100, diskIops: 200 })));
    const telemetry = new RecordingTelemetry();
    const config = configInput({
      groups: [{ name: GROUP, policy: 'web', capacity: { vcpu: 256, memory_gib: 1024, network_mbps: 1_000_000, disk_iops: 2_000_000 }, standby: STANDBY }],
    });
    const deps: NoticeDeps = {
      ports: ports.handlerPorts(),
      managed: toManagedGroups(parseSpotwiseConfig(config)),
      dryRun: false,
      telemetry,
    };
    const handler = makeHandler(deps);

    const results = await Promise.all(victims.map((id, k) => handler(warning(id, k))));

    expect(results.every((r) => r.status === 'planned')).toBe(true);
    expect(telemetry.logsAt('error')).toEqual([]);
    const raises = ports.cloud.log.calls.filter((c) => c.operation === 'changeDesiredCapacity');
    const asked = raises.filter((c) => c.args[0] === STANDBY).reduce((n, c) => n + (c.args[1] as number), 0);
    expect(asked).toBeGreaterThanOrEqual(20);
    // Every increase counted: the group holds all of them (a read-then-set would leave it at one snapshot + 1).
    expect(ports.cloud.group(STANDBY)?.desiredCapacity).toBe(asked);
    // The deliveries really interleaved: many plans were made from the same snapshot of the standby group,
    // so an absolute write of snapshot + 1 would have lost increases.
    const seenFrom = ports.publisher.entries
      .flatMap((e) => (e.detailType === 'Plan Made' ? e.detail.plan.actions : []))
      .flatMap((a) => (a.kind === 'change-desired-capacity' && a.groupId === STANDBY ? [a.from] : []));
    expect(seenFrom.length).toBe(asked);
    expect(new Set(seenFrom).size).toBeLessThan(seenFrom.length);
    // And it matches the reservations that needed the standby: one per warning placed there.
    expect(asked).toBe(results.filter((r) => r.status === 'planned' && r.actions?.includes('change-desired-capacity')).length);
  });
});
