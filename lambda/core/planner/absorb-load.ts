import {
  DIMENSIONS,
  type Action,
  type DomainEvent,
  type FleetView,
  type GroupId,
  type GroupView,
  type InstanceId,
  type InstanceTypeSpec,
  type ManagedInstance,
  type ResourcePool,
  type Resources,
} from '../domain';
import { checkDisruptionBudget } from '../budget/disruption-budget';
import { resizeReservationId, standbyRefusal, voluntaryStop } from '../coordinator/voluntary-stop';
import { choosePlacement } from '../placement/placement-score';
import { cheapestCovering, hourlyPrice } from '../resources/catalog';
import { addResources, formatResources, isZero, shortfall, ZERO_RESOURCES } from '../resources/resources';
import { findStandbyGroup, findWarmGroup, runsAndStays } from '../common/locate-instance';
import { reserveInPlan } from '../common/plan-pool';
import { estimatePostRestartDemand, instanceShape, standInDemand } from '../common/post-restart-demand';
import { buildReservation, reservationPurpose, reservationSubject, RESTART_GRACE_MS } from '../common/reservation-terms';
import { standbyOrphaned } from '../coordinator/standby-exit';

/**
 * Where the load of an interrupted instance goes until its replacement is up, in the order an SRE
 * would reach for it: (0) its replacement, when Capacity Rebalancing has already launched it on the victim's
 * rebalance recommendation, (1) warm capacity staged ahead of time, (2) a running sibling with room,
 * (3) a stopped sibling (retyped while it is stopped, then started), (4) a running On-Demand sibling
 * resized through stop → modify → start — a disruption, so only with policy consent, budget room and
 * its own reservation; this plan moves it to Standby and stops it, and the EC2 `stopped` state change continues
 * with the retype and the start (plan-state-change.ts: a stop takes tens of seconds), (5) scaling out by one
 * instance — the standby group, then the victim's own. The victim's workload restarts on ONE host (DESIGN §3: the
 * reservation is handed to the restarted instance), so the first step that finds a host holding the whole load
 * ends the plan; a second instance could not take part of one workload (the simulator showed such instances idle
 * for their whole life). When no single host holds it, the largest host that can come (nearestHost) takes what
 * it can and the rest is reported uncovered.
 */
export interface AbsorbRequest {
  readonly fleet: FleetView;
  /** The interrupted instance's group. */
  readonly group: GroupView;
  readonly victim: ManagedInstance;
  /** The load to place: the victim's post-restart demand, or its type's shape when that is unknown. */
  readonly load: Resources;
  /** False when `load` is a stand-in: disruptive moves are then refused (fail closed). */
  readonly loadKnown: boolean;
  /** The victim group's pool as the plan has left it so far. */
  readonly pool: ResourcePool;
  /** Event or request id: makes sibling reservation ids deterministic. */
  readonly source: string;
  readonly now: number;
  /** Why, for action reasons: e.g. "spot interruption warning (terminate) for i-1". */
  readonly why: string;
  /**
   * The victim's Spot pool is unstable (spot-pool-stability.ts): place the load on On-Demand capacity only —
   * warm standby instances, stopped On-Demand siblings, a standby scale-out — never on Spot siblings'
   * headroom or a scale-out of the Spot group, which would hand it back to (or launch into) Spot.
   */
  readonly onDemandOnly?: boolean;
  /**
   * Auto Scaling is launching the victim's replacement now at the latest (Capacity Rebalancing on a Spot warning to
   * terminate: the rebalance recommendation comes before or with it). A cold launch started now comes into service
   * no sooner than that replacement, so the workload restarts on whichever is ready first and the other stands idle
   * (the simulator measured such standby launches idle 8–14 minutes each, never taking the load): scale-outs are
   * planned only where a warm instance would leave the pool.
   */
  readonly replacementLaunching?: boolean;
  /**
   * A stopped warm instance this plan retypes for the victim before anything comes into service (the warning's own
   * staging when no rebalance recommendation staged one, plan-spot-warning.ts): counted with the shape it is retyped to.
   */
  readonly retypedWarm?: { readonly instanceId: InstanceId; readonly shape: Resources };
}

