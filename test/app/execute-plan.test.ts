import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  groupId,
  instanceId,
  requestId,
  reservationId,
  type Action,
  type ManagedInstance,
  type Plan,
  type Reservation,
  type Resources,
} from '../../lambda/core/domain';
import { executePlan, type ExecutionPorts } from '../../lambda/app/execute-plan';
import { PoolOverCommitError } from '../../lambda/ports/state-store';
import { poolInvariantViolations } from '../../lambda/core/pool/resource-pool';
import { createInMemoryPorts, type InMemoryPorts } from '../../lambda/sim/memory';
import { M5_CATALOG } from './fixtures/warm-pool-world';

const g = groupId('web');
const od = instanceId('i-0000000000000a001');
const od2 = instanceId('i-0000000000000a002');
const warm = instanceId('i-0000000000000c001');
const r = (vcpu: number, memoryGiB: number): Resources => ({ vcpu, memoryGiB, networkMbps: 0, diskIops: 0 });
const inst = (id: string, over: Partial<ManagedInstance> = {}): ManagedInstance => ({
  id: instanceId(id),
  groupId: g,
  instanceType: 'm5.large',
  availabilityZone: 'us-east-1a',
  lifecycle: 'on-demand',
  state: 'running',
  launchedAt: 0,
  warm: false,
  priority: 50,
  jobType: 'web',
  ...over,
});

const setup = async (): Promise<{ p: InMemoryPorts; ports: ExecutionPorts }> => {
  const p = createInMemoryPorts({
    now: 1_000,
    cloud: {
      catalog: M5_CATALOG,
      groups: [
        {
          id: g,
          desiredCapacity: 2,
          minSize: 1,
          maxSize: 6,
          availabilityZones: ['us-east-1a'],
          tags: {},
          warmPool: { minSize: 1, maxGroupPreparedCapacity: -1, poolState: 'Stopped', reuseOnScaleIn: true },
        },
      ],
      instances: [inst(od), inst(od2), inst(warm, { warm: true, state: 'stopped' })],
    },
  });
  await p.stateStore.putPoolCapacity(g, { vcpu: 8, memoryGiB: 32, networkMbps: 1_000, diskIops: 1_000 });
  p.journal.calls.length = 0;
  p.stateStore.log.calls.length = 0;
  return { p, ports: { instances: p.cloud, capacity: p.cloud, state: p.stateStore, scheduler: p.scheduler, clock: p.clock } };
};

const reservation = (id: string, amount: Resources, instance = od): Reservation => ({
  id: reservationId(id),
  groupId: g,
  instanceId: instance,
  amount,
  createdAt: 1_000,
  expiresAt: 600_000,
  reason: 'test',
  priority: 50,
});
const plan = (...actions: Action[]): Plan => ({ actions, events: [] });

const reserve = (res: Reservation): Action => ({ kind: 'reserve', reservation: res });
const schedule = (res: Reservation): Action => ({
  kind: 'schedule-interruption',
  groupId: g,
  instanceId: res.instanceId,
  requestId: requestId('req-1'),
  reservationId: res.id,
  at: 5_000,
  mode: 'stop',
});
const stop = (id = od): Action => ({ kind: 'interrupt-instance', groupId: g, instanceId: id, mode: 'stop', reason: 'test' });
const retype = (id: string, toType: string): Action => ({
  kind: 'retype-stopped-instance',
  groupId: g,
  instanceId: instanceId(id),
  fromType: 'm5.large',
  toType,
  reason: 'test',
});
const start = (id = od): Action => ({ kind: 'start-instance', groupId: g, instanceId: id, reason: 'test' });
const desired = (n: number): Action => ({ kind: 'change-desired-capacity', groupId: g, by: n - 2, from: 2, reason: 'test' });

