import { SPOT_WARNING_LEAD_SECONDS } from '../../contracts/events';
import type { Action, DomainEvent, FleetView, GroupView, InstanceId, ManagedInstance, Notice, Plan, Resources } from '../domain';
import { standingClaims } from '../common/warm-claims';
import { cappedToAllowed, cheapestCovering } from '../resources/catalog';
import { fits, formatResources } from '../resources/resources';
import { ignoreNotice } from '../common/ignore-notice';
import { findWarmGroup, isActive, locateInstance } from '../common/locate-instance';
import { estimatePostRestartDemand, instanceShape, standInDemand } from '../common/post-restart-demand';
import { withPoolSignal } from './pool-signal';
import { reserveForRestart } from './reserve-for-restart';
import { REBALANCE_HOLD_MS, reservationExpiry } from '../common/reservation-terms';

type Rebalance = Extract<Notice, { kind: 'rebalance-recommendation' }>;

const byId = (a: ManagedInstance, b: ManagedInstance): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * The load a named victim's warm stand-in is staged for: its post-restart p90 (`asked`) up to the vCPU and memory of
 * the victim's own type, and beyond its own type only as far as its expected (p50) restart (`expected`) reaches — per
 * dimension, max(p50, min(p90, own type)), never above the p90. Network and disk as asked; the p90 as it is when the
 * type is not in the catalog; without a usable p50, the p90 up to the own type.
 *
 * A stand-in is an On-Demand instance that serves the victim's load from its restart until that load leaves it (the
 * standby group's idle return), about 37 minutes per warm start in the simulator (seeds 1..10: 3.66 standby
 * instance-hours over 6 warm starts a run), while a surge above the victim's type lasts the first minutes of the
 * restart. Staged at the full p90, the stand-in was a larger type for its whole stay wherever the p90's tail passed the
 * type: on the default restarts (CPU 1.8× over 8 minutes) seeds 1..40 paid $0.30 a run for 0.57 vCPU·min of surge
 * served (`npm start -- --strategy spotwise,spotwise-naive --seeds 1..40`; seeds 1..10 1.33 → 1.44 at $104.25 → $104.01),
 * about twice what the warm-pool baselines' frontier pays per vCPU·min — a trade, taken for the price gap to the
 * ablation, stated in the README. The p50 keeps what heavier restarts need: capped at the own type
 * alone, 3× restarts went 65.75 → 75.75 vCPU·min and `../shared/data` 25.76 → 31.48; with the p50 beyond the type,
 * 67.00 and 26.84 (README "And last this release"). The reservation still holds the whole p90 (admission and the
 * disruption budget read it), and the warning's placement still looks for one host that holds the whole p90 first
 * (absorb-load.ts).
 */
export const standInLoad = (asked: Resources, expected: Resources | undefined, victim: Pick<ManagedInstance, 'instanceType'>, fleet: FleetView): Resources => {
  const own = instanceShape(victim, fleet);
  if (own === undefined) return asked;
  const held = (d: 'vcpu' | 'memoryGiB'): number => {
    const p50 = expected?.[d];
    const upToOwn = Math.min(asked[d], own[d]);
    return p50 !== undefined && Number.isFinite(p50) ? Math.min(asked[d], Math.max(p50, upToOwn)) : upToOwn;
  };
  return { ...asked, vcpu: held('vcpu'), memoryGiB: held('memoryGiB') };
};

/**
 * Makes sure one warm instance could take `load` on its own, one per victim: a warm instance that covers it already is
 * claimed, else a stopped On-Demand warm instance is claimed and retyped (free while it is stopped), else Auto Scaling
 * is asked to prepare one more. Warm instances another victim's standing claim holds (standingClaims) are not
 * candidates; one whose claim no longer stands is claimed over it (`supersedes`). The claim
 * itself is a conditional write at execution (lambda/app/stage-warm-instance.ts): recommendations of one burst, planned
 * from the same snapshot, go down the same candidate list and each takes the next one free. Nothing is brought into
 * service — that is the warning's job.
 */
