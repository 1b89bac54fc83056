import { describe, expect, it } from 'vitest';
import { groupId, instanceId, requestId, reservationId, type Forecast } from '../../../lambda/core/domain';
import { InMemoryMetricsReader, queriesForTarget } from '../../../lambda/sim/memory/in-memory-metrics-reader';
import { InMemoryScheduler } from '../../../lambda/sim/memory/in-memory-scheduler';
import { RecordingEventPublisher } from '../../../lambda/sim/memory/recording-event-publisher';
import { ScriptedPredictor } from '../../../lambda/sim/memory/scripted-predictor';
import { createInMemoryPorts } from '../../../lambda/sim/memory/in-memory-ports';
import type { MetricTarget } from '../../../lambda/ports/metrics-reader';

const i1 = instanceId('i-0000000000000001');
const target = (agent: boolean, id = i1): MetricTarget => ({ instanceId: id, instanceType: 'm5.large', vcpus: 2, memoryGiB: 8, agent });

describe('InMemoryMetricsReader', () => {
  it('returns the window [start, end) and strips agent-only fields without the agent', async () => {
    const r = new InMemoryMetricsReader();
    r.addSamples(i1, [
      { at: 0, cpuPercent: 10, memoryGiB: 2 },
      { at: 60_000, memoryGiB: 3 },
      { at: 120_000, cpuPercent: 30 },
    ]);
    const withAgent = await r.read([target(true)], { start: 0, end: 120_000 });
    expect(withAgent.samples.get(i1)).toEqual([
      { at: 0, cpuPercent: 10, memoryGiB: 2 },
      { at: 60_000, memoryGiB: 3 },
    ]);
    const without = await r.read([target(false)], { start: 0, end: 180_000 });
    // The memory-only minute disappears: without the agent CloudWatch has nothing for it.
    expect(without.samples.get(i1)).toEqual([
      { at: 0, cpuPercent: 10 },
      { at: 120_000, cpuPercent: 30 },
    ]);
  });

  it('accounts calls at 500 queries each', async () => {
    const r = new InMemoryMetricsReader();
    const targets = Array.from({ length: 63 }, (_, k) => target(true, instanceId(`i-${String(k).padStart(8, '0')}`)));
    const out = await r.read(targets, { start: 0, end: 1 });
    expect(out.queries).toBe(63 * queriesForTarget(target(true)));
    expect(out.calls).toBe(Math.ceil((63 * 8) / 500));
  });

  it('refuses an empty window', async () => {
    await expect(new InMemoryMetricsReader().read([], { start: 5, end: 5 })).rejects.toThrow('window start 5 must be before its end 5');
  });

  it('adds samples out of order or over a held minute: sorted, the later one replacing', async () => {
    const r = new InMemoryMetricsReader();
    r.addSamples(i1, [{ at: 120_000, cpuPercent: 30 }]);
    r.addSamples(i1, [
      { at: 0, cpuPercent: 10 },
      { at: 120_000, cpuPercent: 35 },
    ]);
    r.addSamples(i1, [{ at: 180_000, cpuPercent: 40 }]);
    expect((await r.read([target(false)], { start: 0, end: 240_000 })).samples.get(i1)).toEqual([
      { at: 0, cpuPercent: 10 },
      { at: 120_000, cpuPercent: 35 },
      { at: 180_000, cpuPercent: 40 },
    ]);
  });

  it('with retainMinutes, drops samples older than that before the newest one', async () => {
    const r = new InMemoryMetricsReader({ retainMinutes: 2 });
    r.addSamples(
      i1,
      [0, 1, 2, 3].map((m) => ({ at: m * 60_000, cpuPercent: m })),
    );
    r.addSamples(i1, [{ at: 4 * 60_000, cpuPercent: 4 }]);
    expect((await r.read([target(false)], { start: 0, end: 10 * 60_000 })).samples.get(i1)?.map((s) => s.at)).toEqual([2, 3, 4].map((m) => m * 60_000));
    expect(() => new InMemoryMetricsReader({ retainMinutes: 0 })).toThrow('in-memory metrics: retainMinutes must be positive (got 0)');
  });

  it('with an ingestion clock, hides a datapoint until 1–3 minutes after its minute', async () => {
    let now = 0;
    const r = new InMemoryMetricsReader({ ingestionClock: { now: () => now } });
    r.addSamples(i1, [{ at: 0, cpuPercent: 10, cpuMaxPercent: 10, networkMbps: 0, diskIops: 0 }]);
    const read = async () => (await r.read([target(false)], { start: -60_000, end: 60_000 })).samples.get(i1)?.length;
    now = 60_000 + 59_999;
    expect(await read()).toBe(0);
    now = InMemoryMetricsReader.availableAt(i1, 0);
    expect(await read()).toBe(1);
    expect(now).toBeGreaterThanOrEqual(120_000);
    expect(now).toBeLessThanOrEqual(240_000);
  });

  describe('with basic monitoring (EC2 detailed monitoring off)', () => {
    const M = 60_000;
    // Minutes 0–9 of 1-minute truth: CPU 10, 20, …, 100 %, network 1..10 Mbps, memory 1..10 GiB.
    const minutes = Array.from({ length: 10 }, (_, m) => ({
      at: m * M,
      cpuPercent: (m + 1) * 10,
      cpuMaxPercent: (m + 1) * 10,
      networkMbps: m + 1,
      diskIops: 0,
      memoryGiB: m + 1,
    }));

    it('gives EC2 fields one 5-minute point at the period start (averages; CPU Maximum the largest minute) and the agent every minute', async () => {
      const r = new InMemoryMetricsReader();
      r.addSamples(i1, minutes);
      const got = (await r.read([{ ...target(true), basicMonitoring: true }], { start: 0, end: 10 * M })).samples.get(i1);
      expect(got).toEqual([
        { at: 0, cpuPercent: 30, cpuMaxPercent: 50, networkMbps: 3, diskIops: 0, memoryGiB: 1 },
        ...[1, 2, 3, 4].map((m) => ({ at: m * M, memoryGiB: m + 1 })),
        { at: 5 * M, cpuPercent: 80, cpuMaxPercent: 100, networkMbps: 8, diskIops: 0, memoryGiB: 6 },
        ...[6, 7, 8, 9].map((m) => ({ at: m * M, memoryGiB: m + 1 })),
      ]);
      // Without the agent only the 5-minute points are left.
      const ec2Only = (await r.read([{ ...target(false), basicMonitoring: true }], { start: 0, end: 10 * M })).samples.get(i1);
      expect(ec2Only?.map((s) => s.at)).toEqual([0, 5 * M]);
    });

    it('reads whole 5-minute periods, and a period only once its last minute is readable', async () => {
      let now = 0;
      const r = new InMemoryMetricsReader({ ingestionClock: { now: () => now } });
      r.addSamples(i1, minutes);
      const read = async (end: number) => (await r.read([{ ...target(true), basicMonitoring: true }], { start: 1 * M, end })).samples.get(i1) ?? [];
      now = InMemoryMetricsReader.availableAt(i1, 3 * M);
      // Minute 4 not readable yet: the agent's minutes 0–3 are, the period's CPU point is not.
      const early = await read(10 * M);
      expect(early.every((s) => s.cpuPercent === undefined)).toBe(true);
      expect(early.map((s) => s.at)).toEqual([0, 1, 2, 3].filter((m) => InMemoryMetricsReader.availableAt(i1, m * M) <= now).map((m) => m * M));
      now = Math.max(...[0, 1, 2, 3, 4].map((m) => InMemoryMetricsReader.availableAt(i1, m * M)));
      expect((await read(10 * M))[0]).toEqual({ at: 0, cpuPercent: 30, cpuMaxPercent: 50, networkMbps: 3, diskIops: 0, memoryGiB: 1 });
      // The window [1, 7) minutes is read as [0, 5): the period in progress at its end is left for the next read.
      expect((await read(7 * M)).map((s) => s.at)).toEqual([0, 1, 2, 3, 4].map((m) => m * M));
    });
  });

  describe("the agent's CPU and reads of one side", () => {
    const M = 60_000;
    const minutes = Array.from({ length: 10 }, (_, m) => ({
      at: m * M,
      cpuPercent: (m + 1) * 10,
      cpuMaxPercent: (m + 1) * 10 + 5,
      networkMbps: m + 1,
      diskIops: 0,
      memoryGiB: m + 1,
    }));
    const agentCpu: MetricTarget = { ...target(true), agentCpu: true, only: 'agent' };

    it("gives the agent's CPU per minute only where this world's agent publishes it", async () => {
      const publishing = new InMemoryMetricsReader({ agentCpu: true });
      publishing.addSamples(i1, minutes);
      expect((await publishing.read([agentCpu], { start: 0, end: 3 * M })).samples.get(i1)).toEqual([
        { at: 0, memoryGiB: 1, cpuPercent: 10, cpuMaxPercent: 15 },
        { at: M, memoryGiB: 2, cpuPercent: 20, cpuMaxPercent: 25 },
        { at: 2 * M, memoryGiB: 3, cpuPercent: 30, cpuMaxPercent: 35 },
      ]);
      const silent = new InMemoryMetricsReader();
      silent.addSamples(i1, minutes);
      expect((await silent.read([agentCpu], { start: 0, end: 2 * M })).samples.get(i1)).toEqual([
        { at: 0, memoryGiB: 1 },
        { at: M, memoryGiB: 2 },
      ]);
      // The metrics asked are billed either way: four agent queries (CPU Average and Maximum, memory, connections).
      expect(silent.queries).toBe(4);
    });

    it("EC2's side alone: 5-minute points without the agent's fields, and without EC2's CPU when the agent's is asked", async () => {
      const r = new InMemoryMetricsReader({ agentCpu: true });
      r.addSamples(i1, minutes);
      const ec2 = await r.read([{ ...target(true), basicMonitoring: true, only: 'ec2' }], { start: 0, end: 10 * M });
      expect(ec2.samples.get(i1)).toEqual([
        { at: 0, cpuPercent: 30, cpuMaxPercent: 55, networkMbps: 3, diskIops: 0 },
        { at: 5 * M, cpuPercent: 80, cpuMaxPercent: 105, networkMbps: 8, diskIops: 0 },
      ]);
      const late = await r.read([{ ...target(true), basicMonitoring: true, agentCpu: true, only: 'ec2' }], { start: 0, end: 10 * M });
      expect(late.samples.get(i1)).toEqual([
        { at: 0, networkMbps: 3, diskIops: 0 },
        { at: 5 * M, networkMbps: 8, diskIops: 0 },
      ]);
      // Each agent minute readable on its own, as late as CloudWatch is.
      let now = InMemoryMetricsReader.availableAt(i1, 2 * M);
      const clocked = new InMemoryMetricsReader({ agentCpu: true, ingestionClock: { now: () => now } });
      clocked.addSamples(i1, minutes);
      const got = (await clocked.read([agentCpu], { start: 0, end: 10 * M })).samples.get(i1) ?? [];
      expect(got.map((s) => s.at)).toEqual(minutes.filter((m) => InMemoryMetricsReader.availableAt(i1, m.at) <= now).map((m) => m.at));
      now = Infinity;
      expect((await clocked.read([agentCpu], { start: 0, end: 10 * M })).samples.get(i1)).toHaveLength(10);
    });
  });

  it('totals the calls and queries of every read, and records each read', async () => {
    const r = new InMemoryMetricsReader();
    await r.read([target(true)], { start: 0, end: 1 });
    await r.read([target(false), target(false, instanceId('i-0000000000000002'))], { start: 0, end: 1 });
    expect(r.queries).toBe(queriesForTarget(target(true)) + 2 * queriesForTarget(target(false)));
    expect(r.calls).toBe(2);
    expect(r.log.count('read')).toBe(2);
  });
});

