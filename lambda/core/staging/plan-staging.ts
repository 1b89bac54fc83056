import {
  DIMENSIONS,
  type Action,
  type FleetView,
  type GroupId,
  type GroupView,
  type InstanceId,
  type InstanceTypeSpec,
  type ManagedInstance,
  type Plan,
  type Resources,
  type WarmPoolView,
} from '../domain';
import { findBackedGroups, findGroup, findWarmGroup } from '../common/locate-instance';
import { unusablePoolReason } from '../common/plan-pool';
import { reservationPurpose } from '../common/reservation-terms';
import { standingClaims } from '../common/warm-claims';
import { availableResources } from '../pool/resource-pool';
import { allowedSpecs, cappedToAllowed, cheapestClosest, hourlyPrice, isAllowedType } from '../resources/catalog';
import { instanceShape, standInDemand } from '../common/post-restart-demand';
import { addResources, fits, formatResources, isZero, maxResources, sumResources, ZERO_RESOURCES } from '../resources/resources';
import { computeExposure, type PoolExposure } from './compute-exposure';

export { computeExposure, type PoolExposure } from './compute-exposure';

/**
 * A stopped warm instance that already covers the demand is retyped to a cheaper shape only when it
 * costs this much more (25 %). Forecasts move a little every tick; without this margin the warm pool
 * would flip between neighbouring types and every retype briefly makes the instance unusable.
 */
export const RESHAPE_SAVING_THRESHOLD = 0.25;

const noop = (reason: string): Plan => ({ actions: [{ kind: 'noop', reason }], events: [] });

/** Whole instances of `shape` needed to hold `target` (dimensions the shape lacks are left out). */
const unitsFor = (target: Resources, shape: Resources): number => {
  let units = 0;
  for (const d of DIMENSIONS) if (target[d] > 0 && shape[d] > 0) units = Math.max(units, Math.ceil(target[d] / shape[d]));
  return units;
};

/** Whole instances of `shape` that fit in `room` (every dimension the shape uses). */
const unitsWithin = (room: Resources, shape: Resources): number => {
  let units = Number.POSITIVE_INFINITY;
  for (const d of DIMENSIONS) if (shape[d] > 0) units = Math.min(units, Math.floor(Math.max(0, room[d]) / shape[d]));
  return Number.isFinite(units) ? units : 0;
};

/** The most capable allowed type (when no one type has both the most vCPU and the most memory any allowed type has): most vCPU, then memory, then name. */
const largestAllowed = (fleet: FleetView, allowed: readonly string[]): InstanceTypeSpec | undefined => {
  return allowedSpecs(fleet.catalog, allowed).sort(
    (a, b) => b.resources.vcpu - a.resources.vcpu || b.resources.memoryGiB - a.resources.memoryGiB || (a.name < b.name ? -1 : 1),
  )[0];
};

/** The configured warm_pool.min_size as a whole number of instances (0 when none is configured or it is not a number). */
const configuredFloor = (g: GroupView): number => {
  const f = g.configuredWarmPool?.minSize;
  return f !== undefined && Number.isFinite(f) && f > 0 ? Math.floor(f) : 0;
};

/** The configured settings of a warm pool that differ from AWS's, as text (empty when none is configured or all agree). */
const settingsDrift = (current: WarmPoolView, configured: WarmPoolView | undefined): string[] => {
  if (configured === undefined) return [];
  const drift: string[] = [];
  if (current.maxGroupPreparedCapacity !== configured.maxGroupPreparedCapacity)
    drift.push(`max_prepared_capacity ${current.maxGroupPreparedCapacity} → ${configured.maxGroupPreparedCapacity}`);
  if (current.poolState !== configured.poolState) drift.push(`pool_state ${current.poolState} → ${configured.poolState}`);
  if (current.reuseOnScaleIn !== configured.reuseOnScaleIn)
    drift.push(`reuse_on_scale_in ${String(current.reuseOnScaleIn)} → ${String(configured.reuseOnScaleIn)}`);
  return drift;
};

/**
 * The budget staged capacity must fit in: what each backed group's pool has free, plus what its most
 * valuable spot pool's instances hold (their allocations come free when that pool is interrupted and
 * their restart takes the warm capacity). Undefined when a pool cannot be evaluated.
 */
