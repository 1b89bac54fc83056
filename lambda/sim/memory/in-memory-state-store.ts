import {
  type BehaviourProfile,
  type Forecast,
  type GroupId,
  type InstanceId,
  type LearnedCycle,
  type InterruptionRequest,
  type PoolSignal,
  type PoolSignalHistory,
  type Reservation,
  type ReservationId,
  type ResourcePool,
  type Resources,
  type WarmClaim,
} from '../../core/domain';
import { Keys, PROCESSED_EVENT_TTL_SECONDS } from '../../contracts/table';
import { checkPoolResources } from '../../core/pool/pool-amounts';
import {
  allocatedResources,
  createPool,
  loanDeficit,
  handOver as handOverInPool,
  overCommitReason,
  releaseReservation,
  reservedResources,
  sweepExpired as sweepPool,
  tryReserve,
} from '../../core/pool/resource-pool';
import { addResources, isZero, ZERO_RESOURCES } from '../../core/resources/resources';
import { dueRequests, PoolOverCommitError, type ReserveOutcome, type StateStore, type StoredRequest } from '../../ports/state-store';
import { CallJournal, CallLog } from './call-log';

export type StateStoreOperation = keyof StateStore;

/**
 * Operations that change the capacity ledger or interruption requests. Profiles, forecasts and processed
 * event marks are what spotwise *learns*; they are kept even in dry-run (see lambda/app/execute-plan).
 */
export const STATE_STORE_MUTATING: ReadonlySet<StateStoreOperation> = new Set<StateStoreOperation>([
  'putPoolCapacity',
  'putAllocations',
  'reserve',
  'release',
  'handOver',
  'sweepExpired',
  'putRequest',
  'queueWarmPoolRaise',
  'acquireWarmPoolLease',
  'takeWarmPoolRaises',
  'releaseWarmPoolLease',
  'claimWarmInstance',
  'releaseWarmClaim',
]);

const cloneRequest = (r: StoredRequest): StoredRequest => structuredClone(r);

export interface InMemoryStateStoreOptions {
  readonly journal?: CallJournal;
  /**
   * How profiles and forecasts are held. 'copied' (the default): copied in and out like every other value.
   * 'shared': kept and returned by reference. Profiles and forecasts are immutable values made by the pure core
   * (every update returns a new object), so sharing them is safe; the simulator shares them because copying was two
   * thirds of a 48-hour run (every profile is read and written on each of ~1,700 profiler ticks).
   */
  readonly learned?: 'copied' | 'shared';
}

/**
 * As the DynamoDB store (rewritePool): a capacity or allocations write that reservations committed in between
 * leave no room for is refused whole, never written over-committed; the caller recomputes from a fresh read.
 */
const refuseOverCommit = (pool: ResourcePool, capacity: Resources, allocated: Resources, what: string): void => {
  const over = overCommitReason(pool.groupId, capacity, allocated, reservedResources(pool));
  if (over !== undefined) throw new PoolOverCommitError(`${over}; ${what} not written`);
};

/**
 * In-memory StateStore with the same guarantees as the DynamoDB adapter: a reservation is all-or-nothing
 * on every dimension against capacity − allocations − reservations, idempotent on its id; releases are
 * idempotent; processed event ids are remembered for PROCESSED_EVENT_TTL_SECONDS. The ledger arithmetic
 * is the core's own (lambda/core/pool/resource-pool.ts: amounts on the 1/1024 grid, exact comparison),
 * so the fake and the planner can never disagree about what fits.
 *
 * Values are copied in and out (structuredClone) so a caller mutating what it got back cannot change
 * the store behind its back — the same isolation a real table gives (profiles and forecasts may be shared
 * instead: see InMemoryStateStoreOptions.learned).
 */
export class InMemoryStateStore implements StateStore {
  readonly log: CallLog<StateStoreOperation>;
  private readonly pools = new Map<GroupId, ResourcePool>();
  private readonly profiles = new Map<InstanceId, BehaviourProfile>();
  private readonly forecasts = new Map<InstanceId, Forecast>();
  private readonly requests = new Map<string, StoredRequest>();
  /** event id → epoch ms after which the mark has expired (DynamoDB TTL). */
  private readonly processed = new Map<string, number>();
  /** group → `<type>@<az>` → the pool's signal history and the event id it last counted. */
  private readonly signals = new Map<GroupId, Map<string, PoolSignalHistory & { readonly lastEventId: string }>>();

