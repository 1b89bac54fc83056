import { DIMENSIONS, type Action, type BehaviourProfile, type FleetView, type GroupView, type InstanceId, type ResourcePool, type Resources } from '../domain';
import { checkDisruptionBudget } from '../budget/disruption-budget';
import { reserveInPlan } from '../common/plan-pool';
import { estimatePostRestartDemand } from '../common/post-restart-demand';
import { buildReservation, makeReservationId, reservationPurpose, RESTART_GRACE_MS } from '../common/reservation-terms';
import { formatResources } from '../resources/resources';

/** A standby member counts as idle below this share of its vCPUs (the OS and agents alone use a few percent). */
export const IDLE_CPU_SHARE = 0.05;
/** Consecutive idle minutes, ending with its newest datapoint, before a standby member is returned. */
export const IDLE_MINUTES_TO_RETURN = 5;
/**
 * Minutes after the last reservation (an interruption being absorbed) during which nothing is returned: load may
 * still be moving onto a member whose minutes-old data shows it idle. Longer than the idle stretch on purpose.
 */
export const QUIET_MINUTES_BEFORE_RETURN = 15;
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

/**
 * A standby member counts as idle only while its memory in use is at most this too (GiB): an application holding
 * its working set is not idle however little CPU it uses, and the OS with the agent alone holds a few hundred MiB
 * whatever the instance's size. Without the agent's memory metric CPU alone decides.
 */
export const IDLE_MEMORY_GIB = 1;

/** Minutes of idle data at the end of a profile's recent points (0 when the newest is busy or missing). */
const trailingIdleMinutes = (profile: BehaviourProfile): number => {
  const cpuLimit = profile.vcpus * IDLE_CPU_SHARE;
  let minutes = 0;
  for (let k = profile.recent.length - 1; k >= 0; k--) {
    const demand = profile.recent[k]?.demand;
    const vcpu = demand?.vcpu;
    if (vcpu === undefined || !Number.isFinite(vcpu) || vcpu > cpuLimit) break;
    const memory = demand?.memoryGiB;
    if (memory !== undefined && !(Number.isFinite(memory) && memory <= IDLE_MEMORY_GIB)) break;
    minutes += 1;
  }
  return minutes;
};

/**
 * The member's own observed peak per dimension over the last `windowMs` of its recent points: its load's demand
 * as it ran here, restart surge included. Stands in for the forecast of its load's restart at home when the member
 * has no steady state of its own (its whole life on the standby group is one post-restart window). Undefined
 * unless every dimension has a finite value (fail closed).
 */
export const observedPeak = (profile: BehaviourProfile | undefined, windowMs: number): Resources | undefined => {
  const newest = profile?.recent.at(-1)?.at;
  if (profile === undefined || newest === undefined) return undefined;
  const peak: Record<string, number> = {};
  for (const p of profile.recent) {
    if (p.at < newest - windowMs) continue;
    for (const d of DIMENSIONS) {
      const v = p.demand[d];
      if (v !== undefined && Number.isFinite(v) && v >= 0) peak[d] = Math.max(peak[d] ?? 0, v);
    }
  }
  const { vcpu, memoryGiB, networkMbps, diskIops } = peak;
  return vcpu === undefined || memoryGiB === undefined || networkMbps === undefined || diskIops === undefined
    ? undefined
    : { vcpu, memoryGiB, networkMbps, diskIops };
};

/**
 * When a member last started serving, from its own profile: the start of its newest post-restart window, open or
 * closed (a warm-pool member's launch time is when it was first prepared, not when it came into service).
 * An open window counts from its start too: the profiler closes a window once its length has gone by (with minutes of it
 * possibly still unread: CloudWatch publishes them late and the profiler reads every metrics period), and the return
 * waits on the window's length, not its measurement, so whether the window is open or closed yet changes nothing.
 * Undefined when no start is known.
 */
const startedServing = (profile: BehaviourProfile | undefined): number | undefined => {
  if (profile === undefined) return undefined;
  const newest = profile.restarts.reduce((t, c) => Math.max(t, c.restartedAt), profile.openRestart?.restartedAt ?? Number.NEGATIVE_INFINITY);
  return Number.isFinite(newest) ? newest : undefined;
};

