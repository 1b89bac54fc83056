import 'aws-sdk-client-mock-vitest/extend';
import { ConditionalCheckFailedException, DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { POOL_SIGNAL_TTL_SECONDS } from '../../lambda/adapters/dynamodb-pool-signals';
import { DynamoDbStateStore } from '../../lambda/adapters/dynamodb-state-store';
import { groupId, instanceId, type PoolSignal } from '../../lambda/core/domain';
import { meta } from './aws-errors';

const ddb = mockClient(DynamoDBDocumentClient);
afterAll(() => ddb.restore());
const TABLE = 'spotwise';
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const store = () => new DynamoDbStateStore(DynamoDBDocumentClient.from(new DynamoDBClient({})), { tableName: TABLE, clock: { now: () => NOW } });

const signal = (kind: PoolSignal['signal'], eventId = 'evt-1'): PoolSignal => ({
  instanceType: 'm5.large',
  availabilityZone: 'us-east-1a',
  signal: kind,
  instanceId: instanceId('i-1'),
  eventId,
  at: NOW,
});

beforeEach(() => ddb.reset());

describe('DynamoDbStateStore.recordPoolSignal', () => {
  it.each([
    ['spot-warning', 'warnings'],
    ['rebalance-recommendation', 'rebalances'],
  ] as const)('a %s: one conditional UpdateItem that ADDs 1 to %s, sets since only once, and pushes the TTL out', async (kind, counter) => {
    ddb.on(UpdateCommand).resolves({});
    expect(await store().recordPoolSignal(groupId('web'), signal(kind))).toBe(true);
    expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 1);
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: { pk: 'GROUP#web', sk: 'SIGNALS#m5.large@us-east-1a' },
      UpdateExpression:
        'SET #kind = :kind, #type = :type, #az = :az, #since = if_not_exists(#since, :at), #lastAt = :at, #lastEventId = :eventId, #ttl = :ttl ADD #counter :one',
      ConditionExpression: 'attribute_not_exists(#lastEventId) OR #lastEventId <> :eventId',
      ExpressionAttributeNames: {
        '#kind': 'kind',
        '#type': 'instanceType',
        '#az': 'availabilityZone',
        '#since': 'since',
        '#lastAt': 'lastAt',
        '#lastEventId': 'lastEventId',
        '#ttl': 'expiresAt',
        '#counter': counter,
      },
      ExpressionAttributeValues: {
        ':kind': 'pool-signals',
        ':type': 'm5.large',
        ':az': 'us-east-1a',
        ':at': NOW,
        ':eventId': 'evt-1',
        ':ttl': NOW / 1000 + POOL_SIGNAL_TTL_SECONDS,
        ':one': 1,
      },
    });
  });

  it('answers false when the condition fails: the event id is the one last counted', async () => {
    ddb.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: meta() }));
    expect(await store().recordPoolSignal(groupId('web'), signal('spot-warning'))).toBe(false);
  });

  it('throws other failures typed, naming the signal and the pool', async () => {
    ddb.on(UpdateCommand).rejects(new ProvisionedThroughputExceededException({ message: 'wcu', $metadata: meta() }));
    await expect(store().recordPoolSignal(groupId('web'), signal('spot-warning'))).rejects.toThrow(
      'recording the spot-warning evt-1 of i-1 against pool m5.large@us-east-1a of group web: throttled by AWS (ProvisionedThroughputExceededException); retry later',
    );
  });
});

describe('DynamoDbStateStore.getPoolSignals', () => {
  it('queries the group partition for its SIGNALS# items (consistent, every page) and parses them', async () => {
    ddb
      .on(QueryCommand)
      .resolvesOnce({
        Items: [
          {
            pk: 'GROUP#web',
            sk: 'SIGNALS#m5.large@us-east-1a',
            kind: 'pool-signals',
            instanceType: 'm5.large',
            availabilityZone: 'us-east-1a',
            warnings: 3,
            rebalances: 5,
            since: NOW - 3_600_000,
            lastAt: NOW,
            lastEventId: 'e',
            expiresAt: 1,
          },
        ],
        LastEvaluatedKey: { pk: 'GROUP#web', sk: 'SIGNALS#m5.large@us-east-1a' },
      })
      // Only rebalance recommendations so far: ADD created no warnings counter.
      .resolvesOnce({
        Items: [
          {
            pk: 'GROUP#web',
            sk: 'SIGNALS#c5.large@us-east-1b',
            instanceType: 'c5.large',
            availabilityZone: 'us-east-1b',
            rebalances: 2,
            since: NOW - 60_000,
            lastAt: NOW,
          },
        ],
      });
    expect(await store().getPoolSignals(groupId('web'))).toEqual([
      { instanceType: 'm5.large', availabilityZone: 'us-east-1a', warnings: 3, rebalances: 5, since: NOW - 3_600_000, lastAt: NOW },
      { instanceType: 'c5.large', availabilityZone: 'us-east-1b', warnings: 0, rebalances: 2, since: NOW - 60_000, lastAt: NOW },
    ]);
    const calls = ddb.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(calls[0]).toEqual({
      TableName: TABLE,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
      ExpressionAttributeValues: { ':pk': 'GROUP#web', ':prefix': 'SIGNALS#' },
      ConsistentRead: true,
    });
    expect(calls[1]?.ExclusiveStartKey).toEqual({ pk: 'GROUP#web', sk: 'SIGNALS#m5.large@us-east-1a' });
  });

  it('refuses a malformed item, naming the group and the field', async () => {
    ddb.on(QueryCommand).resolves({ Items: [{ instanceType: 'm5.large', availabilityZone: 'us-east-1a', warnings: -1, since: NOW, lastAt: NOW }] });
    await expect(store().getPoolSignals(groupId('web'))).rejects.toThrow(/pool signal item of group web.*warnings/s);
  });
});
