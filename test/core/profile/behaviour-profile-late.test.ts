import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DIMENSIONS, LATE_FIELDS, groupId, instanceId, type BehaviourProfile, type MetricSample } from '../../../lambda/core/domain';
import { newProfile, openRestartWindow, steadyQuantile, updateProfile } from '../../../lambda/core/profile/behaviour-profile';
import { decodeProfile, encodeProfile } from '../../../lambda/core/profile/profile-codec';

/**
 * The late stream (updateProfile's `late`): an instance on basic monitoring whose CPU comes from the CloudWatch agent
 * each minute, its network and disk from EC2's 5-minute points read 5 minutes later.
 */
const MIN = 60_000;
const T0 = Date.UTC(2024, 2, 1);

const fresh = (): BehaviourProfile =>
  newProfile({
    instanceId: instanceId('i-0abc'),
    groupId: groupId('web'),
    instanceType: 'm5.xlarge',
    vcpus: 4,
    jobType: 'web',
    launchedAt: T0 - 60 * MIN,
    now: T0,
  });

/** The agent's minutes: CPU and memory. */
const agentMinutes = (from: number, n: number, cpu = (_i: number) => 40): MetricSample[] =>
  Array.from({ length: n }, (_, i) => ({ at: from + i * MIN, cpuPercent: cpu(i), cpuMaxPercent: cpu(i) + 10, memoryGiB: 6 }));
/** EC2's 5-minute points: network and disk, stamped at each period's start. */
const ec2Points = (from: number, n: number, network = (_i: number) => 50): MetricSample[] =>
  Array.from({ length: n }, (_, i) => ({ at: from + i * 5 * MIN, networkMbps: network(i), diskIops: 200 }));

