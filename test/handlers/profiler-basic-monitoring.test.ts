import { describe, expect, it } from 'vitest';
import { MetricName } from '../../lambda/contracts/metrics';
import type { MetricSample, PredictionInput } from '../../lambda/core/domain';
import { FallbackPredictor } from '../../lambda/core/predict/fallback-predictor';
import { makeHandler, metricLagMs, type ProfilerDeps } from '../../lambda/handlers/profiler';
import { InMemoryMetricsReader, queriesForTarget } from '../../lambda/sim/memory/in-memory-metrics-reader';
import type { MetricTarget } from '../../lambda/ports/metrics-reader';
import type { Predictor } from '../../lambda/ports/predictor';
import { FIXTURE_INSTANCES, GROUP, NOW, OTHER, buildWorld } from './world';

/**
 * An instance with EC2 detailed monitoring off (DescribeInstances Monitoring.State 'disabled'): EC2 sends its CPU,
 * network and disk metrics as one datapoint per 5 minutes, stamped at the period's start and readable only after it
 * ends, while the CloudWatch agent's memory comes every minute.
 */
const MINUTE = 60_000;
const tick = { source: 'spotwise', 'detail-type': 'Profile Tick', detail: { groupName: GROUP } };
const SERVING = [...Object.values(FIXTURE_INSTANCES), OTHER];
/** CloudWatch stamps datapoints on whole minutes (NOW is not one). */
const A = Math.floor(NOW / MINUTE) * MINUTE;
const minutes = (from: number, count: number): MetricSample[] =>
  Array.from({ length: count }, (_, m) => ({ at: from + m * MINUTE, cpuPercent: 40, cpuMaxPercent: 70, memoryGiB: 3, networkMbps: 50, diskIops: 100 }));

const basicWorld = async (opts: { readonly agentCpu?: boolean } = {}) => {
  const w = await buildWorld();
  // CloudWatch as late as it is: each 1-minute point readable 1–3 minutes after its minute.
  const metrics = new InMemoryMetricsReader({ ingestionClock: w.ports.clock, ...opts });
  for (const id of SERVING) metrics.addSamples(id, minutes(A - 90 * MINUTE, 90));
  const other = w.ports.cloud.instance(OTHER);
  if (other === undefined) throw new Error('fixture lacks OTHER');
  w.ports.cloud.putInstance({ ...other, detailedMonitoring: false });
  const deps: ProfilerDeps = { ...w.deps, metricsReader: metrics, predictor: new FallbackPredictor(), profiler: { windowMinutes: 60, halfLifeMs: 86_400_000 } };
  return { ...w, metrics, deps };
};

/** Two hours of ticks every 5 minutes, each minute's truth added as it ends: OTHER's profile before and after. */
const twoHoursOfTicks = async (w: Awaited<ReturnType<typeof basicWorld>>, handle: ReturnType<typeof makeHandler>) => {
  const before = (await w.ports.stateStore.getProfiles([OTHER])).get(OTHER);
  for (let k = 0; k < 24; k += 1) {
    w.metrics.addSamples(OTHER, minutes(A + k * 5 * MINUTE, 5));
    w.ports.clock.advance(5 * MINUTE);
    await handle(tick);
  }
  const after = (await w.ports.stateStore.getProfiles([OTHER])).get(OTHER);
  if (before === undefined || after === undefined) throw new Error('no profile');
  return { before, after };
};

