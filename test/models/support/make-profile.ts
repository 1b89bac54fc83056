import { groupId, instanceId, type BehaviourProfile, type MetricSample, type PredictionInput } from '../../../lambda/core/domain';
import { newProfile, updateProfile } from '../../../lambda/core/profile/behaviour-profile';

export const T0 = Date.UTC(2024, 0, 1);
export const MINUTE = 60_000;

/** A profile fed `minutes` 1-minute samples from `sample(i)`, as the profiler would build it. */
export const profileFrom = (minutes: number, sample: (i: number) => Omit<MetricSample, 'at'>, vcpus = 2, id = 'i-test'): BehaviourProfile => {
  const samples: MetricSample[] = Array.from({ length: minutes }, (_, i) => ({ at: T0 + i * MINUTE, ...sample(i) }));
  const base = newProfile({ instanceId: instanceId(id), groupId: groupId('g'), instanceType: 'm5.large', vcpus, jobType: 'web', launchedAt: T0, now: T0 });
  return updateProfile(base, samples, T0 + minutes * MINUTE);
};

/** A prediction input for a profile, made at the minute after its last sample. */
export const inputFor = (profile: BehaviourProfile, downtimeSeconds = 120, windowMinutes = 30): PredictionInput => ({
  profile,
  downtimeSeconds,
  windowMinutes,
  now: (profile.lastSampleAt ?? profile.updatedAt) + MINUTE,
});

/** A steady web server: CPU 20–40 % with a daily-ish wave, memory 3 GiB, some network and disk. */
export const steadySample = (i: number): Omit<MetricSample, 'at'> => ({
  cpuPercent: 30 + 10 * Math.sin(i / 30),
  memoryGiB: 3 + 0.1 * Math.cos(i / 50),
  networkMbps: 50 + 5 * Math.sin(i / 7),
  diskIops: 200 + 20 * Math.cos(i / 11),
});
