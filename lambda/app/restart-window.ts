import type { Action } from '../core/domain';
import { newProfile, openRestartWindow } from '../core/profile/behaviour-profile';
import type { ProfileStore } from '../ports/state-store';

/**
 * Carries out an `open-restart-window` action: the restart boundary goes into the instance's profile, so the
 * profiler's next ticks collect the post-restart curve and close the window.
 *
 * The interruption time is the last minute the profile saw data (the instance was gone after it); an instance without
 * a profile — a replacement launched for a terminated Spot instance — gets a new one whose window starts and
 * "interrupts" at the restart itself, until the hand-over of its victim's reservation passes the victim's lineage on
 * (an `inherit-profile` action: the window then gets the victim's steady state as its "steady before"). A replacement
 * that inherited first keeps its lineage window: this state change is the same start. Returns a detail when nothing
 * was written.
 */
export const openRestartWindowOf = async (
  action: Action & { readonly kind: 'open-restart-window' },
  state: ProfileStore,
  now: number,
): Promise<string | undefined> => {
  const stored = (await state.getProfiles([action.instanceId])).get(action.instanceId);
  const profile =
    stored ??
    newProfile({
      instanceId: action.instanceId,
      groupId: action.groupId,
      instanceType: action.instance.instanceType,
      vcpus: action.instance.vcpus,
      jobType: action.instance.jobType,
      launchedAt: action.restartedAt,
      now,
    });
  const lastSeen = profile.lastSampleAt ?? profile.updatedAt;
  const opened = openRestartWindow(profile, {
    interruptedAt: Math.min(lastSeen, action.restartedAt),
    restartedAt: action.restartedAt,
    ...(action.forecastBefore !== undefined ? { forecastBefore: action.forecastBefore } : {}),
    ...(action.modelBefore !== undefined ? { modelBefore: action.modelBefore } : {}),
    windowMinutes: action.windowMinutes,
  });
  // A lineage window this start already has (a launch hook or the pool refresh passed the victim's on) stays as it is.
  if (opened === profile && stored !== undefined) return 'kept: its profile already has this restart window';
  await state.putProfiles([opened]);
  return undefined;
};