describe('updateProfile with late fields', () => {
  it.each([
    // [label, late points' starts (minutes after T0), expected network observations]
    ['points behind the agent minutes already folded are folded (their own watermark)', [0, 5], 2],
    ['none arrived: nothing folded, the watermark kept', [], 0],
    ['a point after now is not folded', [0, 5, 30], 2],
  ] as const)('%s', (_label, starts, expected) => {
    const now = T0 + 20 * MIN;
    const late = starts.map((m) => ({ at: T0 + m * MIN, networkMbps: 50, diskIops: 200 }));
    const p = updateProfile(fresh(), agentMinutes(T0, 17), now, late);
    expect(p.steady.networkMbps.count).toBe(expected);
    expect(p.steady.diskIops.count).toBe(expected);
    expect(p.lastSampleAt).toBe(T0 + 16 * MIN);
    // Before any point the late stream starts at the launch; after, at the newest folded.
    expect(p.lateSampleAt).toBe(expected === 0 ? T0 - 60 * MIN - 1 : T0 + 5 * MIN);
    // The agent minutes lack network and disk by design: no gap counted for them.
    expect(p.gaps.networkMbps).toBe(0);
    expect(p.gaps.diskIops).toBe(0);
    expect(p.gaps.cpuPercent).toBe(0);
  });

  it('each late point is folded once over overlapping reads, and merged into `recent` at its own minute', () => {
    let p = fresh();
    // Tick k reads the agent minutes up to k·5+12 and EC2's periods up to k·5 (a 60-minute window, both overlapping).
    for (let k = 1; k <= 6; k += 1) {
      const end = T0 + k * 5 * MIN;
      p = updateProfile(p, agentMinutes(T0, k * 5 + 12), end + 12 * MIN, ec2Points(T0, k));
    }
    expect(p.steady.networkMbps.count).toBe(6);
    expect(p.samplesSeen).toBe(42);
    expect(p.lateSampleAt).toBe(T0 + 25 * MIN);
    const atPoints = p.recent.filter((r) => (r.at - T0) % (5 * MIN) === 0 && r.at <= T0 + 25 * MIN);
    expect(atPoints).toHaveLength(6);
    for (const r of atPoints) expect(r.demand).toEqual({ vcpu: 1.6, memoryGiB: 6, networkMbps: 50, diskIops: 200 });
    // One point per minute, in time order.
    expect(p.recent.map((r) => r.at)).toEqual([...new Set(p.recent.map((r) => r.at))].sort((a, b) => a - b));
  });

  it("late points of a restart's minutes go to its curve, those of its downtime nowhere", () => {
    const interruptedAt = T0 + 10 * MIN;
    const restartedAt = T0 + 20 * MIN;
    const before = updateProfile(fresh(), agentMinutes(T0, 10), T0 + 10 * MIN, []);
    const open = openRestartWindow(before, { interruptedAt, restartedAt });
    const p = updateProfile(
      open,
      agentMinutes(restartedAt, 12),
      restartedAt + 15 * MIN,
      ec2Points(T0 + 5 * MIN, 4, (i) => 10 * (i + 1)),
    );
    // Points at +5 (steady, before the interruption), +10 and +15 (downtime), +20 (restart minute 0).
    expect(p.steady.networkMbps.count).toBe(1);
    expect(p.openRestart?.curve[0]?.networkMbps).toBe(40);
    expect(p.openRestart?.curve[0]?.vcpu).toBeCloseTo(1.6);
  });

  it('without `late` the late fields ride with the rest and the late watermark is dropped once samples are folded so', () => {
    const split = updateProfile(fresh(), agentMinutes(T0, 10), T0 + 12 * MIN, ec2Points(T0, 1));
    expect(split.lateSampleAt).toBe(T0);
    // A tick that read nothing keeps it.
    expect(updateProfile(split, [], T0 + 13 * MIN).lateSampleAt).toBe(T0);
    const together = updateProfile(split, [{ at: T0 + 10 * MIN, cpuPercent: 40, memoryGiB: 6, networkMbps: 50, diskIops: 200 }], T0 + 14 * MIN);
    expect(together.lateSampleAt).toBeUndefined();
    expect(together.steady.networkMbps.count).toBe(2);
  });

  it('survives the stored form', () => {
    const p = updateProfile(fresh(), agentMinutes(T0, 10), T0 + 12 * MIN, ec2Points(T0, 1));
    expect(decodeProfile(JSON.parse(JSON.stringify(encodeProfile(p))))).toEqual(p);
  });

  it('property: folding the agent minutes and the late points apart, tick by tick, gives the steady state one fold of the whole minutes gives', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ cpu: fc.integer({ min: 0, max: 100 }), net: fc.integer({ min: 0, max: 900 }) }), { minLength: 10, maxLength: 60 }),
        fc.integer({ min: 1, max: 4 }),
        (minutes, ticksPer) => {
          const truth: MetricSample[] = minutes.map((m, i) => ({ at: T0 + i * MIN, cpuPercent: m.cpu, memoryGiB: 6, networkMbps: m.net, diskIops: 100 }));
          const periods = Math.floor(truth.length / 5);
          // EC2's points carry the network and disk of the period's first minute (what the one fold sees too).
          const points = Array.from({ length: periods }, (_, k) => truth[k * 5] as MetricSample);
          const wholeMinutes = truth.map((s, i) => (i % 5 === 0 && i < periods * 5 ? s : { at: s.at, cpuPercent: s.cpuPercent, memoryGiB: s.memoryGiB }));
          const once = updateProfile(fresh(), wholeMinutes, T0 + truth.length * MIN);
          let apart = fresh();
          const step = ticksPer * MIN;
          for (let end = T0 + step; end < T0 + (truth.length + 10) * MIN; end += step) {
            const agent = truth.filter((s) => s.at < end).map((s) => ({ at: s.at, cpuPercent: s.cpuPercent, memoryGiB: s.memoryGiB }));
            const late = points.filter((s) => s.at + 5 * MIN <= end - 3 * MIN).map((s) => ({ at: s.at, networkMbps: s.networkMbps, diskIops: s.diskIops }));
            apart = updateProfile(apart, agent, end, late);
          }
          for (const q of [0.5, 0.9, 1]) {
            const a = steadyQuantile(apart, q);
            const b = steadyQuantile(once, q);
            for (const d of DIMENSIONS) expect(a[d]).toBe(b[d]);
          }
          expect(apart.steady.networkMbps.count).toBe(once.steady.networkMbps.count);
          for (const f of LATE_FIELDS) expect(apart.gaps[f]).toBe(0);
        },
      ),
      { numRuns: 60 },
    );
  });
});
