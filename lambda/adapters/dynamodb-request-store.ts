import { GetCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Keys, TableKey } from '../contracts/table';
import type { InterruptionRequest } from '../core/domain';
import { dueRequests, type RequestStore, type StoredRequest, type StoredRequestStatus } from '../ports/state-store';
import { bodyItem, parseRequestItem } from './dynamodb-items';
import { dynamoDbTable, queryAll, type DynamoDbTable, type DynamoDbTableOptions } from './dynamodb-table';
import { callAws } from './errors';

/** Request statuses that keep a request in the open-requests index (what listDueRequests may return). */
const OPEN_STATUSES: ReadonlySet<StoredRequestStatus> = new Set(['pending', 'deferred']);

/**
 * RequestStore on the spotwise table: each request is one item (its body as JSON), and an open one (pending or
 * deferred) also has an entry in the one open-requests partition, so listing the due ones is a Query, not a Scan.
 */
export class DynamoDbRequestStore implements RequestStore {
  private readonly table: DynamoDbTable;

  constructor(client: DynamoDBDocumentClient, options: DynamoDbTableOptions) {
    this.table = dynamoDbTable(client, options);
  }

  async getRequest(id: InterruptionRequest['requestId']): Promise<StoredRequest | undefined> {
    const operation = `reading interruption request ${id}`;
    const response = await callAws(operation, () =>
      this.table.client.send(new GetCommand({ TableName: this.table.name, Key: Keys.request(id), ConsistentRead: true })),
    );
    return response.Item === undefined ? undefined : parseRequestItem(response.Item, id);
  }

  /**
   * Stores the request and, in the same transaction, keeps its entry in the open-requests partition
   * in step: present while pending or deferred, deleted otherwise.
   */
  async putRequest(request: StoredRequest): Promise<void> {
    const id = request.request.requestId;
    const operation = `storing interruption request ${id} (${request.status})`;
    const attributes = {
      requestId: id,
      status: request.status,
      updatedAt: request.updatedAt,
      requestedAt: request.request.requestedAt,
      ...(request.retryAt !== undefined ? { retryAt: request.retryAt } : {}),
    };
    const tableName = this.table.name;
    const main = bodyItem(Keys.request(id), 'request', `request ${id}`, request, attributes);
    const index = OPEN_STATUSES.has(request.status)
      ? { Put: { TableName: tableName, Item: { ...main, ...Keys.openRequest(id), kind: 'open-request' } } }
      : { Delete: { TableName: tableName, Key: Keys.openRequest(id) } };
    await callAws(operation, () => this.table.client.send(new TransactWriteCommand({ TransactItems: [{ Put: { TableName: tableName, Item: main } }, index] })));
  }

  /**
   * Pending requests, and deferred ones whose retryAt has come (a deferred request without retryAt is
   * retried on every pass); oldest retry first, then oldest request, as the in-memory store orders them.
   */
  async listDueRequests(now: number): Promise<StoredRequest[]> {
    const operation = 'listing due interruption requests';
    const partition = Keys.openRequest('').pk;
    const items = await queryAll(this.table, operation, {
      KeyConditionExpression: '#pk = :pk',
      FilterExpression: '#status = :pending OR attribute_not_exists(#retryAt) OR #retryAt <= :now',
      ExpressionAttributeNames: { '#pk': TableKey.partition, '#status': 'status', '#retryAt': 'retryAt' },
      ExpressionAttributeValues: { ':pk': partition, ':pending': 'pending', ':now': now },
    });
    return dueRequests(
      items.map((item) => parseRequestItem(item, String(item.requestId))),
      now,
    );
  }
}
