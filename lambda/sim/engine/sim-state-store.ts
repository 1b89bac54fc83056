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
} from '../../core/domain';
import type { ReserveOutcome, StateStore, StoredRequest } from '../../ports/state-store';
import { InMemoryStateStore } from '../memory';

/**
 * The state store the simulated spotwise uses: the in-memory fake for pools, reservations, requests and
 * processed events (its ledger semantics are the DynamoDB adapter's), with profiles and forecasts kept
 * by reference instead of deep-copied on every read and write. Profiles and forecasts are immutable values
 * made by the pure core (every update returns a new object), so sharing them is safe; copying them was
 * two thirds of a 48-hour run (every profile is read and written on each of ~1,700 profiler ticks).
 */
export class SimStateStore implements StateStore {
  readonly inner = new InMemoryStateStore();
  private readonly profiles = new Map<InstanceId, BehaviourProfile>();
  private readonly forecasts = new Map<InstanceId, Forecast>();

  seedPool(pool: ResourcePool): void {
    this.inner.seedPool(pool);
  }

  poolSnapshot(groupId: GroupId): ResourcePool | undefined {
    return this.inner.poolSnapshot(groupId);
  }

  getPool(groupId: GroupId): Promise<ResourcePool | undefined> {
    return this.inner.getPool(groupId);
  }

  putPoolCapacity(groupId: GroupId, capacity: Resources): Promise<void> {
    return this.inner.putPoolCapacity(groupId, capacity);
  }

  putAllocations(groupId: GroupId, allocations: ReadonlyMap<InstanceId, Resources>): Promise<void> {
    return this.inner.putAllocations(groupId, allocations);
  }

  reserve(reservation: Reservation): Promise<ReserveOutcome> {
    return this.inner.reserve(reservation);
  }

  release(groupId: GroupId, id: ReservationId): Promise<boolean> {
    return this.inner.release(groupId, id);
  }

  handOver(groupId: GroupId, id: ReservationId, instanceId: InstanceId): Promise<boolean> {
    return this.inner.handOver(groupId, id, instanceId);
  }

  sweepExpired(groupId: GroupId, now: number): Promise<ReservationId[]> {
    return this.inner.sweepExpired(groupId, now);
  }

  async getProfiles(ids: readonly InstanceId[]): Promise<Map<InstanceId, BehaviourProfile>> {
    const out = new Map<InstanceId, BehaviourProfile>();
    for (const id of ids) {
      const p = this.profiles.get(id);
      if (p !== undefined) out.set(id, p);
    }
    return out;
  }

  async putProfiles(profiles: readonly BehaviourProfile[]): Promise<void> {
    for (const p of profiles) this.profiles.set(p.instanceId, p);
  }

  async getForecasts(ids: readonly InstanceId[]): Promise<Map<InstanceId, Forecast>> {
    const out = new Map<InstanceId, Forecast>();
    for (const id of ids) {
      const f = this.forecasts.get(id);
      if (f !== undefined) out.set(id, f);
    }
    return out;
  }

  async putForecasts(forecasts: readonly Forecast[]): Promise<void> {
    for (const f of forecasts) this.forecasts.set(f.instanceId, f);
  }

  /** Drops what a terminated instance left (DynamoDB would expire it with a TTL). */
  forget(id: InstanceId): void {
    this.profiles.delete(id);
    this.forecasts.delete(id);
  }

  getRequest(id: InterruptionRequest['requestId']): Promise<StoredRequest | undefined> {
    return this.inner.getRequest(id);
  }

  putRequest(request: StoredRequest): Promise<void> {
    return this.inner.putRequest(request);
  }

  listDueRequests(now: number): Promise<StoredRequest[]> {
    return this.inner.listDueRequests(now);
  }

  allRequests(): StoredRequest[] {
    return this.inner.allRequests();
  }

  recordPoolSignal(groupId: GroupId, signal: PoolSignal): Promise<boolean> {
    return this.inner.recordPoolSignal(groupId, signal);
  }

  getPoolSignals(groupId: GroupId): Promise<PoolSignalHistory[]> {
    return this.inner.getPoolSignals(groupId);
  }

  markEventProcessed(eventId: string, now: number): Promise<boolean> {
    return this.inner.markEventProcessed(eventId, now);
  }
}

SimStateStore satisfies new () => StateStore;
