import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, expect, it } from 'vitest';
import { createDynamoDbDocumentClient } from '../../lambda/adapters/aws-clients';
import { DynamoDbStateStore } from '../../lambda/adapters/dynamodb-state-store';
import { DynamoDbStatusReader } from '../../lambda/adapters/dynamodb-status-reader';
import { groupId } from '../../lambda/core/domain';
import { createSpotwiseTable } from './dynamodb-table';
import { describeWithMoto } from './moto';

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);

/**
 * The warm-pool writer item against DynamoDB's own condition and update expressions: one holder at a time, a lease
 * that ran out is taken over, ADD creates the queue, UPDATED_OLD / ALL_NEW answer the counts, and the item sits in
 * the group's partition without disturbing its pool.
 */
describeWithMoto('Warm-pool writer lease and raise queue in DynamoDB (moto, real HTTP)', (moto) => {
  let doc: DynamoDBDocumentClient;
  let store: DynamoDbStateStore;
  const table = 'spotwise-warm-pool-writer';

  beforeAll(async () => {
    await createSpotwiseTable(moto().clientOptions, table);
    doc = createDynamoDbDocumentClient(moto().clientOptions);
    store = new DynamoDbStateStore(doc, { tableName: table, clock: { now: () => NOW } });
  });

  it('one holder at a time; raises queued while it holds are taken once and answered at release', async () => {
    const web = groupId('web');
    await store.putPoolCapacity(web, { vcpu: 4, memoryGiB: 16, networkMbps: 1_000, diskIops: 2_000 });
    expect(await store.takeWarmPoolRaises(web, 'a')).toBe(0); // no item, no lease: nothing
    await store.queueWarmPoolRaise(web, 1);
    expect(await store.acquireWarmPoolLease(web, 'a', NOW, NOW + 60_000)).toBe(true);
    await store.queueWarmPoolRaise(web, 1);
    expect(await store.acquireWarmPoolLease(web, 'b', NOW + 1_000, NOW + 61_000)).toBe(false);
    expect(await store.takeWarmPoolRaises(web, 'b')).toBe(0);
    expect(await store.takeWarmPoolRaises(web, 'a')).toBe(2);
    expect(await store.takeWarmPoolRaises(web, 'a')).toBe(0);
    await store.queueWarmPoolRaise(web, 3);
    expect(await store.releaseWarmPoolLease(web, 'b')).toBe(0); // not b's to give up
    expect(await store.releaseWarmPoolLease(web, 'a')).toBe(3);
    expect(await store.acquireWarmPoolLease(web, 'b', NOW + 2_000, NOW + 62_000)).toBe(true);
    expect(await store.takeWarmPoolRaises(web, 'b')).toBe(3);
    // b's Lambda dies holding it: once its lease ran out, c takes over.
    expect(await store.acquireWarmPoolLease(web, 'c', NOW + 62_000, NOW + 122_000)).toBe(false);
    expect(await store.acquireWarmPoolLease(web, 'c', NOW + 62_001, NOW + 122_001)).toBe(true);
    expect(await store.releaseWarmPoolLease(web, 'b')).toBe(0);
    expect(await store.releaseWarmPoolLease(web, 'c')).toBe(0);
    expect((await store.getPool(web))?.reservations.size).toBe(0);
    // What `spotwise status` reads back: the group, the queue, the lease.
    await store.queueWarmPoolRaise(web, 2);
    expect(await store.acquireWarmPoolLease(web, 'd', NOW + 70_000, NOW + 130_000)).toBe(true);
    const snapshot = await new DynamoDbStatusReader(doc, table).readSnapshot();
    expect(snapshot.warmPoolWriters).toEqual([{ groupId: 'web', raises: 2, holder: 'd', leaseUntil: NOW + 130_000 }]);
    expect(snapshot.unreadable).toEqual([]);
  });
});
