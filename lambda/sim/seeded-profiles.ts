import { LATE_FIELDS, type BehaviourProfile, type InstanceId, type MetricSample } from '../core/domain';
import { newProfile, updateProfile } from '../core/profile/behaviour-profile';
import type { MonitoringMode } from './engine/sim-types';
import { AGENT_FIELDS_WITH_CPU, basicMonitoringView, hasData, pick } from './memory/in-memory-metrics-reader';

/**
 * The profiles spotwise holds when the run starts — the state its profiler would have after the ticks of the history —
 * folded from the history as the instances' monitoring delivers it, as the profiler folds it:
 * - `detailed`: every field each minute (the history as it is);
 * - `agent-cpu`: CPU, memory and connections each minute from the CloudWatch agent, network and disk as EC2's basic
 *   monitoring gives them — one average per 5-minute period — folded as the profiler folds them, late (`updateProfile`'s
 *   `late`);
 * - `basic`: CPU, network and disk one average (CPU's maximum: the largest minute) per 5-minute period, memory and
 *   connections each minute, folded together.
 * `built` are the profiles of the 1-minute history (the sample fleet's); each is rebuilt from the same start, so only
 * what the monitoring delivers differs. Without this, a run on basic monitoring would start from profiles of
 * 1-minute CPU that no basic-monitoring deployment has.
 */
export const seededProfiles = (
  built: readonly BehaviourProfile[],
  history: ReadonlyMap<InstanceId, readonly MetricSample[]>,
  from: number,
  startAt: number,
  mode: MonitoringMode,
): BehaviourProfile[] => {
  if (mode === 'detailed') return [...built];
  return built.map((p) => {
    const samples = history.get(p.instanceId) ?? [];
    const fresh = newProfile({
      instanceId: p.instanceId,
      groupId: p.groupId,
      instanceType: p.instanceType,
      vcpus: p.vcpus,
      jobType: p.jobType,
      launchedAt: p.launchedAt,
      now: from,
      halfLifeMs: p.steady.vcpu.halfLifeMs,
    });
    if (mode === 'basic')
      return updateProfile(
        fresh,
        basicMonitoringView(samples, () => true),
        startAt,
      );
    const agent = samples.map((s) => pick(s, AGENT_FIELDS_WITH_CPU)).filter(hasData);
    const ec2 = basicMonitoringView(
      samples.map((s) => pick(s, LATE_FIELDS)),
      () => true,
    ).filter(hasData);
    return updateProfile(fresh, agent, startAt, ec2);
  });
};