const stagingRoom = (fleet: FleetView, backed: readonly GroupView[], exposures: ReadonlyMap<GroupId, readonly PoolExposure[]>): Resources | undefined => {
  let room = ZERO_RESOURCES;
  for (const g of backed) {
    if (unusablePoolReason(g) !== undefined) return undefined;
    const freed = (exposures.get(g.id) ?? []).reduce(
      (best, e) => maxResources(best, sumResources(e.instances.map((id) => g.pool.allocations.get(id) ?? ZERO_RESOURCES))),
      ZERO_RESOURCES,
    );
    room = addResources(room, addResources(maxResources(availableResources(g.pool), ZERO_RESOURCES), freed));
  }
  return room;
};

/**
 * Share of the exposure one warm instance holds: the warm shape is the cheapest allowed type that holds the own
 * instance type (vCPU and memory) of exposed instances carrying at least this share of the interruption weight (each
 * weighted by its pool's interruption probability), see warmShapeNeed. 90 %: the few largest instances of rarely
 * reclaimed pools do not set the price of every warm hour. Measured when the shape was held at the exposed instances'
 * expected (p50) restarts (README "Staging ahead of interruptions"): 50 % lost availability on a week of seeds and on
 * ../shared/data (27.01 → 32.12 and 0.154 → 0.519 vCPU·min); 90 % kept it within 0.26 vCPU·min of the
 * largest-restart rule's on every run, for $0.15–0.79 less per run.
 */
export const WARM_SHAPE_COVERAGE = 0.9;

/**
 * The demand the warm shape is sized for: each exposed instance counts with its own type's vCPU and memory (the host
 * its load runs on now: standInDemand, network and disk left at 0) — or its expected (p50) restart when the catalog
 * does not know its type — ranked by the price of the cheapest allowed On-Demand type that holds that (then
 * by the demand), and taken in that order until they carry WARM_SHAPE_COVERAGE of the interruption weight: the
 * largest among them, so the cheapest type covering it holds every one of them. Zero when nothing is exposed.
 *
 * Why the own types and not the forecasts: a warm instance is a placeholder until an instance is named. A rebalance
 * recommendation or a warning claims a stopped warm instance and retypes it for the named victim's restart (its p90 up
 * to its own type, beyond it its p50: plan-rebalance.ts standInLoad), and the reservation holds the p90 whatever the
 * warm shape; what the standing shape decides is what that retype starts from, and what an unclaimed warm instance
 * costs while it serves. Held at
 * the exposed instances' p50 restarts, the shape swung between 3 and 23 vCPU from tick to tick on the simulator's
 * default data and staged c5.2xlarge instances for loads that peaked at 2.2 vCPU; held at their own types, unserved
 * demand was the same on 90 of 95 seeds (1..40, a week of 5, 3× restarts, without early recommendations, with every
 * one lost, with basic monitoring, ../shared/data) and 3.4 vCPU·min higher on the other five together, for $0.01–0.19
 * less per run (a cent more with basic monitoring) — README "Finally this release".
 */
export const warmShapeNeed = (exposed: readonly PoolExposure[], fleet: FleetView, allowed: readonly string[]): Resources => {
  const weighted = exposed.flatMap((e) => {
    // Every instance of a pool runs the pool's type.
    const own = standInDemand({ instanceType: e.instanceType }, fleet);
    return e.expected.map((x) => ({ amount: own ?? x.amount, weight: e.interruptionProbability }));
  });
  const total = weighted.reduce((t, w) => t + w.weight, 0);
  if (!(total > 0)) return ZERO_RESOURCES;
  const ranked = weighted
    .map((w) => {
      const host = cheapestClosest(fleet.catalog, w.amount, allowed, 'on-demand');
      return { ...w, price: host === undefined ? Number.POSITIVE_INFINITY : hourlyPrice(host, 'on-demand') };
    })
    .sort((a, b) => a.price - b.price || a.amount.vcpu - b.amount.vcpu || a.amount.memoryGiB - b.amount.memoryGiB);
  let need = ZERO_RESOURCES;
  let carried = 0;
  for (const w of ranked) {
    need = maxResources(need, w.amount);
    carried += w.weight;
    if (carried >= WARM_SHAPE_COVERAGE * total * (1 - 1e-12)) break;
  }
  return need;
};

/**
 * The stopped warm instances a rebalance recommendation staged for (plan-rebalance.ts): every one a standing claim names
 * (standingClaims; lambda/app/stage-warm-instance.ts), and, for each live `rebalance` reservation of a backed group whose
 * victim holds no standing claim (a claim that was never written, or a reservation older than claims), the first stopped warm instance (by
 * id) that holds its amount (capped to what an allowed type can hold) and is not already kept for another. Staging
 * never retypes these away: the recommendation named an instance at risk, and its warning is still to come.
 */
