import { type InstanceId, type ReservationId, type ResourcePool, type Resources } from '../domain';
import { formatResources, isZero } from '../resources/resources';
import { checkPoolResources } from './pool-amounts';
import { committedResources, handOver, lowerAllocations, removeAllocations, resizePool, setAllocations, sweepExpired } from './resource-pool';

/** One serving instance's wanted allocation (its measured demand envelope). */
export interface WantedAllocation {
  readonly instanceId: InstanceId;
  readonly amount: Resources;
  /** 0..100: when the pool is short, higher priorities get their allocation first. */
  readonly priority: number;
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

const minResources = (a: Resources, b: Resources): Resources =>
  ({ vcpu: Math.min(a.vcpu, b.vcpu), memoryGiB: Math.min(a.memoryGiB, b.memoryGiB), networkMbps: Math.min(a.networkMbps, b.networkMbps), diskIops: Math.min(a.diskIops, b.diskIops) });
const maxResources = (a: Resources, b: Resources): Resources =>
  ({ vcpu: Math.max(a.vcpu, b.vcpu), memoryGiB: Math.max(a.memoryGiB, b.memoryGiB), networkMbps: Math.max(a.networkMbps, b.networkMbps), diskIops: Math.max(a.diskIops, b.diskIops) });

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
 * 3. lower every allocation that goes down, per dimension (lowerAllocation: never refused);
 * 4. set the capacity — if the target is below what is committed now, keep it at committed on the
 *    short dimensions (`capacityHeld`; the core refuses to shrink below commitments, and nothing more
 *    can be admitted there until reservations are released);
 * 5. raise allocations, highest priority first (then by instance id): one that does not fit is
 *    recorded at what does (`capped`), which leaves the pool full on that dimension — fail closed:
 *    nothing new is admitted there, and the under-recorded use is reported, not hidden.
 * Deterministic for a given input.
 */
export const refreshPool = (stored: ResourcePool, input: PoolRefreshInput): PoolRefresh => {
  const swept = sweepExpired(stored, input.now);
  let pool = swept.pool;
  const wanted = new Map(input.wanted.map((w) => [w.instanceId, { ...w, amount: checkPoolResources(w.amount, `allocation of ${w.instanceId}`, 'up') }] as const));
  pool = removeAllocations(pool, [...pool.allocations.keys()].filter((id) => !wanted.has(id)));

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
  pool = lowerAllocations(pool, [...wanted].map(([id, w]) => [id, w.amount] as const));
  // What the store may hold while handed-over reservations are still in its ledger: allocations that
  // did not rise from what was stored (an instance the store did not know starts at none).
  const lowered = new Map<InstanceId, Resources>();
  for (const [id, a] of pool.allocations) {
    const was = before.get(id);
    if (was !== undefined) lowered.set(id, minResources(was, a));
  }

  const target = checkPoolResources(input.capacity, `pool ${stored.groupId} capacity`, 'down');
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
  const raised = setAllocations(pool, rising, 'fill');
  pool = raised.pool;
  for (const o of raised.outcomes) {
    // The fill fits by construction (the pool is not over-committed after step 4): a refusal is a bug here.
    if (o.kind === 'refused') throw new Error(`refreshing the pool: capping ${o.instanceId}'s allocation was refused (${o.reason})`);
    else if (o.kind === 'filled' && !isZero(o.shortfall)) capped.push({ instanceId: o.instanceId, wanted: o.wanted, allocated: o.allocation, shortfall: o.shortfall });
  }
  return { pool, swept: swept.released, handedOver, capped, ...(capacityHeld !== undefined ? { capacityHeld } : {}), lowered };
};
