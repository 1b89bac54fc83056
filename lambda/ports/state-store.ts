import type {
  BehaviourProfile,
  Forecast,
  GroupId,
  InstanceId,
  InterruptionRequest,
  PoolSignal,
  PoolSignalHistory,
  Reservation,
  ReservationId,
  ResourcePool,
  Resources,
  WarmClaim,
} from '../core/domain';
import type { CycleStore } from './learning-store';

export type ReserveOutcome =
  | { readonly kind: 'reserved'; readonly reservation: Reservation }
  /** Already held (same id): reserving is idempotent. */
  | { readonly kind: 'already-reserved'; readonly reservation: Reservation }
  | { readonly kind: 'refused'; readonly shortfall: Resources };

export type { StoredRequest, StoredRequestStatus, TrailCheck, TrailEntry } from '../core/domain';
import type { StoredRequest } from '../core/domain';

/**
 * A ledger write refused because the pool's allocations and reservations would exceed its capacity on some dimension
 * (nothing over-committed is ever written). The port's error: every PoolLedger implementation throws this one class.
 */
export class PoolOverCommitError extends Error {
  override readonly name = 'PoolOverCommitError';
}

/**
 * A group's resource pool and its reservation ledger (DESIGN.md §2): capacity, allocations, reservations (with their
 * loans), hand-overs. Every write keeps the pool within its capacity, atomically.
 */
export interface PoolLedger {
  getPool(groupId: GroupId): Promise<ResourcePool | undefined>;
  /** Creates the pool or changes its capacity (reservations are kept). */
  putPoolCapacity(groupId: GroupId, capacity: Resources): Promise<void>;
  /** Records the allocations of running instances (the profiler's view of use). */
  putAllocations(groupId: GroupId, allocations: ReadonlyMap<InstanceId, Resources>): Promise<void>;
  /** Atomic: all dimensions must fit, else refused with the shortfall. Idempotent on reservation id. */
  reserve(reservation: Reservation): Promise<ReserveOutcome>;
  /** Idempotent: releasing an unknown or released reservation returns false. */
  release(groupId: GroupId, id: ReservationId): Promise<boolean>;
  /**
   * Hands a held reservation over to `instanceId` in one atomic write (DESIGN.md flow 4): the reservation goes
   * and the instance's allocation becomes max(its allocation, the reserved amount), so the pool never passes
   * through a state that counts the capacity twice. Returns false when the reservation is not held (never
   * was, released, or handed over by a concurrent call: of concurrent hand-overs exactly one returns true).
   */
  handOver(groupId: GroupId, id: ReservationId, instanceId: InstanceId): Promise<boolean>;
  /** Releases reservations whose expiresAt ≤ now; returns the ids released. */
  sweepExpired(groupId: GroupId, now: number): Promise<ReservationId[]>;
}

/** What spotwise learns per instance: behaviour profiles (with their restart cycles). */
export interface ProfileStore {
  getProfiles(ids: readonly InstanceId[]): Promise<Map<InstanceId, BehaviourProfile>>;
  putProfiles(profiles: readonly BehaviourProfile[]): Promise<void>;
}

/** The newest forecast of each instance (what the notice path reads instead of a model). */
export interface ForecastStore {
  getForecasts(ids: readonly InstanceId[]): Promise<Map<InstanceId, Forecast>>;
  putForecasts(forecasts: readonly Forecast[]): Promise<void>;
}

/**
 * The RequestStore contract's "due" (every implementation answers listDueRequests with exactly this): pending requests,
 * and deferred ones whose retryAt has come (a deferred request without retryAt is retried on every pass); oldest retry
 * first, then oldest request.
 */
export const dueRequests = (stored: Iterable<StoredRequest>, now: number): StoredRequest[] =>
  [...stored]
    .filter((r) => r.status === 'pending' || (r.status === 'deferred' && (r.retryAt ?? -Infinity) <= now))
    .sort((a, b) => (a.retryAt ?? -Infinity) - (b.retryAt ?? -Infinity) || a.request.requestedAt - b.request.requestedAt);

