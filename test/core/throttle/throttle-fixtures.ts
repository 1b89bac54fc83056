import { groupId, instanceId, type BehaviourProfile, type Resources } from '../../../lambda/core/domain';
import { newProfile } from '../../../lambda/core/profile/behaviour-profile';

export const MINUTE = 60_000;

/** A profile of `id` in `group` whose recent points are `demands`, one a minute, the last at `lastAt`. */
export const profileWithRecent = (id: string, demands: readonly Partial<Resources>[], lastAt: number, group = 'web'): BehaviourProfile => ({
  ...newProfile({
    instanceId: instanceId(id),
    groupId: groupId(group),
    instanceType: 'm5.large',
    vcpus: 2,
    jobType: 'web',
    launchedAt: lastAt - 86_400_000,
    now: lastAt,
  }),
  recent: demands.map((demand, k) => ({ at: lastAt - (demands.length - 1 - k) * MINUTE, demand })),
});