describe('profiler with an instance on basic monitoring', () => {
  it('metricLagMs: 3 minutes with detailed monitoring (or unreported), 8 when any instance has it off', () => {
    expect(metricLagMs([])).toBe(3 * MINUTE);
    expect(metricLagMs([{ detailedMonitoring: true }, {}])).toBe(3 * MINUTE);
    expect(metricLagMs([{ detailedMonitoring: true }, { detailedMonitoring: false }])).toBe(8 * MINUTE);
  });

  it("reads it apart — the agent's minutes as fresh as the others, EC2's 5-minute points 8 minutes back — and tells the operator", async () => {
    const w = await basicWorld();
    await makeHandler(w.deps)(tick);
    const reads = w.metrics.log.callsTo('read').map((c) => c.args as [MetricTarget[], { start: number; end: number }]);
    expect(reads).toHaveLength(3);
    const [fresh, agent, ec2] = reads as [(typeof reads)[number], (typeof reads)[number], (typeof reads)[number]];
    // The instances with detailed monitoring: a window ending 3 whole minutes back, as without any basic instance.
    expect(fresh[0].map((t) => t.instanceId).sort()).toEqual(SERVING.filter((id) => id !== OTHER).sort());
    expect(fresh[0].every((t) => t.basicMonitoring !== true && t.only === undefined && t.agentCpu !== true)).toBe(true);
    expect(fresh[1].end).toBe(Math.floor((NOW - 3 * MINUTE) / MINUTE) * MINUTE);
    // The one on basic monitoring: its agent's metrics (CPU asked too) as fresh, minute by minute ...
    expect(agent[0].map((t) => [t.instanceId, t.basicMonitoring, t.agentCpu, t.only])).toEqual([[OTHER, undefined, true, 'agent']]);
    expect(agent[1].end).toBe(fresh[1].end);
    // ... and EC2's alone, at its period, 8 minutes back.
    expect(ec2[0].map((t) => [t.instanceId, t.basicMonitoring, t.only, t.agentCpu])).toEqual([[OTHER, true, 'ec2', undefined]]);
    expect(ec2[1].end).toBe(Math.floor((NOW - 8 * MINUTE) / MINUTE) * MINUTE);
    expect(w.telemetry.total(MetricName.instancesOnBasicMonitoring, { GroupName: GROUP })).toBe(1);
    // Its agent publishes no CPU here: the operator is told its CPU is 5-minute.
    expect(w.telemetry.total(MetricName.instancesOnFiveMinuteCpu, { GroupName: GROUP })).toBe(1);
    expect(w.telemetry.logsAt('warn').find((l) => l.message.startsWith('instances on basic monitoring without'))?.fields).toMatchObject({
      count: 1,
      instanceIds: [OTHER],
      readWindowEndsMinutesBack: 8,
      forecasts: "the statistical fallback's while their CPU is 5-minute: the model's rest on fresh CPU",
    });
  });

  it('folds every 5-minute CPU point although the agent minutes of its period arrive first (none lost to the watermark)', async () => {
    const w = await basicWorld();
    const handle = makeHandler(w.deps);
    await handle(tick);
    const { before, after } = await twoHoursOfTicks(w, handle);
    const seen = after.samplesSeen - before.samplesSeen;
    const withCpu = seen - (after.gaps.cpuPercent - before.gaps.cpuPercent);
    // The minutes from the first read's end to 8 minutes before the last tick, each once; one CPU point per
    // 5-minute period among them, every one of them. The 8-minute lag and the reads of whole 5-minute periods each keep
    // them; without both (a 3-minute lag, minute-aligned reads) every one is lost.
    expect(seen).toBeGreaterThanOrEqual(110);
    expect(withCpu).toBe(seen / 5);
  });

  it('with the agent publishing CPU: every minute has fresh CPU, and every 5-minute network and disk point is still folded (late, apart)', async () => {
    const w = await basicWorld({ agentCpu: true });
    const handle = makeHandler(w.deps);
    await handle(tick);
    // EC2's read of it asks network and disk only (4 metrics, not 6): its CPU came from the agent.
    const ec2Read = w.metrics.log.callsTo('read').map((c) => c.args as [MetricTarget[]])[2];
    expect(ec2Read?.[0].map((t) => [t.instanceId, t.agentCpu, t.only])).toEqual([[OTHER, true, 'ec2']]);
    expect(queriesForTarget(ec2Read?.[0][0] as MetricTarget)).toBe(4);
    // Fresh CPU: nothing to warn about, though the instance is on basic monitoring.
    expect(w.telemetry.total(MetricName.instancesOnBasicMonitoring, { GroupName: GROUP })).toBe(1);
    expect(w.telemetry.total(MetricName.instancesOnFiveMinuteCpu, { GroupName: GROUP })).toBe(0);
    expect(w.telemetry.logsAt('warn').filter((l) => l.message.startsWith('instances on basic monitoring without'))).toEqual([]);
    const { before, after } = await twoHoursOfTicks(w, handle);
    const seen = after.samplesSeen - before.samplesSeen;
    // The agent's minutes up to 3 minutes before the last tick, each once, every one with CPU.
    expect(seen).toBeGreaterThanOrEqual(115);
    expect(after.gaps.cpuPercent - before.gaps.cpuPercent).toBe(0);
    // Network is not missing from the agent's minutes (it comes apart): no gap counted for it.
    expect(after.gaps.networkMbps - before.gaps.networkMbps).toBe(0);
    // The 5-minute points: the periods from the first read's end to 8 minutes before the last tick, each folded once.
    expect(after.lateSampleAt).toBe(Math.floor((NOW + 24 * 5 * MINUTE - 8 * MINUTE) / (5 * MINUTE)) * 5 * MINUTE - 5 * MINUTE);
    const networkPoints = after.steady.networkMbps.count - before.steady.networkMbps.count;
    expect(networkPoints).toBe(24);
    // The profile's newest CPU is 3 minutes old at most, not the 8–13 of EC2's 5-minute points.
    expect(NOW + 24 * 5 * MINUTE - (after.lastSampleAt ?? 0)).toBeLessThanOrEqual(5 * MINUTE);
  });

  it.each([
    ["EC2's 5-minute CPU (the agent publishes none): the predictor is told, so the model leaves it to the fallback", false, true],
    ["the agent's CPU each minute: not flagged, the model may answer", true, undefined],
  ] as const)('%s', async (_label, agentCpu, flagged) => {
    const w = await basicWorld({ agentCpu });
    const seen: PredictionInput[][] = [];
    const fallback = new FallbackPredictor();
    const recording: Predictor = { name: 'recording', predict: (inputs) => (seen.push([...inputs]), fallback.predict(inputs)) };
    const handle = makeHandler({ ...w.deps, predictor: recording });
    await handle(tick);
    await twoHoursOfTicks(w, handle);
    const last = seen.at(-1) ?? [];
    expect(last.find((i) => i.profile.instanceId === OTHER)?.cpuFromBasicMonitoring).toBe(flagged);
    // The instances on detailed monitoring are never flagged, whatever their data.
    const others = last.filter((i) => i.profile.instanceId !== OTHER);
    expect(others.length).toBeGreaterThan(0);
    expect(others.every((i) => i.cpuFromBasicMonitoring === undefined)).toBe(true);
  });

  it("falls back to EC2's 5-minute CPU where the agent publishes none, its minutes waiting for EC2's read", async () => {
    const w = await basicWorld();
    await makeHandler(w.deps)(tick);
    const profile = (await w.ports.stateStore.getProfiles([OTHER])).get(OTHER);
    // Folded up to the whole periods EC2's read covered, not beyond: the next 5-minute point is still newer.
    const covered = Math.floor((Math.floor((NOW - 8 * MINUTE) / MINUTE) * MINUTE) / (5 * MINUTE)) * 5 * MINUTE;
    expect(profile?.lastSampleAt).toBe(covered - MINUTE);
    expect(profile?.lateSampleAt).toBeUndefined();
  });
});
