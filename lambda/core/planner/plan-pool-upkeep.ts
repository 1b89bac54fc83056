import {
  DIMENSIONS,
  type Action,
  type BehaviourProfile,
  type DomainEvent,
  type FleetView,
  type Forecast,
  type GroupView,
  type InstanceId,
  type ManagedInstance,
  type Resources,
} from '../domain';
import { outstandingLoans, planLoanRevocations } from '../pool/borrowing';
import { checkPoolResources } from '../pool/pool-amounts';
import { refreshPool, type PoolRefresh, type WantedAllocation } from '../pool/refresh-pool';
import { steadyQuantile } from '../profile/behaviour-profile';
import { planThrottles } from '../throttle/plan-throttles';
import { planEvictions } from '../coordinator/plan-request';
import { planStandbyExits } from '../coordinator/standby-exit';
import { chooseReplacementHandOvers } from './choose-hand-over';

/** A member the pool holds an allocation for: not warm, running or still starting. */
export const isServing = (i: ManagedInstance): boolean => !i.warm && (i.state === 'running' || i.state === 'pending');

/**
 * An instance's allocation in its pool: its steady p90 demand; a dimension with no data counts at the
 * full shape of its type — an unknown use is assumed to be all of it, so the pool never looks freer
 * than it is (fail closed).
 */
export const allocationOf = (profile: BehaviourProfile | undefined, shape: Resources): Resources => {
  const p90 = profile === undefined ? {} : steadyQuantile(profile, 0.9);
  const out: Record<string, number> = {};
  for (const d of DIMENSIONS) out[d] = Math.min(p90[d] ?? shape[d], shape[d]);
  return checkPoolResources(out as Resources, `allocation of ${profile?.instanceId ?? 'instance'}`, 'up');
};

export interface PoolUpkeepInput {
  readonly group: GroupView;
  readonly fleet: FleetView;
  /** allocationOf of each serving instance's updated profile; a serving instance without one counts at full shape. */
  readonly allocations: ReadonlyMap<InstanceId, Resources>;
  /** Profiles with their recent one-minute points (throttling reads them; may be empty when throttling is off). */
  readonly profiles: readonly BehaviourProfile[];
  /** The tick's forecasts: their recentUse is what a lender uses now. */
  readonly forecasts: readonly Forecast[];
  readonly capacity: Resources;
  readonly now: number;
  /** A profile whose newest point is older than this decides no throttle. */
  readonly staleAfterMs: number;
  /** The group's pool is stored already (false: the refresh creates it). */
  readonly stored: boolean;
}

export interface PoolUpkeep {
  /** The refreshed pool: capacity, allocations (fair share under oversubscription), hand-overs, expired reservations. */
  readonly refresh: PoolRefresh;
  /** The `refresh-pool` action that writes it (the plan's first). */
  readonly write: Action & { readonly kind: 'refresh-pool' };
  /** `request-throttle` actions (policy throttle) and the throttled instances (first eviction candidates). */
  readonly throttles: { readonly actions: readonly Action[]; readonly throttled: ReadonlySet<InstanceId> };
  /** Loans called back: a `release` of each borrowing reservation and its `loan-revoked` event. */
  readonly revocations: { readonly actions: readonly Action[]; readonly events: readonly DomainEvent[] };
  /**
   * Eviction requests (policy preemption) for the coordinator to admit like any other, as `submit-request` actions:
   * throttled instances first, on the refreshed pool.
   */
  readonly evictions: readonly Action[];
  /**
   * Members spotwise moved to Standby that nothing brings back any more, on the refreshed pool (coordinator/
   * standby-exit.ts): `exit-standby` and `clear-standby-mark` actions, and the marked members kept with why.
   */
  readonly standbyExits: ReturnType<typeof planStandbyExits>;
}

/**
 * A profile tick's whole plan, in the order the profiler runs it and `spotwise plan` prints it: the refresh written
 * first (the tick's one write of the pool), loans called back (their borrowing reservations released), the staging
 * plan (its noops dropped when anything else is planned), standby members returned, members spotwise moved to Standby
 * brought back (or their stale marks deleted), lineage for the replacements the
 * refresh hands reservations to, eviction requests, and throttles last (a failed publish then stops nothing else).
 */
export const profileTickPlan = (
  upkeep: PoolUpkeep,
  staged: { readonly actions: readonly Action[]; readonly events: readonly DomainEvent[] },
  also: { readonly standbyReturn?: readonly Action[]; readonly lineage: readonly Action[] },
): { readonly actions: readonly Action[]; readonly events: readonly DomainEvent[] } => {
  const rest = [...(also.standbyReturn ?? []), ...upkeep.standbyExits.actions, ...also.lineage, ...upkeep.evictions, ...upkeep.throttles.actions];
  const quiet = rest.length === 0 && upkeep.revocations.actions.length === 0;
  return {
    actions: [upkeep.write, ...upkeep.revocations.actions, ...(quiet ? staged.actions : staged.actions.filter((a) => a.kind !== 'noop')), ...rest],
    events: [...upkeep.revocations.events, ...staged.events],
  };
};