/**
 * Returns standby capacity nobody needs any more. spotwise raises a standby group to take an interrupted
 * workload while the primary group's replacement comes up and the restart surge passes. A member is returned
 * (TerminateInstanceInAutoScalingGroup with decrement, so the group shrinks by exactly that instance whatever
 * other writers do; its terminate lifecycle hook lets the application drain it) in either of two cases:
 *
 * - **its post-restart window is over**: at least the longest post-restart window of the groups it backs has gone
 *   by since its newest start (by its own profile, whether or not the profiler has closed that window yet), no reservation made
 *   since then names it, and every backed group has its full desired capacity in service again — the load it took has a home to go back to, and the surge it was raised for is
 *   over. Busy or not: the drain moves its load (DESIGN §4; issue: "return standby capacity when the primary
 *   group's replacement is in service and the post-restart window has passed"). A voluntary disruption of its
 *   load: only with room in its home group's disruption budget (see reserveHome) and a fitting `return` reservation
 *   for the load's restart in that group's pool; otherwise kept (fail closed).
 *   The reservation holds the member's forecast, or, when it has no steady state of its own (its whole life here
 *   is one post-restart window), its own observed peak over the window.
 * - **it is idle**: its own CloudWatch data shows it idle for IDLE_MINUTES_TO_RETURN minutes up to a datapoint
 *   no older than MAX_DATA_AGE_MS, and no reservation made within the window names it (capacity raised for a load
 *   that went elsewhere, or whose load has gone home). Checked first, and without a reservation.
 *   A member without such data is kept by this rule (fail closed: a busy instance is never taken as idle). Idle is
 *   not empty: a service's replica can sit idle (most VMs of a real fleet do for hours), and spotwise cannot see
 *   which load an instance runs, so an idle return spends disruption budget too — the home group's (the group of the
 *   reservation that last named it), or every backed group's when none did (fail closed); an idle load's restart
 *   needs next to nothing, so no reservation. Spending nothing let the simulator's real traces return three
 *   members carrying idle web replicas in one tick, against web's budget of one.
 *
 * Nothing is returned while an interruption is being absorbed (load may be moving onto a member that minutes-old
 * data still shows idle): a reservation made in the last QUIET_MINUTES_BEFORE_RETURN minutes, a disruption in
 * flight, or a member of the standby or a backed group starting, stopping or terminating. Never below the group's minimum size.
 */