export interface AbsorbPlan {
  readonly actions: readonly Action[];
  readonly events: readonly DomainEvent[];
  readonly pool: ResourcePool;
  /** What no step could cover (zero when everything is placed). */
  readonly uncovered: Resources;
}

const byId = (a: { readonly id: string }, b: { readonly id: string }): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Instances an interruption of `victim` will probably take down too: Spot in the same type × AZ pool (DESIGN §1). */
const sharesSpotPool = (victim: ManagedInstance, other: ManagedInstance): boolean =>
  victim.lifecycle === 'spot' && other.lifecycle === 'spot' && other.instanceType === victim.instanceType && other.availabilityZone === victim.availabilityZone;

/** Free slots before a group hits its max size (0 when its sizes are not numbers: fail closed). */
const roomToGrow = (group: GroupView, alreadyAdded: number): number => {
  const room = Math.floor(group.maxSize) - Math.floor(group.desiredCapacity) - alreadyAdded;
  return Number.isFinite(room) ? Math.max(0, room) : 0;
};

const specOf = (fleet: FleetView, instance: ManagedInstance): InstanceTypeSpec | undefined =>
  instanceShape(instance, fleet) === undefined ? undefined : fleet.catalog.get(instance.instanceType);

/**
 * The warm instances that could come into service, smallest first (Auto Scaling, not spotwise, picks which
 * warm instance leaves the pool on a scale-out).
 */
const warmCandidates = (
  fleet: FleetView,
  warmGroup: GroupView,
  retyped?: AbsorbRequest['retypedWarm'],
): readonly { readonly id: InstanceId; readonly shape: Resources }[] =>
  warmGroup.instances
    .filter((i) => i.warm && (i.state === 'stopped' || i.state === 'running'))
    .flatMap((i) => {
      const shape = retyped?.instanceId === i.id && i.state === 'stopped' ? retyped.shape : instanceShape(i, fleet);
      return shape === undefined ? [] : [{ id: i.id, shape }];
    })
    .sort((a, b) => a.shape.vcpu - b.shape.vcpu || a.shape.memoryGiB - b.shape.memoryGiB || byId(a, b));

/** The type a scale-out of `group` will most likely launch: its most common in-service type (ties by name). */
const launchShape = (fleet: FleetView, group: GroupView, fallback: ManagedInstance): Resources | undefined => {
  const counts = new Map<string, number>();
  for (const i of group.instances) {
    if (!i.warm && (i.state === 'running' || i.state === 'pending') && instanceShape(i, fleet) !== undefined) {
      counts.set(i.instanceType, (counts.get(i.instanceType) ?? 0) + 1);
    }
  }
  const best = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0];
  return best === undefined ? instanceShape(fallback, fleet) : fleet.catalog.get(best[0])?.resources;
};

interface Working {
  readonly actions: Action[];
  readonly events: DomainEvent[];
  pool: ResourcePool;
  remaining: Resources;
  readonly added: Map<GroupId, { readonly group: GroupView; count: number; readonly reasons: string[] }>;
  readonly notes: string[];
}

const addDesired = (w: Working, group: GroupView, count: number, reason: string): void => {
  const entry = w.added.get(group.id) ?? { group, count: 0, reasons: [] };
  entry.count += count;
  entry.reasons.push(reason);
  w.added.set(group.id, entry);
};

/**
 * One warm instance, when one holds the whole load: an interrupted instance's workload restarts on one host, so a
 * second instance cannot take part of it (DESIGN §3: the reservation is handed to the restarted instance). Staging
 * shapes the warm pool so any one of them holds the largest expected (p50) restart, and a rebalance recommendation
 * retypes one to hold its victim's; when the smallest does not hold this load, Auto Scaling may still pick it, and
 * the plan says so.
 */
