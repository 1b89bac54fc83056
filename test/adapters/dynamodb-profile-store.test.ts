import 'aws-sdk-client-mock-vitest/extend';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbProfileStore } from '../../lambda/adapters/dynamodb-profile-store';
import { instanceId, type Forecast } from '../../lambda/core/domain';
import type { ForecastStore, ProfileStore } from '../../lambda/ports/state-store';

const ddb = mockClient(DynamoDBDocumentClient);
afterAll(() => ddb.restore());
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const store = (): ProfileStore & ForecastStore => new DynamoDbProfileStore(DynamoDBDocumentClient.from(new DynamoDBClient({})), { tableName: 'spotwise' });
const forecast = (id: string, reason: string): Forecast => ({ kind: 'unknown', instanceId: instanceId(id), madeAt: NOW, reason, missing: ['memoryGiB'] });

beforeEach(() => ddb.reset());

describe('DynamoDbProfileStore', () => {
  it('on its own: writes forecasts in one batch, the last write of an instance winning', async () => {
    ddb.on(BatchWriteCommand).resolves({});
    await store().putForecasts([forecast('i-1', 'first'), forecast('i-2', 'other'), forecast('i-1', 'second')]);
    const written = ddb.commandCalls(BatchWriteCommand)[0]?.args[0].input.RequestItems?.spotwise ?? [];
    expect(written.map((w) => [w.PutRequest?.Item?.pk, JSON.parse(String(w.PutRequest?.Item?.body)).reason])).toEqual([
      ['INSTANCE#i-1', 'second'],
      ['INSTANCE#i-2', 'other'],
    ]);
  });

  it('leaves out what is not stored, reading each key once', async () => {
    ddb.on(BatchGetCommand).resolves({ Responses: { spotwise: [] } });
    const read = await store().getProfiles([instanceId('i-1'), instanceId('i-1')]);
    expect(read.size).toBe(0);
    expect(ddb).toHaveReceivedCommandWith(BatchGetCommand, { RequestItems: { spotwise: { Keys: [{ pk: 'INSTANCE#i-1', sk: 'PROFILE' }] } } });
  });
});