export const planStandbyReturn = (input: StandbyReturnInput): StandbyReturnPlan => {
  const { standby, fleet, profiles, now } = input;
  if (standby.role !== 'standby') return { actions: [], kept: [] };
  const backed = fleet.groups.filter((g) => g.standbyGroupId === standby.id);
  const window = Math.max(0, ...backed.map((g) => g.policy.postRestartWindowMinutes)) * 60_000;
  /** Per instance: when the newest reservation naming it was made. */
  const reservedAt = new Map<string, number>();
  /** Per instance: the pool of the newest reservation naming it (where its load came from). */
  const homeOf = new Map<string, string>();
  let lastReservationAt = Number.NEGATIVE_INFINITY;
  for (const g of fleet.groups) {
    for (const r of g.pool.reservations.values()) {
      if ((reservedAt.get(r.instanceId) ?? Number.NEGATIVE_INFINITY) <= r.createdAt) homeOf.set(r.instanceId, g.id);
      reservedAt.set(r.instanceId, Math.max(reservedAt.get(r.instanceId) ?? Number.NEGATIVE_INFINITY, r.createdAt));
      // A returned member's reservation (its load going home) is not an interruption being absorbed.
      if (reservationPurpose(r) !== 'return') lastReservationAt = Math.max(lastReservationAt, r.createdAt);
    }
  }
  const busyReason =
    now - lastReservationAt < QUIET_MINUTES_BEFORE_RETURN * 60_000
      ? `a reservation was made ${Math.round((now - lastReservationAt) / 60_000)} min ago`
      : [standby, ...backed].some((g) => g.disruptionsInFlight > 0)
        ? 'a disruption is in flight'
        : [standby, ...backed].flatMap((g) => g.instances).some((i) => !i.warm && i.state !== 'running' && i.state !== 'terminated')
          ? 'an instance is starting, stopping or terminating'
          : undefined;
  if (busyReason !== undefined) {
    return {
      actions: [],
      kept: standby.instances
        .filter((i) => !i.warm && i.state === 'running')
        .map((i) => ({ instanceId: i.id, reason: `${busyReason}: an interruption is being absorbed` })),
    };
  }
  // Every backed group has its desired capacity in service: a home for the load a standby member carries.
  const short = backed.find((g) => g.instances.filter((i) => !i.warm && i.state === 'running').length < Math.floor(g.desiredCapacity));
  const members = standby.instances.filter((i) => !i.warm && i.state === 'running').sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  let room = Math.max(0, Math.floor(standby.desiredCapacity) - Math.floor(standby.minSize));
  const actions: Action[] = [];
  const kept: { instanceId: InstanceId; reason: string }[] = [];
  const give = (m: (typeof members)[number], reason: string): void => {
    if (room === 0) {
      kept.push({ instanceId: m.id, reason: `the group is at its minimum size ${standby.minSize}` });
      return;
    }
    room -= 1;
    actions.push({ kind: 'return-standby-instance', groupId: standby.id, instanceId: m.id, reason });
  };
  const pools = new Map<string, ResourcePool>(backed.map((g) => [g.id, g.pool]));
  /** Returns planned per home group that disrupt a load (count against that group's budget). */
  const disrupted = new Map<string, number>();
  /** The groups whose load a member may carry: its home (the newest reservation naming it) if known, else every backed group. */
  const homesOf = (homeId: string | undefined): readonly GroupView[] => {
    const known = backed.filter((g) => g.id === homeId);
    return known.length > 0 ? known : [...backed].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  };
  /** Why the budget of one of `homes` has no room for one more disruption this plan; undefined when all have room. */
  const budgetRefusal = (homes: readonly GroupView[]): string | undefined => {
    for (const home of homes) {
      const budget = checkDisruptionBudget(home, (disrupted.get(home.id) ?? 0) + 1);
      if (budget.kind === 'exhausted') return `${home.id}: ${budget.reason}`;
    }
    return undefined;
  };
  const spendBudget = (homes: readonly GroupView[]): void => {
    for (const home of homes) disrupted.set(home.id, (disrupted.get(home.id) ?? 0) + 1);
  };
  /**
   * Returning a member that may still serve is a voluntary disruption of its load: like any, it needs room in the
   * disruption budget of the group whose load it is — the home group, where the load restarts: the standby group
   * only lends capacity, and its members carry different services' loads — and a fitting reservation for the load's
   * restart on the home group's capacity (`return` purpose, held for the restart grace and the window). Charging the
   * standby group instead held back all but one of a burst's members each tick while their loads had already gone
   * home (minutes-old data still showed them busy): the simulator measured those members idle 5–8 minutes each.
   * The home is the group of the newest reservation that named the member; with none, any backed group may be it, so
   * every one's budget must have room (fail closed) and the reservation goes to the first pool it fits. A known
   * home's exhausted budget is not worked around by charging another group's: that let two members carrying web loads
   * go in one tick against web's budget of one (simulator, seed 16). Undefined (and a reason kept) when refused.
   */
  const reserveHome = (m: (typeof members)[number], homeId: string | undefined, profile: BehaviourProfile | undefined): Action | undefined => {
    const homes = homesOf(homeId);
    const refused = budgetRefusal(homes);
    if (refused !== undefined) {
      kept.push({ instanceId: m.id, reason: `its window is over but its load cannot go home (fail closed): ${refused}` });
      return undefined;
    }
    const reasons: string[] = [];
    for (const home of homes) {
      const estimate = estimatePostRestartDemand(m, home, fleet);
      const amount = estimate.kind === 'known' ? estimate.amount : observedPeak(profile, window);
      if (amount === undefined) {
        reasons.push(`${home.id}: ${estimate.kind === 'unknown' ? estimate.reason : 'no estimate'}, and no observed peak of all four dimensions`);
        continue;
      }
      const reservation = buildReservation({
        id: makeReservationId('return', `${standby.id}@${now}`, m.id),
        purpose: 'return',
        source: `${standby.id}@${now}`,
        group: home,
        instance: m,
        amount,
        now,
        expiresAt: now + RESTART_GRACE_MS + home.policy.postRestartWindowMinutes * 60_000,
        reason: `restart of ${m.id}'s load on ${home.id} as the standby member is returned`,
      });
      const outcome = reserveInPlan(pools.get(home.id) ?? home.pool, reservation, now);
      if (outcome.kind !== 'reserved') {
        reasons.push(`${home.id}: ${outcome.kind === 'refused' ? `short ${formatResources(outcome.shortfall)}` : outcome.reason}`);
        continue;
      }
      pools.set(home.id, outcome.pool);
      spendBudget(homes);
      return { kind: 'reserve', reservation };
    }
    kept.push({ instanceId: m.id, reason: `its window is over but its load cannot go home (fail closed): ${reasons.join('; ')}` });
    return undefined;
  };
  /** The member's trailing idle minutes by its own data, or why it does not count as idle (then no disruption-free return). */
  const idleness = (profile: BehaviourProfile | undefined, reserved: number | undefined): { readonly idle: number } | { readonly busy: string } => {
    const newest = profile?.recent.at(-1)?.at;
    if (profile === undefined || newest === undefined) return { busy: 'no utilisation data yet' };
    if (now - newest > MAX_DATA_AGE_MS) return { busy: `newest datapoint is ${Math.round((now - newest) / 60_000)} min old` };
    // A reservation made within the window names it: its load may be arriving or in its surge. An older one (a
    // hand-over whose restart is long over) says nothing about now.
    if (reserved !== undefined && now - reserved < Math.max(window, QUIET_MINUTES_BEFORE_RETURN * 60_000))
      return { busy: 'a reservation holds capacity on it' };
    const idle = trailingIdleMinutes(profile);
    return idle >= IDLE_MINUTES_TO_RETURN ? { idle } : { busy: idle === 0 ? 'in use' : `idle for ${idle} of ${IDLE_MINUTES_TO_RETURN} min` };
  };
  for (const m of members) {
    const reserved = reservedAt.get(m.id);
    const profile = profiles.get(m.id);
    const state = idleness(profile, reserved);
    if ('idle' in state && profile !== undefined) {
      // Budget for returning an idle member (it may carry an idle load); at the minimum size give() keeps it anyway.
      if (room > 0) {
        const homes = homesOf(homeOf.get(m.id));
        const refused = budgetRefusal(homes);
        if (refused !== undefined) {
          kept.push({
            instanceId: m.id,
            reason: `idle for ${state.idle} min, but an idle member may still carry an idle load and the budget has no room: ${refused}`,
          });
          continue;
        }
        spendBudget(homes);
      }
      give(
        m,
        `idle for ${state.idle} min (below ${Math.round(IDLE_CPU_SHARE * 100)} % of ${profile.vcpus} vCPU and ${IDLE_MEMORY_GIB} GiB of memory) with no recent reservation on it`,
      );
      continue;
    }
    const since = startedServing(profile);
    if (
      backed.length > 0 &&
      short === undefined &&
      since !== undefined &&
      now - since >= window &&
      !(reserved !== undefined && now - reserved < window) &&
      room > 0
    ) {
      const reserve = reserveHome(m, homeOf.get(m.id), profile);
      if (reserve === undefined) continue;
      actions.push(reserve);
      give(
        m,
        `serving for ${Math.round((now - since) / 60_000)} min, past the ${Math.round(window / 60_000)}-minute post-restart window, with ${backed.map((g) => g.id).join(', ')} back at desired capacity: its load goes home as it drains`,
      );
      continue;
    }
    kept.push({ instanceId: m.id, reason: 'busy' in state ? state.busy : 'kept' });
  }
  return { actions, kept };
};