/** One plan with every action kind, each valid against the setup above. */
const everyKind = (): Plan => {
  const res = reservation('request:req-1:i-0000000000000a001', r(2, 8));
  return plan(
    reserve(res),
    { kind: 'release', groupId: g, reservationId: reservationId('nothing'), reason: 'test' },
    retype('i-0000000000000c001', 'm5.xlarge'),
    start(warm),
    desired(3),
    {
      kind: 'put-warm-pool',
      groupId: g,
      warmPool: { minSize: 2, maxGroupPreparedCapacity: -1, poolState: 'Stopped', reuseOnScaleIn: true },
      readMinSize: 1,
      reason: 'test',
    },
    { kind: 'raise-warm-pool', groupId: g, by: 1, room: 3, reason: 'test' },
    {
      kind: 'stage-warm-instance',
      groupId: g,
      victimId: od,
      candidates: [{ instanceId: warm, fromType: 'm5.xlarge', covers: true }],
      toType: 'm5.xlarge',
      until: 600_000,
      raise: false,
      room: 3,
      reason: 'test',
    },
    { kind: 'heartbeat', groupId: g, instanceId: od, hookName: 'h', token: 't' },
    { kind: 'complete-lifecycle-action', groupId: g, instanceId: od, hookName: 'h', token: 't', result: 'CONTINUE' },
    schedule(res),
    stop(od2),
    { kind: 'hand-over', groupId: g, reservationId: res.id, instanceId: od, reason: 'test' },
    { kind: 'defer-interruption', requestId: requestId('req-2'), reason: 'not-before', detail: 'later' },
    { kind: 'noop', reason: 'nothing to do' },
  );
};