/** Priority interruption requests, their status and decision trail. */
export interface RequestStore {
  getRequest(id: InterruptionRequest['requestId']): Promise<StoredRequest | undefined>;
  putRequest(request: StoredRequest): Promise<void>;
  listDueRequests(now: number): Promise<StoredRequest[]>;
}

/** The Spot signals each pool (type × AZ) of a group has received: what its interruption risk is learned from. */
export interface PoolSignalStore {
  /**
   * Counts a Spot signal against its pool's history record (created at the first one). False when the record's
   * last counted signal has the same event id (a redelivery is counted once).
   */
  recordPoolSignal(groupId: GroupId, signal: PoolSignal): Promise<boolean>;
  /** The signal histories of a group's pools (none when its pools never got a signal). */
  getPoolSignals(groupId: GroupId): Promise<PoolSignalHistory[]>;
}

/**
 * Who may write a group's warm pool (item `GROUP#<group>` / `WARMPOOL`). PutWarmPool takes an absolute min size and
 * Auto Scaling has no conditional or relative form of it, so two handlers that read the same warm pool and each
 * raise it by one would write the same value (a lost update). Writers therefore take a short lease first; a
 * relative raise is queued in the item before the lease is tried, and whoever holds the lease applies every raise
 * queued, so a raise is never lost and never applied twice, and nobody waits.
 */
export interface WarmPoolWriterStore {
  /** Adds `by` raises to the group's queue (created at the first). */
  queueWarmPoolRaise(groupId: GroupId, by: number): Promise<void>;
  /** Takes the lease for `holder` until `until` (epoch ms); false when another holder's lease is still live at `now`. */
  acquireWarmPoolLease(groupId: GroupId, holder: string, now: number, until: number): Promise<boolean>;
  /** Empties the raise queue for the lease holder and returns how many it held (0 when `holder` no longer holds the lease). */
  takeWarmPoolRaises(groupId: GroupId, holder: string): Promise<number>;
  /** Gives the lease up; returns the raises queued meanwhile (the releaser applies them, or the next writer does). */
  releaseWarmPoolLease(groupId: GroupId, holder: string): Promise<number>;
}

/**
 * Which warm instance each rebalance recommendation staged (items `GROUP#<group>` / `WARMCLAIM#<instance>`): one live
 * claim per warm instance, taken with a conditional write, so recommendations planned from one snapshot never stage
 * the same instance for two victims.
 */
export interface WarmClaimStore {
  /**
   * Claims `claim.instanceId` for `claim.victimId` until `claim.until`: true when nobody else's claim is live at `now`
   * (none, expired, this victim's own — a redelivery —, or `supersedes`'s, a claim the caller found no longer standing);
   * false when another victim's is.
   */
  claimWarmInstance(claim: WarmClaim, now: number, supersedes?: InstanceId): Promise<boolean>;
  /** Gives a claim up, only when it is still this victim's (a retype that could not be done). */
  releaseWarmClaim(groupId: GroupId, instanceId: InstanceId, victimId: InstanceId): Promise<void>;
  /** The claims on a group's warm instances that are live at `now`. */
  getWarmClaims(groupId: GroupId, now: number): Promise<WarmClaim[]>;
}

/** Which events were already processed (a redelivered event must not act twice). */
export interface EventDeduplication {
  /** Marks an event id processed; true the first time, false when it was already processed (idempotency). */
  markEventProcessed(eventId: string, now: number): Promise<boolean>;
}

/**
 * spotwise's durable state (DESIGN.md §5): pools, reservations, profiles, forecasts, requests, processed events, learned cycles — the
 * capabilities above together, as one table holds them. Code that needs only some names only those.
 */
export interface StateStore
  extends PoolLedger, ProfileStore, ForecastStore, RequestStore, PoolSignalStore, WarmPoolWriterStore, WarmClaimStore, EventDeduplication, CycleStore {}