describe('InMemoryScheduler', () => {
  const s = (id: string, at: number) => ({
    requestId: requestId(id),
    groupId: groupId('g'),
    instanceId: i1,
    reservationId: reservationId(`r-${id}`),
    at,
    mode: 'stop' as const,
  });

  it('fires due schedules once, earliest first, and cancel is idempotent', async () => {
    const sch = new InMemoryScheduler();
    await sch.schedule(s('b', 200));
    await sch.schedule(s('a', 100));
    await sch.schedule(s('c', 900));
    await sch.cancel(requestId('c'));
    await sch.cancel(requestId('c'));
    expect(sch.takeDue(250).map((x) => x.requestId)).toEqual(['a', 'b']);
    expect(sch.takeDue(250)).toEqual([]);
    expect(sch.log.mutatingCalls()).toHaveLength(5);
  });
});

describe('RecordingEventPublisher and ScriptedPredictor', () => {
  it('splits domain events from plans', async () => {
    const p = new RecordingEventPublisher();
    await p.publish([
      { detailType: 'Domain Event', detail: { kind: 'notice-ignored', at: 1, reason: 'x' } },
      { detailType: 'Plan Made', detail: { handler: 'notice', dryRun: true, noticeKind: 'noop', plan: { actions: [], events: [] } } },
    ]);
    expect(p.domainEvents()).toEqual([{ kind: 'notice-ignored', at: 1, reason: 'x' }]);
    expect(p.plans().map((x) => x.handler)).toEqual(['notice']);
  });

  it('answers a batch in one recorded call', async () => {
    const pred = new ScriptedPredictor((inp): Forecast => ({
      kind: 'unknown',
      instanceId: inp.profile.instanceId,
      madeAt: inp.now,
      reason: 'scripted',
      missing: [],
    }));
    const profile = { instanceId: i1 } as never;
    const out = await pred.predict([
      { profile, downtimeSeconds: 0, windowMinutes: 30, now: 7 },
      { profile, downtimeSeconds: 0, windowMinutes: 30, now: 8 },
    ]);
    expect(out.map((f) => f.madeAt)).toEqual([7, 8]);
    expect(pred.log.count('predict')).toBe(1);
  });
});

describe('createInMemoryPorts', () => {
  it('shares one journal and collects mutating calls across fakes in order', async () => {
    const ports = createInMemoryPorts({ now: 10 });
    await ports.stateStore.putPoolCapacity(groupId('g'), { vcpu: 1, memoryGiB: 1, networkMbps: 1, diskIops: 1 });
    await ports.stateStore.getPool(groupId('g'));
    await ports.scheduler.cancel(requestId('x'));
    expect(ports.journal.sequence()).toEqual(['stateStore.putPoolCapacity', 'stateStore.getPool', 'scheduler.cancel']);
    expect(ports.mutatingCalls().map((c) => c.operation)).toEqual(['putPoolCapacity', 'cancel']);
    expect(ports.clock.now()).toBe(10);
  });
});
