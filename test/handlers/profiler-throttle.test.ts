import { describe, expect, it } from 'vitest';
import { parseSpotwiseConfig } from '../../lambda/contracts/config';
import { MetricName } from '../../lambda/contracts/metrics';
import { groupId, instanceId, type InstanceTypeSpec, type ManagedInstance, type MetricSample } from '../../lambda/core/domain';
import { makeHandler } from '../../lambda/handlers/profiler';
import { createInMemoryPorts } from '../../lambda/sim/memory';
import { profilerDeps } from './profiler-deps';

/**
 * Throttling through the running path. A batch group's pool has 16 GiB of memory; A (priority 90) uses 8 GiB,
 * B (50) 4 GiB, and priority 10 has OVER, a c5.large using all its 4 GiB, and SMALL, a t3.small using its 2 GiB.
 * Fair share gives the lowest tier what is left, 4 GiB, evenly: 2 / 2. OVER then runs 2 GiB over its allocation
 * every minute of the window; SMALL uses exactly its allocation. The pool is full (16/16 GiB > 90 %) and the
 * policy allows preemption, so one eviction is requested: without throttling the tie between the two priority-10
 * instances (2 GiB each) goes by id, SMALL first; with throttling OVER is the first eviction candidate.
 */
const GROUP = groupId('batch-asg');
const NOW = Date.parse('2026-03-02T10:00:30Z');
const MINUTE = 60_000;
const LAUNCHED = NOW - 86_400_000;
const A = instanceId('i-0aaaaaaaaaaaaaaa1');
const B = instanceId('i-0bbbbbbbbbbbbbbb2');
const SMALL = instanceId('i-0ccccccccccccccc4');
const OVER = instanceId('i-0ccccccccccccccc9');
const spec = (name: string, memoryGiB: number, usd: number): InstanceTypeSpec => ({
  name,
  resources: { vcpu: 2, memoryGiB, networkMbps: 5_000, diskIops: 10_000 },
  onDemandHourlyUsd: usd,
  spotHourlyUsd: usd * 0.35,
});
const CATALOG = [spec('m5.large', 8, 0.096), spec('c5.large', 4, 0.085), spec('t3.small', 2, 0.0208)];
const MEMBERS = [
  { id: A, priority: 90, type: 'm5.large', memoryGiB: 8 },
  { id: B, priority: 50, type: 'c5.large', memoryGiB: 4 },
  { id: SMALL, priority: 10, type: 't3.small', memoryGiB: 2 },
  { id: OVER, priority: 10, type: 'c5.large', memoryGiB: 4 },
] as const;

const member = (id: ManagedInstance['id'], priority: number, instanceType: string): ManagedInstance & { tags: Record<string, string> } => ({
  id,
  groupId: GROUP,
  instanceType,
  availabilityZone: 'eu-west-1a',
  lifecycle: 'spot',
  state: 'running',
  launchedAt: LAUNCHED,
  warm: false,
  priority,
  jobType: 'batch',
  tags: { 'aws:autoscaling:groupName': GROUP },
});

const world = (throttle: { enabled: boolean; over_allocation_minutes?: number }) => {
  const ports = createInMemoryPorts({
    now: NOW,
    cloud: {
      catalog: CATALOG,
      groups: [{ id: GROUP, desiredCapacity: 4, minSize: 0, maxSize: 6, availabilityZones: ['eu-west-1a'], tags: {} }],
      instances: MEMBERS.map((m) => member(m.id, m.priority, m.type)),
    },
  });
  for (const m of MEMBERS) {
    const samples: MetricSample[] = Array.from({ length: 90 }, (_, k) => ({
      at: NOW - 90 * MINUTE + k * MINUTE,
      cpuPercent: 20,
      cpuMaxPercent: 30,
      memoryGiB: m.memoryGiB,
      networkMbps: 10,
      diskIops: 10,
    }));
    ports.metrics.addSamples(m.id, samples);
  }
  const config = parseSpotwiseConfig({
    groups: [{ name: GROUP, policy: 'batch', capacity: { vcpu: 64, memory_gib: 16 } }],
    policies: [{ policy_name: 'batch', priority: 'low', behavior: { eviction_threshold: 0.9, preemption_enabled: true }, throttle }],
    dry_run: false,
  });
  const deps = profilerDeps(ports, config);
  return { ports, deps };
};

const tick = { source: 'spotwise', 'detail-type': 'Profile Tick', detail: { groupName: GROUP } };
const evictionOf = (id: string) => `evict:${GROUP}:${id}:${LAUNCHED}` as never;
const throttleEvents = (ports: ReturnType<typeof world>['ports']) => ports.publisher.entries.filter((e) => e.detailType === 'Throttle Requested');

describe('profiler tick: throttling an instance over its allocation', () => {
  it('on: OVER gets one Throttle Requested event (exact detail), is counted, and is the first eviction candidate', async () => {
    const { ports, deps } = world({ enabled: true, over_allocation_minutes: 15 });
    await makeHandler(deps)(tick);
    // The window ends on the minute 3 minutes before the tick (METRIC_LAG_MS, 09:57:00): its last sample is 09:56:30;
    // the profile keeps its last 60 minutes, all over.
    const last = NOW - 4 * MINUTE;
    expect(throttleEvents(ports)).toEqual([
      {
        detailType: 'Throttle Requested',
        detail: { groupId: GROUP, instanceId: OVER, dimension: 'memoryGiB', allocation: 2, observed: 4, excess: 2, since: last - 59 * MINUTE, minutes: 60 },
      },
    ]);
    expect(deps.telemetry.total(MetricName.throttlesRequested, { GroupName: GROUP })).toBe(1);
    expect(await ports.stateStore.getRequest(evictionOf(OVER))).toMatchObject({ status: 'pending' });
    expect(await ports.stateStore.getRequest(evictionOf(SMALL))).toBeUndefined();
  });

  it('on, asking for all 60 minutes a profile keeps (the policy maximum): still throttled', async () => {
    const { ports, deps } = world({ enabled: true, over_allocation_minutes: 60 });
    await makeHandler(deps)(tick);
    expect(throttleEvents(ports)).toHaveLength(1);
  });

  it('off (the default): no event, no metric, and the eviction goes to SMALL by the usual order', async () => {
    const { ports, deps } = world({ enabled: false });
    await makeHandler(deps)(tick);
    expect(throttleEvents(ports)).toEqual([]);
    expect(deps.telemetry.total(MetricName.throttlesRequested, { GroupName: GROUP })).toBe(0);
    expect(await ports.stateStore.getRequest(evictionOf(SMALL))).toMatchObject({ status: 'pending' });
    expect(await ports.stateStore.getRequest(evictionOf(OVER))).toBeUndefined();
  });

  it('in dry-run the throttle is planned and printed, not published', async () => {
    const { ports, deps } = world({ enabled: true });
    await makeHandler({ ...deps, dryRun: true })(tick);
    expect(throttleEvents(ports)).toEqual([]);
    expect(
      ports.publisher
        .plans()
        .flatMap((p) => p.plan.actions)
        .filter((a) => a.kind === 'request-throttle'),
    ).toHaveLength(1);
  });
});
