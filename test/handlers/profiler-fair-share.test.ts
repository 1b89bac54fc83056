import { describe, expect, it } from 'vitest';
import { parseSpotwiseConfig } from '../../lambda/contracts/config';
import { MetricName } from '../../lambda/contracts/metrics';
import { groupId, instanceId, type InstanceTypeSpec, type ManagedInstance, type MetricSample } from '../../lambda/core/domain';
import { poolInvariantViolations } from '../../lambda/core/pool/resource-pool';
import { makeHandler } from '../../lambda/handlers/profiler';
import { createInMemoryPorts } from '../../lambda/sim/memory';
import { profilerDeps } from './profiler-deps';

/**
 * The DRATP example through the running path: a batch group whose pool has 16 GiB of memory runs three
 * priority tiers (A 90 > B 50 > C 10) demanding 8, 4 and 6 GiB. Each instance uses all of its type's
 * memory, so its wanted allocation is exactly its shape (the profiler caps the steady p90 at the shape):
 * A is an m5.large (8 GiB), B a c5.large (4 GiB), C a c5.large and a t3.small (4 + 2 GiB: no EC2 type
 * has 6). One profiler tick stores tiers 8 / 4 / 4 GiB — C gives up what the higher tiers need, and
 * its two members share its 4 GiB evenly (2 / 2).
 */
const GROUP = groupId('batch-asg');
const NOW = Date.parse('2026-03-02T10:00:30Z');
const MINUTE = 60_000;
const spec = (name: string, memoryGiB: number, usd: number): InstanceTypeSpec => ({
  name,
  resources: { vcpu: 2, memoryGiB, networkMbps: 5_000, diskIops: 10_000 },
  onDemandHourlyUsd: usd,
  spotHourlyUsd: usd * 0.35,
});
const CATALOG = [spec('m5.large', 8, 0.096), spec('c5.large', 4, 0.085), spec('t3.small', 2, 0.0208)];
const TIERS = [
  { id: instanceId('i-0aaaaaaaaaaaaaaa1'), priority: 90, type: 'm5.large', memoryGiB: 8 },
  { id: instanceId('i-0bbbbbbbbbbbbbbb2'), priority: 50, type: 'c5.large', memoryGiB: 4 },
  { id: instanceId('i-0ccccccccccccccc3'), priority: 10, type: 'c5.large', memoryGiB: 4 },
  { id: instanceId('i-0ccccccccccccccc4'), priority: 10, type: 't3.small', memoryGiB: 2 },
] as const;

const member = (id: ManagedInstance['id'], priority: number, instanceType: string): ManagedInstance & { tags: Record<string, string> } => ({
  id,
  groupId: GROUP,
  instanceType,
  availabilityZone: 'eu-west-1a',
  lifecycle: 'spot',
  state: 'running',
  launchedAt: NOW - 86_400_000,
  warm: false,
  priority,
  jobType: 'batch',
  tags: { 'aws:autoscaling:groupName': GROUP },
});

const world = (memoryGiB: number, resourceDemand?: { memory_gb: number }) => {
  const ports = createInMemoryPorts({
    now: NOW,
    cloud: {
      catalog: CATALOG,
      groups: [{ id: GROUP, desiredCapacity: 4, minSize: 0, maxSize: 6, availabilityZones: ['eu-west-1a'], tags: {} }],
      instances: TIERS.map((t) => member(t.id, t.priority, t.type)),
    },
  });
  for (const t of TIERS) {
    const samples: MetricSample[] = Array.from({ length: 90 }, (_, m) => ({
      at: NOW - 90 * MINUTE + m * MINUTE,
      cpuPercent: 20,
      cpuMaxPercent: 30,
      memoryGiB: t.memoryGiB,
      networkMbps: 10,
      diskIops: 10,
    }));
    ports.metrics.addSamples(t.id, samples);
  }
  const config = parseSpotwiseConfig({
    groups: [{ name: GROUP, policy: 'batch', capacity: { vcpu: 64, memory_gib: memoryGiB } }],
    policies: [{ policy_name: 'batch', priority: 'low', ...(resourceDemand !== undefined ? { resource_demand: resourceDemand } : {}) }],
    dry_run: false,
  });
  const deps = profilerDeps(ports, config);
  return { ports, deps };
};

