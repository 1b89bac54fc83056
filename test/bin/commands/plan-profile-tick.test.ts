import { describe, expect, it } from 'vitest';
import { formatText, planEvent, type PlanTarget } from '../../../bin/commands/plan';
import { parseSpotwiseConfig } from '../../../lambda/contracts/config';
import { groupId, instanceId, reservationId, type InstanceTypeSpec, type ManagedInstance, type MetricSample } from '../../../lambda/core/domain';
import { FallbackPredictor } from '../../../lambda/core/predict/fallback-predictor';
import { makeHandler as makeCoordinator } from '../../../lambda/handlers/coordinator';
import { toManagedGroups } from '../../../lambda/app/managed-groups';
import { makeHandler as makeProfiler, type ProfilerDeps } from '../../../lambda/handlers/profiler';
import { createInMemoryPorts, RecordingTelemetry } from '../../../lambda/sim/memory';

/**
 * `spotwise plan` for a profile tick prints what the profiler's tick does to the pool (core planPoolUpkeep, the
 * profiler's own code): members held below what they want with the reason, loans, loans called back and throttles.
 * The world: a 13 GiB pool; HI (priority 90) uses 5 GiB; LO (10) used 6 GiB and now 1, so a request for HI is
 * admitted on a loan from LO (borrow_limit 1); then LO's use comes back.
 */
const GROUP = groupId('batch-asg');
const NOW = Date.parse('2026-03-02T10:00:30Z');
const MINUTE = 60_000;
const HI = instanceId('i-0aaaaaaaaaaaaaaa1');
const LO = instanceId('i-0ccccccccccccccc9');
const spec: InstanceTypeSpec = {
  name: 'm5.large',
  resources: { vcpu: 2, memoryGiB: 8, networkMbps: 5_000, diskIops: 10_000 },
  onDemandHourlyUsd: 0.096,
  spotHourlyUsd: 0.034,
};
const member = (id: ManagedInstance['id'], priority: number): ManagedInstance & { tags: Record<string, string> } => ({
  id,
  groupId: GROUP,
  instanceType: 'm5.large',
  availabilityZone: 'eu-west-1a',
  lifecycle: 'on-demand',
  state: 'running',
  launchedAt: NOW - 86_400_000,
  warm: false,
  priority,
  jobType: 'batch',
  tags: { 'aws:autoscaling:groupName': GROUP },
});
const samples = (from: number, minutes: number, memoryGiB: (k: number) => number): MetricSample[] =>
  Array.from({ length: minutes }, (_, k) => ({
    at: from + k * MINUTE,
    cpuPercent: 20,
    cpuMaxPercent: 30,
    memoryGiB: memoryGiB(k),
    networkMbps: 10,
    diskIops: 10,
  }));

const world = async () => {
  const ports = createInMemoryPorts({
    now: NOW,
    cloud: {
      catalog: [spec],
      groups: [{ id: GROUP, desiredCapacity: 2, minSize: 0, maxSize: 4, availabilityZones: ['eu-west-1a'], tags: {} }],
      instances: [member(HI, 90), member(LO, 10)],
    },
  });
  ports.metrics.addSamples(
    HI,
    samples(NOW - 90 * MINUTE, 90, () => 5),
  );
  ports.metrics.addSamples(
    LO,
    samples(NOW - 90 * MINUTE, 90, (k) => (k < 80 ? 6 : 1)),
  );
  const managed = toManagedGroups(
    parseSpotwiseConfig({
      groups: [{ name: GROUP, policy: 'batch', capacity: { vcpu: 64, memory_gib: 13, network_mbps: 100_000, disk_iops: 200_000 } }],
      policies: [{ policy_name: 'batch', priority: 'low', borrow_limit: 1, disruption_budget: { max_unavailable: 1 } }],
      dry_run: false,
    }),
  );
  const deps: ProfilerDeps = {
    ports: {
      clock: ports.clock,
      instances: ports.cloud,
      capacity: ports.cloud,
      state: ports.stateStore,
      scheduler: ports.scheduler,
      publisher: ports.publisher,
    },
    managed,
    dryRun: false,
    telemetry: new RecordingTelemetry(),
    metricsReader: ports.metrics,
    predictor: new FallbackPredictor(),
    profiler: { windowMinutes: 60, halfLifeMs: 86_400_000 },
  };
  await makeProfiler(deps)({ source: 'spotwise', 'detail-type': 'Profile Tick', detail: { groupName: GROUP } });
  await makeCoordinator(deps)({
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
  });
  const target: PlanTarget = {
    description: 'test fleet',
    ports: { instances: ports.cloud, capacity: ports.cloud, state: ports.stateStore },
    managed,
    now: NOW,
  };
  return { ports, deps, target };
};
const tick = {
  version: '0',
  id: 'tick-1',
  'detail-type': 'Profile Tick',
  source: 'spotwise',
  account: '123456789012',
  time: new Date(NOW).toISOString(),
  region: 'eu-west-1',
  resources: [],
  detail: { groupName: GROUP },
};

describe('spotwise plan: a profile tick shows the pool the profiler would leave', () => {
  it('the loan and who holds less than it wants, with the reason; nothing called back while the lender is idle', async () => {
    const { target } = await world();
    const out = await planEvent(tick, target);
    if (out.kind !== 'planned') throw new Error(out.errors);
    expect(out.pool?.loans).toEqual([
      { reservationId: reservationId('request:patch-hi:i-0aaaaaaaaaaaaaaa1'), borrower: HI, lender: LO, amount: expect.objectContaining({ vcpu: 0 }) },
    ]);
    expect(out.pool?.capped.map((c) => c.instanceId)).toEqual([LO]);
    expect(out.plan.actions.filter((a) => a.kind === 'release')).toEqual([]);
    const text = formatText(out, target, 'tick.json');
    expect(text).toContain(`  loans (1):\n    request:patch-hi:i-0aaaaaaaaaaaaaaa1 for ${HI} borrows 0 vCPU, `);
    expect(text).toMatch(new RegExp(`    ${LO}: wants .* allocated .* — held .* below its steady p90: its priority tier's fair share`));
  });

  it("when the lender's use is back, the plan calls the loan back first and says why", async () => {
    const { ports, deps, target } = await world();
    ports.metrics.addSamples(
      LO,
      samples(NOW, 5, () => 6),
    );
    ports.metrics.addSamples(
      HI,
      samples(NOW, 5, () => 5),
    );
    ports.clock.advance(5 * MINUTE);
    // A dry-run tick stores the profiles and forecasts (what spotwise learns), not the pool: plan reads them.
    await makeProfiler({ ...deps, dryRun: true })({ source: 'spotwise', 'detail-type': 'Profile Tick', detail: { groupName: GROUP } });
    const out = await planEvent(tick, { ...target, now: NOW + 5 * MINUTE });
    if (out.kind !== 'planned') throw new Error(out.errors);
    expect(out.plan.actions[0]).toMatchObject({
      kind: 'release',
      reservationId: 'request:patch-hi:i-0aaaaaaaaaaaaaaa1',
      reason: expect.stringContaining(`loan revoked: lender ${LO} uses 6 memoryGiB`),
    });
    expect(out.plan.events[0]).toMatchObject({ kind: 'loan-revoked', lender: LO, borrower: HI });
    expect(out.pool?.loans).toEqual([]);
  });
});
