import 'aws-sdk-client-mock-vitest/extend';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { bodyItem } from '../../lambda/adapters/dynamodb-items';
import { DynamoDbRequestStore } from '../../lambda/adapters/dynamodb-request-store';
import { Keys } from '../../lambda/contracts/table';
import { instanceId, requestId } from '../../lambda/core/domain';
import type { RequestStore, StoredRequest } from '../../lambda/ports/state-store';

const ddb = mockClient(DynamoDBDocumentClient);
afterAll(() => ddb.restore());
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const requests = (): RequestStore => new DynamoDbRequestStore(DynamoDBDocumentClient.from(new DynamoDBClient({})), { tableName: 'spotwise' });

const stored = (id: string, status: StoredRequest['status'], requestedAt: number, retryAt?: number): StoredRequest => ({
  request: {
    requestId: requestId(id),
    selector: { kind: 'instance', instanceId: instanceId('i-1') },
    reason: 'patch',
    notBefore: NOW,
    deadline: NOW + 3_600_000,
    mode: 'stop',
    requestedAt,
  },
  status,
  ...(retryAt !== undefined ? { retryAt } : {}),
  updatedAt: NOW,
});

/** The open-requests entry as putRequest writes it. */
const openEntry = (r: StoredRequest) => ({
  ...bodyItem(Keys.request(r.request.requestId), 'request', 'r', r, { requestId: r.request.requestId }),
  ...Keys.openRequest(r.request.requestId),
  kind: 'open-request',
});

beforeEach(() => ddb.reset());

describe('DynamoDbRequestStore', () => {
  it('on its own: lists the due requests, oldest retry first (none before any), then oldest request', async () => {
    const due = [
      stored('late-retry', 'deferred', NOW - 5_000, NOW - 10),
      stored('pending-new', 'pending', NOW - 1_000),
      stored('early-retry', 'deferred', NOW - 9_000, NOW - 500),
      stored('pending-old', 'pending', NOW - 2_000),
      stored('not-yet', 'deferred', NOW - 9_000, NOW + 1),
    ];
    ddb.on(QueryCommand).resolves({ Items: due.map(openEntry) });
    const listed = await requests().listDueRequests(NOW);
    expect(listed.map((r) => r.request.requestId)).toEqual(['pending-old', 'pending-new', 'early-retry', 'late-retry']);
  });

  it('reads one request consistently; absent is undefined', async () => {
    ddb.on(GetCommand).resolves({});
    expect(await requests().getRequest(requestId('req-1'))).toBeUndefined();
    expect(ddb).toHaveReceivedCommandWith(GetCommand, { TableName: 'spotwise', Key: { pk: 'REQUEST#req-1', sk: 'REQUEST' }, ConsistentRead: true });
  });
});
