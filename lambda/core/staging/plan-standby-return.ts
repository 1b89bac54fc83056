import type { Action, BehaviourProfile, FleetView, GroupView, InstanceId } from '../domain';

/** A standby member counts as idle below this share of its vCPUs (the OS and agents alone use a few percent). */
export const IDLE_CPU_SHARE = 0.05;
/** Consecutive idle minutes, ending with its newest datapoint, before a standby member is returned. */
export const IDLE_MINUTES_TO_RETURN = 15;
/**
 * The newest datapoint must be at most this old: CloudWatch publishes a minute 1–3 minutes late and the
 * profiler's read window ends 3 minutes before the tick, so a tick that read metrics sees data 4–6 minutes
 * old; anything older says nothing about now (a workload may have moved onto the instance since).
 */
export const MAX_DATA_AGE_MS = 8 * 60_000;

export interface StandbyReturnInput {
  readonly standby: GroupView;
  readonly fleet: FleetView;
  /** Profiles of the standby group's members (the standby group's own profile tick). */
  readonly profiles: ReadonlyMap<InstanceId, BehaviourProfile>;
  readonly now: number;
}

export interface StandbyReturnPlan {
  readonly actions: readonly Action[];
  /** Members kept and why (logged; a member with no data is kept: fail closed). */
  readonly kept: readonly { readonly instanceId: InstanceId; readonly reason: string }[];
}

/** Minutes of idle data at the end of a profile's recent points (0 when the newest is busy or missing). */
const trailingIdleMinutes = (profile: BehaviourProfile): number => {
  const limit = profile.vcpus * IDLE_CPU_SHARE;
  let minutes = 0;
  for (let k = profile.recent.length - 1; k >= 0; k--) {
    const vcpu = profile.recent[k]?.demand.vcpu;
    if (vcpu === undefined || !Number.isFinite(vcpu) || vcpu > limit) break;
    minutes += 1;
  }
  return minutes;
};

/**
 * Returns standby capacity nobody uses any more. spotwise raises a standby group to take an interrupted
 * workload; once the primary group's replacement serves and the workload has moved back, the standby
 * member idles. A member is returned (TerminateInstanceInAutoScalingGroup with decrement, so the group
 * shrinks by exactly that instance whatever other writers do) when its own CloudWatch data shows it idle
 * for IDLE_MINUTES_TO_RETURN minutes up to a datapoint no older than MAX_DATA_AGE_MS, and no reservation
 * in any pool names it. A member without such data is kept (fail closed: a busy instance is never taken).
 * Never below the group's minimum size.
 */
export const planStandbyReturn = (input: StandbyReturnInput): StandbyReturnPlan => {
  const { standby, fleet, profiles, now } = input;
  if (standby.role !== 'standby') return { actions: [], kept: [] };
  const reserved = new Set<string>();
  let lastReservationAt = Number.NEGATIVE_INFINITY;
  for (const g of fleet.groups) {
    for (const r of g.pool.reservations.values()) {
      reserved.add(r.instanceId);
      lastReservationAt = Math.max(lastReservationAt, r.createdAt);
    }
  }
  // Return capacity only when the fleet is at rest: load may be moving onto a standby member that the
  // (minutes-old) data still shows idle whenever an interruption is being absorbed — a reservation made
  // within the idle stretch, a member of the standby or a backed group starting, stopping or terminating, or
  // a backed group's replacement still inside its post-restart window. Then keep them all.
  const backed = fleet.groups.filter((g) => g.standbyGroupId === standby.id);
  const window = Math.max(0, ...backed.map((g) => g.policy.postRestartWindowMinutes)) * 60_000;
  const busyReason =
    now - lastReservationAt < IDLE_MINUTES_TO_RETURN * 60_000 ? `a reservation was made ${Math.round((now - lastReservationAt) / 60_000)} min ago`
    : [standby, ...backed].some((g) => g.disruptionsInFlight > 0) ? 'a disruption is in flight'
    : [standby, ...backed].flatMap((g) => g.instances).some((i) => !i.warm && i.state !== 'running' && i.state !== 'terminated') ? 'an instance is starting, stopping or terminating'
    : backed.flatMap((g) => g.instances).some((i) => !i.warm && now - i.launchedAt < window) ? 'a replacement is inside its post-restart window'
    : undefined;
  if (busyReason !== undefined) {
    return { actions: [], kept: standby.instances.filter((i) => !i.warm && i.state === 'running').map((i) => ({ instanceId: i.id, reason: `${busyReason}: an interruption is being absorbed` })) };
  }
  const members = standby.instances.filter((i) => !i.warm && i.state === 'running').sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  let room = Math.max(0, Math.floor(standby.desiredCapacity) - Math.floor(standby.minSize));
  const actions: Action[] = [];
  const kept: { instanceId: InstanceId; reason: string }[] = [];
  for (const m of members) {
    const profile = profiles.get(m.id);
    const newest = profile?.recent.at(-1)?.at;
    if (profile === undefined || newest === undefined) {
      kept.push({ instanceId: m.id, reason: 'no utilisation data yet' });
      continue;
    }
    if (now - newest > MAX_DATA_AGE_MS) {
      kept.push({ instanceId: m.id, reason: `newest datapoint is ${Math.round((now - newest) / 60_000)} min old` });
      continue;
    }
    if (reserved.has(m.id)) {
      kept.push({ instanceId: m.id, reason: 'a reservation holds capacity on it' });
      continue;
    }
    const idle = trailingIdleMinutes(profile);
    if (idle < IDLE_MINUTES_TO_RETURN) {
      kept.push({ instanceId: m.id, reason: idle === 0 ? 'in use' : `idle for ${idle} of ${IDLE_MINUTES_TO_RETURN} min` });
      continue;
    }
    if (room === 0) {
      kept.push({ instanceId: m.id, reason: `the group is at its minimum size ${standby.minSize}` });
      continue;
    }
    room -= 1;
    actions.push({ kind: 'return-standby-instance', groupId: standby.id, instanceId: m.id, reason: `idle for ${idle} min (below ${Math.round(IDLE_CPU_SHARE * 100)} % of ${profile.vcpus} vCPU) with no reservation on it` });
  }
  return { actions, kept };
};
