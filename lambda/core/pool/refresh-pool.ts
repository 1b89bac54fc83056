import { DIMENSIONS, type InstanceId, type ReservationId, type ResourcePool, type Resources } from '../domain';
import { formatResources, isZero } from '../resources/resources';
import { fairShare } from './fair-share';
import { checkPoolResources } from './pool-amounts';
import {
  committedResources,
  handOver,
  lowerAllocations,
  removeAllocations,
  reservedResources,
  resizePool,
  setAllocations,
  sweepExpired,
} from './resource-pool';

/** One serving instance's wanted allocation (its measured demand envelope). */
export interface WantedAllocation {
  readonly instanceId: InstanceId;
  readonly amount: Resources;
  /** 0..100: when the pool is short, higher priorities get their allocation first. */
  readonly priority: number;
  /**
   * Served before any tier's share beyond it when the pool is short (capped at `amount`): the member's policy
   * `resource_demand` — what a member of that policy needs to run at all. Absent: 0.
   */
  readonly minimum?: Partial<Resources>;
}

export interface PoolRefreshInput {
  /** The capacity the pool should have (configuration, or what the group's instances provide). */
  readonly capacity: Resources;
  /** Every instance serving now; instances missing here lose their allocation. */
  readonly wanted: readonly WantedAllocation[];
  /** Reservations to hand to a replacement before allocations are set (see chooseReplacementHandOvers). */
  readonly handOvers: readonly { readonly reservationId: ReservationId; readonly instanceId: InstanceId }[];
  readonly now: number;
}

export interface CappedAllocation {
  readonly instanceId: InstanceId;
  readonly wanted: Resources;
  readonly allocated: Resources;
  /** wanted − allocated per dimension: use the pool could not record. */
  readonly shortfall: Resources;
}

export interface PoolRefresh {
  /** The refreshed pool: never over-committed when the input pool was not. */
  readonly pool: ResourcePool;
  readonly swept: readonly ReservationId[];
  readonly handedOver: readonly { readonly reservationId: ReservationId; readonly instanceId: InstanceId }[];
  /** Allocations that did not fit and were recorded at what did (the pool is then full on that dimension). */
  readonly capped: readonly CappedAllocation[];
  /** Set when the capacity could not shrink to the target: what it was kept at (= committed on the short dimensions). */
  readonly capacityHeld?: Resources;
  /**
   * Allocations only ever lowered (min of before and after per dimension), for a first write: stored
   * before the handed-over reservations are released and the raised allocations are written, it keeps
   * every intermediate state of a two-step store update within capacity.
   */
  readonly lowered: ReadonlyMap<InstanceId, Resources>;
}

const minResources = (a: Resources, b: Resources): Resources => ({
  vcpu: Math.min(a.vcpu, b.vcpu),
  memoryGiB: Math.min(a.memoryGiB, b.memoryGiB),
  networkMbps: Math.min(a.networkMbps, b.networkMbps),
  diskIops: Math.min(a.diskIops, b.diskIops),
});
const maxResources = (a: Resources, b: Resources): Resources => ({
  vcpu: Math.max(a.vcpu, b.vcpu),
  memoryGiB: Math.max(a.memoryGiB, b.memoryGiB),
  networkMbps: Math.max(a.networkMbps, b.networkMbps),
  diskIops: Math.max(a.diskIops, b.diskIops),
});

/** a − b per dimension, never below 0. */
const subtractFloor = (a: Resources, b: Resources): Resources => ({
  vcpu: Math.max(0, a.vcpu - b.vcpu),
  memoryGiB: Math.max(0, a.memoryGiB - b.memoryGiB),
  networkMbps: Math.max(0, a.networkMbps - b.networkMbps),
  diskIops: Math.max(0, a.diskIops - b.diskIops),
});

/**
 * What each wanted allocation is entitled to when `room` (target capacity − reservations, on the grid)
 * is what the allocations may take: everything wanted on a dimension where it all fits (or where the
 * reservations alone fill the target: the capacity is then held, step 4), else the fair share of that
 * dimension. Dimensions are divided independently, as the pool admits them.
 */
const entitlements = (wanted: readonly WantedAllocation[], room: Resources): Map<InstanceId, Resources> => {
  const out = new Map<InstanceId, Resources>(wanted.map((w) => [w.instanceId, w.amount]));
  for (const d of DIMENSIONS) {
    const total = wanted.reduce((s, w) => s + w.amount[d], 0);
    if (total <= room[d] || room[d] <= 0) continue;
    // By instance id: what is left of a shortage after water-filling goes one grid step each in this
    // order, so the split does not depend on the order the instances were listed in.
    const byId = [...wanted].sort((a, b) => (a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0));
    const shares = fairShare(
      room[d],
      byId.map((w) => ({ id: w.instanceId, priority: w.priority, demand: w.amount[d], ...(w.minimum?.[d] !== undefined ? { minimum: w.minimum[d] } : {}) })),
    );
    for (const w of wanted) {
      const a = out.get(w.instanceId) ?? w.amount;
      out.set(w.instanceId, { ...a, [d]: shares.get(w.instanceId) ?? 0 });
    }
  }
  return out;
};

/**
 * Applies a change that fits by construction (capacity held at committed, an allocation capped at what
 * is free): a refusal here would be a bug in this file, never a pool state, so it throws.
 */
