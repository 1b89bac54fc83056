import { type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, expect, it } from 'vitest';
import { createDynamoDbDocumentClient } from '../../lambda/adapters/aws-clients';
import { DynamoDbStateStore } from '../../lambda/adapters/dynamodb-state-store';
import { groupId, instanceId, type PoolSignal } from '../../lambda/core/domain';
import { createSpotwiseTable } from './dynamodb-table';
import { describeWithMoto } from './moto';

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const signal = (kind: PoolSignal['signal'], eventId: string, at: number, az = 'us-east-1a'): PoolSignal => ({
  instanceType: 'm5.large',
  availabilityZone: az,
  signal: kind,
  instanceId: instanceId('i-0123456789abcdef0'),
  eventId,
  at,
});

/**
 * The pool signal counters against DynamoDB's own update and condition expressions: ADD creates the item and
 * each counter at its first use, if_not_exists keeps the first signal's time, the condition refuses the event id
 * counted last, and the Query reads back only the group's signal items (not its pool or reservations).
 */
describeWithMoto('Spot pool signal counters in DynamoDB (moto, real HTTP)', (moto) => {
  let doc: DynamoDBDocumentClient;
  let store: DynamoDbStateStore;
  const table = 'spotwise-pool-signals';

  beforeAll(async () => {
    await createSpotwiseTable(moto().clientOptions, table);
    doc = createDynamoDbDocumentClient(moto().clientOptions);
    store = new DynamoDbStateStore(doc, { tableName: table, clock: { now: () => NOW } });
  });

  it('count per pool, keep the first time, refuse a repeat of the last event, and read back apart from the ledger', async () => {
    const web = groupId('web');
    await store.putPoolCapacity(web, { vcpu: 4, memoryGiB: 16, networkMbps: 1_000, diskIops: 2_000 });
    expect(await store.getPoolSignals(web)).toEqual([]);
    expect(await store.recordPoolSignal(web, signal('rebalance-recommendation', 'rb-1', NOW))).toBe(true);
    expect(await store.getPoolSignals(web)).toEqual([
      { instanceType: 'm5.large', availabilityZone: 'us-east-1a', warnings: 0, rebalances: 1, since: NOW, lastAt: NOW },
    ]);
    expect(await store.recordPoolSignal(web, signal('spot-warning', 'w-1', NOW + 60_000))).toBe(true);
    expect(await store.recordPoolSignal(web, signal('spot-warning', 'w-1', NOW + 60_000))).toBe(false);
    expect(await store.recordPoolSignal(web, signal('spot-warning', 'w-2', NOW + 120_000))).toBe(true);
    expect(await store.recordPoolSignal(web, signal('spot-warning', 'w-3', NOW, 'us-east-1b'))).toBe(true);
    expect(await store.recordPoolSignal(groupId('api'), signal('spot-warning', 'w-4', NOW))).toBe(true);
    const read = await store.getPoolSignals(web);
    expect([...read].sort((a, b) => a.availabilityZone.localeCompare(b.availabilityZone))).toEqual([
      { instanceType: 'm5.large', availabilityZone: 'us-east-1a', warnings: 2, rebalances: 1, since: NOW, lastAt: NOW + 120_000 },
      { instanceType: 'm5.large', availabilityZone: 'us-east-1b', warnings: 1, rebalances: 0, since: NOW, lastAt: NOW },
    ]);
    // The pool item and its ledger are untouched by the counters in their partition.
    expect((await store.getPool(web))?.reservations.size).toBe(0);
  });
});