export const stageOneWarmInstance = (fleet: FleetView, group: GroupView, victim: ManagedInstance, asked: Resources, until: number, now: number): Plan => {
  const warmGroup = findWarmGroup(fleet, group);
  if (warmGroup?.warmPool === undefined)
    return { actions: [{ kind: 'noop', reason: `${group.id} has no warm pool to stage into for ${victim.id}` }], events: [] };
  const warm = warmGroup.instances.filter((i) => i.warm && i.state !== 'terminated' && i.state !== 'shutting-down').sort(byId);
  // The p90 up to the victim's own type, beyond it the p50 (standInLoad), and a load larger than any allowed type is
  // staged for as far as one instance can hold it (the rest cannot be prepared on one host; the warning's plan places it).
  const expected = estimatePostRestartDemand(victim, group, fleet, 'p50');
  const held = standInLoad(asked, expected.kind === 'known' ? expected.amount : undefined, victim, fleet);
  const load = cappedToAllowed(fleet.catalog, held, warmGroup.policy.allowedInstanceTypes) ?? held;
  const what = fits(asked, load)
    ? formatResources(load)
    : fits(held, load)
      ? `${formatResources(load)} of its p90 ${formatResources(asked)} (up to its own ${victim.instanceType}, beyond it its p50: the rest of the surge goes to other capacity)`
      : `${formatResources(load)} of ${formatResources(asked)} (no allowed type holds more)`;
  // One claim item per warm instance: the instance names its claim.
  const live = (warmGroup.warmClaims ?? []).filter((c) => c.until > now);
  const standing = new Set<InstanceId>(standingClaims(fleet, warmGroup, now).map((c) => c.instanceId));
  const theirs = live.filter((c) => c.victimId !== victim.id);
  const others = new Set<InstanceId>(theirs.filter((c) => standing.has(c.instanceId)).map((c) => c.instanceId));
  const own = new Set<InstanceId>(live.filter((c) => c.victimId === victim.id).map((c) => c.instanceId));
  // A claim whose victim's load has a host already stands in nobody's way: this victim claims the instance over it.
  const stale = new Map<InstanceId, InstanceId>(theirs.filter((c) => !standing.has(c.instanceId)).map((c) => [c.instanceId, c.victimId]));
  const free = warm.filter((i) => !others.has(i.id)).sort((a, b) => Number(own.has(b.id)) - Number(own.has(a.id)) || byId(a, b));
  const covers = (i: ManagedInstance): boolean => {
    const shape = instanceShape(i, fleet);
    return shape !== undefined && fits(load, shape);
  };
  const ready = free.filter((i) => (i.state === 'stopped' || i.state === 'running') && covers(i));
  const staged = (detail: string): DomainEvent => ({ kind: 'capacity-staged', at: now, groupId: warmGroup.id, detail });
  const shape = cheapestCovering(fleet.catalog, load, warmGroup.policy.allowedInstanceTypes, 'on-demand');
  if (shape === undefined && ready.length === 0) {
    return { actions: [{ kind: 'noop', reason: `no allowed instance type of ${warmGroup.id} covers ${what} for ${victim.id}` }], events: [] };
  }
  const retypable = shape === undefined ? [] : free.filter((i) => i.state === 'stopped' && i.lifecycle === 'on-demand' && !covers(i));
  const toType = shape?.name ?? ready[0]?.instanceType ?? '';
  const reason = `rebalance recommendation for ${victim.id}: stage ${toType} for ${what}`;
  // Warm pool size = max(minSize, maxPrepared − desired); asking for one more than is there now
  // makes Auto Scaling prepare an instance (its shape is fixed by the next staging tick). When the pool is
  // already growing to a min size above what is there, the instance coming is asked for: nothing to raise.
  const minSize = Math.max(warmGroup.warmPool.minSize, warm.length + 1);
  const room = Math.floor(warmGroup.maxSize) - Math.floor(warmGroup.desiredCapacity);
  const raise = minSize <= room && minSize !== warmGroup.warmPool.minSize;
  const candidates = [...ready, ...retypable];
  const first = candidates[0];
  if (first !== undefined) {
    const action: Action = {
      kind: 'stage-warm-instance',
      groupId: warmGroup.id,
      victimId: victim.id,
      candidates: candidates.map((i) => {
        const supersedes = stale.get(i.id);
        return { instanceId: i.id, fromType: i.instanceType, covers: ready.includes(i), ...(supersedes !== undefined ? { supersedes } : {}) };
      }),
      toType,
      until,
      raise,
      room,
      reason,
    };
    const then = candidates.length > 1 ? ` (or the next of ${candidates.length} candidates another recommendation has not claimed)` : '';
    const claimedNote = others.size > 0 ? `; ${others.size} warm instance(s) claimed for other victims` : '';
    return {
      actions: [action],
      events: [
        staged(
          ready.includes(first)
            ? `claim warm ${first.instanceType} ${first.id}, which already covers ${what}, for ${victim.id}${then}${claimedNote}`
            : `claim and retype warm ${first.id} ${first.instanceType} → ${toType} for ${victim.id}${then}${claimedNote}`,
        ),
      ],
    };
  }
  if (!(minSize <= room)) {
    return {
      actions: [
        { kind: 'noop', reason: `${warmGroup.id} has no room for another warm instance (desired ${warmGroup.desiredCapacity}, max ${warmGroup.maxSize})` },
      ],
      events: [],
    };
  }
  if (!raise) return { actions: [], events: [] };
  // A raise, not an absolute min size: concurrent recommendations for one burst each add their instance
  // (lambda/app/warm-pool-writer.ts applies it relative to the pool as it is then).
  return {
    actions: [{ kind: 'raise-warm-pool', groupId: warmGroup.id, by: 1, room, reason }],
    events: [staged(`warm pool of ${warmGroup.id}: one more warm instance (min size ${warmGroup.warmPool.minSize}, ${warm.length} warm) for ${victim.id}`)],
  };
};

