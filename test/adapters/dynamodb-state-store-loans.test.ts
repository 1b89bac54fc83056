import 'aws-sdk-client-mock-vitest/extend';
import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { packAllocations, unpackAllocations } from '../../lambda/adapters/dynamodb-items';
import { DynamoDbStateStore } from '../../lambda/adapters/dynamodb-state-store';
import { NotFoundError } from '../../lambda/adapters/errors';
import { Keys } from '../../lambda/contracts/table';
import { groupId, instanceId, reservationId, type Reservation, type Resources } from '../../lambda/core/domain';
import { poolInvariantViolations } from '../../lambda/core/pool/resource-pool';
import { meta } from './aws-errors';

const ddb = mockClient(DynamoDBDocumentClient);
afterAll(() => ddb.restore());
const TABLE = 'spotwise';
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const noSleep = { baseMs: 1, capMs: 1, random: () => 0, sleep: async () => undefined };
const store = (maxAttempts = 4) =>
  new DynamoDbStateStore(DynamoDBDocumentClient.from(new DynamoDBClient({})), { tableName: TABLE, clock: { now: () => NOW }, maxAttempts, backoff: noSleep });

const r = (vcpu: number, memoryGiB: number, networkMbps = 0, diskIops = 0): Resources => ({ vcpu, memoryGiB, networkMbps, diskIops });
const CAPACITY = r(16, 64, 1000, 3000);
const LOW_1 = instanceId('i-low-1');
const LOW_2 = instanceId('i-low-2');

/** A priority reservation of 8 vCPU / 32 GiB of which 5 vCPU / 20 GiB is borrowed from two lower-priority instances. */
const borrowing: Reservation = {
  id: reservationId('evt-1:i-1'),
  groupId: groupId('web'),
  instanceId: instanceId('i-1'),
  amount: r(8, 32, 200, 400),
  createdAt: NOW,
  expiresAt: NOW + 3_600_000,
  reason: 'spot interruption warning',
  priority: 90,
  loans: [
    { lender: LOW_1, amount: r(3, 12) },
    { lender: LOW_2, amount: r(2, 8) },
  ],
};

/** The pool item as this store writes it: packed allocations, counters with free = capacity − allocated − reserved. */
const poolItem = (allocations: Record<string, Resources>, reserved: Resources = r(0, 0), version = 7) => {
  const allocated = Object.values(allocations).reduce(
    (s, a) => r(s.vcpu + a.vcpu, s.memoryGiB + a.memoryGiB, s.networkMbps + a.networkMbps, s.diskIops + a.diskIops),
    r(0, 0),
  );
  const counters: Record<string, number> = {};
  for (const d of ['vcpu', 'memoryGiB', 'networkMbps', 'diskIops'] as const) {
    counters[`free_${d}`] = CAPACITY[d] - allocated[d] - reserved[d];
    counters[`reserved_${d}`] = reserved[d];
    counters[`allocated_${d}`] = allocated[d];
  }
  return {
    ...Keys.pool('web'),
    kind: 'pool',
    groupId: 'web',
    capacity: CAPACITY,
    allocations: packAllocations(allocations, groupId('web')),
    version,
    ...counters,
  };
};

/** Lenders holding 6 vCPU / 24 GiB and 4 vCPU / 16 GiB: free is 6 vCPU / 24 GiB. */
const LENDERS = { [LOW_1]: r(6, 24, 300, 600), [LOW_2]: r(4, 16, 200, 400) };

const reservationItem = (res: Reservation) => ({
  ...Keys.reservation(res.groupId, res.id),
  kind: 'reservation',
  reservationId: res.id,
  groupId: res.groupId,
  instanceId: res.instanceId,
  amount: res.amount,
  createdAt: res.createdAt,
  reservationExpiresAt: res.expiresAt,
  reason: res.reason,
  priority: res.priority,
  ...(res.loans !== undefined ? { loans: res.loans } : {}),
});

