import { describe, expect, it } from 'vitest';
import { groupId, instanceId, type MetricSample } from '../../lambda/core/domain';
import { cpuFromFiveMinutePoints } from '../../lambda/core/predict/model-features';
import { histogramQuantile } from '../../lambda/core/profile/decaying-histogram';
import { newProfile, updateProfile } from '../../lambda/core/profile/behaviour-profile';
import { seededProfiles } from '../../lambda/sim/seeded-profiles';

const MINUTE = 60_000;
const START = Date.UTC(2025, 5, 2, 0, 0, 0);
const HISTORY = 120;
const FROM = START - HISTORY * MINUTE;
const ID = instanceId('i-0a000000000000001');

/** Two hours of 1-minute truth: CPU spiking to 90 % one minute in five, memory and network steady. */
const history: MetricSample[] = Array.from({ length: HISTORY }, (_, m) => ({
  at: FROM + m * MINUTE,
  cpuPercent: m % 5 === 2 ? 90 : 10,
  cpuMaxPercent: m % 5 === 2 ? 95 : 12,
  memoryGiB: 3,
  networkMbps: 40 + (m % 5),
  diskIops: 100,
}));

const built = updateProfile(
  newProfile({ instanceId: ID, groupId: groupId('web'), instanceType: 'm5.large', vcpus: 2, jobType: 'web', launchedAt: FROM - 60 * MINUTE, now: FROM }),
  history,
  START,
);
const seed = (mode: 'detailed' | 'agent-cpu' | 'basic') => seededProfiles([built], new Map([[ID, history]]), FROM, START, mode)[0]!;
const recentTimes = (p: typeof built, field: 'vcpu' | 'memoryGiB' | 'networkMbps') => p.recent.filter((r) => r.demand[field] !== undefined).map((r) => r.at);
const steps = (times: number[]) => [...new Set(times.slice(1).map((t, i) => (t - times[i]!) / MINUTE))];

describe('seededProfiles: the profiles a run starts from, as the monitoring delivers the history', () => {
  it('detailed monitoring: the profiles of the 1-minute history, as built', () => {
    expect(seededProfiles([built], new Map([[ID, history]]), FROM, START, 'detailed')[0]).toBe(built);
  });

  it("basic monitoring: CPU, network and disk one point per 5 minutes (the average; CPU's maximum the largest minute), memory each minute", () => {
    const p = seed('basic');
    expect(steps(recentTimes(p, 'vcpu'))).toEqual([5]);
    expect(steps(recentTimes(p, 'networkMbps'))).toEqual([5]);
    expect(steps(recentTimes(p, 'memoryGiB'))).toEqual([1]);
    expect(cpuFromFiveMinutePoints(p)).toBe(true);
    expect(cpuFromFiveMinutePoints(built)).toBe(false);
    // The one-minute spikes are averaged away: 26 % of 2 vCPU, not 90 %.
    expect(histogramQuantile(p.steady.vcpu, 0.9)).toBeLessThan(0.6);
    expect(histogramQuantile(built.steady.vcpu, 0.9)).toBeGreaterThan(1.7);
    expect(p.cpuPeakPercent).toBeGreaterThanOrEqual(95);
    expect(p.steady.vcpu.count).toBe(HISTORY / 5);
    expect({ id: p.instanceId, group: p.groupId, type: p.instanceType, launched: p.launchedAt }).toEqual({
      id: built.instanceId,
      group: built.groupId,
      type: built.instanceType,
      launched: built.launchedAt,
    });
  });

  it("the CloudWatch agent's CPU: CPU and memory each minute, network and disk from EC2's 5-minute points, folded late", () => {
    const p = seed('agent-cpu');
    expect(steps(recentTimes(p, 'vcpu'))).toEqual([1]);
    expect(cpuFromFiveMinutePoints(p)).toBe(false);
    expect(histogramQuantile(p.steady.vcpu, 0.9)).toBe(histogramQuantile(built.steady.vcpu, 0.9));
    expect(p.steady.networkMbps.count).toBe(HISTORY / 5);
    expect(built.steady.networkMbps.count).toBe(HISTORY);
    expect(p.lateSampleAt).toBe(START - 5 * MINUTE);
  });

  it('an instance without history starts from an empty profile of the same instance', () => {
    const [p] = seededProfiles([built], new Map(), FROM, START, 'basic');
    expect(p?.samplesSeen).toBe(0);
    expect(p?.instanceId).toBe(ID);
  });
});