describe('executePlan', () => {
  it('returns an idle standby instance with TerminateInstanceInAutoScalingGroup and a decrement (the group shrinks by exactly it)', async () => {
    const { p, ports } = await setup();
    const report = await executePlan(plan({ kind: 'return-standby-instance', groupId: g, instanceId: od2, reason: 'idle' }), ports, { dryRun: false });
    expect(report.succeeded).toBe(true);
    expect(p.journal.sequence()).toEqual(['cloud.terminateInstanceInGroup']);
    expect(p.cloud.group(g)?.desiredCapacity).toBe(1);
    expect(p.cloud.instance(od2)?.state).toBe('terminated');
    const dry = await setup();
    await executePlan(plan({ kind: 'return-standby-instance', groupId: g, instanceId: od2, reason: 'idle' }), dry.ports, { dryRun: true });
    expect(dry.p.journal.sequence()).toEqual([]);
  });

  it('executes every action kind through its port, in order', async () => {
    const { p, ports } = await setup();
    const report = await executePlan(everyKind(), ports, { dryRun: false });
    expect(report.succeeded).toBe(true);
    expect(report.outcomes.map((o) => o.kind)).toEqual(Array(15).fill('done'));
    expect(p.journal.sequence()).toEqual([
      'stateStore.reserve',
      'stateStore.release',
      'cloud.retypeStoppedInstance',
      'cloud.startInstances',
      'cloud.changeDesiredCapacity',
      // put-warm-pool: under the group's lease, written as the min size read (1) is still there.
      'stateStore.acquireWarmPoolLease',
      'cloud.describeWarmPool',
      'cloud.putWarmPool',
      'stateStore.takeWarmPoolRaises',
      'stateStore.releaseWarmPoolLease',
      // raise-warm-pool: queued, then applied by this writer under the lease, relative to what it reads.
      'stateStore.queueWarmPoolRaise',
      'stateStore.acquireWarmPoolLease',
      'cloud.describeWarmPool',
      'stateStore.takeWarmPoolRaises',
      'cloud.describeGroups',
      'cloud.putWarmPool',
      'stateStore.releaseWarmPoolLease',
      // stage-warm-instance: its one candidate already covers the load, so it is only claimed.
      'stateStore.claimWarmInstance',
      'cloud.recordLifecycleActionHeartbeat',
      'cloud.completeLifecycleAction',
      'scheduler.schedule',
      'cloud.stopInstances',
      'stateStore.handOver',
    ]);
    expect(p.cloud.instance(warm)).toMatchObject({ instanceType: 'm5.xlarge', state: 'running' });
    // 2 put, then one raise over max(2, 1 warm): 3 (room 6 − 3).
    expect(p.cloud.group(g)).toMatchObject({ desiredCapacity: 3, warmPool: { minSize: 3 } });
    expect(p.stateStore.warmPoolWriterSnapshot(g)).toEqual({ raises: 0 });
    // Hand-over: the reservation became od's allocation.
    const pool = p.stateStore.poolSnapshot(g);
    expect(pool?.reservations.size).toBe(0);
    expect(pool?.allocations.get(od)).toEqual(r(2, 8));
    expect(report.lastActionAt).toBe(1_000);
  });

  it('submit-request stores an eviction request pending once; a request already stored is left as it is; dry-run stores nothing', async () => {
    const { p, ports } = await setup();
    const request = {
      requestId: requestId('evict:web:i-0000000000000a002:0'),
      selector: { kind: 'instance' as const, instanceId: od2 },
      reason: 'eviction',
      notBefore: 1_000,
      deadline: 3_601_000,
      mode: 'terminate' as const,
      requestedAt: 1_000,
    };
    const plan: Plan = { actions: [{ kind: 'submit-request', request, note: 'eviction: pool over its threshold' }], events: [] };
    const dry = await executePlan(plan, ports, { dryRun: true });
    expect(dry.outcomes.map((o) => o.kind)).toEqual(['skipped']);
    expect(p.stateStore.allRequests()).toEqual([]);
    const first = await executePlan(plan, ports, { dryRun: false });
    expect(first.outcomes).toMatchObject([{ kind: 'done' }]);
    expect(p.stateStore.allRequests()).toEqual([{ request, status: 'pending', updatedAt: 1_000, note: 'eviction: pool over its threshold' }]);
    await p.stateStore.putRequest({ request, status: 'scheduled', updatedAt: 1_000 });
    const again = await executePlan(plan, ports, { dryRun: false });
    expect(again.outcomes).toMatchObject([{ kind: 'done', detail: `request ${request.requestId} already submitted` }]);
    expect(p.stateStore.allRequests().map((r) => r.status)).toEqual(['scheduled']);
  });

  it('dry-run: plans nothing into the world — every mutating fake method sees zero calls', async () => {
    const { p, ports } = await setup();
    const report = await executePlan(everyKind(), ports, { dryRun: true });
    expect(p.journal.calls).toEqual([]);
    expect(p.mutatingCalls()).toEqual([]);
    expect(report.outcomes.filter((o) => o.kind === 'skipped').every((o) => o.kind === 'skipped' && o.reason === 'dry-run')).toBe(true);
    expect(report.lastActionAt).toBeUndefined();
  });

  it('a retype that only prepares a warm instance a concurrent plan has started since is skipped, not failed: the reservation and the rest of the plan stay', async () => {
    const { p, ports } = await setup();
    // A rebalance recommendation's plan, made while `warm` was stopped; a warning's plan started it meanwhile.
    p.cloud.setInstanceState(warm, 'pending');
    const res = reservation('rebalance:evt-9:i-0000000000000a001', r(2, 8));
    const report = await executePlan(plan(reserve(res), retype(warm, 'm5.xlarge'), desired(3)), ports, { dryRun: false });
    expect(report.succeeded).toBe(true);
    expect(report.outcomes).toMatchObject([
      { kind: 'done' },
      { kind: 'skipped', cause: 'not-stopped', reason: expect.stringMatching(/^not retyped: .*pending.*; the rest of the plan goes on$/) },
      { kind: 'done' },
    ]);
    expect(report.compensations).toEqual([]);
    expect(p.stateStore.poolSnapshot(g)?.reservations.has(res.id)).toBe(true);
    expect(p.cloud.instance(warm)?.instanceType).toBe('m5.large');
    expect(p.cloud.group(g)?.desiredCapacity).toBe(3);
  });

  it('a retype followed by a start of the same instance still fails when the instance is not stopped (it would start the wrong shape)', async () => {
    const { p, ports } = await setup();
    p.cloud.setInstanceState(warm, 'pending');
    const res = reservation('warning:evt-9:i-0000000000000a001', r(2, 8));
    const report = await executePlan(plan(reserve(res), retype(warm, 'm5.xlarge'), start(warm)), ports, { dryRun: false });
    expect(report.succeeded).toBe(false);
    expect(report.outcomes.map((o) => o.kind)).toEqual(['done', 'failed', 'skipped']);
    // Compensation: the reservation this plan made goes.
    expect(p.stateStore.poolSnapshot(g)?.reservations.has(res.id)).toBe(false);
  });

  it('a lifecycle action that is over (completed by another delivery, or timed out) is skipped, not failed: the rest of the plan goes on', async () => {
    const { p, ports } = await setup();
    const complete: Action = { kind: 'complete-lifecycle-action', groupId: g, instanceId: od, hookName: 'h', token: 't', result: 'CONTINUE' };
    await p.cloud.completeLifecycleAction({ groupId: g, instanceId: od, hookName: 'h', token: 't', result: 'CONTINUE' });
    const res = reservation('lifecycle:evt-9:i-0000000000000a001', r(2, 8));
    const report = await executePlan(
      plan(reserve(res), { kind: 'heartbeat', groupId: g, instanceId: od, hookName: 'h', token: 't' }, complete, desired(3)),
      ports,
      { dryRun: false },
    );
    expect(report.succeeded).toBe(true);
    expect(report.outcomes).toMatchObject([
      { kind: 'done' },
      { kind: 'skipped', cause: 'not-active', reason: expect.stringMatching(/^nothing to complete: No active Lifecycle Action found with token t/) },
      { kind: 'skipped', cause: 'not-active' },
      { kind: 'done' },
    ]);
    expect(p.stateStore.poolSnapshot(g)?.reservations.has(res.id)).toBe(true);
    expect(p.cloud.group(g)?.desiredCapacity).toBe(3);
  });

  it('fails closed: a refused reserve skips the schedule and the stop that depend on it, not the preparation', async () => {
    const { p, ports } = await setup();
    const big = reservation('request:req-1:i-0000000000000a001', r(20, 8));
    const report = await executePlan(plan(reserve(big), desired(3), schedule(big), stop(od)), ports, { dryRun: false });
    expect(report.outcomes.map((o) => o.kind)).toEqual(['refused', 'done', 'skipped', 'skipped']);
    expect(report.refused).toEqual([{ reservation: big, shortfall: r(12, 0) }]);
    expect(report.succeeded).toBe(true);
    expect(p.scheduler.pending()).toEqual([]);
    expect(p.cloud.instance(od)?.state).toBe('running');
    expect(p.cloud.group(g)?.desiredCapacity).toBe(3);
  });

  it('a refusal for one instance does not block the disruption of another', async () => {
    const { ports } = await setup();
    const big = reservation('a', r(20, 8), od2);
    const report = await executePlan(plan(reserve(big), stop(od)), ports, { dryRun: false });
    expect(report.outcomes.map((o) => o.kind)).toEqual(['refused', 'done']);
  });

  it('an already-held reservation is not counted as made, and is not released on failure', async () => {
    const { p, ports } = await setup();
    const res = reservation('a', r(2, 8));
    await p.stateStore.reserve(res);
    p.cloud.log.failNext('changeDesiredCapacity');
    const report = await executePlan(plan(reserve(res), desired(3)), ports, { dryRun: false });
    expect(report.reserved).toEqual([]);
    expect(report.compensations).toEqual([]);
    expect(p.stateStore.poolSnapshot(g)?.reservations.has(res.id)).toBe(true);
  });

  it('on failure: stops the plan, releases reservations it made, cancels schedules it made', async () => {
    const { p, ports } = await setup();
    const res = reservation('a', r(2, 8));
    p.cloud.log.failNext('changeDesiredCapacity', new Error('throttled'));
    const report = await executePlan(plan(reserve(res), schedule(res), desired(3), stop(od)), ports, { dryRun: false });
    expect(report.succeeded).toBe(false);
    expect(report.outcomes.map((o) => o.kind)).toEqual(['done', 'done', 'failed', 'skipped']);
    expect(report.compensations.map((c) => [c.kind, c.action.kind])).toEqual([
      ['done', 'schedule-interruption'],
      ['done', 'release'],
    ]);
    expect(p.stateStore.poolSnapshot(g)?.reservations.size).toBe(0);
    expect(p.scheduler.pending()).toEqual([]);
    expect(p.cloud.instance(od)?.state).toBe('running');
  });

  it('stop → modify → start never ends stopped: a failed retype still restarts the instance, and its reservation is kept', async () => {
    const { p, ports } = await setup();
    const res = reservation('sibling:x:i-0000000000000a001', r(2, 8));
    p.cloud.log.failNext('retypeStoppedInstance');
    const report = await executePlan(plan(reserve(res), stop(od), retype('i-0000000000000a001', 'm5.xlarge'), start(od)), ports, { dryRun: false });
    expect(report.outcomes.map((o) => o.kind)).toEqual(['done', 'done', 'failed', 'skipped']);
    expect(report.compensations.map((c) => [c.kind, c.action.kind])).toEqual([
      ['done', 'start-instance'],
      ['skipped', 'release'],
    ]);
    expect(p.cloud.instance(od)?.state).toBe('running');
    expect(p.stateStore.poolSnapshot(g)?.reservations.has(res.id)).toBe(true);
  });

  it('a failing compensation is reported, not thrown', async () => {
    const { p, ports } = await setup();
    p.cloud.log.failNext('changeDesiredCapacity');
    p.stateStore.log.failNext('release', new Error('table unavailable'));
    const report = await executePlan(plan(reserve(reservation('a', r(1, 1))), desired(3)), ports, { dryRun: false });
    expect(report.compensations).toMatchObject([{ kind: 'failed', error: { message: 'table unavailable' } }]);
  });

  describe("refresh-pool: a profiler tick's one write of the pool", () => {
    const capacity = { vcpu: 8, memoryGiB: 32, networkMbps: 1_000, diskIops: 1_000 };
    const held = reservation('warning:evt-1:i-0000000000000a009', r(2, 4), instanceId('i-0000000000000a009'));
    const refresh = (over: Partial<Action & { kind: 'refresh-pool' }> = {}): Action & { kind: 'refresh-pool' } => ({
      kind: 'refresh-pool',
      groupId: g,
      create: false,
      capacity,
      previousCapacity: capacity,
      lowered: [[od, r(1, 2)]],
      allocations: [
        [od, r(1, 2)],
        [od2, r(3, 6)],
      ],
      handedOver: [{ reservationId: held.id, instanceId: od2 }],
      sweepAt: 1_000,
      reason: 'test',
      ...over,
    });
    const lineage: Action = {
      kind: 'inherit-profile',
      groupId: g,
      fromInstanceId: held.instanceId,
      toInstanceId: od2,
      reservationId: held.id,
      restartedAt: 900,
      windowMinutes: 30,
      reason: 'test',
    };

    it('lowers first, releases the handed-over reservation, sweeps, then writes the final allocations: never over-committed on the way', async () => {
      const { p, ports } = await setup();
      await p.stateStore.putAllocations(g, new Map([[od, r(4, 8)]]));
      await p.stateStore.reserve(held);
      p.stateStore.log.calls.length = 0;
      const seen: string[] = [];
      const putAllocations = p.stateStore.putAllocations.bind(p.stateStore);
      p.stateStore.putAllocations = async (group, a) => {
        await putAllocations(group, a);
        seen.push(...poolInvariantViolations(p.stateStore.poolSnapshot(group)!));
      };
      const report = await executePlan(plan(refresh(), lineage), ports, { dryRun: false });
      expect(report.outcomes.map((o) => o.kind)).toEqual(['done', 'done']);
      expect(p.stateStore.log.calls.map((c) => c.operation).filter((op) => !['getProfiles', 'getForecasts', 'putProfiles', 'getPool'].includes(op))).toEqual([
        'putAllocations',
        'release',
        'sweepExpired',
        'putAllocations',
      ]);
      expect(seen).toEqual([]);
      const pool = p.stateStore.poolSnapshot(g)!;
      expect([...pool.allocations]).toEqual([
        [od, r(1, 2)],
        [od2, r(3, 6)],
      ]);
      expect(pool.reservations.has(held.id)).toBe(false);
    });

    it('a hand-over a concurrent launch hook took first is said, and its lineage is kept for the one that got it', async () => {
      const { p, ports } = await setup();
      // Nothing held: the reservation went to another replacement meanwhile.
      const report = await executePlan(plan(refresh(), lineage), ports, { dryRun: false });
      expect(report.outcomes).toMatchObject([
        { kind: 'done', detail: expect.stringContaining(`already taken by a concurrent hand-over: ${held.id}`) },
        { kind: 'done', detail: expect.stringMatching(/^kept: reservation .* was not handed to/) },
      ]);
      expect(p.stateStore.log.callsTo('putProfiles')).toEqual([]);
    });

    it('a ledger refusing it whole (reservations made since the read) skips it with its cause, and the rest of the plan goes on', async () => {
      const { p, ports } = await setup();
      p.stateStore.log.failNext('putAllocations', new PoolOverCommitError('vCPU over capacity; allocations not written'));
      const report = await executePlan(plan(refresh(), desired(3)), ports, { dryRun: false });
      expect(report.outcomes).toMatchObject([
        { kind: 'skipped', cause: 'over-committed', reason: expect.stringContaining('the next tick recomputes') },
        { kind: 'done', action: { kind: 'change-desired-capacity' } },
      ]);
      expect(report.succeeded).toBe(true);
    });

    it('a pool not stored yet is created at its capacity first; a changed capacity is written once', async () => {
      const created = await setup();
      await executePlan(plan(refresh({ create: true, handedOver: [] })), created.ports, { dryRun: false });
      expect(created.p.stateStore.log.calls.map((c) => c.operation)).toEqual(['putPoolCapacity', 'sweepExpired', 'putAllocations']);
      const resized = await setup();
      await executePlan(plan(refresh({ capacity: { ...capacity, vcpu: 10 }, handedOver: [], lowered: [] })), resized.ports, { dryRun: false });
      expect(resized.p.stateStore.log.calls.map((c) => c.operation)).toEqual(['putAllocations', 'sweepExpired', 'putPoolCapacity', 'putAllocations']);
      expect(resized.p.stateStore.poolSnapshot(g)?.capacity.vcpu).toBe(10);
    });

    it('dry-run writes nothing to the ledger; the lineage is still learned (profiles are, and every tick recomputes the hand-over)', async () => {
      const { p, ports } = await setup();
      await p.stateStore.reserve(held);
      p.stateStore.log.calls.length = 0;
      const report = await executePlan(plan(refresh(), lineage), ports, { dryRun: true });
      expect(report.outcomes).toMatchObject([{ kind: 'skipped', cause: 'dry-run' }, { kind: 'done' }]);
      expect(report.outcomes[1]).not.toMatchObject({ detail: expect.stringMatching(/was not handed to/) });
      expect(p.stateStore.log.calls.map((c) => c.operation).filter((op) => !['getProfiles', 'getForecasts', 'putProfiles'].includes(op))).toEqual([]);
    });
  });

  describe('open-restart-window: the restart learned in the profile', () => {
    const opening = (over: Partial<Action & { kind: 'open-restart-window' }> = {}): Action & { kind: 'open-restart-window' } => ({
      kind: 'open-restart-window',
      groupId: g,
      instanceId: od,
      restartedAt: 900,
      windowMinutes: 30,
      instance: { instanceType: 'm5.large', vcpus: 2, jobType: 'web' },
      forecastBefore: r(1.5, 4),
      ...over,
    });

    it('an instance without a profile gets one whose window opens at the restart, with the forecast held before it; in dry-run too', async () => {
      for (const dryRun of [false, true]) {
        const { p, ports } = await setup();
        const report = await executePlan(plan(opening()), ports, { dryRun });
        expect(report.outcomes).toMatchObject([{ kind: 'done' }]);
        const [profile] = (await p.stateStore.getProfiles([od])).values();
        expect(profile).toMatchObject({ instanceId: od, instanceType: 'm5.large', vcpus: 2, jobType: 'web' });
        expect(profile?.openRestart).toMatchObject({ restartedAt: 900, interruptedAt: 900, forecastBefore: r(1.5, 4) });
      }
    });

    it('a second delivery of the same start keeps the window it opened; a failed write is reported and fails nothing', async () => {
      const { p, ports } = await setup();
      await executePlan(plan(opening()), ports, { dryRun: false });
      const again = await executePlan(plan(opening()), ports, { dryRun: false });
      expect(again.outcomes).toMatchObject([{ kind: 'done', detail: expect.stringMatching(/^kept:/) }]);
      const other = { ...opening(), instanceId: od2 };
      p.stateStore.log.failNext('putProfiles', new Error('table unavailable'));
      const failed = await executePlan(plan(other, desired(3)), ports, { dryRun: false });
      expect(failed.outcomes).toMatchObject([
        { kind: 'done', detail: 'not recorded: table unavailable' },
        { kind: 'done', action: { kind: 'change-desired-capacity' } },
      ]);
      expect(failed.succeeded).toBe(true);
    });
  });

  it('hand-over of a reservation already gone is reported, not an error', async () => {
    const { ports } = await setup();
    const report = await executePlan(plan({ kind: 'hand-over', groupId: g, reservationId: reservationId('gone'), instanceId: od, reason: 'x' }), ports, {
      dryRun: false,
    });
    expect(report.outcomes).toMatchObject([{ kind: 'done', detail: expect.stringContaining('nothing to hand over') }]);
  });

  it('interrupt modes map to the right calls', async () => {
    const { p, ports } = await setup();
    await executePlan(
      plan(
        { kind: 'interrupt-instance', groupId: g, instanceId: od, mode: 'hibernate', reason: 'x' },
        { kind: 'interrupt-instance', groupId: g, instanceId: od2, mode: 'terminate', reason: 'x' },
      ),
      ports,
      { dryRun: false },
    );
    expect(p.cloud.log.callsTo('stopInstances')[0]?.args).toEqual([[od], { hibernate: true }]);
    expect(p.cloud.log.callsTo('terminateInstanceInGroup')[0]?.args).toEqual([od2, { decrementDesiredCapacity: false }]);
  });

  it('property: whatever fails, every outcome is reported, no reservation made by a failed plan survives unless its instance was interrupted, and nothing planned to restart stays stopped', async () => {
    const ops = ['reserve', 'changeDesiredCapacity', 'stopInstances', 'retypeStoppedInstance', 'startInstances', 'schedule'] as const;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ops), fc.boolean(), async (failing, dryRun) => {
        const { p, ports } = await setup();
        const res = reservation('sibling:x:i-0000000000000a001', r(2, 8));
        const thePlan = plan(reserve(res), schedule(res), desired(3), stop(od), retype('i-0000000000000a001', 'm5.xlarge'), start(od));
        if (failing === 'schedule') p.scheduler.log.failNext('schedule');
        else if (failing === 'reserve') p.stateStore.log.failNext('reserve');
        else p.cloud.log.failNext(failing);
        const report = await executePlan(thePlan, ports, { dryRun });
        expect(report.outcomes).toHaveLength(thePlan.actions.length);
        expect(p.cloud.instance(od)?.state).toBe('running');
        if (dryRun) {
          expect(p.mutatingCalls()).toEqual([]);
          return;
        }
        const interrupted = report.outcomes.some((o) => o.kind === 'done' && o.action.kind === 'interrupt-instance');
        if (!report.succeeded && !interrupted) expect(p.stateStore.poolSnapshot(g)?.reservations.size).toBe(0);
        if (!report.succeeded) expect(p.scheduler.pending()).toEqual([]);
      }),
      { numRuns: 40 },
    );
  });
});
