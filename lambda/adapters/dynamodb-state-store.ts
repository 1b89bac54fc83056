import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type {
  BehaviourProfile,
  Forecast,
  GroupId,
  InstanceId,
  InterruptionRequest,
  LearnedCycle,
  PoolSignal,
  PoolSignalHistory,
  Reservation,
  ReservationId,
  ResourcePool,
  Resources,
  WarmClaim,
} from '../core/domain';
import type { ReserveOutcome, StateStore, StoredRequest } from '../ports/state-store';
import { DynamoDbEventDeduplication } from './dynamodb-event-dedup';
import { DynamoDbCycleStore } from './dynamodb-learning-store';
import { DynamoDbPoolLedger } from './dynamodb-pool-ledger';
import { DynamoDbPoolSignalStore } from './dynamodb-pool-signals';
import { DynamoDbProfileStore } from './dynamodb-profile-store';
import { DynamoDbRequestStore } from './dynamodb-request-store';
import type { DynamoDbTableOptions } from './dynamodb-table';
import { DynamoDbWarmClaimStore } from './dynamodb-warm-claims';
import { DynamoDbWarmPoolWriterStore } from './dynamodb-warm-pool-writer';

export { PoolOverCommitError, DynamoDbPoolLedger } from './dynamodb-pool-ledger';
export { BATCH_GET_SIZE, BATCH_WRITE_SIZE, DynamoDbProfileStore } from './dynamodb-profile-store';
export { DynamoDbRequestStore } from './dynamodb-request-store';
export { DynamoDbPoolSignalStore } from './dynamodb-pool-signals';
export { DynamoDbWarmPoolWriterStore } from './dynamodb-warm-pool-writer';
export { DynamoDbWarmClaimStore } from './dynamodb-warm-claims';
export { DynamoDbEventDeduplication } from './dynamodb-event-dedup';
export { DynamoDbCycleStore, DynamoDbModelStore } from './dynamodb-learning-store';
export type { DynamoDbTableOptions } from './dynamodb-table';

export type DynamoDbStateStoreOptions = DynamoDbTableOptions;

/**
 * StateStore on one DynamoDB table (DESIGN.md §5; keys in lambda/contracts/table.ts): the adapter of each
 * capability, on the same client and table, behind the one port the handlers are given. Code that needs only some
 * capabilities can take the adapter of each instead (DynamoDbPoolLedger, DynamoDbProfileStore — profiles and
 * forecasts —, DynamoDbRequestStore, DynamoDbPoolSignalStore, DynamoDbWarmPoolWriterStore, DynamoDbWarmClaimStore, DynamoDbEventDeduplication).
 */
export class DynamoDbStateStore implements StateStore {
  private readonly ledger: DynamoDbPoolLedger;
  private readonly profiles: DynamoDbProfileStore;
  private readonly requests: DynamoDbRequestStore;
  private readonly signals: DynamoDbPoolSignalStore;
  private readonly warmPoolWriter: DynamoDbWarmPoolWriterStore;
  private readonly warmClaims: DynamoDbWarmClaimStore;
  private readonly events: DynamoDbEventDeduplication;
  private readonly cycles: DynamoDbCycleStore;

  constructor(client: DynamoDBDocumentClient, options: DynamoDbStateStoreOptions) {
    this.ledger = new DynamoDbPoolLedger(client, options);
    this.profiles = new DynamoDbProfileStore(client, options);
    this.requests = new DynamoDbRequestStore(client, options);
    this.signals = new DynamoDbPoolSignalStore(client, options);
    this.warmPoolWriter = new DynamoDbWarmPoolWriterStore(client, options);
    this.warmClaims = new DynamoDbWarmClaimStore(client, options);
    this.events = new DynamoDbEventDeduplication(client, options);
    this.cycles = new DynamoDbCycleStore(client, options);
  }

  getPool(groupId: GroupId): Promise<ResourcePool | undefined> {
    return this.ledger.getPool(groupId);
  }