const mustFit = (r: { readonly kind: string; readonly pool?: ResourcePool; readonly reason?: string }, what: string): ResourcePool => {
  if (r.pool === undefined) throw new Error(`refreshing the pool: ${what} was refused (${r.reason ?? r.kind})`);
  return r.pool;
};

/**
 * The profiler's periodic pool refresh (DESIGN.md flow 1), through the pool's own admission rules —
 * never by writing allocations around them, which is how a replacement instance with no profile
 * (allocated its whole type shape, fail closed) used to push committed past capacity while the
 * interrupted victim's reservation was still held.
 *
 * Order, chosen so that each step can only lower what is committed before anything is raised:
 * 1. sweep expired reservations; drop allocations of instances that no longer serve;
 * 2. hand reservations over to their replacements (max of the two, so committed can only fall);
 * 3. lower every allocation that goes down, per dimension (lowerAllocation: never refused), to its
 *    entitlement: what it wants, or — on a dimension where the wanted allocations do not all fit in the
 *    target capacity minus the reservations — its priority-ordered fair share (fairShare: configured minimums
 *    first, then tier by tier, water-filling within a tier; seed DRATP: 16 GiB for 8 / 4 / 6 in tiers A > B > C is
 *    8 / 4 / 4), so a
 *    lower tier gives up what a higher one needs and equals share a shortage evenly;
 * 4. set the capacity — if the target is below what is committed now, keep it at committed on the
 *    short dimensions (`capacityHeld`; the core refuses to shrink below commitments, and nothing more
 *    can be admitted there until reservations are released);
 * 5. raise allocations to their entitlements, highest priority first (then by instance id). A fair
 *    share below what is wanted is reported in `capped`; so is, where step 4 held the capacity (the
 *    reservations alone exceed the target there, so no share is left to divide), a raise recorded at
 *    what still fits, which leaves the pool full on that dimension — fail closed: nothing new is
 *    admitted there, and the under-recorded use is reported, not hidden.
 * Deterministic for a given input.
 */
export const refreshPool = (stored: ResourcePool, input: PoolRefreshInput): PoolRefresh => {
  const swept = sweepExpired(stored, input.now);
  let pool = swept.pool;
  const wanted = new Map(
    input.wanted.map((w) => [w.instanceId, { ...w, amount: checkPoolResources(w.amount, `allocation of ${w.instanceId}`, 'up') }] as const),
  );
  pool = removeAllocations(
    pool,
    [...pool.allocations.keys()].filter((id) => !wanted.has(id)),
  );

  const handedOver: { reservationId: ReservationId; instanceId: InstanceId }[] = [];
  for (const h of input.handOvers) {
    if (!wanted.has(h.instanceId)) continue;
    const r = handOver(pool, h.reservationId, input.now, h.instanceId);
    if (r.kind === 'handed-over') {
      pool = r.pool;
      handedOver.push({ reservationId: h.reservationId, instanceId: h.instanceId });
    }
  }

  const before = new Map(stored.allocations);
  const target = checkPoolResources(input.capacity, `pool ${stored.groupId} capacity`, 'down');
  const entitled = entitlements([...wanted.values()], subtractFloor(target, reservedResources(pool)));
  pool = lowerAllocations(pool, entitled);
  // What the store may hold while handed-over reservations are still in its ledger: allocations that
  // did not rise from what was stored (an instance the store did not know starts at none).
  const lowered = new Map<InstanceId, Resources>();
  for (const [id, a] of pool.allocations) {
    const was = before.get(id);
    if (was !== undefined) lowered.set(id, minResources(was, a));
  }

  let capacityHeld: Resources | undefined;
  const resized = resizePool(pool, target);
  if (resized.kind === 'resized') pool = resized.pool;
  else {
    capacityHeld = maxResources(target, committedResources(pool));
    pool = mustFit(resizePool(pool, capacityHeld), `holding the capacity at ${formatResources(capacityHeld)}`);
  }

  const capped: CappedAllocation[] = [];
  const rising = [...wanted.values()].sort((a, b) => b.priority - a.priority || (a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0));
  // One batch, not one setAllocation per instance: each of those copied the ledger and re-summed it,
  // O(n²) — 55 s for a first tick at 10,000 instances. A refused raise is filled with what fits: the
  // current allocation plus what is still free, never more than wanted (all on the grid).
  const raised = setAllocations(
    pool,
    rising.map((w) => ({ instanceId: w.instanceId, amount: entitled.get(w.instanceId) ?? w.amount })),
    'fill',
  );
  pool = raised.pool;
  for (const o of raised.outcomes) {
    // The fill fits by construction (the pool is not over-committed after step 4): a refusal is a bug here.
    if (o.kind === 'refused') throw new Error(`refreshing the pool: capping ${o.instanceId}'s allocation was refused (${o.reason})`);
    const w = wanted.get(o.instanceId);
    if (w === undefined) continue;
    const short = subtractFloor(w.amount, o.allocation);
    if (!isZero(short)) capped.push({ instanceId: o.instanceId, wanted: w.amount, allocated: o.allocation, shortfall: short });
  }
  return { pool, swept: swept.released, handedOver, capped, ...(capacityHeld !== undefined ? { capacityHeld } : {}), lowered };
};