const tick = { source: 'spotwise', 'detail-type': 'Profile Tick', detail: { groupName: GROUP } };
/** The stored memory allocations: per instance, and per tier (A, B, C). */
const storedMemory = (ports: ReturnType<typeof world>['ports']): { instances: number[]; tiers: number[] } => {
  const pool = ports.stateStore.poolSnapshot(GROUP);
  expect(pool).toBeDefined();
  expect(poolInvariantViolations(pool!)).toEqual([]);
  const instances = TIERS.map((t) => pool!.allocations.get(t.id)?.memoryGiB ?? Number.NaN);
  const tiers = [90, 50, 10].map((p) => TIERS.reduce((sum, t, k) => sum + (t.priority === p ? (instances[k] ?? Number.NaN) : 0), 0));
  return { instances, tiers };
};

describe('profiler tick: allocations under oversubscription follow priority-ordered fair share', () => {
  it('a 16 GiB pool with tiers A 8 > B 4 > C 6 GiB stores 8 / 4 / 4 GiB', async () => {
    const { ports, deps } = world(16);
    const result = await makeHandler(deps)(tick);
    expect(result).toMatchObject({ status: 'planned', succeeded: true });
    expect(storedMemory(ports)).toEqual({ instances: [8, 4, 2, 2], tiers: [8, 4, 4] });
    // C's c5.large is held at 2 of its 4 GiB (its t3.small gets its whole 2): counted and logged.
    expect(deps.telemetry.total(MetricName.allocationsBelowWanted, { GroupName: GROUP })).toBe(1);
    expect(
      deps.telemetry
        .logsAt('warn')
        .filter((l) => l.message.startsWith('allocation capped'))
        .map((l) => [l.fields['instanceId'], l.fields['shortfall']]),
    ).toEqual([[TIERS[2].id, '0 vCPU, 2 GiB, 0 Mbps, 0 IOPS']]);
  });

  it("the policy's resource_demand is each member's minimum, served before any tier beyond it", async () => {
    // 3 GiB each first (the t3.small's whole 2): 3 + 3 + 3 + 2 = 11 of 16; A takes 5 more and the pool is full.
    const { ports, deps } = world(16, { memory_gb: 3 });
    await makeHandler(deps)(tick);
    expect(storedMemory(ports)).toEqual({ instances: [8, 3, 3, 2], tiers: [8, 3, 5] });
  });

  it('the same instances with room for all store what each one wants', async () => {
    const { ports, deps } = world(32);
    await makeHandler(deps)(tick);
    expect(storedMemory(ports)).toEqual({ instances: [8, 4, 4, 2], tiers: [8, 4, 6] });
    expect(deps.telemetry.total(MetricName.allocationsBelowWanted, { GroupName: GROUP })).toBe(0);
  });

  it('a lower tier that held its whole demand gives it up on the next tick once the pool is short', async () => {
    const { ports, deps } = world(16);
    // Stored before the shortage (e.g. a larger budget last week): C holds 10 GiB, A nothing yet.
    await ports.stateStore.putPoolCapacity(GROUP, { vcpu: 64, memoryGiB: 16, networkMbps: 100_000, diskIops: 1_000_000 });
    await ports.stateStore.putAllocations(GROUP, new Map([[TIERS[2].id, { vcpu: 1, memoryGiB: 10, networkMbps: 10, diskIops: 10 }]]));
    await makeHandler(deps)(tick);
    expect(storedMemory(ports)).toEqual({ instances: [8, 4, 2, 2], tiers: [8, 4, 4] });
  });
});