  /** group → its warm-pool writer item (the DynamoDB item WARMPOOL: the lease and the queued raises). */
  private readonly warmPoolWriters = new Map<GroupId, { holder?: string; until?: number; raises: number }>();
  /** `<group>\0<instance>` → its claim (the DynamoDB item WARMCLAIM#<instance>). */
  private readonly warmClaims = new Map<string, WarmClaim>();

  /** Learned restart cycles by `<group>\0<restartedAt>\0<instance>` (the DynamoDB item's key: a rewrite replaces). */
  private readonly cycles = new Map<string, LearnedCycle>();

  /** How profiles and forecasts go in and out: a deep copy, or the value itself when they are shared. */
  private readonly copyLearned: <T>(value: T) => T;

  constructor(opts: InMemoryStateStoreOptions = {}) {
    this.log = new CallLog('stateStore', STATE_STORE_MUTATING, opts.journal);
    this.copyLearned = opts.learned === 'shared' ? (value) => value : (value) => structuredClone(value);
  }

  // --- seeding and inspection for tests and the simulator (not part of the port; not recorded) ---

  /** Puts a whole pool (capacity, allocations, reservations) as the starting state. */
  seedPool(pool: ResourcePool): void {
    this.pools.set(pool.groupId, structuredClone(pool));
  }

  seedProfiles(profiles: readonly BehaviourProfile[]): void {
    for (const p of profiles) this.profiles.set(p.instanceId, this.copyLearned(p));
  }

  seedForecasts(forecasts: readonly Forecast[]): void {
    for (const f of forecasts) this.forecasts.set(f.instanceId, this.copyLearned(f));
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
    const fresh = createPool(groupId, capacity);
    const existing = this.pools.get(groupId);
    if (existing !== undefined) refuseOverCommit(existing, fresh.capacity, allocatedResources(existing), 'capacity');
    this.pools.set(groupId, existing ? { ...existing, capacity: fresh.capacity, version: existing.version + 1 } : { ...fresh, version: 1 });
  }

  async putAllocations(groupId: GroupId, allocations: ReadonlyMap<InstanceId, Resources>): Promise<void> {
    this.log.record('putAllocations', [groupId, allocations]);
    const existing = this.pools.get(groupId);
    if (existing === undefined) {
      throw new Error(`recording allocations for group ${JSON.stringify(groupId)}: the group has no pool (put its capacity first)`);
    }
    // Allocations are measurements of use, rounded UP onto the grid.
    const rounded = new Map([...allocations].map(([id, r]) => [id, checkPoolResources(r, `allocation of ${id}`, 'up')] as const));
    refuseOverCommit(existing, existing.capacity, [...rounded.values()].reduce(addResources, ZERO_RESOURCES), 'allocations');
    this.pools.set(groupId, { ...existing, allocations: rounded, version: existing.version + 1 });
  }

  async reserve(reservation: Reservation): Promise<ReserveOutcome> {
    this.log.record('reserve', [reservation]);
    const pool = this.pools.get(reservation.groupId);
    // No pool means nothing is known about the group's capacity: fail closed, everything is short.
    if (pool === undefined) return { kind: 'refused', shortfall: { ...reservation.amount } };
    // The store sweeps before it admits, so a refusal is never caused by a reservation already dead.
    const swept = sweepPool(pool, reservation.createdAt).pool;
    // As the DynamoDB store: loans planned on an older pool than a lender now holds are refused, not thrown.
    if (!swept.reservations.has(reservation.id)) {
      const deficit = loanDeficit(swept, reservation.loans ?? []);
      if (!isZero(deficit)) return { kind: 'refused', shortfall: deficit };
    }
    const outcome = tryReserve(swept, reservation, reservation.createdAt);
    if (outcome.kind === 'refused') return { kind: 'refused', shortfall: outcome.shortfall };
    this.pools.set(pool.groupId, outcome.pool);
    return { kind: outcome.kind, reservation: structuredClone(outcome.reservation) };
  }

  async handOver(groupId: GroupId, id: ReservationId, instanceId: InstanceId): Promise<boolean> {
    this.log.record('handOver', [groupId, id, instanceId]);
    const pool = this.pools.get(groupId);
    if (pool === undefined) return false;
    const out = handOverInPool(pool, id, pool.version, instanceId);
    if (out.kind !== 'handed-over') return false;
    this.pools.set(groupId, out.pool);
    return true;
  }

