import 'aws-sdk-client-mock-vitest/extend';
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  ProvisionedThroughputExceededException,
  RequestLimitExceeded,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbStateStore, PoolOverCommitError } from '../../lambda/adapters/dynamodb-state-store';
import { unpackAllocations } from '../../lambda/adapters/dynamodb-items';
import { AwsCallError, NotFoundError, ThrottledError } from '../../lambda/adapters/errors';
import { Keys } from '../../lambda/contracts/table';
import { groupId, instanceId, requestId, reservationId, type Forecast, type Reservation, type Resources } from '../../lambda/core/domain';
import type { StoredRequest } from '../../lambda/ports/state-store';
import { meta } from './aws-errors';

const ddb = mockClient(DynamoDBDocumentClient);
afterAll(() => ddb.restore());
const TABLE = 'spotwise';
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const noSleep = { baseMs: 1, capMs: 1, random: () => 0, sleep: async () => undefined };
const store = (maxAttempts = 4) =>
  new DynamoDbStateStore(DynamoDBDocumentClient.from(new DynamoDBClient({})), { tableName: TABLE, clock: { now: () => NOW }, maxAttempts, backoff: noSleep });

const amount: Resources = { vcpu: 2, memoryGiB: 4.5, networkMbps: 100, diskIops: 300 };
const reservation: Reservation = {
  id: reservationId('evt-1:i-1'),
  groupId: groupId('web'),
  instanceId: instanceId('i-1'),
  amount,
  createdAt: NOW,
  expiresAt: NOW + 3_600_000,
  reason: 'spot interruption warning',
  priority: 60,
};

const poolItem = (free: Resources, version = 7) => ({
  ...Keys.pool('web'),
  kind: 'pool',
  groupId: 'web',
  capacity: { vcpu: 16, memoryGiB: 64, networkMbps: 1000, diskIops: 3000 },
  allocations: { 'i-9': { vcpu: 4, memoryGiB: 8, networkMbps: 100, diskIops: 100 } },
  version,
  free_vcpu: free.vcpu,
  free_memoryGiB: free.memoryGiB,
  free_networkMbps: free.networkMbps,
  free_diskIops: free.diskIops,
  reserved_vcpu: 0,
  reserved_memoryGiB: 0,
  reserved_networkMbps: 0,
  reserved_diskIops: 0,
  allocated_vcpu: 4,
  allocated_memoryGiB: 8,
  allocated_networkMbps: 100,
  allocated_diskIops: 100,
});

const reservationItem = (r: Reservation) => ({
  ...Keys.reservation(r.groupId, r.id),
  kind: 'reservation',
  reservationId: r.id,
  groupId: r.groupId,
  instanceId: r.instanceId,
  amount: r.amount,
  createdAt: r.createdAt,
  reservationExpiresAt: r.expiresAt,
  reason: r.reason,
  priority: r.priority,
});

