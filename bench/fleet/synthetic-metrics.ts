import type { BehaviourProfile, GroupId, InstanceId, InstanceTypeSpec, MetricSample } from '../../lambda/core/domain';
import { closeRestartWindow, newProfile, openRestartWindow, updateProfile } from '../../lambda/core/profile/behaviour-profile';

/**
 * Synthetic, deterministic per-minute load for benchmark fleets too large for the bundled traces: each
 * instance has a base CPU utilisation, a daily swing and minute-to-minute noise (as the NAB CloudWatch
 * series show), memory that sits at a steady share of the instance, and network, disk and connections
 * that follow the CPU. Values are a pure function of (seed, instance index, minute): the metrics reader
 * fake, the profiles and any re-run agree on every point without storing millions of samples.
 */
export interface LoadShape {
  /** Mean CPU utilisation, 0..1. */
  readonly cpuBase: number;
  /** Daily swing around the mean, 0..1. */
  readonly cpuSwing: number;
  /** Phase of the daily swing, radians. */
  readonly phase: number;
  /** Share of the instance's memory in use, 0..1. */
  readonly memoryShare: number;
  /** Network and disk at full CPU, as shares of the instance's baseline. */
  readonly networkShare: number;
  readonly diskShare: number;
  readonly connections: number;
}

const MINUTE_MS = 60_000;
const DAY_MINUTES = 24 * 60;

/** A fast 32-bit mix of three integers to [0, 1) (MurmurHash3's finaliser over a combined key). */
export const unitHash = (a: number, b: number, c: number): number => {
  let h = (Math.imul(a | 0, 0x9e3779b1) ^ Math.imul(b | 0, 0x85ebca6b) ^ Math.imul(c | 0, 0xc2b2ae35)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
};

export const loadShapeOf = (seed: number, index: number): LoadShape => {
  const u = (k: number) => unitHash(seed, index, 1_000_000 + k);
  return {
    cpuBase: 0.1 + 0.5 * u(1),
    cpuSwing: 0.05 + 0.25 * u(2),
    phase: 2 * Math.PI * u(3),
    memoryShare: 0.3 + 0.5 * u(4),
    networkShare: 0.02 + 0.2 * u(5),
    diskShare: 0.02 + 0.2 * u(6),
    connections: Math.round(20 + 800 * u(7)),
  };
};

/** The CloudWatch view of one instance in one minute (what the agent and EC2 report), in resource units. */
export const syntheticSample = (seed: number, index: number, shape: LoadShape, spec: InstanceTypeSpec, at: number): MetricSample => {
  const minute = Math.floor(at / MINUTE_MS);
  const noise = unitHash(seed, index, minute) - 0.5;
  const daily = Math.sin((2 * Math.PI * (minute % DAY_MINUTES)) / DAY_MINUTES + shape.phase);
  const cpu = Math.min(1, Math.max(0.01, shape.cpuBase + shape.cpuSwing * daily + 0.15 * noise));
  const r = spec.resources;
  return {
    at: minute * MINUTE_MS,
    cpuPercent: cpu * 100,
    cpuMaxPercent: Math.min(100, cpu * 100 * (1.1 + 0.3 * unitHash(seed, index, minute + 7))),
    memoryGiB: r.memoryGiB * Math.min(0.98, shape.memoryShare * (1 + 0.05 * noise)),
    networkMbps: r.networkMbps * shape.networkShare * cpu,
    diskIops: r.diskIops * shape.diskShare * cpu,
    connections: Math.round(shape.connections * (0.5 + cpu)),
  };
};

export interface ProfileSubject {
  readonly instanceId: InstanceId;
  readonly groupId: GroupId;
  readonly spec: InstanceTypeSpec;
  readonly jobType: string;
  readonly launchedAt: number;
}

/**
 * A profile as the profiler would hold it after `historyMinutes` of ticks, with one interruption →
 * restart cycle in the middle (post-restart load 1.5× for the window), so the model's restart
 * features are populated as for a fleet that has seen interruptions.
 */
export const buildSyntheticProfile = (
  seed: number,
  index: number,
  subject: ProfileSubject,
  now: number,
  historyMinutes = 120,
  windowMinutes = 30,
): BehaviourProfile => {
  const shape = loadShapeOf(seed, index);
  const start = Math.floor(now / MINUTE_MS) * MINUTE_MS - historyMinutes * MINUTE_MS;
  const sample = (m: number, scale = 1): MetricSample => {
    const s = syntheticSample(seed, index, shape, subject.spec, start + m * MINUTE_MS);
    if (scale === 1) return s;
    return {
      ...s,
      cpuPercent: Math.min(100, (s.cpuPercent ?? 0) * scale),
      cpuMaxPercent: Math.min(100, (s.cpuMaxPercent ?? 0) * scale),
      networkMbps: (s.networkMbps ?? 0) * scale,
      diskIops: (s.diskIops ?? 0) * scale,
    };
  };
  const interruptAt = Math.floor(historyMinutes / 3);
  const downtime = 3;
  const restartAt = interruptAt + downtime;
  let profile = newProfile({
    instanceId: subject.instanceId,
    groupId: subject.groupId,
    instanceType: subject.spec.name,
    vcpus: subject.spec.resources.vcpu,
    jobType: subject.jobType,
    launchedAt: subject.launchedAt,
    now: start,
  });
  profile = updateProfile(
    profile,
    Array.from({ length: interruptAt }, (_, m) => sample(m)),
    start + interruptAt * MINUTE_MS,
  );
  profile = openRestartWindow(profile, { interruptedAt: start + interruptAt * MINUTE_MS, restartedAt: start + restartAt * MINUTE_MS });
  const after = Array.from({ length: historyMinutes - restartAt }, (_, k) => sample(restartAt + k, restartAt + k < restartAt + windowMinutes ? 1.5 : 1));
  profile = updateProfile(profile, after, start + historyMinutes * MINUTE_MS);
  return closeRestartWindow(profile, start + historyMinutes * MINUTE_MS, windowMinutes);
};
