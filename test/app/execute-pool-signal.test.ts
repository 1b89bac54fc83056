import { describe, expect, it } from 'vitest';
import { groupId, instanceId, reservationId, type Action, type PoolSignal } from '../../lambda/core/domain';
import { executePlan, type ExecutionPorts } from '../../lambda/app/execute-plan';
import { createInMemoryPorts } from '../../lambda/sim/memory';

const g = groupId('web');
const spot = instanceId('i-0000000000000b001');
const signal: PoolSignal = { instanceType: 'm5.large', availabilityZone: 'us-east-1a', signal: 'spot-warning', instanceId: spot, eventId: 'evt-1', at: 900 };
const count: Action = { kind: 'record-pool-signal', groupId: g, signal };
const reserve: Action = {
  kind: 'reserve',
  reservation: {
    id: reservationId('warning:evt-1:i-0000000000000b001'),
    groupId: g,
    instanceId: spot,
    amount: { vcpu: 1, memoryGiB: 2, networkMbps: 0, diskIops: 0 },
    createdAt: 1_000,
    expiresAt: 600_000,
    reason: 'test',
    priority: 50,
  },
};

const setup = async () => {
  const p = createInMemoryPorts({
    now: 1_000,
    cloud: {
      catalog: [{ name: 'm5.large', resources: { vcpu: 2, memoryGiB: 8, networkMbps: 10_000, diskIops: 20_000 }, onDemandHourlyUsd: 0.096 }],
      groups: [{ id: g, desiredCapacity: 1, minSize: 0, maxSize: 4, availabilityZones: ['us-east-1a'], tags: {} }],
      instances: [],
    },
  });
  await p.stateStore.putPoolCapacity(g, { vcpu: 8, memoryGiB: 32, networkMbps: 1_000, diskIops: 1_000 });
  const ports: ExecutionPorts = { instances: p.cloud, capacity: p.cloud, state: p.stateStore, scheduler: p.scheduler, clock: p.clock };
  return { p, ports };
};

describe('executePlan: record-pool-signal', () => {
  it('counts the signal through the store, once: a repeat of the same event is reported as already counted', async () => {
    const { p, ports } = await setup();
    const first = await executePlan({ actions: [reserve, count], events: [] }, ports, { dryRun: false });
    expect(first.outcomes.map((o) => o.kind)).toEqual(['done', 'done']);
    const again = await executePlan({ actions: [count], events: [] }, ports, { dryRun: false });
    expect(again.outcomes).toMatchObject([{ kind: 'done', detail: "already counted (evt-1 was the pool's last signal)" }]);
    expect(await p.stateStore.getPoolSignals(g)).toEqual([
      { instanceType: 'm5.large', availabilityZone: 'us-east-1a', warnings: 1, rebalances: 0, since: 900, lastAt: 900 },
    ]);
  });

  it('is carried out in dry-run (what spotwise learns), while the reservation beside it is skipped', async () => {
    const { p, ports } = await setup();
    const report = await executePlan({ actions: [reserve, count], events: [] }, ports, { dryRun: true });
    expect(report.outcomes.map((o) => o.kind)).toEqual(['skipped', 'done']);
    expect(p.stateStore.allReservations()).toEqual([]);
    expect((await p.stateStore.getPoolSignals(g))[0]?.warnings).toBe(1);
  });

  it('a failed count is reported in its outcome and fails nothing: the reservation the warning made is kept', async () => {
    const { p, ports } = await setup();
    p.stateStore.log.failNext('recordPoolSignal', new Error('throttled'));
    const report = await executePlan({ actions: [reserve, count], events: [] }, ports, { dryRun: false });
    expect(report.succeeded).toBe(true);
    expect(report.compensations).toEqual([]);
    expect(report.outcomes[1]).toMatchObject({ kind: 'done', detail: 'not counted: throttled' });
    expect(p.stateStore.allReservations().map((r) => r.id)).toEqual([reserve.kind === 'reserve' ? reserve.reservation.id : '']);
  });
});