  putPoolCapacity(groupId: GroupId, capacity: Resources): Promise<void> {
    return this.ledger.putPoolCapacity(groupId, capacity);
  }

  putAllocations(groupId: GroupId, allocations: ReadonlyMap<InstanceId, Resources>): Promise<void> {
    return this.ledger.putAllocations(groupId, allocations);
  }

  reserve(reservation: Reservation): Promise<ReserveOutcome> {
    return this.ledger.reserve(reservation);
  }

  release(groupId: GroupId, id: ReservationId): Promise<boolean> {
    return this.ledger.release(groupId, id);
  }

  handOver(groupId: GroupId, id: ReservationId, instanceId: InstanceId): Promise<boolean> {
    return this.ledger.handOver(groupId, id, instanceId);
  }

  sweepExpired(groupId: GroupId, now: number): Promise<ReservationId[]> {
    return this.ledger.sweepExpired(groupId, now);
  }

  getProfiles(ids: readonly InstanceId[]): Promise<Map<InstanceId, BehaviourProfile>> {
    return this.profiles.getProfiles(ids);
  }

  putProfiles(profiles: readonly BehaviourProfile[]): Promise<void> {
    return this.profiles.putProfiles(profiles);
  }

  getForecasts(ids: readonly InstanceId[]): Promise<Map<InstanceId, Forecast>> {
    return this.profiles.getForecasts(ids);
  }

  putForecasts(forecasts: readonly Forecast[]): Promise<void> {
    return this.profiles.putForecasts(forecasts);
  }

  getRequest(id: InterruptionRequest['requestId']): Promise<StoredRequest | undefined> {
    return this.requests.getRequest(id);
  }

  putRequest(request: StoredRequest): Promise<void> {
    return this.requests.putRequest(request);
  }

  listDueRequests(now: number): Promise<StoredRequest[]> {
    return this.requests.listDueRequests(now);
  }

  recordPoolSignal(groupId: GroupId, signal: PoolSignal): Promise<boolean> {
    return this.signals.recordPoolSignal(groupId, signal);
  }

  getPoolSignals(groupId: GroupId): Promise<PoolSignalHistory[]> {
    return this.signals.getPoolSignals(groupId);
  }

  queueWarmPoolRaise(groupId: GroupId, by: number): Promise<void> {
    return this.warmPoolWriter.queueWarmPoolRaise(groupId, by);
  }

  acquireWarmPoolLease(groupId: GroupId, holder: string, now: number, until: number): Promise<boolean> {
    return this.warmPoolWriter.acquireWarmPoolLease(groupId, holder, now, until);
  }

  takeWarmPoolRaises(groupId: GroupId, holder: string): Promise<number> {
    return this.warmPoolWriter.takeWarmPoolRaises(groupId, holder);
  }

  releaseWarmPoolLease(groupId: GroupId, holder: string): Promise<number> {
    return this.warmPoolWriter.releaseWarmPoolLease(groupId, holder);
  }

  claimWarmInstance(claim: WarmClaim, now: number, supersedes?: InstanceId): Promise<boolean> {
    return this.warmClaims.claimWarmInstance(claim, now, supersedes);
  }

  releaseWarmClaim(groupId: GroupId, instanceId: InstanceId, victimId: InstanceId): Promise<void> {
    return this.warmClaims.releaseWarmClaim(groupId, instanceId, victimId);
  }

  getWarmClaims(groupId: GroupId, now: number): Promise<WarmClaim[]> {
    return this.warmClaims.getWarmClaims(groupId, now);
  }

  markEventProcessed(eventId: string, now: number): Promise<boolean> {
    return this.events.markEventProcessed(eventId, now);
  }

  putCycles(cycles: readonly LearnedCycle[]): Promise<void> {
    return this.cycles.putCycles(cycles);
  }

  listCycles(groupId: GroupId, limit: number): Promise<LearnedCycle[]> {
    return this.cycles.listCycles(groupId, limit);
  }
}