const stageWarm = (req: AbsorbRequest, w: Working): void => {
  const warmGroup = findWarmGroup(req.fleet, req.group);
  if (warmGroup === undefined) return;
  const warm = warmCandidates(req.fleet, warmGroup, req.retypedWarm);
  if (warm.length === 0 || roomToGrow(warmGroup, 0) === 0) {
    w.notes.push(
      warm.length === 0
        ? `no warm instance ready in ${warmGroup.id}`
        : `${warmGroup.id} cannot grow (desired ${warmGroup.desiredCapacity}, max ${warmGroup.maxSize})`,
    );
    return;
  }
  if (!warm.some((c) => isZero(shortfall(w.remaining, c.shape)))) {
    w.notes.push(`no warm instance in ${warmGroup.id} holds ${formatResources(w.remaining)} on its own`);
    return;
  }
  const smallest = warm[0];
  const caveat =
    smallest !== undefined && !isZero(shortfall(w.remaining, smallest.shape))
      ? ` (Auto Scaling may pick a smaller one than ${formatResources(w.remaining)} needs)`
      : '';
  addDesired(w, warmGroup, 1, `bring 1 warm instance into service${caveat}`);
  w.remaining = ZERO_RESOURCES;
};

const isVector = (r: Resources | undefined): r is Resources => r !== undefined && DIMENSIONS.every((d) => Number.isFinite(r[d]) && r[d] >= 0);

const useSiblingHeadroom = (req: AbsorbRequest, w: Working): void => {
  // One target per id: a stale snapshot listing an instance twice must not count its room twice.
  const unique = new Map(req.group.instances.map((i) => [i.id, i] as const));
  const targets = [...unique.values()]
    .filter((i) => i.id !== req.victim.id && runsAndStays(i) && !sharesSpotPool(req.victim, i))
    .flatMap((i) => {
      const capacity = instanceShape(i, req.fleet);
      if (capacity === undefined) return [];
      // No (usable) recorded allocation means unknown use: assume the sibling is full rather than idle.
      const allocation = req.pool.allocations.get(i.id);
      return [{ id: i.id, capacity, used: isVector(allocation) ? allocation : capacity }];
    })
    .sort(byId);
  // The priority term is the same for every target; a priority outside 0..100 only shifts all scores.
  const priority01 = Number.isFinite(req.victim.priority) ? Math.min(1, Math.max(0, req.victim.priority / 100)) : 0;
  const placed = choosePlacement(targets, w.remaining, priority01, req.group.policy.placementWeights);
  if (placed === undefined) return;
  w.events.push({
    kind: 'capacity-staged',
    at: req.now,
    groupId: req.group.id,
    detail: `${placed.id} has room for ${formatResources(w.remaining)} of ${req.victim.id}'s load (placement score ${placed.score.toFixed(3)}); no resize needed`,
  });
  w.remaining = ZERO_RESOURCES;
};

/**
 * Whether a stopped member may be started for another instance's load as far as Standby goes. A member stopped in
 * Standby is out of service on purpose: an operator's (no standby mark: maintenance, troubleshooting) is never
 * started, nor one spotwise stopped whose reservation is still held (a request's stop, or a stop → modify → start
 * whose `stopped` continuation retypes and starts it). One spotwise stopped whose reservation has gone (standbyOrphaned)
 * may be: its `running` notice then returns it to service. A stopped member not in Standby may be.
 */
const startableInStandby = (i: ManagedInstance, pool: ResourcePool, now: number): boolean => i.inStandby !== true || standbyOrphaned(i, pool, now);

const resizeStoppedSibling = (req: AbsorbRequest, w: Working): void => {
  const standby = findStandbyGroup(req.fleet, req.group);
  const groups = standby === undefined ? [req.group] : [req.group, standby];
  interface Option {
    readonly group: GroupView;
    readonly instance: ManagedInstance;
    /** Undefined when the current type already covers the need: start only. */
    readonly toType: string | undefined;
    readonly price: number;
  }
  const options = groups.flatMap((g): Option[] =>
    g.instances
      // Only On-Demand: EC2 cannot change the type of a Spot instance, and Spot instances launched
      // by Auto Scaling cannot be stopped and started (DESIGN §1).
      .filter((i) => i.id !== req.victim.id && !i.warm && i.state === 'stopped' && i.lifecycle === 'on-demand')
      .filter((i) => startableInStandby(i, g === req.group ? req.pool : g.pool, req.now))
      .flatMap((i): Option[] => {
        const estimate = estimatePostRestartDemand(i, g, req.fleet);
        const own = estimate.kind === 'known' ? estimate.amount : standInDemand(i, req.fleet);
        const spec = specOf(req.fleet, i);
        if (own === undefined || spec === undefined) return [];
        const need = addResources(own, w.remaining);
        if (isZero(shortfall(need, spec.resources))) return [{ group: g, instance: i, toType: undefined, price: hourlyPrice(spec, 'on-demand') }];
        const target = cheapestCovering(req.fleet.catalog, need, g.policy.allowedInstanceTypes, 'on-demand');
        return target === undefined ? [] : [{ group: g, instance: i, toType: target.name, price: hourlyPrice(target, 'on-demand') }];
      }),
  );
  const best = options.sort((a, b) => a.price - b.price || byId(a.instance, b.instance))[0];
  if (best === undefined) return;
  const reason = `absorb ${formatResources(w.remaining)} of ${req.why}`;
  if (best.toType !== undefined) {
    w.actions.push({
      kind: 'retype-stopped-instance',
      groupId: best.group.id,
      instanceId: best.instance.id,
      fromType: best.instance.instanceType,
      toType: best.toType,
      reason,
    });
  }
  w.actions.push({ kind: 'start-instance', groupId: best.group.id, instanceId: best.instance.id, reason });
  w.remaining = ZERO_RESOURCES;
};

