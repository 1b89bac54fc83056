import 'aws-sdk-client-mock-vitest/extend';
import { ConditionalCheckFailedException, DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbStateStore } from '../../lambda/adapters/dynamodb-state-store';
import { groupId, instanceId } from '../../lambda/core/domain';
import { meta } from './aws-errors';

const ddb = mockClient(DynamoDBDocumentClient);
afterAll(() => ddb.restore());
const TABLE = 'spotwise';
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const UNTIL = NOW + 62 * 60_000;
const store = () => new DynamoDbStateStore(DynamoDBDocumentClient.from(new DynamoDBClient({})), { tableName: TABLE, clock: { now: () => NOW } });
const standby = groupId('web-standby');
const claim = { groupId: standby, instanceId: instanceId('i-w1'), victimId: instanceId('i-a1'), until: UNTIL };
const conditionFailed = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: meta() });

beforeEach(() => ddb.reset());

describe('DynamoDbStateStore warm claims (GROUP#<group> / WARMCLAIM#<instance>)', () => {
  it('claims with one conditional PutItem: no claim, a claim that ran out, or this victim\'s own; a failed condition is "no"', async () => {
    ddb.on(PutCommand).resolvesOnce({}).rejectsOnce(conditionFailed());
    expect(await store().claimWarmInstance(claim, NOW)).toBe(true);
    expect(await store().claimWarmInstance({ ...claim, victimId: instanceId('i-a2') }, NOW)).toBe(false);
    const sent = ddb.commandCalls(PutCommand).map((c) => c.args[0].input);
    expect(sent[0]).toEqual({
      TableName: TABLE,
      Item: {
        pk: 'GROUP#web-standby',
        sk: 'WARMCLAIM#i-w1',
        kind: 'warm-claim',
        groupId: 'web-standby',
        instanceId: 'i-w1',
        victimId: 'i-a1',
        claimUntil: UNTIL,
        expiresAt: Math.floor(UNTIL / 1000) + 24 * 3600,
      },
      ConditionExpression: 'attribute_not_exists(#pk) OR #until < :now OR #victim = :victim',
      ExpressionAttributeNames: { '#pk': 'pk', '#until': 'claimUntil', '#victim': 'victimId' },
      ExpressionAttributeValues: { ':now': NOW, ':victim': 'i-a1' },
    });
    expect(sent[1]?.ExpressionAttributeValues).toEqual({ ':now': NOW, ':victim': 'i-a2' });
  });

  it('claims over a claim the plan found no longer standing: its victim is one more the condition accepts', async () => {
    ddb.on(PutCommand).resolves({});
    expect(await store().claimWarmInstance(claim, NOW, instanceId('i-a0'))).toBe(true);
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input).toMatchObject({
      ConditionExpression: 'attribute_not_exists(#pk) OR #until < :now OR #victim = :victim OR #victim = :stale',
      ExpressionAttributeNames: { '#pk': 'pk', '#until': 'claimUntil', '#victim': 'victimId' },
      ExpressionAttributeValues: { ':now': NOW, ':victim': 'i-a1', ':stale': 'i-a0' },
    });
  });

  it("gives a claim up only while it is the victim's (a DeleteItem whose failed condition is not an error)", async () => {
    ddb.on(DeleteCommand).resolvesOnce({}).rejectsOnce(conditionFailed());
    await store().releaseWarmClaim(standby, instanceId('i-w1'), instanceId('i-a1'));
    await store().releaseWarmClaim(standby, instanceId('i-w1'), instanceId('i-a1'));
    expect(ddb.commandCalls(DeleteCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: { pk: 'GROUP#web-standby', sk: 'WARMCLAIM#i-w1' },
      ConditionExpression: '#victim = :victim',
      ExpressionAttributeNames: { '#victim': 'victimId' },
      ExpressionAttributeValues: { ':victim': 'i-a1' },
    });
  });

  it('reads the live claims of a group with one consistent Query on its partition (claims that ran out are left out)', async () => {
    ddb.on(QueryCommand).resolves({
      Items: [
        { pk: 'GROUP#web-standby', sk: 'WARMCLAIM#i-w1', kind: 'warm-claim', groupId: 'web-standby', instanceId: 'i-w1', victimId: 'i-a1', claimUntil: UNTIL },
        { pk: 'GROUP#web-standby', sk: 'WARMCLAIM#i-w2', kind: 'warm-claim', groupId: 'web-standby', instanceId: 'i-w2', victimId: 'i-a2', claimUntil: NOW },
      ],
    });
    expect(await store().getWarmClaims(standby, NOW)).toEqual([claim]);
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
      ExpressionAttributeValues: { ':pk': 'GROUP#web-standby', ':prefix': 'WARMCLAIM#' },
      ConsistentRead: true,
    });
  });

  it('refuses a malformed claim item, naming the field', async () => {
    ddb
      .on(QueryCommand)
      .resolves({ Items: [{ pk: 'GROUP#web-standby', sk: 'WARMCLAIM#i-w1', groupId: 'web-standby', instanceId: 'i-w1', claimUntil: UNTIL }] });
    await expect(store().getWarmClaims(standby, NOW)).rejects.toThrow(/warm claim item 1 of group web-standby.*victimId/s);
  });

  it('lets a throttled or failing call through as an error naming the operation', async () => {
    ddb.on(PutCommand).rejects(new ProvisionedThroughputExceededException({ message: 'Rate exceeded', $metadata: meta() }));
    await expect(store().claimWarmInstance(claim, NOW)).rejects.toThrow(/claiming warm i-w1 of group web-standby for i-a1/);
  });
});
