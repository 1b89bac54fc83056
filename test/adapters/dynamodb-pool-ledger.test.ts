import 'aws-sdk-client-mock-vitest/extend';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbPoolLedger, PoolOverCommitError } from '../../lambda/adapters/dynamodb-pool-ledger';
import { PoolOverCommitError as ExportedPoolOverCommitError } from '../../lambda/adapters/dynamodb-state-store';
import { groupId, instanceId, reservationId, type Reservation } from '../../lambda/core/domain';
import type { PoolLedger } from '../../lambda/ports/state-store';

const ddb = mockClient(DynamoDBDocumentClient);
afterAll(() => ddb.restore());
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const ledger = (): PoolLedger => new DynamoDbPoolLedger(DynamoDBDocumentClient.from(new DynamoDBClient({})), { tableName: 'spotwise' });

const reservation: Reservation = {
  id: reservationId('evt-1:i-1'),
  groupId: groupId('web'),
  instanceId: instanceId('i-1'),
  amount: { vcpu: 2, memoryGiB: 4, networkMbps: 0, diskIops: 0 },
  createdAt: NOW,
  expiresAt: NOW + 3_600_000,
  reason: 'spot interruption warning',
  priority: 60,
};

beforeEach(() => ddb.reset());

describe('DynamoDbPoolLedger', () => {
  it('on its own: a reservation is ONE TransactWriteItems, the reservation put then the pool update', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    expect(await ledger().reserve(reservation)).toEqual({ kind: 'reserved', reservation });
    const items = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(items.map((i) => Object.keys(i))).toEqual([['Put'], ['Update']]);
    expect(items[1]?.Update?.Key).toEqual({ pk: 'GROUP#web', sk: 'POOL' });
  });

  it('reads nothing but the pool item for a group without one', async () => {
    ddb.on(GetCommand).resolves({});
    expect(await ledger().getPool(groupId('web'))).toBeUndefined();
    expect(ddb).toHaveReceivedCommandTimes(GetCommand, 1);
  });

  it('is where PoolOverCommitError lives; the state store module exports the same class', () => {
    expect(ExportedPoolOverCommitError).toBe(PoolOverCommitError);
  });
});
