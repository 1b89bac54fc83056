import 'aws-sdk-client-mock-vitest/extend';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbEventDeduplication } from '../../lambda/adapters/dynamodb-event-dedup';
import { PROCESSED_EVENT_TTL_SECONDS } from '../../lambda/contracts/table';
import type { EventDeduplication } from '../../lambda/ports/state-store';
import { meta } from './aws-errors';

const ddb = mockClient(DynamoDBDocumentClient);
afterAll(() => ddb.restore());
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const dedup = (): EventDeduplication => new DynamoDbEventDeduplication(DynamoDBDocumentClient.from(new DynamoDBClient({})), { tableName: 'spotwise' });

beforeEach(() => ddb.reset());

describe('DynamoDbEventDeduplication', () => {
  it('on its own: one conditional put of the event id with a TTL; false once it is there', async () => {
    ddb
      .on(PutCommand)
      .resolvesOnce({})
      .rejectsOnce(new ConditionalCheckFailedException({ message: 'exists', $metadata: meta() }));
    expect(await dedup().markEventProcessed('evt-1', NOW)).toBe(true);
    expect(await dedup().markEventProcessed('evt-1', NOW)).toBe(false);
    expect(ddb).toHaveReceivedCommandTimes(PutCommand, 2);
    expect(ddb).toHaveReceivedNthCommandWith(PutCommand, 1, {
      TableName: 'spotwise',
      Item: {
        pk: 'EVENT#evt-1',
        sk: 'EVENT',
        kind: 'processed-event',
        eventId: 'evt-1',
        processedAt: NOW,
        expiresAt: NOW / 1000 + PROCESSED_EVENT_TTL_SECONDS,
      },
      ConditionExpression: 'attribute_not_exists(#pk) OR #ttl <= :now',
    });
  });

  it('refuses an empty table name', () => {
    expect(() => new DynamoDbEventDeduplication(DynamoDBDocumentClient.from(new DynamoDBClient({})), { tableName: '' })).toThrow(RangeError);
  });
});