const resizeRunningSibling = (req: AbsorbRequest, w: Working): void => {
  if (!req.group.policy.allowStopModifyStart) return;
  if (!req.loadKnown) {
    w.notes.push('stop → modify → start refused: the load is not forecast (fail closed)');
    return;
  }
  const budget = checkDisruptionBudget(req.group, 1);
  if (budget.kind === 'exhausted') {
    w.notes.push(`stop → modify → start refused: ${budget.reason}`);
    return;
  }
  const noStandby = standbyRefusal(req.group);
  if (noStandby !== undefined) {
    w.notes.push(`stop → modify → start refused: ${noStandby}`);
    return;
  }
  const options = req.group.instances
    .filter((i) => i.id !== req.victim.id && runsAndStays(i) && i.lifecycle === 'on-demand')
    .flatMap((i) => {
      const estimate = estimatePostRestartDemand(i, req.group, req.fleet);
      const spec = specOf(req.fleet, i);
      // The sibling's own restart is a disruption: it needs a known forecast like any other.
      if (estimate.kind !== 'known' || spec === undefined) return [];
      const need = addResources(estimate.amount, w.remaining);
      if (isZero(shortfall(need, spec.resources))) return [];
      const target = cheapestCovering(req.fleet.catalog, need, req.group.policy.allowedInstanceTypes, 'on-demand');
      return target === undefined ? [] : [{ instance: i, own: estimate.amount, target }];
    })
    .sort(
      (a, b) =>
        a.instance.priority - b.instance.priority || hourlyPrice(a.target, 'on-demand') - hourlyPrice(b.target, 'on-demand') || byId(a.instance, b.instance),
    );
  for (const option of options) {
    const reservation = buildReservation({
      // The reservation records the type to change to: the `stopped` state change continues from it (voluntary-stop.ts).
      id: resizeReservationId(req.source, option.instance.id, option.target.name),
      purpose: 'sibling',
      source: req.source,
      retypeTo: option.target.name,
      group: req.group,
      instance: option.instance,
      amount: option.own,
      now: req.now,
      expiresAt: req.now + RESTART_GRACE_MS + req.group.policy.postRestartWindowMinutes * 60_000,
      reason: `restart of ${option.instance.id} (stop → modify → start to ${option.target.name}) for ${req.why}`,
    });
    const outcome = reserveInPlan(w.pool, reservation, req.now);
    if (outcome.kind !== 'reserved') {
      const why = outcome.kind === 'refused' ? `is short ${formatResources(outcome.shortfall)}` : `is invalid: ${outcome.reason}`;
      w.notes.push(`stop → modify → start of ${option.instance.id} refused: its restart reservation ${why}`);
      continue;
    }
    w.pool = outcome.pool;
    const reason = `absorb ${formatResources(w.remaining)} of ${req.why}`;
    w.actions.push(
      { kind: 'reserve', reservation },
      ...voluntaryStop({
        group: req.group,
        instance: option.instance,
        mode: 'stop',
        reason: `stop → modify → start to ${option.target.name} (continued when it is stopped): ${reason}`,
      }),
    );
    w.events.push({
      kind: 'reservation-made',
      at: req.now,
      groupId: req.group.id,
      instanceId: option.instance.id,
      reservationId: reservation.id,
      amount: reservation.amount,
    });
    w.remaining = ZERO_RESOURCES;
    return;
  }
  if (options.length === 0) w.notes.push('no running On-Demand sibling with a known forecast can be resized to take the load');
};

