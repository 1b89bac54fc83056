import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Keys, PROCESSED_EVENT_TTL_SECONDS, TableKey } from '../contracts/table';
import type { EventDeduplication } from '../ports/state-store';
import { dynamoDbTable, type DynamoDbTable, type DynamoDbTableOptions } from './dynamodb-table';
import { ConditionFailedError, translateAwsError } from './errors';

/**
 * EventDeduplication on the spotwise table: one conditional put per event id, with a TTL.
 *
 * Why not Powertools idempotency: it wraps a whole function and stores its result; spotwise only needs "has this
 * event id been seen", which one conditional put answers.
 */
export class DynamoDbEventDeduplication implements EventDeduplication {
  private readonly table: DynamoDbTable;

  constructor(client: DynamoDBDocumentClient, options: DynamoDbTableOptions) {
    this.table = dynamoDbTable(client, options);
  }

  /**
   * Conditional put of the event id with a TTL. DynamoDB deletes expired items lazily (within days), so
   * an item whose TTL has passed counts as absent, as the in-memory store treats it.
   */
  async markEventProcessed(eventId: string, now: number): Promise<boolean> {
    const nowSeconds = Math.floor(now / 1000);
    try {
      await this.table.client.send(
        new PutCommand({
          TableName: this.table.name,
          Item: {
            ...Keys.processedEvent(eventId),
            kind: 'processed-event',
            eventId,
            processedAt: now,
            [TableKey.ttl]: nowSeconds + PROCESSED_EVENT_TTL_SECONDS,
          },
          ConditionExpression: 'attribute_not_exists(#pk) OR #ttl <= :now',
          ExpressionAttributeNames: { '#pk': TableKey.partition, '#ttl': TableKey.ttl },
          ExpressionAttributeValues: { ':now': nowSeconds },
        }),
      );
      return true;
    } catch (error) {
      const translated = translateAwsError(`marking event ${eventId} processed`, error);
      if (translated instanceof ConditionFailedError) return false;
      throw translated;
    }
  }
}