const cancelled = (...codes: string[]) =>
  new TransactionCanceledException({
    message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes.join(', ')}]`,
    $metadata: meta(),
    CancellationReasons: codes.map((Code) => ({ Code })),
  });

beforeEach(() => {
  ddb.reset();
});

describe('DynamoDbStateStore.reserve', () => {
  it('is ONE TransactWriteItems: put the reservation if absent, update the pool with a condition on every dimension', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    expect(await store().reserve(reservation)).toEqual({ kind: 'reserved', reservation });
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 1);
    expect(ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input).toEqual({
      TransactItems: [
        {
          Put: {
            TableName: TABLE,
            Item: reservationItem(reservation),
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': 'pk' },
          },
        },
        {
          Update: {
            TableName: TABLE,
            Key: { pk: 'GROUP#web', sk: 'POOL' },
            UpdateExpression:
              'SET #free_vcpu = #free_vcpu - :vcpu, #reserved_vcpu = #reserved_vcpu + :vcpu, #free_memoryGiB = #free_memoryGiB - :memoryGiB, #reserved_memoryGiB = #reserved_memoryGiB + :memoryGiB, #free_networkMbps = #free_networkMbps - :networkMbps, #reserved_networkMbps = #reserved_networkMbps + :networkMbps, #free_diskIops = #free_diskIops - :diskIops, #reserved_diskIops = #reserved_diskIops + :diskIops, #version = #version + :one',
            ConditionExpression:
              'attribute_exists(#pk) AND #free_vcpu >= :vcpu AND #free_memoryGiB >= :memoryGiB AND #free_networkMbps >= :networkMbps AND #free_diskIops >= :diskIops',
            ExpressionAttributeNames: {
              '#pk': 'pk',
              '#version': 'version',
              '#free_vcpu': 'free_vcpu',
              '#reserved_vcpu': 'reserved_vcpu',
              '#free_memoryGiB': 'free_memoryGiB',
              '#reserved_memoryGiB': 'reserved_memoryGiB',
              '#free_networkMbps': 'free_networkMbps',
              '#reserved_networkMbps': 'reserved_networkMbps',
              '#free_diskIops': 'free_diskIops',
              '#reserved_diskIops': 'reserved_diskIops',
            },
            ExpressionAttributeValues: { ':vcpu': 2, ':memoryGiB': 4.5, ':networkMbps': 100, ':diskIops': 300, ':one': 1 },
          },
        },
      ],
    });
  });

  it('rounds amounts UP onto the pool grid (never under-reserve)', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    const outcome = await store().reserve({ ...reservation, amount: { vcpu: 0.1, memoryGiB: 1, networkMbps: 0, diskIops: 0 } });
    expect(outcome.kind === 'reserved' && outcome.reservation.amount.vcpu).toBe(103 / 1024);
  });

  it('reads CancellationReasons: the put failed → already reserved (idempotent success with the stored reservation)', async () => {
    const stored = { ...reservation, reason: 'first delivery' };
    ddb.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None'));
    ddb.on(GetCommand, { Key: Keys.reservation('web', reservation.id) }).resolves({ Item: reservationItem(stored) });
    expect(await store().reserve(reservation)).toEqual({ kind: 'already-reserved', reservation: stored });
    expect(ddb).toHaveReceivedCommandWith(GetCommand, { TableName: TABLE, Key: Keys.reservation('web', reservation.id), ConsistentRead: true });
  });

  it('reads CancellationReasons: the pool condition failed → refused with the shortfall from a fresh consistent read', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled('None', 'ConditionalCheckFailed'));
    ddb.on(GetCommand, { Key: Keys.pool('web') }).resolves({ Item: poolItem({ vcpu: 1.5, memoryGiB: 10, networkMbps: 40, diskIops: 3000 }) });
    ddb.on(QueryCommand).resolves({ Items: [] }); // the sweep finds nothing expired
    expect(await store().reserve(reservation)).toEqual({ kind: 'refused', shortfall: { vcpu: 0.5, memoryGiB: 0, networkMbps: 60, diskIops: 0 } });
    expect(ddb).toHaveReceivedCommandWith(GetCommand, { TableName: TABLE, Key: Keys.pool('web'), ConsistentRead: true });
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 1);
  });

  it('refuses everything when the group has no pool (fail closed)', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled('None', 'ConditionalCheckFailed'));
    ddb.on(GetCommand).resolves({});
    expect(await store().reserve(reservation)).toEqual({ kind: 'refused', shortfall: amount });
  });

  it('sweeps expired reservations once before refusing, then retries', async () => {
    const expired = { ...reservation, id: reservationId('old'), expiresAt: NOW - 1 };
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled('None', 'ConditionalCheckFailed')) // the reservation
      .resolvesOnce({}) // releasing the expired one
      .resolvesOnce({}); // the reservation again
    ddb.on(GetCommand, { Key: Keys.pool('web') }).resolves({ Item: poolItem({ vcpu: 0, memoryGiB: 0, networkMbps: 0, diskIops: 0 }) });
    ddb.on(GetCommand, { Key: Keys.reservation('web', 'old') }).resolves({ Item: reservationItem(expired) });
    ddb.on(QueryCommand).resolves({ Items: [reservationItem(expired)] });
    expect(await store().reserve(reservation)).toEqual({ kind: 'reserved', reservation });
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 3);
    expect(ddb.commandCalls(TransactWriteCommand)[1]?.args[0].input.TransactItems?.[0]?.Delete?.Key).toEqual(Keys.reservation('web', 'old'));
  });

  it('retries a TransactionConflict with backoff, and gives up typed after the attempts', async () => {
    ddb.on(TransactWriteCommand).rejectsOnce(cancelled('TransactionConflict', 'None')).resolves({});
    expect((await store().reserve(reservation)).kind).toBe('reserved');
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 2);

    ddb.reset();
    ddb.on(TransactWriteCommand).rejects(cancelled('None', 'TransactionConflict'));
    const call = store(3).reserve(reservation);
    await expect(call).rejects.toBeInstanceOf(ThrottledError);
    await expect(call).rejects.toThrow(
      'reserving capacity for i-1 in group web (reservation evt-1:i-1): the pool stayed contended for 3 attempts; retry later',
    );
  });

  it.each([
    ['a ThrottlingError cancellation reason', cancelled('None', 'ThrottlingError'), ThrottledError],
    ['ProvisionedThroughputExceededException', new ProvisionedThroughputExceededException({ message: 'rcu', $metadata: meta() }), ThrottledError],
    ['RequestLimitExceeded', new RequestLimitExceeded({ message: 'account', $metadata: meta() }), ThrottledError],
    ['a ValidationError cancellation reason', cancelled('ValidationError', 'None'), AwsCallError],
  ])('translates %s', async (_label, error, expected) => {
    ddb.on(TransactWriteCommand).rejects(error);
    const call = store().reserve(reservation);
    await expect(call).rejects.toBeInstanceOf(expected);
    await expect(call).rejects.toThrow(/^reserving capacity for i-1 in group web \(reservation evt-1:i-1\): /);
  });

  // The rules are the core's (validateReservation); the message names this operation, the field and the value.
  const reserving = 'reserving capacity for i-1 in group web (reservation evt-1:i-1)';
  it.each<[Partial<Reservation>, string]>([
    [{ amount: { ...amount, vcpu: Number.NaN } }, `${reserving}: reservation evt-1:i-1 amount: vcpu must be a finite number ≥ 0 (got NaN)`],
    [{ amount: { ...amount, diskIops: -1 } }, `${reserving}: reservation evt-1:i-1 amount: diskIops must be a finite number ≥ 0 (got -1)`],
    [
      { amount: { ...amount, memoryGiB: 2 ** 41 } },
      `${reserving}: reservation evt-1:i-1 amount.memoryGiB: expected a finite number between 0 and 1099511627776, got 2199023255552`,
    ],
    [{ expiresAt: NOW }, `${reserving}: expiresAt must be a time after createdAt ${NOW} (got ${NOW})`],
    [{ createdAt: Number.NaN }, `${reserving}: createdAt must be a finite epoch-millisecond time (got NaN)`],
    [{ priority: Number.NaN }, `${reserving}: priority must be a finite number (got NaN)`],
    [{ instanceId: instanceId('') }, 'reserving capacity for  in group web (reservation evt-1:i-1): instanceId must be a non-empty instance id (got "")'],
    [{ id: reservationId('') }, 'reserving capacity for i-1 in group web (reservation ): id must be a non-empty id (got "")'],
  ])('rejects an invalid reservation before any call: %j', async (change, message) => {
    const call = store().reserve({ ...reservation, ...change });
    await expect(call).rejects.toThrow(message);
    await expect(call).rejects.toBeInstanceOf(RangeError);
    expect(ddb.calls()).toHaveLength(0);
  });
});

describe('DynamoDbStateStore.release', () => {
  it('reads the reservation, then deletes it and returns its amount to the pool in one transaction', async () => {
    ddb.on(GetCommand).resolves({ Item: reservationItem(reservation) });
    ddb.on(TransactWriteCommand).resolves({});
    expect(await store().release(groupId('web'), reservation.id)).toBe(true);
    const items = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems;
    expect(items?.[0]).toEqual({
      Delete: {
        TableName: TABLE,
        Key: Keys.reservation('web', reservation.id),
        ConditionExpression: 'attribute_exists(#pk)',
        ExpressionAttributeNames: { '#pk': 'pk' },
      },
    });
    expect(items?.[1]?.Update).toMatchObject({
      Key: Keys.pool('web'),
      UpdateExpression: expect.stringContaining('#free_vcpu = #free_vcpu + :vcpu, #reserved_vcpu = #reserved_vcpu - :vcpu'),
      ConditionExpression: 'attribute_exists(#pk)',
      ExpressionAttributeValues: { ':vcpu': 2, ':memoryGiB': 4.5, ':networkMbps': 100, ':diskIops': 300, ':one': 1 },
    });
  });

  it('is idempotent: an unknown reservation is false without a write; losing the race is false', async () => {
    ddb.on(GetCommand).resolves({});
    expect(await store().release(groupId('web'), reservation.id)).toBe(false);
    expect(ddb).not.toHaveReceivedCommand(TransactWriteCommand);

    ddb.reset();
    ddb.on(GetCommand).resolves({ Item: reservationItem(reservation) });
    ddb.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None'));
    expect(await store().release(groupId('web'), reservation.id)).toBe(false);
  });

  it('reports a reservation without a pool item', async () => {
    ddb.on(GetCommand).resolves({ Item: reservationItem(reservation) });
    ddb.on(TransactWriteCommand).rejects(cancelled('None', 'ConditionalCheckFailed'));
    await expect(store().release(groupId('web'), reservation.id)).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('DynamoDbStateStore.handOver', () => {
  const held = { ...reservation, instanceId: instanceId('i-9'), amount: { vcpu: 6, memoryGiB: 4, networkMbps: 100, diskIops: 300 } };

  it('is ONE TransactWriteItems: delete the reservation if it exists, set the allocation to max(current, reserved) and move the counters under the version read', async () => {
    ddb.on(GetCommand, { Key: Keys.reservation('web', held.id) }).resolves({ Item: reservationItem(held) });
    ddb.on(GetCommand, { Key: Keys.pool('web') }).resolves({
      Item: {
        ...poolItem({ vcpu: 6, memoryGiB: 52, networkMbps: 800, diskIops: 2600 }),
        reserved_vcpu: 6,
        reserved_memoryGiB: 4,
        reserved_networkMbps: 100,
        reserved_diskIops: 300,
      },
    });
    ddb.on(TransactWriteCommand).resolves({});
    expect(await store().handOver(groupId('web'), held.id, instanceId('i-9'))).toBe(true);
    const items = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems;
    expect(items?.[0]).toEqual({
      Delete: {
        TableName: TABLE,
        Key: Keys.reservation('web', held.id),
        ConditionExpression: 'attribute_exists(#pk)',
        ExpressionAttributeNames: { '#pk': 'pk' },
      },
    });
    const update = items?.[1]?.Update;
    expect(update).toMatchObject({ TableName: TABLE, Key: Keys.pool('web'), ConditionExpression: 'attribute_exists(#pk) AND #version = :expected' });
    // The allocations are one packed attribute, rewritten whole (the stored map of an earlier release is read as it is).
    expect(update?.UpdateExpression).toContain('#allocations = :allocations');
    expect(update?.UpdateExpression).toContain(
      '#free_vcpu = #free_vcpu + :free_vcpu, #reserved_vcpu = #reserved_vcpu - :reserved_vcpu, #allocated_vcpu = #allocated_vcpu + :allocated_vcpu',
    );
    expect(update?.ExpressionAttributeNames).toMatchObject({ '#allocations': 'allocations', '#version': 'version' });
    // i-9 held 4 vCPU / 8 GiB; the reservation was 6 vCPU / 4 GiB: the allocation becomes 6 / 8 (grows 2 / 0),
    // so free gains back 6 − 2 = 4 vCPU and 4 − 0 = 4 GiB — never less than before.
    expect(update?.ExpressionAttributeValues).toMatchObject({
      ':expected': 7,
      ':one': 1,
      ':free_vcpu': 4,
      ':reserved_vcpu': 6,
      ':allocated_vcpu': 2,
      ':free_memoryGiB': 4,
      ':reserved_memoryGiB': 4,
      ':allocated_memoryGiB': 0,
    });
    expect(unpackAllocations(update?.ExpressionAttributeValues?.[':allocations'] as Uint8Array, groupId('web'))).toEqual({
      'i-9': { vcpu: 6, memoryGiB: 8, networkMbps: 100, diskIops: 300 },
    });
  });

  it('is false without a write when nothing is held, and false when a concurrent hand-over deleted it first; retries when the pool moved', async () => {
    ddb.on(GetCommand).resolves({});
    expect(await store().handOver(groupId('web'), held.id, instanceId('i-9'))).toBe(false);
    expect(ddb).not.toHaveReceivedCommand(TransactWriteCommand);

    ddb.reset();
    ddb.on(GetCommand, { Key: Keys.reservation('web', held.id) }).resolves({ Item: reservationItem(held) });
    ddb.on(GetCommand, { Key: Keys.pool('web') }).resolves({ Item: poolItem({ vcpu: 6, memoryGiB: 52, networkMbps: 800, diskIops: 2600 }) });
    ddb.on(TransactWriteCommand).rejectsOnce(cancelled('None', 'ConditionalCheckFailed')).rejectsOnce(cancelled('ConditionalCheckFailed', 'None'));
    expect(await store().handOver(groupId('web'), held.id, instanceId('i-9'))).toBe(false);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(2);
  });
});

describe('DynamoDbStateStore pool item', () => {
  it('creates a pool with free = capacity, conditioned on its absence', async () => {
    ddb.on(GetCommand).resolves({});
    ddb.on(PutCommand).resolves({});
    await store().putPoolCapacity(groupId('web'), { vcpu: 16, memoryGiB: 64, networkMbps: 1000, diskIops: 3000 });
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Item: {
        pk: 'GROUP#web',
        sk: 'POOL',
        kind: 'pool',
        groupId: 'web',
        capacity: { vcpu: 16, memoryGiB: 64, networkMbps: 1000, diskIops: 3000 },
        allocations: expect.any(Uint8Array),
        version: 1,
        free_vcpu: 16,
        reserved_vcpu: 0,
        allocated_vcpu: 0,
        free_memoryGiB: 64,
        reserved_memoryGiB: 0,
        allocated_memoryGiB: 0,
        free_networkMbps: 1000,
        reserved_networkMbps: 0,
        allocated_networkMbps: 0,
        free_diskIops: 3000,
        reserved_diskIops: 0,
        allocated_diskIops: 0,
      },
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': 'pk' },
    });
    expect(unpackAllocations(ddb.commandCalls(PutCommand)[0]?.args[0].input.Item?.allocations as Uint8Array, groupId('web'))).toEqual({});
  });

  it('recomputes free from capacity, allocations and reserved under a version condition, retrying when it moved', async () => {
    const item = {
      ...poolItem({ vcpu: 10, memoryGiB: 50, networkMbps: 800, diskIops: 2800 }),
      reserved_vcpu: 2,
      reserved_memoryGiB: 6,
      reserved_networkMbps: 100,
      reserved_diskIops: 100,
    };
    ddb
      .on(GetCommand)
      .resolvesOnce({ Item: item })
      .resolves({ Item: { ...item, version: 8 } });
    ddb
      .on(UpdateCommand)
      .rejectsOnce(new ConditionalCheckFailedException({ message: 'version moved', $metadata: meta() }))
      .resolves({});
    await store().putAllocations(groupId('web'), new Map([[instanceId('i-9'), { vcpu: 6, memoryGiB: 16, networkMbps: 200, diskIops: 400 }]]));
    const updates = ddb.commandCalls(UpdateCommand).map((c) => c.args[0].input);
    expect(updates).toHaveLength(2);
    expect(updates[1]).toMatchObject({
      Key: Keys.pool('web'),
      ConditionExpression: '#version = :expected',
      ExpressionAttributeValues: {
        ':expected': 8,
        ':allocated_vcpu': 6,
        ':free_vcpu': 16 - 6 - 2,
        ':free_memoryGiB': 64 - 16 - 6,
        ':free_networkMbps': 1000 - 200 - 100,
        ':free_diskIops': 3000 - 400 - 100,
      },
    });
    expect(unpackAllocations(updates[1]?.ExpressionAttributeValues?.[':allocations'] as Uint8Array, groupId('web'))).toEqual({
      'i-9': { vcpu: 6, memoryGiB: 16, networkMbps: 200, diskIops: 400 },
    });
  });

  it('never writes an over-committed pool: reservations committed since the allocations were planned leave no room', async () => {
    // capacity 16 vCPU; a reservation of 12 committed meanwhile; allocations of 6 would make free -2.
    const item = { ...poolItem({ vcpu: 4, memoryGiB: 50, networkMbps: 800, diskIops: 2800 }), reserved_vcpu: 12 };
    ddb.on(GetCommand).resolves({ Item: item });
    ddb.on(UpdateCommand).resolves({});
    const write = store().putAllocations(groupId('web'), new Map([[instanceId('i-9'), { vcpu: 6, memoryGiB: 16, networkMbps: 200, diskIops: 400 }]]));
    await expect(write).rejects.toBeInstanceOf(PoolOverCommitError);
    await expect(write).rejects.toThrow('pool of group web would be over-committed on vcpu (capacity 16, allocated 6, reserved 12); not written');
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('refuses allocations for a group without a pool', async () => {
    ddb.on(GetCommand).resolves({});
    await expect(store().putAllocations(groupId('nope'), new Map())).rejects.toBeInstanceOf(NotFoundError);
  });

  it('reads the pool and its ledger, re-reading when the version moved in between', async () => {
    const item = poolItem({ vcpu: 10, memoryGiB: 51.5, networkMbps: 800, diskIops: 2600 });
    ddb
      .on(GetCommand)
      .resolvesOnce({ Item: item })
      .resolvesOnce({ Item: { ...item, version: 8 } })
      .resolves({ Item: { ...item, version: 8 } });
    ddb.on(QueryCommand).resolves({ Items: [reservationItem(reservation)] });
    const pool = await store().getPool(groupId('web'));
    expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 2);
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeValues: { ':pk': 'GROUP#web', ':prefix': 'RES#' },
      ConsistentRead: true,
    });
    expect(pool).toEqual({
      groupId: 'web',
      capacity: { vcpu: 16, memoryGiB: 64, networkMbps: 1000, diskIops: 3000 },
      allocations: new Map([['i-9', { vcpu: 4, memoryGiB: 8, networkMbps: 100, diskIops: 100 }]]),
      reservations: new Map([[reservation.id, reservation]]),
      version: 8,
    });
  });
});

describe('DynamoDbStateStore processed events', () => {
  it('puts the event id with a TTL, conditioned on it being absent or expired', async () => {
    ddb.on(PutCommand).resolves({});
    expect(await store().markEventProcessed('evt-1', NOW)).toBe(true);
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Item: { pk: 'EVENT#evt-1', sk: 'EVENT', kind: 'processed-event', eventId: 'evt-1', processedAt: NOW, expiresAt: NOW / 1000 + 7 * 24 * 3600 },
      ConditionExpression: 'attribute_not_exists(#pk) OR #ttl <= :now',
      ExpressionAttributeNames: { '#pk': 'pk', '#ttl': 'expiresAt' },
      ExpressionAttributeValues: { ':now': NOW / 1000 },
    });
  });

  it('answers false when ConditionalCheckFailedException says it was processed already', async () => {
    ddb.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: meta() }));
    expect(await store().markEventProcessed('evt-1', NOW)).toBe(false);
  });

  it('throws other failures typed', async () => {
    ddb.on(PutCommand).rejects(new ProvisionedThroughputExceededException({ message: 'wcu', $metadata: meta() }));
    await expect(store().markEventProcessed('evt-1', NOW)).rejects.toThrow(
      'marking event evt-1 processed: throttled by AWS (ProvisionedThroughputExceededException); retry later',
    );
  });
});

describe('DynamoDbStateStore batches', () => {
  const forecast = (i: number): Forecast => ({ kind: 'unknown', instanceId: instanceId(`i-${i}`), madeAt: NOW, reason: 'no history', missing: ['memoryGiB'] });

  it('writes in chunks of 25 and re-sends UnprocessedItems', async () => {
    let first = true;
    ddb.on(BatchWriteCommand).callsFake((input: { RequestItems: Record<string, unknown[]> }) => {
      const requests = input.RequestItems[TABLE] ?? [];
      if (first) {
        first = false;
        return { UnprocessedItems: { [TABLE]: requests.slice(20) } };
      }
      return { UnprocessedItems: {} };
    });
    await store().putForecasts(Array.from({ length: 60 }, (_, i) => forecast(i)));
    const sizes = ddb.commandCalls(BatchWriteCommand).map((c) => c.args[0].input.RequestItems?.[TABLE]?.length);
    expect(sizes).toEqual([25, 5, 25, 10]);
    const item = ddb.commandCalls(BatchWriteCommand)[0]?.args[0].input.RequestItems?.[TABLE]?.[0]?.PutRequest?.Item;
    expect(item).toMatchObject({
      pk: 'INSTANCE#i-0',
      sk: 'FORECAST',
      kind: 'forecast',
      schemaVersion: 1,
      instanceId: 'i-0',
      forecastKind: 'unknown',
      madeAt: NOW,
    });
    expect(JSON.parse(String(item?.body))).toEqual(forecast(0));
  });

  it('gives up typed when items stay unprocessed', async () => {
    ddb.on(BatchWriteCommand).callsFake((input: { RequestItems: Record<string, unknown[]> }) => ({ UnprocessedItems: { [TABLE]: input.RequestItems[TABLE] } }));
    const call = store(3).putForecasts([forecast(1)]);
    await expect(call).rejects.toBeInstanceOf(ThrottledError);
    await expect(call).rejects.toThrow('storing the forecasts of 1 instance(s): 1 item(s) still unprocessed after 3 attempts; retry later');
    expect(ddb).toHaveReceivedCommandTimes(BatchWriteCommand, 3);
  });

  it('reads in chunks of 100, de-duplicated, re-asking for UnprocessedKeys', async () => {
    const bodyItem = (i: number) => ({ ...Keys.forecast(`i-${i}`), kind: 'forecast', schemaVersion: 1, body: JSON.stringify(forecast(i)) });
    let calls = 0;
    ddb.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, { Keys: { pk: string }[] }> }) => {
      calls += 1;
      const keys = input.RequestItems[TABLE]?.Keys ?? [];
      const found = keys.map((k) => Number(k.pk.replace('INSTANCE#i-', ''))).filter((i) => i % 10 !== 9);
      if (calls === 1) return { Responses: { [TABLE]: found.slice(0, 50).map(bodyItem) }, UnprocessedKeys: { [TABLE]: { Keys: keys.slice(50) } } };
      return { Responses: { [TABLE]: found.map(bodyItem) }, UnprocessedKeys: {} };
    });
    const ids = [...Array.from({ length: 150 }, (_, i) => instanceId(`i-${i}`)), instanceId('i-3')];
    const got = await store().getForecasts(ids);
    expect(ddb.commandCalls(BatchGetCommand).map((c) => c.args[0].input.RequestItems?.[TABLE]?.Keys?.length)).toEqual([100, 50, 50]);
    expect(got.size).toBe(135);
    expect(got.get(instanceId('i-3'))).toEqual(forecast(3));
    expect(got.has(instanceId('i-9'))).toBe(false);
  });

  it('names the record when a stored body is corrupt', async () => {
    ddb.on(BatchGetCommand).resolves({
      Responses: {
        [TABLE]: [{ ...Keys.forecast('i-1'), kind: 'forecast', schemaVersion: 1, body: JSON.stringify({ kind: 'maybe', instanceId: 'i-1', madeAt: NOW }) }],
      },
    });
    await expect(store().getForecasts([instanceId('i-1')])).rejects.toThrow(/^invalid stored forecast of i-1: kind: /);
  });
});

describe('DynamoDbStateStore requests', () => {
  const stored = (status: StoredRequest['status']): StoredRequest => ({
    request: {
      requestId: requestId('req-1'),
      selector: { kind: 'instance', instanceId: instanceId('i-1') },
      reason: 'patch',
      notBefore: NOW,
      deadline: NOW + 3_600_000,
      mode: 'stop',
      requestedAt: NOW - 1000,
    },
    status,
    retryAt: NOW + 60_000,
    updatedAt: NOW,
  });

  it('keeps an open request in the open-requests partition in the same transaction', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    await store().putRequest(stored('deferred'));
    const [main, index] = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(main?.Put?.Item).toMatchObject({
      pk: 'REQUEST#req-1',
      sk: 'REQUEST',
      kind: 'request',
      status: 'deferred',
      retryAt: NOW + 60_000,
      requestId: 'req-1',
    });
    expect(index?.Put?.Item).toMatchObject({ pk: 'REQUESTS#OPEN', sk: 'REQUEST#req-1', kind: 'open-request', status: 'deferred' });
    expect(index?.Put?.Item?.body).toBe(main?.Put?.Item?.body);
  });

  it('removes a closed request from the open-requests partition', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    await store().putRequest(stored('executed'));
    const [, index] = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(index).toEqual({ Delete: { TableName: TABLE, Key: { pk: 'REQUESTS#OPEN', sk: 'REQUEST#req-1' } } });
  });

  it('lists due requests with one Query on the open partition', async () => {
    const body = JSON.stringify({ ...stored('deferred'), retryAt: NOW - 1 });
    ddb.on(QueryCommand).resolves({ Items: [{ pk: 'REQUESTS#OPEN', sk: 'REQUEST#req-1', requestId: 'req-1', kind: 'open-request', schemaVersion: 1, body }] });
    const due = await store().listDueRequests(NOW);
    expect(due.map((r) => r.request.requestId)).toEqual(['req-1']);
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeValues: { ':pk': 'REQUESTS#OPEN', ':pending': 'pending', ':now': NOW },
    });
  });
});