/**
 * Scale-out: the standby group first (On-Demand, so the launch does not land in the Spot pool that is
 * being reclaimed), then the victim's own group for what the standby cannot hold.
 */
const scaleOutTargets = (req: AbsorbRequest): readonly GroupView[] => {
  const standby = findStandbyGroup(req.fleet, req.group);
  return standby === undefined ? [req.group] : req.onDemandOnly === true ? [standby] : [standby, req.group];
};

/**
 * A scale-out of `target` would be a cold launch racing the replacement Auto Scaling is already launching (see
 * `AbsorbRequest.replacementLaunching`): no warm instance of the group is ready to leave its pool.
 */
const racesReplacement = (req: AbsorbRequest, target: GroupView): boolean =>
  req.replacementLaunching === true && warmCandidates(req.fleet, target).length === 0;

/** One instance of a group that can grow, whose likely type holds the whole load (see stageWarm: one host). */
const scaleOut = (req: AbsorbRequest, w: Working): void => {
  for (const target of scaleOutTargets(req)) {
    if (racesReplacement(req, target)) {
      w.notes.push(`no scale-out of ${target.id}: a cold launch comes no sooner than the replacement Capacity Rebalancing is launching`);
      continue;
    }
    const shape = launchShape(req.fleet, target, req.victim);
    if (shape === undefined) {
      w.notes.push(`cannot size a scale-out of ${target.id}: no known instance type`);
      continue;
    }
    if (roomToGrow(target, 0) === 0) {
      w.notes.push(`${target.id} cannot grow (desired ${target.desiredCapacity}, max ${target.maxSize})`);
      continue;
    }
    if (!isZero(shortfall(w.remaining, shape))) {
      w.notes.push(`a scale-out of ${target.id} launches ${formatResources(shape)}, short of ${formatResources(w.remaining)}`);
      continue;
    }
    addDesired(w, target, 1, `launch 1 instance for ${formatResources(w.remaining)}`);
    w.remaining = ZERO_RESOURCES;
    return;
  }
};

/**
 * No single host holds the load: the biggest one that can come — the largest warm instance (ready sooner) or one
 * instance of the first group that can grow, whichever is larger — takes what it can; the rest stays uncovered.
 */
const nearestHost = (req: AbsorbRequest, w: Working): void => {
  const warmGroup = findWarmGroup(req.fleet, req.group);
  const largestWarm = warmGroup === undefined || roomToGrow(warmGroup, 0) === 0 ? undefined : warmCandidates(req.fleet, warmGroup).at(-1);
  const launch = scaleOutTargets(req).flatMap((g) => {
    const shape = roomToGrow(g, 0) > 0 && !racesReplacement(req, g) ? launchShape(req.fleet, g, req.victim) : undefined;
    return shape === undefined ? [] : [{ group: g, shape }];
  })[0];
  const larger = (a: Resources, b: Resources): boolean => a.vcpu > b.vcpu || (a.vcpu === b.vcpu && a.memoryGiB > b.memoryGiB);
  if (largestWarm !== undefined && warmGroup !== undefined && (launch === undefined || !larger(launch.shape, largestWarm.shape))) {
    const short = shortfall(w.remaining, largestWarm.shape);
    addDesired(w, warmGroup, 1, `bring 1 warm instance into service, short ${formatResources(short)} of the load`);
    w.remaining = short;
    return;
  }
  if (launch !== undefined) {
    const short = shortfall(w.remaining, launch.shape);
    addDesired(w, launch.group, 1, `launch 1 instance, short ${formatResources(short)} of the load`);
    w.remaining = short;
  }
};