const cancelled = (...codes: string[]) =>
  new TransactionCanceledException({
    message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes.join(', ')}]`,
    $metadata: meta(),
    CancellationReasons: codes.map((Code) => ({ Code })),
  });

const sentItems = (call = 0) => ddb.commandCalls(TransactWriteCommand)[call]?.args[0].input.TransactItems ?? [];
const packedIn = (call = 0) => unpackAllocations(sentItems(call)[1]?.Update?.ExpressionAttributeValues?.[':allocations'] as Uint8Array, groupId('web'));

const COUNTER_NAMES = {
  '#pk': 'pk',
  '#version': 'version',
  '#allocations': 'allocations',
  '#free_vcpu': 'free_vcpu',
  '#reserved_vcpu': 'reserved_vcpu',
  '#allocated_vcpu': 'allocated_vcpu',
  '#free_memoryGiB': 'free_memoryGiB',
  '#reserved_memoryGiB': 'reserved_memoryGiB',
  '#allocated_memoryGiB': 'allocated_memoryGiB',
  '#free_networkMbps': 'free_networkMbps',
  '#reserved_networkMbps': 'reserved_networkMbps',
  '#allocated_networkMbps': 'allocated_networkMbps',
  '#free_diskIops': 'free_diskIops',
  '#reserved_diskIops': 'reserved_diskIops',
  '#allocated_diskIops': 'allocated_diskIops',
};

beforeEach(() => {
  ddb.reset();
});

describe('DynamoDbStateStore.reserve with loans', () => {
  it('is ONE TransactWriteItems: put the reservation with its loans if absent, and rewrite the pool under the version read, each lender reduced by its loan', async () => {
    ddb.on(GetCommand, { Key: Keys.pool('web') }).resolves({ Item: poolItem(LENDERS) });
    ddb.on(TransactWriteCommand).resolves({});
    expect(await store().reserve(borrowing)).toEqual({ kind: 'reserved', reservation: borrowing });
    expect(ddb).toHaveReceivedCommandWith(GetCommand, { TableName: TABLE, Key: Keys.pool('web'), ConsistentRead: true });
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 1);
    expect(ddb).not.toHaveReceivedCommand(QueryCommand);
    expect(ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input).toEqual({
      TransactItems: [
        {
          Put: {
            TableName: TABLE,
            Item: {
              ...reservationItem(borrowing),
              loans: [
                { lender: 'i-low-1', amount: { vcpu: 3, memoryGiB: 12, networkMbps: 0, diskIops: 0 } },
                { lender: 'i-low-2', amount: { vcpu: 2, memoryGiB: 8, networkMbps: 0, diskIops: 0 } },
              ],
            },
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': 'pk' },
          },
        },
        {
          Update: {
            TableName: TABLE,
            Key: { pk: 'GROUP#web', sk: 'POOL' },
            UpdateExpression:
              'SET #allocations = :allocations, #version = #version + :one, ' +
              '#free_vcpu = #free_vcpu - :free_vcpu, #reserved_vcpu = #reserved_vcpu + :reserved_vcpu, #allocated_vcpu = #allocated_vcpu - :allocated_vcpu, ' +
              '#free_memoryGiB = #free_memoryGiB - :free_memoryGiB, #reserved_memoryGiB = #reserved_memoryGiB + :reserved_memoryGiB, #allocated_memoryGiB = #allocated_memoryGiB - :allocated_memoryGiB, ' +
              '#free_networkMbps = #free_networkMbps - :free_networkMbps, #reserved_networkMbps = #reserved_networkMbps + :reserved_networkMbps, #allocated_networkMbps = #allocated_networkMbps - :allocated_networkMbps, ' +
              '#free_diskIops = #free_diskIops - :free_diskIops, #reserved_diskIops = #reserved_diskIops + :reserved_diskIops, #allocated_diskIops = #allocated_diskIops - :allocated_diskIops',
            ConditionExpression: 'attribute_exists(#pk) AND #version = :expected',
            ExpressionAttributeNames: COUNTER_NAMES,
            // free gives amount − Σloans (8 − 5 vCPU, 32 − 20 GiB); the lenders' allocations give the 5 / 20 borrowed.
            ExpressionAttributeValues: {
              ':expected': 7,
              ':one': 1,
              ':allocations': expect.any(Uint8Array),
              ':free_vcpu': 3,
              ':reserved_vcpu': 8,
              ':allocated_vcpu': 5,
              ':free_memoryGiB': 12,
              ':reserved_memoryGiB': 32,
              ':allocated_memoryGiB': 20,
              ':free_networkMbps': 200,
              ':reserved_networkMbps': 200,
              ':allocated_networkMbps': 0,
              ':free_diskIops': 400,
              ':reserved_diskIops': 400,
              ':allocated_diskIops': 0,
            },
          },
        },
      ],
    });
    expect(packedIn()).toEqual({ 'i-low-1': r(3, 12, 300, 600), 'i-low-2': r(2, 8, 200, 400) });
  });

  it('borrows an allocation to exactly 0, and rounds the amount UP while the loans stay as given', async () => {
    ddb.on(GetCommand, { Key: Keys.pool('web') }).resolves({ Item: poolItem(LENDERS) });
    ddb.on(TransactWriteCommand).resolves({});
    const all = { ...borrowing, amount: r(6 + 0.1, 24, 300, 600), loans: [{ lender: LOW_1, amount: r(6, 24, 300, 600) }] };
    const outcome = await store().reserve(all);
    expect(outcome).toEqual({ kind: 'reserved', reservation: { ...all, amount: r(6 + 103 / 1024, 24, 300, 600) } });
    expect(packedIn()).toEqual({ 'i-low-1': r(0, 0), 'i-low-2': r(4, 16, 200, 400) });
    expect(sentItems()[1]?.Update?.ExpressionAttributeValues).toMatchObject({
      ':free_vcpu': 103 / 1024,
      ':allocated_vcpu': 6,
      ':allocated_networkMbps': 300,
      ':free_networkMbps': 0,
    });
  });

  it('refuses, without a write, when a lender holds less than its loan or has left: the shortfall is what the lenders can no longer lend', async () => {
    // i-low-1 holds 2 vCPU (lends 3: 1 short) and 20 GiB (lends 12: enough); i-low-2 left (lends 2 / 8: all short).
    ddb.on(GetCommand, { Key: Keys.pool('web') }).resolves({ Item: poolItem({ [LOW_1]: r(2, 20, 300, 600) }) });
    ddb.on(GetCommand, { Key: Keys.reservation('web', borrowing.id) }).resolves({});
    ddb.on(QueryCommand).resolves({ Items: [] }); // the sweep finds nothing expired
    expect(await store().reserve(borrowing)).toEqual({ kind: 'refused', shortfall: r(3, 8) });
    expect(ddb).not.toHaveReceivedCommand(TransactWriteCommand);
    expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 1);
  });

  it('refuses, without a write, when free cannot give amount − Σloans: the shortfall is on what free must give', async () => {
    // Free 3 vCPU but 1 GiB after another reservation of 3 vCPU / 23 GiB; the borrower needs 3 / 12 from free.
    ddb.on(GetCommand, { Key: Keys.pool('web') }).resolves({ Item: poolItem(LENDERS, r(3, 23)) });
    ddb.on(GetCommand, { Key: Keys.reservation('web', borrowing.id) }).resolves({});
    ddb.on(QueryCommand).resolves({ Items: [] });
    expect(await store().reserve(borrowing)).toEqual({ kind: 'refused', shortfall: r(0, 11) });
    expect(ddb).not.toHaveReceivedCommand(TransactWriteCommand);
  });

  it('refuses everything when the group has no pool (fail closed)', async () => {
    ddb.on(GetCommand).resolves({});
    expect(await store().reserve(borrowing)).toEqual({ kind: 'refused', shortfall: borrowing.amount });
    expect(ddb).not.toHaveReceivedCommand(TransactWriteCommand);
  });

  it("sweeps expired reservations once before refusing: one that held a lender's loan gives it back, and the reservation is made", async () => {
    const expired: Reservation = {
      ...borrowing,
      id: reservationId('old'),
      instanceId: instanceId('i-2'),
      amount: r(1, 4),
      loans: [{ lender: LOW_1, amount: r(1, 4) }],
      expiresAt: NOW - 1,
    };
    const before = { [LOW_1]: r(2, 20, 300, 600), [LOW_2]: r(4, 16, 200, 400) };
    const after = { [LOW_1]: r(3, 24, 300, 600), [LOW_2]: r(4, 16, 200, 400) };
    ddb
      .on(GetCommand, { Key: Keys.pool('web') })
      .resolvesOnce({ Item: poolItem(before, r(1, 4)) }) // the reservation: i-low-1 is 1 vCPU short
      .resolvesOnce({ Item: poolItem(before, r(1, 4), 8) }) // releasing the expired one
      .resolves({ Item: poolItem(after, r(0, 0), 9) }); // the reservation again
    ddb.on(GetCommand, { Key: Keys.reservation('web', 'old') }).resolves({ Item: reservationItem(expired) });
    ddb.on(QueryCommand).resolves({ Items: [reservationItem(expired)] });
    ddb.on(TransactWriteCommand).resolves({});
    expect(await store().reserve(borrowing)).toEqual({ kind: 'reserved', reservation: borrowing });
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 2);
    expect(sentItems(0)[0]?.Delete?.Key).toEqual(Keys.reservation('web', 'old'));
    expect(packedIn(0)).toEqual(after);
    expect(sentItems(1)[1]?.Update?.ExpressionAttributeValues?.[':expected']).toBe(9);
    expect(packedIn(1)).toEqual({ [LOW_1]: r(0, 12, 300, 600), [LOW_2]: r(2, 8, 200, 400) });
  });

  it("retries from a fresh read when the pool's version moved, and computes the lenders from that read", async () => {
    ddb
      .on(GetCommand, { Key: Keys.pool('web') })
      .resolvesOnce({ Item: poolItem(LENDERS) })
      // Meanwhile another borrower took 1 vCPU / 4 GiB from i-low-1.
      .resolves({ Item: poolItem({ ...LENDERS, [LOW_1]: r(5, 20, 300, 600) }, r(1, 4), 8) });
    ddb.on(TransactWriteCommand).rejectsOnce(cancelled('None', 'ConditionalCheckFailed')).resolves({});
    expect(await store().reserve(borrowing)).toEqual({ kind: 'reserved', reservation: borrowing });
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 2);
    expect(ddb.commandCalls(GetCommand, { Key: Keys.pool('web') })).toHaveLength(2);
    expect(sentItems(0)[1]?.Update?.ExpressionAttributeValues?.[':expected']).toBe(7);
    expect(sentItems(1)[1]?.Update?.ExpressionAttributeValues?.[':expected']).toBe(8);
    expect(packedIn(1)).toEqual({ [LOW_1]: r(2, 8, 300, 600), [LOW_2]: r(2, 8, 200, 400) });
  });

  it('retries a TransactionConflict from a fresh read', async () => {
    ddb.on(GetCommand, { Key: Keys.pool('web') }).resolves({ Item: poolItem(LENDERS) });
    ddb.on(TransactWriteCommand).rejectsOnce(cancelled('TransactionConflict', 'None')).resolves({});
    expect((await store().reserve(borrowing)).kind).toBe('reserved');
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 2);
    expect(ddb.commandCalls(GetCommand, { Key: Keys.pool('web') })).toHaveLength(2);
  });

  it('is idempotent: the put failed → already reserved with the stored reservation and its loans', async () => {
    const stored = { ...borrowing, reason: 'first delivery' };
    ddb.on(GetCommand, { Key: Keys.pool('web') }).resolves({ Item: poolItem(LENDERS) });
    ddb.on(GetCommand, { Key: Keys.reservation('web', borrowing.id) }).resolves({ Item: reservationItem(stored) });
    ddb.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None'));
    expect(await store().reserve(borrowing)).toEqual({ kind: 'already-reserved', reservation: stored });
    expect(ddb).toHaveReceivedCommandWith(GetCommand, { TableName: TABLE, Key: Keys.reservation('web', borrowing.id), ConsistentRead: true });
  });

  it('is idempotent before a refusal too: a redelivery after its own loans were taken is already reserved, not refused', async () => {
    // The first delivery took the loans, so the lenders now hold less than they would lend again.
    ddb.on(GetCommand, { Key: Keys.pool('web') }).resolves({ Item: poolItem({ [LOW_1]: r(3, 12, 300, 600), [LOW_2]: r(2, 8, 200, 400) }, r(8, 32, 200, 400)) });
    ddb.on(GetCommand, { Key: Keys.reservation('web', borrowing.id) }).resolves({ Item: reservationItem(borrowing) });
    ddb.on(QueryCommand).resolves({ Items: [reservationItem(borrowing)] });
    // Moving 5 / 20 from the lenders would leave them at −2 / −8: the store checks before it writes.
    const twice = { ...borrowing, loans: [{ lender: LOW_1, amount: r(5, 20) }] };
    expect(await store().reserve(twice)).toEqual({ kind: 'already-reserved', reservation: borrowing });
    expect(ddb).not.toHaveReceivedCommand(TransactWriteCommand);
  });

  it('stores an empty list of loans as none: the exact commands of a reservation that does not borrow', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    const { loans: _, ...plain } = borrowing;
    expect(await store().reserve({ ...plain, loans: [] })).toEqual({ kind: 'reserved', reservation: plain });
    expect(ddb).not.toHaveReceivedCommand(GetCommand);
    expect(sentItems()[0]?.Put?.Item).not.toHaveProperty('loans');
    expect(sentItems()[1]?.Update?.ConditionExpression).toBe(
      'attribute_exists(#pk) AND #free_vcpu >= :vcpu AND #free_memoryGiB >= :memoryGiB AND #free_networkMbps >= :networkMbps AND #free_diskIops >= :diskIops',
    );
  });

  it.each([
    [
      [{ lender: LOW_1, amount: r(0.1, 0) }],
      'loans[0].amount must be amounts on the pool\'s 1/1024 grid (got {"vcpu":0.1,"memoryGiB":0,"networkMbps":0,"diskIops":0})',
    ],
    [
      [{ lender: LOW_1, amount: r(Number.NaN, 0) }],
      'reservation evt-1:i-1 loans[0].amount.vcpu: expected a finite number between 0 and 1099511627776, got NaN',
    ],
    [[{ lender: LOW_1, amount: r(-1, 0) }], 'loans[0].amount.vcpu: expected a finite number'],
    [[{ lender: instanceId('i-1'), amount: r(1, 0) }], 'loans[0].lender must be an instance other than the one the reservation is for (i-1) (got "i-1")'],
    [
      [
        { lender: LOW_1, amount: r(1, 0) },
        { lender: LOW_1, amount: r(1, 0) },
      ],
      'loans[1].lender must be a lender listed once (got "i-low-1")',
    ],
    [[{ lender: instanceId(''), amount: r(1, 0) }], 'loans[0].lender must be a non-empty instance id (got "")'],
    [
      [
        { lender: LOW_1, amount: r(5, 20) },
        { lender: LOW_2, amount: r(4, 0) },
      ],
      'loans (total vcpu) must be at most the reserved 8 (got 9)',
    ],
  ])('rejects invalid loans before any call: %j', async (loans, message) => {
    await expect(store().reserve({ ...borrowing, loans })).rejects.toThrow(message);
    expect(ddb.calls()).toHaveLength(0);
  });
});

describe('DynamoDbStateStore.release with loans', () => {
  /** The pool after `borrowing` was made on LENDERS. */
  const LOW_1_LENT = r(3, 12, 300, 600);
  const lent = { [LOW_1]: LOW_1_LENT, [LOW_2]: r(2, 8, 200, 400) };

  it('is ONE TransactWriteItems: delete the reservation if it exists, give each loan back to its lender under the version read', async () => {
    ddb.on(GetCommand, { Key: Keys.reservation('web', borrowing.id) }).resolves({ Item: reservationItem(borrowing) });
    ddb.on(GetCommand, { Key: Keys.pool('web') }).resolves({ Item: poolItem(lent, borrowing.amount, 8) });
    ddb.on(TransactWriteCommand).resolves({});
    expect(await store().release(groupId('web'), borrowing.id)).toBe(true);
    const [remove, update] = sentItems();
    expect(remove).toEqual({
      Delete: {
        TableName: TABLE,
        Key: Keys.reservation('web', borrowing.id),
        ConditionExpression: 'attribute_exists(#pk)',
        ExpressionAttributeNames: { '#pk': 'pk' },
      },
    });
    expect(update?.Update).toEqual({
      TableName: TABLE,
      Key: Keys.pool('web'),
      UpdateExpression:
        'SET #allocations = :allocations, #version = #version + :one, ' +
        '#free_vcpu = #free_vcpu + :free_vcpu, #reserved_vcpu = #reserved_vcpu - :reserved_vcpu, #allocated_vcpu = #allocated_vcpu + :allocated_vcpu, ' +
        '#free_memoryGiB = #free_memoryGiB + :free_memoryGiB, #reserved_memoryGiB = #reserved_memoryGiB - :reserved_memoryGiB, #allocated_memoryGiB = #allocated_memoryGiB + :allocated_memoryGiB, ' +
        '#free_networkMbps = #free_networkMbps + :free_networkMbps, #reserved_networkMbps = #reserved_networkMbps - :reserved_networkMbps, #allocated_networkMbps = #allocated_networkMbps + :allocated_networkMbps, ' +
        '#free_diskIops = #free_diskIops + :free_diskIops, #reserved_diskIops = #reserved_diskIops - :reserved_diskIops, #allocated_diskIops = #allocated_diskIops + :allocated_diskIops',
      ConditionExpression: 'attribute_exists(#pk) AND #version = :expected',
      ExpressionAttributeNames: COUNTER_NAMES,
      ExpressionAttributeValues: {
        ':expected': 8,
        ':one': 1,
        ':allocations': expect.any(Uint8Array),
        ':free_vcpu': 3,
        ':reserved_vcpu': 8,
        ':allocated_vcpu': 5,
        ':free_memoryGiB': 12,
        ':reserved_memoryGiB': 32,
        ':allocated_memoryGiB': 20,
        ':free_networkMbps': 200,
        ':reserved_networkMbps': 200,
        ':allocated_networkMbps': 0,
        ':free_diskIops': 400,
        ':reserved_diskIops': 400,
        ':allocated_diskIops': 0,
      },
    });
    expect(packedIn()).toEqual(LENDERS);
  });

  it('gives nothing back to a lender that left: its loan goes back to free', async () => {
    ddb.on(GetCommand, { Key: Keys.reservation('web', borrowing.id) }).resolves({ Item: reservationItem(borrowing) });
    ddb.on(GetCommand, { Key: Keys.pool('web') }).resolves({ Item: poolItem({ [LOW_1]: LOW_1_LENT }, borrowing.amount, 8) });
    ddb.on(TransactWriteCommand).resolves({});
    expect(await store().release(groupId('web'), borrowing.id)).toBe(true);
    expect(packedIn()).toEqual({ [LOW_1]: LENDERS[LOW_1] });
    expect(sentItems()[1]?.Update?.ExpressionAttributeValues).toMatchObject({
      ':free_vcpu': 5,
      ':reserved_vcpu': 8,
      ':allocated_vcpu': 3,
      ':free_memoryGiB': 20,
      ':reserved_memoryGiB': 32,
      ':allocated_memoryGiB': 12,
    });
  });

  it("retries from a fresh read when the pool's version moved; of concurrent releases the one whose delete fails is false", async () => {
    ddb.on(GetCommand, { Key: Keys.reservation('web', borrowing.id) }).resolves({ Item: reservationItem(borrowing) });
    ddb
      .on(GetCommand, { Key: Keys.pool('web') })
      .resolvesOnce({ Item: poolItem(lent, borrowing.amount, 8) })
      // Meanwhile the refresh lowered i-low-2 to 1 vCPU / 8 GiB.
      .resolves({ Item: poolItem({ ...lent, [LOW_2]: r(1, 8, 200, 400) }, borrowing.amount, 9) });
    ddb.on(TransactWriteCommand).rejectsOnce(cancelled('None', 'ConditionalCheckFailed')).resolves({});
    expect(await store().release(groupId('web'), borrowing.id)).toBe(true);
    expect(sentItems(1)[1]?.Update?.ExpressionAttributeValues?.[':expected']).toBe(9);
    expect(packedIn(1)).toEqual({ [LOW_1]: LENDERS[LOW_1], [LOW_2]: r(3, 16, 200, 400) });

    ddb.reset();
    ddb.on(GetCommand, { Key: Keys.reservation('web', borrowing.id) }).resolves({ Item: reservationItem(borrowing) });
    ddb.on(GetCommand, { Key: Keys.pool('web') }).resolves({ Item: poolItem(lent, borrowing.amount, 8) });
    ddb.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'ConditionalCheckFailed'));
    expect(await store().release(groupId('web'), borrowing.id)).toBe(false);
  });

  it('reports a reservation without a pool item', async () => {
    ddb.on(GetCommand, { Key: Keys.reservation('web', borrowing.id) }).resolves({ Item: reservationItem(borrowing) });
    ddb.on(GetCommand, { Key: Keys.pool('web') }).resolves({});
    await expect(store().release(groupId('web'), borrowing.id)).rejects.toBeInstanceOf(NotFoundError);
    expect(ddb).not.toHaveReceivedCommand(TransactWriteCommand);
  });
});

describe('DynamoDbStateStore.handOver of a reservation with loans', () => {
  it('ends the loans without giving anything back: the lenders stay reduced, the instance gets max(its allocation, the amount)', async () => {
    const lent = { [LOW_1]: r(3, 12, 300, 600), [LOW_2]: r(2, 8, 200, 400) };
    ddb.on(GetCommand, { Key: Keys.reservation('web', borrowing.id) }).resolves({ Item: reservationItem(borrowing) });
    ddb.on(GetCommand, { Key: Keys.pool('web') }).resolves({ Item: poolItem(lent, borrowing.amount, 8) });
    ddb.on(TransactWriteCommand).resolves({});
    expect(await store().handOver(groupId('web'), borrowing.id, instanceId('i-new'))).toBe(true);
    expect(packedIn()).toEqual({ ...lent, 'i-new': borrowing.amount });
    // The whole amount moves from reserved to allocated: free is unchanged.
    expect(sentItems()[1]?.Update?.ExpressionAttributeValues).toMatchObject({
      ':free_vcpu': 0,
      ':reserved_vcpu': 8,
      ':allocated_vcpu': 8,
      ':free_memoryGiB': 0,
      ':reserved_memoryGiB': 32,
      ':allocated_memoryGiB': 32,
    });
  });
});

describe('DynamoDbStateStore.getPool with loans', () => {
  it('returns each reservation with its loans, so the pool it reads is sound', async () => {
    const lent = { [LOW_1]: r(3, 12, 300, 600), [LOW_2]: r(2, 8, 200, 400) };
    ddb.on(GetCommand, { Key: Keys.pool('web') }).resolves({ Item: poolItem(lent, borrowing.amount, 8) });
    ddb.on(QueryCommand).resolves({ Items: [reservationItem(borrowing)] });
    const pool = await store().getPool(groupId('web'));
    expect(pool?.reservations.get(borrowing.id)).toEqual(borrowing);
    expect(pool?.allocations).toEqual(new Map(Object.entries(lent)));
    expect(poolInvariantViolations(pool!)).toEqual([]);
  });
});