const keptForRebalance = (
  fleet: FleetView,
  warmGroup: GroupView,
  backed: readonly GroupView[],
  stopped: readonly ManagedInstance[],
  allowed: readonly string[],
  now: number,
): Set<InstanceId> => {
  const claims = standingClaims(fleet, warmGroup, now);
  const stoppedIds = new Set<InstanceId>(stopped.map((i) => i.id));
  const kept = new Set<InstanceId>(claims.filter((c) => stoppedIds.has(c.instanceId)).map((c) => c.instanceId));
  const claimedFor = new Set<InstanceId>(claims.map((c) => c.victimId));
  const holds = backed.flatMap((g) =>
    [...g.pool.reservations.values()].filter((r) => reservationPurpose(r) === 'rebalance' && r.expiresAt > now && !claimedFor.has(r.instanceId)),
  );
  for (const r of holds.sort((a, b) => (a.id < b.id ? -1 : 1))) {
    const need = cappedToAllowed(fleet.catalog, r.amount, allowed) ?? r.amount;
    const host = stopped.find((i) => {
      const shape = instanceShape(i, fleet);
      return !kept.has(i.id) && shape !== undefined && fits(need, shape);
    });
    if (host !== undefined) kept.add(host.id);
  }
  return kept;
};

/**
 * Stages warm capacity ahead of interruptions (DESIGN §4 flow 1). For the group's warm pool (its
 * standby group's, or its own) and every primary group it backs:
 *
 * - **size**: the expected demand to restore — the sum over spot pools of (whole-pool p90 demand ×
 *   interruption probability) — in instances of the staging shape, rounded up (any exposure holds at
 *   least one), capped by the budget (stagingRoom) and by the room to come into service (maxSize −
 *   desired), and never below the configured warm_pool.min_size. Written as the warm pool's minSize;
 *   maxGroupPreparedCapacity is left as configured, so Auto Scaling may keep more (pool size =
 *   max(minSize, maxPrepared − desired)).
 * - **settings**: the configured max_prepared_capacity, pool_state and reuse_on_scale_in are what every
 *   put-warm-pool carries, and a warm pool whose settings differ from them is written back to them
 *   (PutWarmPool takes the whole configuration, so a write never keeps AWS's other values by accident).
 * - **shape**: the cheapest allowed On-Demand type of the warm group that holds the own instance type (vCPU and memory)
 *   of the exposed instances carrying 90 % of the interruption weight (warmShapeNeed: nine in ten of the ones likely to
 *   be reclaimed ran on a type this one holds; why not their forecasts, there) — when no allowed type holds that, the
 *   cheapest that covers it as far as an allowed type can (cheapestClosest: a 12-vCPU need among types of at most 8
 *   vCPU stages the cheapest 8-vCPU type with the memory asked, not the one with the most memory too); stopped warm
 *   instances that do not cover it, or whose type the policy does not allow, are retyped (free while stopped), and ones
 *   that cover it but cost over RESHAPE_SAVING_THRESHOLD more are retyped down. Running warm instances cannot be retyped.
 *   A restart larger than the shape has its own hosts: a rebalance recommendation or a warning retypes a stopped warm
 *   instance for its victim's restart (plan-rebalance.ts standInLoad), the absorb order goes on to a sibling with room or a scale-out when
 *   the warm instance cannot hold the load (absorb-load.ts), and the reservation holds the p90 whatever the warm shape.
 *   The decision's note says how many of the exposed instances' expected (p50) restarts the shape holds.
 *
 * A standby group is staged through the primaries it backs; a group with no warm pool has nothing to
 * stage. Emits one capacity-staged event describing the change, or a noop when nothing changes.
 */