/**
 * (0) The victim's own replacement, already launched. With Capacity Rebalancing, Auto Scaling launches a
 * replacement when the rebalance recommendation comes and runs it over desired capacity until the old instance
 * goes (the group keeps its desired count). When the victim's recommendation was handled (its `rebalance`
 * reservation is in the pool) and the group runs more members than desired, that replacement is already on its
 * way: it comes into service no later than anything launched now, and the victim's workload restarts on it. If
 * its type (the heir's, else the group's likely one) holds the load, or is at least the victim's own type, nothing
 * else is brought (a standby launch would serve nobody; the simulator showed such instances idle for their whole
 * life); a surge above the victim's type is reported as short. Not under `onDemandOnly`: the replacement is Spot.
 */
const replacementUnderway = (req: AbsorbRequest, w: Working): void => {
  if (req.onDemandOnly === true) return;
  const recommended = [...req.pool.reservations.values()].filter((r) => reservationPurpose(r) === 'rebalance' && reservationSubject(r) === req.victim.id);
  if (recommended.length === 0) return;
  const serving = req.group.instances.filter((i) => !i.warm && (i.state === 'running' || i.state === 'pending'));
  // Handed over already: the replacement's launch took the victim's reservation (DESIGN §3), so it is the member named.
  const heir = serving.find((i) => i.id !== req.victim.id && recommended.some((r) => r.instanceId === i.id));
  const surplus = serving.length - Math.floor(req.group.desiredCapacity);
  if (heir === undefined && !(surplus >= 1)) return;
  const shape = heir !== undefined ? instanceShape(heir, req.fleet) : launchShape(req.fleet, req.group, req.victim);
  const ranOn = instanceShape(req.victim, req.fleet);
  // The workload restarts on the first host that is ready and fits the instance it ran on: its replacement. A
  // surge above that shape is short on it, but a larger instance brought now would come later and stand idle.
  const fitsVictim = shape !== undefined && ranOn !== undefined && shape.vcpu >= ranOn.vcpu && shape.memoryGiB >= ranOn.memoryGiB;
  if (shape === undefined || (!fitsVictim && !isZero(shortfall(w.remaining, shape)))) {
    w.notes.push(
      `${req.victim.id}'s replacement is launched but ${heir !== undefined ? `${heir.id}'s type` : 'its likely type'} is smaller than ${req.victim.instanceType}`,
    );
    return;
  }
  const short = shortfall(w.remaining, shape);
  w.events.push({
    kind: 'capacity-staged',
    at: req.now,
    groupId: req.group.id,
    detail: `${req.victim.id}'s replacement is already launched (${heir !== undefined ? `${heir.id} took its rebalance reservation` : `${serving.length} members for desired ${Math.floor(req.group.desiredCapacity)}`}): it takes the load${isZero(short) ? '' : `, short ${formatResources(short)} of its post-restart p90 as ${req.victim.instanceType} was`}`,
  });
  w.remaining = ZERO_RESOURCES;
};

/** Plans where `req.load` goes while `req.victim` is away (see the module comment for the order). */
export const planLoadAbsorption = (req: AbsorbRequest): AbsorbPlan => {
  const w: Working = { actions: [], events: [], pool: req.pool, remaining: req.load, added: new Map(), notes: [] };
  const steps =
    req.onDemandOnly === true
      ? [stageWarm, resizeStoppedSibling, resizeRunningSibling, scaleOut]
      : [replacementUnderway, stageWarm, useSiblingHeadroom, resizeStoppedSibling, resizeRunningSibling, scaleOut];
  for (const step of steps) {
    if (isZero(w.remaining)) break;
    step(req, w);
  }
  if (!isZero(w.remaining) && w.added.size === 0) nearestHost(req, w);
  // One change-desired-capacity per group, with every step's increase folded in.
  const desired: Action[] = [...w.added.values()].map(({ group, count, reasons }) => ({
    kind: 'change-desired-capacity',
    groupId: group.id,
    by: count,
    from: Math.floor(group.desiredCapacity),
    reason: `${reasons.join('; ')} for ${req.why}`,
  }));
  const actions: Action[] = [...desired, ...w.actions];
  if (!isZero(w.remaining)) {
    actions.push({ kind: 'noop', reason: `cannot place ${formatResources(w.remaining)} of ${req.why}${w.notes.length > 0 ? `: ${w.notes.join('; ')}` : ''}` });
  }
  return { actions, events: w.events, pool: w.pool, uncovered: w.remaining };
};