/** The refresh as the action that writes it (see the `refresh-pool` action in domain.ts for the order of its writes). */
const refreshAction = (group: GroupView, refresh: PoolRefresh, stored: boolean, now: number): Action & { readonly kind: 'refresh-pool' } => {
  const held = refresh.handedOver.length;
  const swept = refresh.swept.length;
  return {
    kind: 'refresh-pool',
    groupId: group.id,
    create: !stored,
    capacity: refresh.pool.capacity,
    previousCapacity: group.pool.capacity,
    lowered: [...refresh.lowered],
    allocations: [...refresh.pool.allocations],
    handedOver: refresh.handedOver,
    sweepAt: now,
    reason: `${refresh.pool.allocations.size} allocation(s) from the members' steady p90${held > 0 ? `, ${held} reservation(s) handed to replacements` : ''}${swept > 0 ? `, ${swept} expired reservation(s) swept` : ''}${refresh.capped.length > 0 ? `, ${refresh.capped.length} capped (the pool is full)` : ''}`,
  };
};

/**
 * What a profiler tick does to a group's pool (DESIGN.md flow 1), as data — the profiler runs it, and
 * `spotwise plan` prints it for a profile tick: (1) the refresh through the pool's own rules (allocations are the
 * members' steady p90, divided by priority-ordered fair share where they do not fit; a newcomer takes over a
 * reservation waiting for a replacement); (2) throttles of members over their refreshed allocation for the policy's
 * minutes; (3) loans called back (core/pool/borrowing.ts): a lender using more than its refreshed allocation, or a
 * throttled borrower, releases the borrowing reservation; (4) eviction requests when preemption is allowed and the
 * refreshed pool is over its threshold (planEvictions), throttled instances first.
 */
export const planPoolUpkeep = (input: PoolUpkeepInput): PoolUpkeep => {
  const { group, fleet, now } = input;
  const wanted: WantedAllocation[] = [];
  const newcomers: ManagedInstance[] = [];
  for (const i of group.instances.filter(isServing)) {
    const spec = fleet.catalog.get(i.instanceType);
    if (spec === undefined) continue;
    const minimum = group.policy.resourceDemand;
    wanted.push({
      instanceId: i.id,
      amount: input.allocations.get(i.id) ?? allocationOf(undefined, spec.resources),
      priority: i.priority,
      ...(minimum !== undefined ? { minimum } : {}),
    });
    if (!group.pool.allocations.has(i.id)) newcomers.push(i);
  }
  const handOvers = chooseReplacementHandOvers(fleet, group, newcomers, now);
  const refresh = refreshPool(group.pool, { capacity: input.capacity, wanted, handOvers, now });
  const write = refreshAction(group, refresh, input.stored, now);
  const throttles = planThrottles(group, refresh.pool, input.profiles, { now, staleAfterMs: input.staleAfterMs });
  const refreshed: FleetView = {
    ...fleet,
    groups: fleet.groups.map((g) => (g.id === group.id ? { ...g, pool: refresh.pool } : g)),
    forecasts: new Map([...fleet.forecasts, ...input.forecasts.map((f) => [f.instanceId, f] as const)]),
  };
  const evictions = planEvictions(group.id, refreshed, { now, throttled: throttles.throttled }).map((request): Action => ({
    kind: 'submit-request',
    request,
    note: 'eviction: pool over its threshold',
  }));
  const standbyExits = planStandbyExits({ ...group, pool: refresh.pool }, now);
  if (outstandingLoans(refresh.pool).length === 0) return { refresh, write, throttles, revocations: { actions: [], events: [] }, evictions, standbyExits };
  const usage = new Map(input.forecasts.flatMap((f) => (f.kind === 'known' && f.recentUse !== undefined ? [[f.instanceId, f.recentUse] as const] : [])));
  const { revocations } = planLoanRevocations(refresh.pool, usage, throttles.throttled);
  return {
    refresh,
    write,
    throttles,
    revocations: {
      actions: revocations.map((r): Action => ({ kind: 'release', groupId: group.id, reservationId: r.reservation.id, reason: `loan revoked: ${r.reason}` })),
      events: revocations.map((r): DomainEvent => ({
        kind: 'loan-revoked',
        at: now,
        groupId: group.id,
        reservationId: r.reservation.id,
        lender: r.loan.lender,
        borrower: r.reservation.instanceId,
        amount: r.loan.amount,
        reason: r.reason,
      })),
    },
    evictions,
    standbyExits,
  };
};
