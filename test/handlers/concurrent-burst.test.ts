import { describe, expect, it } from 'vitest';
import { parseSpotwiseConfig } from '../../lambda/contracts/config';
import { instanceId, type GroupId, type InstanceId, type ManagedInstance, type Resources, type WarmPoolView } from '../../lambda/core/domain';
import { toManagedGroups } from '../../lambda/app/managed-groups';
import { makeHandler, type NoticeDeps } from '../../lambda/handlers/notice';
import { createInMemoryPorts, RecordingTelemetry } from '../../lambda/sim/memory';
import { CATALOG, configInput, GROUP, knownForecast, NOW, STANDBY, WARM } from './world';

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

const victimIds = (n: number): InstanceId[] => Array.from({ length: n }, (_, k) => instanceId(`i-0b0000000000${(k + 1).toString(16).padStart(5, '0')}`));

/** A member of `groupId` as the fake cloud holds it: a day-old Spot m5.large unless told otherwise. */
const host = (id: InstanceId, over: Partial<ManagedInstance> & { groupId: GroupId }) => ({
  id,
  instanceType: 'm5.large',
  availabilityZone: 'us-west-2a',
  lifecycle: 'spot' as const,
  state: 'running' as const,
  launchedAt: NOW - 86_400_000,
  warm: false,
  priority: 90,
  jobType: 'web',
  tags: { 'aws:autoscaling:groupName': over.groupId },
  ...over,
});

/**
 * The primary group of `victims` (each with the p90 `p90`) backed by a standby group with a warm pool, both with
 * ample pools, and the notice handler over them (real configuration, in-memory AWS).
 */
const burstWorld = async (opts: {
  victims: readonly InstanceId[];
  p90: Partial<Resources>;
  warmPool: WarmPoolView;
  warm?: readonly ReturnType<typeof host>[];
  /** The victims' type (m5.large unless told): a warm stand-in holds the p90 up to its victim's type, beyond it the p50. */
  victimType?: string;
}) => {
  const ports = createInMemoryPorts({
    now: NOW,
    cloud: {
      catalog: CATALOG,
      groups: [
        { id: GROUP, desiredCapacity: opts.victims.length, minSize: 1, maxSize: 60, availabilityZones: ['us-west-2a'], tags: {} },
        { id: STANDBY, desiredCapacity: 0, minSize: 0, maxSize: 60, availabilityZones: ['us-west-2a'], tags: {}, warmPool: opts.warmPool },
      ],
      instances: [...opts.victims.map((id) => host(id, { groupId: GROUP, instanceType: opts.victimType ?? 'm5.large' })), ...(opts.warm ?? [])],
    },
  });
  const room = { vcpu: 256, memoryGiB: 1024, networkMbps: 1_000_000, diskIops: 2_000_000 };
  await ports.stateStore.putPoolCapacity(GROUP, room);
  await ports.stateStore.putPoolCapacity(STANDBY, room);
  ports.stateStore.seedForecasts(opts.victims.map((id) => knownForecast(id, opts.p90)));
  const telemetry = new RecordingTelemetry();
  const config = configInput({
    groups: [{ name: GROUP, policy: 'web', capacity: { vcpu: 256, memory_gib: 1024, network_mbps: 1_000_000, disk_iops: 2_000_000 }, standby: STANDBY }],
  });
  const deps: NoticeDeps = { ports: ports.handlerPorts(), managed: toManagedGroups(parseSpotwiseConfig(config)), dryRun: false, telemetry };
  return { ports, telemetry, handler: makeHandler(deps) };
};

/**
 * A whole Spot pool reclaimed at once (DESIGN.md §1): 24 warnings delivered to the notice handler at the same
 * moment, as Lambda runs them — concurrently, their awaits interleaved over the shared in-memory cloud and
 * store. Every warning that raises the standby group must count: the group ends at its start plus every
 * increase the executed plans asked for, never at one warning's snapshot + 1.
 */
