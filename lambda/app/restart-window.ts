import type { BehaviourProfile, DomainEvent, FleetView, InstanceId } from '../core/domain';
import { forecastRecord } from '../core/predict/calibrate';
import { newProfile, openRestartWindow } from '../core/profile/behaviour-profile';
import type { ProfileStore } from '../ports/state-store';

type WindowOpened = Extract<DomainEvent, { kind: 'restart-window-opened' }>;

/**
 * The p90 of the forecast spotwise held for the instance when it went down: the profiler forecasts only
 * serving instances, so the stored forecast made before the restart is the last one from before the
 * interruption. One made at or after the restart is not that forecast and is not used.
 */
const forecastBeforeRestart = (fleet: FleetView, id: InstanceId, restartedAt: number): ReturnType<typeof forecastRecord> => {
  const forecast = fleet.forecasts.get(id);
  if (forecast?.kind !== 'known' || !(forecast.madeAt < restartedAt)) return undefined;
  return forecastRecord(forecast);
};

/**
 * Records the restart boundary in the instance's profile (DESIGN.md flow 2: pending → running starts the
 * post-restart window), so the profiler's next ticks collect the post-restart curve and close the window.
 *
 * The interruption time is the last minute the profile saw data (the instance was gone after it); an
 * instance without a profile — a replacement launched for a terminated Spot instance — gets a new one
 * whose window starts and "interrupts" at the restart itself, until the hand-over of its victim's
 * reservation passes the victim's lineage on (an `inherit-profile` action: the window then gets the
 * victim's steady state as its "steady before"). A replacement that inherited first keeps its lineage
 * window: this state change is the same start.
 *
 * Profiles are what spotwise learns, not what it does to the fleet: this runs in dry-run too.
 */
export const recordRestartWindows = async (
  events: readonly DomainEvent[],
  fleet: FleetView,
  state: ProfileStore,
  restartedAt: number,
  now: number,
): Promise<BehaviourProfile[]> => {
  const opened = events.filter((e): e is WindowOpened => e.kind === 'restart-window-opened');
  if (opened.length === 0) return [];
  const stored = await state.getProfiles(opened.map((e) => e.instanceId));
  const updated: BehaviourProfile[] = [];
  for (const e of opened) {
    let profile = stored.get(e.instanceId);
    if (profile === undefined) {
      const instance = fleet.groups.flatMap((g) => g.instances).find((i) => i.id === e.instanceId);
      const spec = instance === undefined ? undefined : fleet.catalog.get(instance.instanceType);
      if (instance === undefined || spec === undefined) continue;
      profile = newProfile({
        instanceId: instance.id,
        groupId: instance.groupId,
        instanceType: instance.instanceType,
        vcpus: spec.resources.vcpu,
        jobType: instance.jobType,
        launchedAt: restartedAt,
        now,
      });
    }
    const lastSeen = profile.lastSampleAt ?? profile.updatedAt;
    const before = forecastBeforeRestart(fleet, e.instanceId, restartedAt);
    const windowMinutes = fleet.groups.find((g) => g.id === e.groupId)?.policy.postRestartWindowMinutes;
    const opened = openRestartWindow(profile, {
      interruptedAt: Math.min(lastSeen, restartedAt),
      restartedAt,
      ...(before ?? {}),
      ...(windowMinutes !== undefined ? { windowMinutes } : {}),
    });
    // A lineage window this start already has (a launch hook or the pool refresh passed the victim's on) stays as it is.
    if (opened !== profile || stored.get(e.instanceId) === undefined) updated.push(opened);
  }
  if (updated.length > 0) await state.putProfiles(updated);
  return updated;
};