export const planStaging = (groupId: GroupId, fleet: FleetView, ctx: { readonly now: number }): Plan => {
  const group = findGroup(fleet, groupId);
  if (group === undefined) return noop(`staging ${groupId}: not a managed group`);
  const warmGroup = findWarmGroup(fleet, group);
  if (warmGroup?.warmPool === undefined) return noop(`staging ${groupId}: no warm pool to stage into`);
  const backed = findBackedGroups(fleet, warmGroup);
  if (backed.length === 0) return noop(`staging ${warmGroup.id}: it backs no primary group`);
  const warmPool = warmGroup.warmPool;

  const exposures = new Map(backed.map((g) => [g.id, computeExposure(g, fleet)] as const));
  const all = [...exposures.values()].flat().filter((e) => e.instances.length > 0);
  const target = sumResources(all.map((e) => e.weighted));
  // The shape holds the own types of WARM_SHAPE_COVERAGE of the exposure (warmShapeNeed says why not their forecasts).
  const exposed = all.filter((e) => e.interruptionProbability > 0);
  const shapeNeed = warmShapeNeed(exposed, fleet, warmGroup.policy.allowedInstanceTypes);
  const largestP50 = exposed.flatMap((e) => e.expected).reduce((m, x) => maxResources(m, x.amount), ZERO_RESOURCES);
  const largestP90 = exposed.reduce((m, e) => maxResources(m, e.largest), ZERO_RESOURCES);
  const notes: string[] = [];

  // cheapestClosest is the cheapest covering type whenever one covers; otherwise the one that covers the most.
  const shape =
    cheapestClosest(fleet.catalog, shapeNeed, warmGroup.policy.allowedInstanceTypes, 'on-demand') ??
    largestAllowed(fleet, warmGroup.policy.allowedInstanceTypes);
  if (shape === undefined) return noop(`staging ${warmGroup.id}: none of its allowed instance types is in the catalog`);
  const covering = fits(shapeNeed, shape.resources);
  if (!covering) notes.push(`no allowed type covers ${formatResources(shapeNeed)}; staging ${shape.name}`);
  // Say what the shape leaves to other hosts, so an operator reading the decision sees the trade.
  else if (!fits(largestP50, shape.resources) || !fits(largestP90, shape.resources)) {
    const expected = exposed.flatMap((e) => e.expected);
    const held = expected.filter((x) => fits(x.amount, shape.resources)).length;
    notes.push(
      `${shape.name} holds the expected restart of ${held} of ${expected.length} exposed instance(s); the largest (p50 ${formatResources(largestP50)}, ` +
        `p90 ${formatResources(largestP90)}) goes to a sibling or a scale-out, or is staged for when a rebalance recommendation names its instance`,
    );
  }
  // Without prices every candidate costs Infinity and cheapestCovering falls back to the smallest shape:
  // say so, so nobody reads "cheapest" into a choice made by size.
  if (!Number.isFinite(hourlyPrice(shape, 'on-demand')))
    notes.push(`On-Demand prices unknown: ${shape.name} is picked by shape (fewest vCPUs that cover), a guess at the cheapest`);

  let minSize = isZero(target) ? 0 : Math.max(1, unitsFor(target, shape.resources));
  const room = stagingRoom(fleet, backed, exposures);
  if (room === undefined) {
    minSize = warmPool.minSize;
    notes.push('a pool cannot be evaluated: warm pool size left unchanged');
  } else {
    const affordable = unitsWithin(room, shape.resources);
    if (affordable < minSize) notes.push(`budget allows ${affordable} of ${minSize}`);
    minSize = Math.min(minSize, affordable);
  }
  const growRoom = Math.floor(warmGroup.maxSize) - Math.floor(warmGroup.desiredCapacity);
  const serviceRoom = Number.isFinite(growRoom) ? Math.max(0, growRoom) : 0;
  if (serviceRoom < minSize) notes.push(`only ${serviceRoom} can come into service (max ${warmGroup.maxSize}, desired ${warmGroup.desiredCapacity})`);
  minSize = Math.min(minSize, serviceRoom);
  // The configured warm_pool.min_size is the operator's floor: staging sizes above it, never below,
  // whatever the exposure, the budget or the room to come into service (those only cap what staging adds).
  const floor = configuredFloor(warmGroup);
  if (minSize < floor) {
    notes.push(`configured min_size ${floor} kept (staging alone would set ${minSize})`);
    minSize = floor;
  }

  const actions: Action[] = [];
  const reason = `expected restore ${formatResources(target)} across ${all.length} spot pool(s) of ${backed.map((g) => g.id).join(', ')}`;
  const configured = warmGroup.configuredWarmPool;
  const drift = settingsDrift(warmPool, configured);
  if (minSize !== warmPool.minSize || drift.length > 0) {
    const settings =
      configured === undefined
        ? warmPool
        : {
            ...warmPool,
            maxGroupPreparedCapacity: configured.maxGroupPreparedCapacity,
            poolState: configured.poolState,
            reuseOnScaleIn: configured.reuseOnScaleIn,
          };
    actions.push({
      kind: 'put-warm-pool',
      groupId: warmGroup.id,
      warmPool: { ...settings, minSize },
      readMinSize: warmPool.minSize,
      reason: `${minSize} × ${shape.name}: ${reason}${drift.length > 0 ? `; configured ${drift.join(', ')}` : ''}`,
    });
  }
  const shapePrice = hourlyPrice(shape, 'on-demand');
  const stopped = warmGroup.instances.filter((i) => i.warm && i.state === 'stopped' && i.lifecycle === 'on-demand').sort((a, b) => (a.id < b.id ? -1 : 1));
  // With nothing exposed there is no demand to shape for: leave the warm instances as they are.
  // A shrinking pool: Auto Scaling, not spotwise, picks which warm instances go, and a retype of one it is
  // terminating is refused. Retype on a later tick, when the survivors are known.
  const prepared = warmPool.maxGroupPreparedCapacity === -1 ? warmGroup.maxSize : warmPool.maxGroupPreparedCapacity;
  const warmTarget = Math.max(minSize, prepared - warmGroup.desiredCapacity);
  const shrinking =
    minSize < warmPool.minSize && warmTarget < warmGroup.instances.filter((i) => i.warm && i.state !== 'terminated' && i.state !== 'shutting-down').length;
  if (shrinking && !isZero(shapeNeed) && stopped.some((i) => i.instanceType !== shape.name)) notes.push('warm pool shrinking: retypes wait for the next tick');
  const allowedTypes = warmGroup.policy.allowedInstanceTypes;
  const kept = keptForRebalance(fleet, warmGroup, backed, stopped, allowedTypes, ctx.now);
  for (const i of isZero(shapeNeed) || shrinking ? [] : stopped) {
    if (i.instanceType === shape.name) continue;
    if (kept.has(i.id)) {
      notes.push(`warm ${i.instanceType} ${i.id} kept for a rebalance recommendation's restart`);
      continue;
    }
    const spec = fleet.catalog.get(i.instanceType);
    const coversNeed = spec !== undefined && fits(shapeNeed, spec.resources);
    const tooDear = spec !== undefined && hourlyPrice(spec, 'on-demand') > shapePrice * (1 + RESHAPE_SAVING_THRESHOLD);
    // A type the policy does not allow (the launch template's, or the policy changed) is retyped while it is stopped.
    const permitted = isAllowedType(allowedTypes, i.instanceType);
    if (coversNeed && !tooDear && permitted) continue;
    // Only grow a warm instance to a type that covers what it lacks; never shrink one below the need.
    if (
      permitted &&
      !coversNeed &&
      !covering &&
      spec !== undefined &&
      spec.resources.vcpu >= shape.resources.vcpu &&
      spec.resources.memoryGiB >= shape.resources.memoryGiB
    )
      continue;
    actions.push({
      kind: 'retype-stopped-instance',
      groupId: warmGroup.id,
      instanceId: i.id,
      fromType: i.instanceType,
      toType: shape.name,
      reason: !permitted
        ? `${i.instanceType} is not among the allowed instance types`
        : coversNeed
          ? `${shape.name} covers ${formatResources(shapeNeed)} for less`
          : `${i.instanceType} does not cover ${formatResources(shapeNeed)}, the exposed instances' own shape the warm shape holds`,
    });
  }
  if (actions.length === 0) {
    return noop(
      `staging ${warmGroup.id}: its warm pool already holds ${warmPool.minSize} × ${shape.name} for ${reason}${notes.length > 0 ? `; ${notes.join('; ')}` : ''}`,
    );
  }

  const pools = all
    .map(
      (e) =>
        `${e.instanceType}/${e.availabilityZone} p=${e.interruptionProbability}${e.probabilitySource === 'assumed' ? ' (assumed)' : ''} ×${e.instances.length}${e.sizedByShape.length > 0 ? ` (${e.sizedByShape.length} sized by type)` : ''}`,
    )
    .join(', ');
  const retyped = actions.filter((a) => a.kind === 'retype-stopped-instance').length;
  return {
    actions,
    events: [
      {
        kind: 'capacity-staged',
        at: ctx.now,
        groupId: warmGroup.id,
        detail: `warm pool minSize ${warmPool.minSize} → ${minSize} of ${shape.name}, ${retyped} retyped; ${reason}${pools.length > 0 ? ` [${pools}]` : ''}${notes.length > 0 ? `; ${notes.join('; ')}` : ''}`,
      },
    ],
  };
};