  async release(groupId: GroupId, id: ReservationId): Promise<boolean> {
    this.log.record('release', [groupId, id]);
    const pool = this.pools.get(groupId);
    if (pool === undefined) return false;
    const out = releaseReservation(pool, id);
    this.pools.set(groupId, out.pool);
    return out.released;
  }

  async sweepExpired(groupId: GroupId, now: number): Promise<ReservationId[]> {
    this.log.record('sweepExpired', [groupId, now]);
    const pool = this.pools.get(groupId);
    if (pool === undefined) return [];
    const out = sweepPool(pool, now);
    this.pools.set(groupId, out.pool);
    return out.released;
  }

  async getProfiles(ids: readonly InstanceId[]): Promise<Map<InstanceId, BehaviourProfile>> {
    this.log.record('getProfiles', [ids]);
    const out = new Map<InstanceId, BehaviourProfile>();
    for (const id of ids) {
      const p = this.profiles.get(id);
      if (p !== undefined) out.set(id, this.copyLearned(p));
    }
    return out;
  }

  async putProfiles(profiles: readonly BehaviourProfile[]): Promise<void> {
    this.log.record('putProfiles', [profiles]);
    for (const p of profiles) this.profiles.set(p.instanceId, this.copyLearned(p));
  }

  async putCycles(cycles: readonly LearnedCycle[]): Promise<void> {
    this.log.record('putCycles', [cycles]);
    for (const c of cycles) {
      const key = Keys.cycle(c.groupId, c.restartedAt, c.instanceId);
      this.cycles.set(`${key.pk}\u0000${key.sk}`, structuredClone(c));
    }
  }

  async listCycles(groupId: GroupId, limit: number): Promise<LearnedCycle[]> {
    this.log.record('listCycles', [groupId, limit]);
    return [...this.cycles.values()]
      .filter((c) => c.groupId === groupId)
      .sort((a, b) => b.restartedAt - a.restartedAt || b.instanceId.localeCompare(a.instanceId))
      .slice(0, Math.max(0, limit))
      .map((c) => structuredClone(c));
  }

  async getForecasts(ids: readonly InstanceId[]): Promise<Map<InstanceId, Forecast>> {
    this.log.record('getForecasts', [ids]);
    const out = new Map<InstanceId, Forecast>();
    for (const id of ids) {
      const f = this.forecasts.get(id);
      if (f !== undefined) out.set(id, this.copyLearned(f));
    }
    return out;
  }

  async putForecasts(forecasts: readonly Forecast[]): Promise<void> {
    this.log.record('putForecasts', [forecasts]);
    for (const f of forecasts) this.forecasts.set(f.instanceId, this.copyLearned(f));
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
    return dueRequests(this.requests.values(), now).map(cloneRequest);
  }

  /** As the DynamoDB adapter: one counter update per signal, created at the first, a repeated last event id is not counted. */
  async recordPoolSignal(groupId: GroupId, signal: PoolSignal): Promise<boolean> {
    this.log.record('recordPoolSignal', [groupId, structuredClone(signal)]);
    const key = `${signal.instanceType}@${signal.availabilityZone}`;
    const pools = this.signals.get(groupId) ?? new Map<string, PoolSignalHistory & { readonly lastEventId: string }>();
    const current = pools.get(key);
    if (current?.lastEventId === signal.eventId) return false;
    const warning = signal.signal === 'spot-warning' ? 1 : 0;
    pools.set(key, {
      instanceType: signal.instanceType,
      availabilityZone: signal.availabilityZone,
      warnings: (current?.warnings ?? 0) + warning,
      rebalances: (current?.rebalances ?? 0) + 1 - warning,
      since: current?.since ?? signal.at,
      lastAt: signal.at,
      lastEventId: signal.eventId,
    });
    this.signals.set(groupId, pools);
    return true;
  }

  async getPoolSignals(groupId: GroupId): Promise<PoolSignalHistory[]> {
    this.log.record('getPoolSignals', [groupId]);
    return [...(this.signals.get(groupId)?.values() ?? [])]
      .map(({ lastEventId: _, ...history }) => history)
      .sort((a, b) =>
        a.instanceType < b.instanceType
          ? -1
          : a.instanceType > b.instanceType
            ? 1
            : a.availabilityZone < b.availabilityZone
              ? -1
              : a.availabilityZone > b.availabilityZone
                ? 1
                : 0,
      );
  }