/**
 * Rebalance recommendation: the earlier, softer version of the warning (DESIGN §1). Reserve the
 * post-restart demand (held for REBALANCE_HOLD_MS beyond the usual terms, so the warning that may
 * follow reuses it) and stage one warm instance that covers it; nothing is terminated, stopped or
 * brought into service.
 */
export const planRebalance = (notice: Rebalance, fleet: FleetView, now: number): Plan => {
  const located = locateInstance(fleet, notice.instanceId);
  if (located === undefined) return ignoreNotice(now, `rebalance recommendation for ${notice.instanceId}: not a managed instance`, notice.instanceId);
  const { group, instance } = located;
  if (instance.warm || !isActive(instance)) {
    return ignoreNotice(
      now,
      `rebalance recommendation for ${instance.id}: ${instance.warm ? 'warm-pool instance' : instance.state}, nothing to protect`,
      instance.id,
    );
  }
  const why = `rebalance recommendation for ${instance.id}`;
  const expiresAt = reservationExpiry(notice.at + REBALANCE_HOLD_MS + SPOT_WARNING_LEAD_SECONDS * 1000, group);
  const reservation = reserveForRestart({ fleet, group, instance, purpose: 'rebalance', source: notice.eventId, now, expiresAt, why });
  const events: DomainEvent[] = [...reservation.events];
  let load = reservation.kind === 'fail-closed' ? undefined : reservation.amount;
  if (reservation.kind === 'fail-closed') {
    events.push({ kind: 'fail-closed', at: now, groupId: group.id, instanceId: instance.id, reason: `no reservation for ${why}: ${reservation.reason}` });
    const estimate = estimatePostRestartDemand(instance, group, fleet);
    load = estimate.kind === 'known' ? estimate.amount : standInDemand(instance, fleet);
  }
  if (load === undefined) {
    return withPoolSignal(
      {
        actions: [
          ...reservation.actions,
          { kind: 'noop', reason: `cannot size staging for ${why}: instance type ${instance.instanceType} is not in the catalog` },
        ],
        events,
      },
      group,
      instance,
      notice,
      'rebalance-recommendation',
    );
  }
  const staging = stageOneWarmInstance(fleet, group, instance, load, expiresAt, now);
  return withPoolSignal(
    { actions: [...reservation.actions, ...staging.actions], events: [...events, ...staging.events] },
    group,
    instance,
    notice,
    'rebalance-recommendation',
  );
};
