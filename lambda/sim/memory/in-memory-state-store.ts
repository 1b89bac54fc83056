import {
  DIMENSIONS,
  type BehaviourProfile, type Forecast, type GroupId, type InstanceId, type InterruptionRequest, type Reservation,
  type ReservationId, type ResourcePool, type Resources,
} from '../../core/domain';
import { PROCESSED_EVENT_TTL_SECONDS } from '../../contracts/table';
import type { ReserveOutcome, StateStore, StoredRequest } from '../../ports/state-store';
import { CallJournal, CallLog } from './call-log';

export type StateStoreOperation = keyof StateStore;

/**
 * Operations that change the capacity ledger or interruption requests. Profiles, forecasts and processed
 * event marks are what spotwise *learns*; they are kept even in dry-run (see lambda/handlers/execute-plan).
 */
export const STATE_STORE_MUTATING: ReadonlySet<StateStoreOperation> = new Set<StateStoreOperation>([
  'putPoolCapacity', 'putAllocations', 'reserve', 'release', 'sweepExpired', 'putRequest',
]);

/**
 * Reservations are compared with a tolerance: amounts are sums of floats (0.1 + 0.2 vCPU), and a
 * reservation that fits exactly must not be refused over 1e-12 of rounding.
 */
const FIT_EPSILON = 1e-9;

const sumInto = (acc: Record<string, number>, r: Resources): void => {
  for (const d of DIMENSIONS) acc[d] = (acc[d] ?? 0) + r[d];
};

/** Capacity minus allocations minus reservations, per dimension (may be negative when over-allocated). */
export const freeResources = (pool: ResourcePool): Resources => {
  const used: Record<string, number> = {};
  for (const a of pool.allocations.values()) sumInto(used, a);
  for (const r of pool.reservations.values()) sumInto(used, r.amount);
  return {
    vcpu: pool.capacity.vcpu - (used.vcpu ?? 0),
    memoryGiB: pool.capacity.memoryGiB - (used.memoryGiB ?? 0),
    networkMbps: pool.capacity.networkMbps - (used.networkMbps ?? 0),
    diskIops: pool.capacity.diskIops - (used.diskIops ?? 0),
  };
};

const shortfallOf = (demand: Resources, free: Resources): Resources => ({
  vcpu: Math.max(0, demand.vcpu - free.vcpu),
  memoryGiB: Math.max(0, demand.memoryGiB - free.memoryGiB),
  networkMbps: Math.max(0, demand.networkMbps - free.networkMbps),
  diskIops: Math.max(0, demand.diskIops - free.diskIops),
});

const cloneRequest = (r: StoredRequest): StoredRequest => structuredClone(r);

/**
 * In-memory StateStore with the same guarantees as the DynamoDB adapter: a reservation is all-or-nothing
 * on every dimension against capacity − allocations − reservations, idempotent on its id; releases are
 * idempotent; processed event ids are remembered for PROCESSED_EVENT_TTL_SECONDS.
 *
 * Values are copied in and out (structuredClone) so a caller mutating what it got back cannot change
 * the store behind its back — the same isolation a real table gives.
 */
export class InMemoryStateStore implements StateStore {
  readonly log: CallLog<StateStoreOperation>;
  private readonly pools = new Map<GroupId, ResourcePool>();
  private readonly profiles = new Map<InstanceId, BehaviourProfile>();
  private readonly forecasts = new Map<InstanceId, Forecast>();
  private readonly requests = new Map<string, StoredRequest>();
  /** event id → epoch ms after which the mark has expired (DynamoDB TTL). */
  private readonly processed = new Map<string, number>();

  constructor(opts: { readonly journal?: CallJournal } = {}) {
    this.log = new CallLog('stateStore', STATE_STORE_MUTATING, opts.journal);
  }

  // --- seeding and inspection for tests and the simulator (not part of the port; not recorded) ---

  /** Puts a whole pool (capacity, allocations, reservations) as the starting state. */
  seedPool(pool: ResourcePool): void {
    this.pools.set(pool.groupId, structuredClone(pool));
  }

  seedProfiles(profiles: readonly BehaviourProfile[]): void {
    for (const p of profiles) this.profiles.set(p.instanceId, structuredClone(p));
  }

  seedForecasts(forecasts: readonly Forecast[]): void {
    for (const f of forecasts) this.forecasts.set(f.instanceId, structuredClone(f));
  }

  seedRequest(request: StoredRequest): void {
    this.requests.set(request.request.requestId, cloneRequest(request));
  }

  poolSnapshot(groupId: GroupId): ResourcePool | undefined {
    const p = this.pools.get(groupId);
    return p === undefined ? undefined : structuredClone(p);
  }

  allRequests(): StoredRequest[] {
    return [...this.requests.values()].map(cloneRequest);
  }

  allReservations(): Reservation[] {
    return [...this.pools.values()].flatMap((p) => [...p.reservations.values()].map((r) => structuredClone(r)));
  }

  // --- the port ---

  async getPool(groupId: GroupId): Promise<ResourcePool | undefined> {
    this.log.record('getPool', [groupId]);
    return this.poolSnapshot(groupId);
  }

  async putPoolCapacity(groupId: GroupId, capacity: Resources): Promise<void> {
    this.log.record('putPoolCapacity', [groupId, capacity]);
    const existing = this.pools.get(groupId);
    this.pools.set(groupId, existing
      ? { ...existing, capacity: { ...capacity }, version: existing.version + 1 }
      : { groupId, capacity: { ...capacity }, allocations: new Map(), reservations: new Map(), version: 1 });
  }

