import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, BatchWriteCommand, DynamoDBDocumentClient, type BatchGetCommandInput, type BatchWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDbStateStore } from '../../lambda/adapters/dynamodb-state-store';
import type { Clock } from '../../lambda/ports/clock';
import type { StateStore } from '../../lambda/ports/state-store';
import type { InMemoryStateStore } from '../../lambda/sim/memory';

/**
 * A StateStore for the profiler benchmark: profiles and forecasts go through the REAL DynamoDbStateStore
 * (its storage codec, JSON bodies, BatchWriteItem by 25 and BatchGetItem by 100, item validation on
 * read) over a document client answered from a Map (aws-sdk-client-mock); pools, reservations, requests
 * and event marks stay in the in-memory fake, whose conditional-write semantics the profiler tick hardly
 * uses. So the tick pays what the Lambda pays to encode and decode 10,000 profiles, instead of the fake's
 * structuredClone, and the process does not hold every profile twice as live objects.
 *
 * The mock's call history is cleared after every call: sinon would otherwise keep every request and
 * response of the run alive and inflate the memory figure.
 */
export interface ProfileTableStore {
  readonly store: StateStore;
  readonly counts: { batchGet: number; batchWrite: number };
  /** UTF-8 bytes of the item bodies the stand-in table holds (memory this process spends on "DynamoDB"). */
  bytes(): number;
  restore(): void;
}

const TABLE = 'spotwise-bench';

export const createProfileTableStore = (memory: InMemoryStateStore, clock: Clock): ProfileTableStore => {
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } }));
  const mock = mockClient(doc);
  const table = new Map<string, Record<string, unknown>>();
  const counts = { batchGet: 0, batchWrite: 0 };
  // sinon refuses a reset while the stub runs: clear right after, once the call has returned.
  const clearHistorySoon = (): void => queueMicrotask(() => mock.resetHistory());
  const keyOf = (k: Record<string, unknown>): string => `${String(k.pk)}\u0000${String(k.sk)}`;

  mock.on(BatchWriteCommand).callsFake((input: BatchWriteCommandInput) => {
    clearHistorySoon();
    counts.batchWrite += 1;
    for (const r of input.RequestItems?.[TABLE] ?? []) {
      if (r.PutRequest?.Item !== undefined) table.set(keyOf(r.PutRequest.Item), r.PutRequest.Item);
    }
    return { UnprocessedItems: {} };
  });
  mock.on(BatchGetCommand).callsFake((input: BatchGetCommandInput) => {
    clearHistorySoon();
    counts.batchGet += 1;
    const keys = input.RequestItems?.[TABLE]?.Keys ?? [];
    const found = keys.flatMap((k) => {
      const item = table.get(keyOf(k));
      return item === undefined ? [] : [item];
    });
    return { Responses: { [TABLE]: found }, UnprocessedKeys: {} };
  });

  const dynamo = new DynamoDbStateStore(doc, { tableName: TABLE, clock });
  const store: StateStore = {
    getPool: (g) => memory.getPool(g),
    putPoolCapacity: (g, c) => memory.putPoolCapacity(g, c),
    putAllocations: (g, a) => memory.putAllocations(g, a),
    reserve: (r) => memory.reserve(r),
    release: (g, id) => memory.release(g, id),
    handOver: (g, id, instanceId) => memory.handOver(g, id, instanceId),
    sweepExpired: (g, now) => memory.sweepExpired(g, now),
    getProfiles: (ids) => dynamo.getProfiles(ids),
    putProfiles: (p) => dynamo.putProfiles(p),
    getForecasts: (ids) => dynamo.getForecasts(ids),
    putForecasts: (f) => dynamo.putForecasts(f),
    getRequest: (id) => memory.getRequest(id),
    putRequest: (r) => memory.putRequest(r),
    listDueRequests: (now) => memory.listDueRequests(now),
    markEventProcessed: (id, now) => memory.markEventProcessed(id, now),
    recordPoolSignal: (g, signal) => memory.recordPoolSignal(g, signal),
    getPoolSignals: (g) => memory.getPoolSignals(g),
    queueWarmPoolRaise: (g, by) => memory.queueWarmPoolRaise(g, by),
    acquireWarmPoolLease: (g, holder, now, until) => memory.acquireWarmPoolLease(g, holder, now, until),
    takeWarmPoolRaises: (g, holder) => memory.takeWarmPoolRaises(g, holder),
    releaseWarmPoolLease: (g, holder) => memory.releaseWarmPoolLease(g, holder),
    claimWarmInstance: (claim, now, supersedes) => memory.claimWarmInstance(claim, now, supersedes),
    releaseWarmClaim: (g, instance, victim) => memory.releaseWarmClaim(g, instance, victim),
    getWarmClaims: (g, now) => memory.getWarmClaims(g, now),
    putCycles: (c) => dynamo.putCycles(c),
    listCycles: (g, limit) => dynamo.listCycles(g, limit),
  };
  const bytes = (): number => [...table.values()].reduce((n, item) => n + (typeof item.body === 'string' ? Buffer.byteLength(item.body, 'utf8') : 0), 0);
  return { store, counts, bytes, restore: () => mock.restore() };
};