describe('notice handler: one burst of concurrent Spot warnings', () => {
  it(`raises the standby group once per warning that needs it (${BURST} concurrent deliveries), losing no increase`, async () => {
    const victims = victimIds(BURST);
    const { ports, telemetry, handler } = await burstWorld({
      victims,
      p90: { vcpu: 1.5, memoryGiB: 4, networkMbps: 100, diskIops: 200 },
      warmPool: { minSize: 2, maxGroupPreparedCapacity: -1, poolState: 'Stopped', reuseOnScaleIn: true },
    });

    const results = await Promise.all(victims.map((id, k) => handler(warning(id, k))));

    expect(results.every((r) => r.status === 'planned')).toBe(true);
    expect(telemetry.logsAt('error')).toEqual([]);
    // A warning's fleet read does not ask for the warm claims (only recommendations and staging decide by them).
    expect(ports.stateStore.log.callsTo('getWarmClaims')).toEqual([]);
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

/** A rebalance recommendation in the shape EC2 sends it (test/fixtures/events/ec2-instance-rebalance-recommendation__aws-nth.json). */
const recommendation = (id: InstanceId, k: number) => ({
  version: '0',
  id: `rebalance-${k.toString().padStart(4, '0')}-dd55-5555dd55d55d`,
  'detail-type': 'EC2 Instance Rebalance Recommendation',
  source: 'aws.ec2',
  account: '123456789012',
  time: new Date(NOW).toISOString(),
  region: 'us-west-2',
  resources: [`arn:aws:ec2:us-west-2a:instance/${id}`],
  detail: { 'instance-id': id },
});

/**
 * Rebalance recommendations for a whole pool at once: each asks Auto Scaling to prepare one more warm instance
 * (none present covers its victim's restart). PutWarmPool is absolute, so without the warm-pool lease every
 * delivery read the same pool and wrote the same min size + 1; with it, every raise counts.
 */
describe('notice handler: one burst of concurrent rebalance recommendations', () => {
  it('raises the warm pool once per recommendation (8 concurrent deliveries), losing no raise', async () => {
    const n = 8;
    const victims = victimIds(n);
    const { ports, telemetry, handler } = await burstWorld({
      victims,
      // Two running warm m5.large: too small for a 3-vCPU restart, and a running instance cannot be retyped.
      // m5.xlarge victims: their own type holds the 3 vCPU / 12 GiB p90, so the stand-in is staged for all of it.
      victimType: 'm5.xlarge',
      p90: { vcpu: 3, memoryGiB: 12, networkMbps: 100, diskIops: 200 },
      warmPool: { minSize: 2, maxGroupPreparedCapacity: -1, poolState: 'Running', reuseOnScaleIn: true },
      warm: WARM.map((id) => host(id, { groupId: STANDBY, lifecycle: 'on-demand', warm: true })),
    });

    const results = await Promise.all(victims.map((id, k) => handler(recommendation(id, k))));

    expect(results.every((r) => r.status === 'planned' && r.succeeded)).toBe(true);
    expect(telemetry.logsAt('error')).toEqual([]);
    // Every plan asked for one more, each from the same snapshot (min size 2, 2 warm): an absolute write would end at 3.
    const plans = ports.publisher.entries.flatMap((e) => (e.detailType === 'Plan Made' ? e.detail.plan.actions : []));
    expect(plans.filter((a) => a.kind === 'raise-warm-pool' && a.groupId === STANDBY)).toHaveLength(n);
    expect(ports.cloud.group(STANDBY)?.warmPool?.minSize).toBe(2 + n);
    // Nobody wrote outside the lease, and it is free with nothing left queued.
    expect(ports.stateStore.warmPoolWriterSnapshot(STANDBY)).toEqual({ raises: 0 });
    const puts = ports.cloud.log.calls.filter((c) => c.operation === 'putWarmPool');
    expect(puts.length).toBeGreaterThanOrEqual(1);
    expect(puts.length).toBeLessThan(n);
  });
});

/**
 * A burst of recommendations with stopped warm instances to stage: every plan reads the same snapshot, so every one
 * names the same candidates in the same order. Each claims its own (a conditional write per instance): the two stopped
 * m5.large are retyped once each, for two different victims, and the recommendations left without one ask for one more.
 */
describe('notice handler: concurrent rebalance recommendations over stopped warm instances', () => {
  it('stages one warm instance per victim: each stopped instance retyped once, the rest raised', async () => {
    const n = 5;
    const victims = victimIds(n);
    const { ports, telemetry, handler } = await burstWorld({
      victims,
      // Two stopped warm m5.large: too small for a 3-vCPU restart, retyped while stopped.
      // m5.xlarge victims: their own type holds the 3 vCPU / 12 GiB p90, so the stand-in is staged for all of it.
      victimType: 'm5.xlarge',
      p90: { vcpu: 3, memoryGiB: 12, networkMbps: 100, diskIops: 200 },
      warmPool: { minSize: 2, maxGroupPreparedCapacity: -1, poolState: 'Stopped', reuseOnScaleIn: true },
      warm: WARM.map((id) => host(id, { groupId: STANDBY, lifecycle: 'on-demand', warm: true, state: 'stopped' })),
    });

    const results = await Promise.all(victims.map((id, k) => handler(recommendation(id, k))));

    expect(results.every((r) => r.status === 'planned' && r.succeeded)).toBe(true);
    expect(telemetry.logsAt('error')).toEqual([]);
    const plans = ports.publisher.entries.flatMap((e) => (e.detailType === 'Plan Made' ? e.detail.plan.actions : []));
    expect(plans.filter((a) => a.kind === 'stage-warm-instance' && a.candidates.map((c) => c.instanceId).join() === WARM.join())).toHaveLength(n);
    // Each warm instance retyped once (the old plan retyped the first one n times: the last ModifyInstanceAttribute won).
    const retypes = ports.cloud.log.callsTo('retypeStoppedInstance').map((c) => c.args[0]);
    expect([...retypes].sort()).toEqual([...WARM].sort());
    // Each recommendation's fleet read asked for the claims (one Query per warm pool).
    expect(ports.stateStore.log.callsTo('getWarmClaims')).toHaveLength(n);
    const claims = await ports.stateStore.getWarmClaims(STANDBY, NOW);
    expect(claims.map((c) => c.instanceId).sort()).toEqual([...WARM].sort());
    expect(new Set(claims.map((c) => c.victimId)).size).toBe(WARM.length);
    // The three left asked for one more each, through the lease.
    expect(ports.cloud.group(STANDBY)?.warmPool?.minSize).toBe(2 + (n - WARM.length));
    expect(ports.stateStore.warmPoolWriterSnapshot(STANDBY)).toEqual({ raises: 0 });
  });
});

/**
 * EventBridge emits rebalance recommendations on a best-effort basis: a burst whose recommendations never came. Each
 * warning stages a warm instance for its victim itself, through the same conditional claims, concurrently.
 */
describe('notice handler: concurrent Spot warnings with no rebalance recommendation before them', () => {
  it('claims and retypes each stopped warm instance once, for one victim each, and asks for no more warm instances', async () => {
    const n = 3;
    const victims = victimIds(n);
    const warmPool: WarmPoolView = { minSize: 2, maxGroupPreparedCapacity: -1, poolState: 'Stopped', reuseOnScaleIn: true };
    const { ports, telemetry, handler } = await burstWorld({
      victims,
      // Two stopped warm m5.large: too small for a 3-vCPU restart.
      // m5.xlarge victims: their own type holds the 3 vCPU / 12 GiB p90, so the stand-in is staged for all of it.
      victimType: 'm5.xlarge',
      p90: { vcpu: 3, memoryGiB: 12, networkMbps: 100, diskIops: 200 },
      warmPool,
      warm: WARM.map((id) => host(id, { groupId: STANDBY, lifecycle: 'on-demand', warm: true, state: 'stopped' })),
    });

    const results = await Promise.all(victims.map((id, k) => handler(warning(id, k))));

    expect(results.every((r) => r.status === 'planned' && r.succeeded)).toBe(true);
    expect(telemetry.logsAt('error')).toEqual([]);
    const plans = ports.publisher.entries.flatMap((e) => (e.detailType === 'Plan Made' ? e.detail.plan.actions : []));
    const staged = plans.filter((a) => a.kind === 'stage-warm-instance');
    expect(staged).toHaveLength(n);
    expect(staged.every((a) => a.kind === 'stage-warm-instance' && a.toType === 'm5.xlarge' && !a.raise)).toBe(true);
    // Each warm instance retyped once, each claimed for a different victim; the third victim found both taken.
    const retypes = ports.cloud.log.callsTo('retypeStoppedInstance').map((c) => c.args);
    expect(retypes.map((a) => a[0]).sort()).toEqual([...WARM].sort());
    expect(retypes.every((a) => a[1] === 'm5.xlarge')).toBe(true);
    const claims = await ports.stateStore.getWarmClaims(STANDBY, NOW);
    expect(new Set(claims.map((c) => c.victimId)).size).toBe(WARM.length);
    // No warm instance asked for (too late for a warning), and the warm pool's settings untouched.
    expect(ports.cloud.group(STANDBY)?.warmPool).toEqual(warmPool);
    // Every warning still raised the standby group: its warm instances (or a launch) take the loads.
    expect(ports.cloud.group(STANDBY)?.desiredCapacity).toBe(n);
  });
});