  // The warm-pool writer item: each call is one conditional UpdateItem, atomic as DynamoDB's (no await inside).

  async queueWarmPoolRaise(groupId: GroupId, by: number): Promise<void> {
    this.log.record('queueWarmPoolRaise', [groupId, by]);
    if (!(Number.isInteger(by) && by > 0)) throw new RangeError(`queueing a warm-pool raise for group ${groupId}: by must be an integer > 0 (got ${by})`);
    const item = this.warmPoolWriters.get(groupId) ?? { raises: 0 };
    this.warmPoolWriters.set(groupId, { ...item, raises: item.raises + by });
  }

  async acquireWarmPoolLease(groupId: GroupId, holder: string, now: number, until: number): Promise<boolean> {
    this.log.record('acquireWarmPoolLease', [groupId, holder, now, until]);
    const item = this.warmPoolWriters.get(groupId) ?? { raises: 0 };
    // attribute_not_exists(holder) OR leaseUntil < :now
    if (item.holder !== undefined && !((item.until ?? 0) < now)) return false;
    this.warmPoolWriters.set(groupId, { ...item, holder, until });
    return true;
  }

  async takeWarmPoolRaises(groupId: GroupId, holder: string): Promise<number> {
    this.log.record('takeWarmPoolRaises', [groupId, holder]);
    const item = this.warmPoolWriters.get(groupId);
    if (item?.holder !== holder) return 0;
    this.warmPoolWriters.set(groupId, { ...item, raises: 0 });
    return item.raises;
  }

  async releaseWarmPoolLease(groupId: GroupId, holder: string): Promise<number> {
    this.log.record('releaseWarmPoolLease', [groupId, holder]);
    const item = this.warmPoolWriters.get(groupId);
    if (item?.holder !== holder) return 0;
    this.warmPoolWriters.set(groupId, { raises: item.raises });
    return item.raises;
  }

  // Warm claims: each call one conditional PutItem / DeleteItem or one Query, atomic as DynamoDB's (no await inside).

  async claimWarmInstance(claim: WarmClaim, now: number, supersedes?: InstanceId): Promise<boolean> {
    this.log.record('claimWarmInstance', supersedes === undefined ? [claim, now] : [claim, now, supersedes]);
    const key = `${claim.groupId}\0${claim.instanceId}`;
    const held = this.warmClaims.get(key);
    // attribute_not_exists(pk) OR claimUntil < :now OR victimId = :victim [OR victimId = :stale]
    if (held !== undefined && !(held.until < now) && held.victimId !== claim.victimId && held.victimId !== supersedes) return false;
    this.warmClaims.set(key, { ...claim });
    return true;
  }

  async releaseWarmClaim(groupId: GroupId, instanceId: InstanceId, victimId: InstanceId): Promise<void> {
    this.log.record('releaseWarmClaim', [groupId, instanceId, victimId]);
    const key = `${groupId}\0${instanceId}`;
    if (this.warmClaims.get(key)?.victimId === victimId) this.warmClaims.delete(key);
  }

  async getWarmClaims(groupId: GroupId, now: number): Promise<WarmClaim[]> {
    this.log.record('getWarmClaims', [groupId, now]);
    return [...this.warmClaims.values()].filter((c) => c.groupId === groupId && c.until > now).map((c) => ({ ...c }));
  }

  /** The group's warm-pool writer item as stored (tests and the simulator; not recorded). */
  warmPoolWriterSnapshot(groupId: GroupId): { readonly holder?: string; readonly until?: number; readonly raises: number } | undefined {
    const item = this.warmPoolWriters.get(groupId);
    return item === undefined ? undefined : { ...item };
  }

  async markEventProcessed(eventId: string, now: number): Promise<boolean> {
    this.log.record('markEventProcessed', [eventId, now]);
    const until = this.processed.get(eventId);
    if (until !== undefined && until > now) return false;
    this.processed.set(eventId, now + PROCESSED_EVENT_TTL_SECONDS * 1000);
    return true;
  }
}

InMemoryStateStore satisfies new (opts?: InMemoryStateStoreOptions) => StateStore;
