import type { FleetView, GroupId, GroupView, InstanceId, ManagedInstance } from '../domain';

/** An instance together with the managed group it belongs to. */
export interface LocatedInstance {
  readonly group: GroupView;
  readonly instance: ManagedInstance;
}

/** The group named `id` in the fleet snapshot, if spotwise manages it. */
export const findGroup = (fleet: FleetView, id: GroupId): GroupView | undefined => fleet.groups.find((g) => g.id === id);

/**
 * The instance and its group. EC2 events carry no group (DESIGN §1), so every notice starts here;
 * the first group listing the instance wins, which keeps the answer deterministic even if a stale
 * snapshot lists an instance twice.
 */
export const locateInstance = (fleet: FleetView, id: InstanceId): LocatedInstance | undefined => {
  for (const group of fleet.groups) {
    const instance = group.instances.find((i) => i.id === id);
    if (instance !== undefined) return { group, instance };
  }
  return undefined;
};

/** The standby group backing `group`, when one is configured and present in the snapshot. */
export const findStandbyGroup = (fleet: FleetView, group: GroupView): GroupView | undefined =>
  group.standbyGroupId === undefined ? undefined : findGroup(fleet, group.standbyGroupId);

/**
 * The group whose warm pool holds staged capacity for `group`: its standby group when that has a
 * warm pool (a warm pool cannot be attached to a Spot / mixed-instances group, DESIGN §1), else the
 * group itself when it has one (an On-Demand primary), else none.
 */
export const findWarmGroup = (fleet: FleetView, group: GroupView): GroupView | undefined => {
  const standby = findStandbyGroup(fleet, group);
  if (standby?.warmPool !== undefined) return standby;
  return group.warmPool !== undefined ? group : undefined;
};

/** Primary groups whose staged capacity lives in `warmGroup` (several primaries may share one standby). */
export const findBackedGroups = (fleet: FleetView, warmGroup: GroupView): GroupView[] =>
  fleet.groups.filter((g) => g.role === 'primary' && findWarmGroup(fleet, g)?.id === warmGroup.id);

/** States in which an instance serves load (or is about to): it is not interrupted. */
export const isActive = (instance: ManagedInstance): boolean => instance.state === 'running' || instance.state === 'pending';

/**
 * A member that runs in service and stays: running, not in the warm pool, not in Standby (out of service: an
 * operator's, or a voluntary stop under way) and not being terminated by Auto Scaling (a member a hook holds in
 * Terminating:Wait still runs, but is leaving). What may be chosen to disrupt, resize or lend room.
 */
export const runsAndStays = (instance: ManagedInstance): boolean =>
  !instance.warm && instance.state === 'running' && instance.terminating !== true && instance.inStandby !== true;
