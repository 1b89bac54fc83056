import 'aws-sdk-client-mock-vitest/extend';
import { ConditionalCheckFailedException, DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbStateStore } from '../../lambda/adapters/dynamodb-state-store';
import { groupId } from '../../lambda/core/domain';
import { meta } from './aws-errors';

const ddb = mockClient(DynamoDBDocumentClient);
afterAll(() => ddb.restore());
const TABLE = 'spotwise';
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const store = () => new DynamoDbStateStore(DynamoDBDocumentClient.from(new DynamoDBClient({})), { tableName: TABLE, clock: { now: () => NOW } });
const web = groupId('web');
const KEY = { pk: 'GROUP#web', sk: 'WARMPOOL' };
const conditionFailed = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: meta() });
const sent = () => ddb.commandCalls(UpdateCommand).map((c) => c.args[0].input);

beforeEach(() => ddb.reset());

describe('DynamoDbStateStore warm-pool writer item (GROUP#<group> / WARMPOOL)', () => {
  it('queues raises with one unconditional UpdateItem that ADDs them', async () => {
    ddb.on(UpdateCommand).resolves({});
    await store().queueWarmPoolRaise(web, 2);
    expect(sent()).toEqual([
      {
        TableName: TABLE,
        Key: KEY,
        UpdateExpression: 'SET #kind = :kind, #group = :group ADD #raises :by',
        ExpressionAttributeNames: { '#kind': 'kind', '#group': 'groupId', '#raises': 'raises' },
        ExpressionAttributeValues: { ':kind': 'warm-pool-writer', ':group': 'web', ':by': 2 },
      },
    ]);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses to queue %s raises, naming the group and the value, without a call', async (by) => {
    await expect(store().queueWarmPoolRaise(web, by)).rejects.toThrow(`queueing a warm-pool raise for group web: by must be an integer > 0 (got ${by})`);
    expect(sent()).toEqual([]);
  });

  it('takes the lease only when nobody holds it or the lease ran out; a failed condition is "no", not an error', async () => {
    ddb.on(UpdateCommand).resolvesOnce({}).rejectsOnce(conditionFailed());
    expect(await store().acquireWarmPoolLease(web, 'h-1', NOW, NOW + 60_000)).toBe(true);
    expect(await store().acquireWarmPoolLease(web, 'h-2', NOW, NOW + 60_000)).toBe(false);
    expect(sent()[0]).toEqual({
      TableName: TABLE,
      Key: KEY,
      UpdateExpression: 'SET #kind = :kind, #group = :group, #holder = :holder, #until = :until',
      ConditionExpression: 'attribute_not_exists(#holder) OR #until < :now',
      ExpressionAttributeNames: { '#kind': 'kind', '#group': 'groupId', '#holder': 'holder', '#until': 'leaseUntil' },
      ExpressionAttributeValues: { ':kind': 'warm-pool-writer', ':group': 'web', ':holder': 'h-1', ':until': NOW + 60_000, ':now': NOW },
    });
    expect(sent()[1]?.ExpressionAttributeValues).toMatchObject({ ':holder': 'h-2' });
  });

  it('takes the queued raises for the holder only, reading the count before (UPDATED_OLD)', async () => {
    ddb
      .on(UpdateCommand)
      .resolvesOnce({ Attributes: { raises: 3 } })
      .resolvesOnce({})
      .rejectsOnce(conditionFailed());
    expect(await store().takeWarmPoolRaises(web, 'h-1')).toBe(3);
    // No counter yet (nothing was ever queued): none.
    expect(await store().takeWarmPoolRaises(web, 'h-1')).toBe(0);
    // Not the holder (its lease ran out and another took it): nothing taken.
    expect(await store().takeWarmPoolRaises(web, 'h-1')).toBe(0);
    expect(sent()[0]).toEqual({
      TableName: TABLE,
      Key: KEY,
      UpdateExpression: 'SET #raises = :zero',
      ConditionExpression: '#holder = :holder',
      ExpressionAttributeNames: { '#holder': 'holder', '#raises': 'raises' },
      ExpressionAttributeValues: { ':holder': 'h-1', ':zero': 0 },
      ReturnValues: 'UPDATED_OLD',
    });
  });

  it('gives the lease up for its holder and answers the raises queued meanwhile (ALL_NEW)', async () => {
    ddb
      .on(UpdateCommand)
      .resolvesOnce({ Attributes: { pk: 'GROUP#web', sk: 'WARMPOOL', kind: 'warm-pool-writer', raises: 2 } })
      .rejectsOnce(conditionFailed());
    expect(await store().releaseWarmPoolLease(web, 'h-1')).toBe(2);
    expect(await store().releaseWarmPoolLease(web, 'h-1')).toBe(0);
    expect(sent()[0]).toEqual({
      TableName: TABLE,
      Key: KEY,
      UpdateExpression: 'REMOVE #holder, #until',
      ConditionExpression: '#holder = :holder',
      ExpressionAttributeNames: { '#holder': 'holder', '#until': 'leaseUntil' },
      ExpressionAttributeValues: { ':holder': 'h-1' },
      ReturnValues: 'ALL_NEW',
    });
  });

  it('refuses a malformed item naming the group and the field; other failures are typed and name what was done', async () => {
    ddb.on(UpdateCommand).resolvesOnce({ Attributes: { raises: -2 } });
    await expect(store().takeWarmPoolRaises(web, 'h-1')).rejects.toThrow(/warm-pool writer item of group web.*raises/s);
    ddb.on(UpdateCommand).rejects(new ProvisionedThroughputExceededException({ message: 'wcu', $metadata: meta() }));
    await expect(store().acquireWarmPoolLease(web, 'h-1', NOW, NOW + 1)).rejects.toThrow(
      'taking the warm-pool lease of group web for h-1: throttled by AWS (ProvisionedThroughputExceededException); retry later',
    );
    await expect(store().queueWarmPoolRaise(web, 1)).rejects.toThrow('queueing 1 warm-pool raise(s) for group web: throttled by AWS');
  });
});