  async putAllocations(groupId: GroupId, allocations: ReadonlyMap<InstanceId, Resources>): Promise<void> {
    this.log.record('putAllocations', [groupId, allocations]);
    const existing = this.pools.get(groupId);
    if (existing === undefined) {
      throw new Error(`recording allocations for group ${JSON.stringify(groupId)}: the group has no pool (put its capacity first)`);
    }
    this.pools.set(groupId, { ...existing, allocations: structuredClone(new Map(allocations)), version: existing.version + 1 });
  }

  async reserve(reservation: Reservation): Promise<ReserveOutcome> {
    this.log.record('reserve', [reservation]);
    const pool = this.pools.get(reservation.groupId);
    // No pool means nothing is known about the group's capacity: fail closed, everything is short.
    if (pool === undefined) return { kind: 'refused', shortfall: { ...reservation.amount } };
    const held = pool.reservations.get(reservation.id);
    if (held !== undefined) return { kind: 'already-reserved', reservation: structuredClone(held) };
    const free = freeResources(pool);
    const short = shortfallOf(reservation.amount, free);
    if (DIMENSIONS.some((d) => short[d] > FIT_EPSILON)) return { kind: 'refused', shortfall: short };
    const reservations = new Map(pool.reservations);
    reservations.set(reservation.id, structuredClone(reservation));
    this.pools.set(pool.groupId, { ...pool, reservations, version: pool.version + 1 });
    return { kind: 'reserved', reservation: structuredClone(reservation) };
  }

  async release(groupId: GroupId, id: ReservationId): Promise<boolean> {
    this.log.record('release', [groupId, id]);
    const pool = this.pools.get(groupId);
    if (pool === undefined || !pool.reservations.has(id)) return false;
    const reservations = new Map(pool.reservations);
    reservations.delete(id);
    this.pools.set(groupId, { ...pool, reservations, version: pool.version + 1 });
    return true;
  }

  async sweepExpired(groupId: GroupId, now: number): Promise<ReservationId[]> {
    this.log.record('sweepExpired', [groupId, now]);
    const pool = this.pools.get(groupId);
    if (pool === undefined) return [];
    const expired = [...pool.reservations.values()].filter((r) => r.expiresAt <= now).map((r) => r.id);
    if (expired.length === 0) return [];
    const reservations = new Map(pool.reservations);
    for (const id of expired) reservations.delete(id);
    this.pools.set(groupId, { ...pool, reservations, version: pool.version + 1 });
    return expired;
  }

  async getProfiles(ids: readonly InstanceId[]): Promise<Map<InstanceId, BehaviourProfile>> {
    this.log.record('getProfiles', [ids]);
    const out = new Map<InstanceId, BehaviourProfile>();
    for (const id of ids) {
      const p = this.profiles.get(id);
      if (p !== undefined) out.set(id, structuredClone(p));
    }
    return out;
  }

  async putProfiles(profiles: readonly BehaviourProfile[]): Promise<void> {
    this.log.record('putProfiles', [profiles]);
    for (const p of profiles) this.profiles.set(p.instanceId, structuredClone(p));
  }

  async getForecasts(ids: readonly InstanceId[]): Promise<Map<InstanceId, Forecast>> {
    this.log.record('getForecasts', [ids]);
    const out = new Map<InstanceId, Forecast>();
    for (const id of ids) {
      const f = this.forecasts.get(id);
      if (f !== undefined) out.set(id, structuredClone(f));
    }
    return out;
  }

  async putForecasts(forecasts: readonly Forecast[]): Promise<void> {
    this.log.record('putForecasts', [forecasts]);
    for (const f of forecasts) this.forecasts.set(f.instanceId, structuredClone(f));
  }

  async getRequest(id: InterruptionRequest['requestId']): Promise<StoredRequest | undefined> {
    this.log.record('getRequest', [id]);
    const r = this.requests.get(id);
    return r === undefined ? undefined : cloneRequest(r);
  }

  async putRequest(request: StoredRequest): Promise<void> {
    this.log.record('putRequest', [request]);
    this.requests.set(request.request.requestId, cloneRequest(request));
  }

  /**
   * Requests the coordinator should look at again: pending ones, and deferred ones whose retryAt has come
   * (a deferred request without retryAt is retried on every pass). Oldest retry first, then oldest request.
   */
  async listDueRequests(now: number): Promise<StoredRequest[]> {
    this.log.record('listDueRequests', [now]);
    return [...this.requests.values()]
      .filter((r) => r.status === 'pending' || (r.status === 'deferred' && (r.retryAt ?? -Infinity) <= now))
      .sort((a, b) => (a.retryAt ?? -Infinity) - (b.retryAt ?? -Infinity) || a.request.requestedAt - b.request.requestedAt)
      .map(cloneRequest);
  }

  async markEventProcessed(eventId: string, now: number): Promise<boolean> {
    this.log.record('markEventProcessed', [eventId, now]);
    const until = this.processed.get(eventId);
    if (until !== undefined && until > now) return false;
    this.processed.set(eventId, now + PROCESSED_EVENT_TTL_SECONDS * 1000);
    return true;
  }
}

InMemoryStateStore satisfies new (opts?: { readonly journal?: CallJournal }) => StateStore;
