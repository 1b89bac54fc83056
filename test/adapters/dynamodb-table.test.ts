import 'aws-sdk-client-mock-vitest/extend';
import { DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_BACKOFF } from '../../lambda/adapters/backoff';
import { dynamoDbTable, eachPage, queryAll } from '../../lambda/adapters/dynamodb-table';
import { ThrottledError } from '../../lambda/adapters/errors';
import { systemClock } from '../../lambda/adapters/system-clock';
import { meta } from './aws-errors';

const ddb = mockClient(DynamoDBDocumentClient);
afterAll(() => ddb.restore());
const client = () => DynamoDBDocumentClient.from(new DynamoDBClient({}));

beforeEach(() => ddb.reset());

describe('dynamoDbTable', () => {
  it('refuses an empty table name, naming it', () => {
    expect(() => dynamoDbTable(client(), { tableName: ' ' })).toThrow(new RangeError('tableName must not be empty (got "")'));
  });

  it('applies the defaults: the system clock, 8 attempts, the default backoff', () => {
    const table = dynamoDbTable(client(), { tableName: 'spotwise' });
    expect(table).toMatchObject({ name: 'spotwise', clock: systemClock, retry: { maxAttempts: 8, backoff: DEFAULT_BACKOFF } });
  });

  it('keeps what is given', () => {
    const clock = { now: () => 1 };
    const backoff = { baseMs: 1, capMs: 2 };
    expect(dynamoDbTable(client(), { tableName: 't', clock, maxAttempts: 3, backoff })).toMatchObject({ clock, retry: { maxAttempts: 3, backoff } });
  });
});

describe('queryAll', () => {
  const query = {
    KeyConditionExpression: '#pk = :pk',
    ExpressionAttributeNames: { '#pk': 'pk' },
    ExpressionAttributeValues: { ':pk': 'GROUP#web' },
  };

  it('sends one consistent Query per page, each with its own input, and returns the items in page order', async () => {
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [{ n: 1 }, { n: 2 }], LastEvaluatedKey: { pk: 'GROUP#web', sk: 'B' } })
      .resolvesOnce({ Items: [], LastEvaluatedKey: { pk: 'GROUP#web', sk: 'C' } })
      .resolvesOnce({ Items: [{ n: 3 }] });
    const items = await queryAll(dynamoDbTable(client(), { tableName: 'spotwise' }), 'reading things', query);
    expect(items).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    const first = { TableName: 'spotwise', ...query, ConsistentRead: true };
    expect(ddb.commandCalls(QueryCommand).map((c) => c.args[0].input)).toStrictEqual([
      first,
      { ...first, ExclusiveStartKey: { pk: 'GROUP#web', sk: 'B' } },
      { ...first, ExclusiveStartKey: { pk: 'GROUP#web', sk: 'C' } },
    ]);
  });

  it('translates a failed page, naming the operation', async () => {
    ddb.on(QueryCommand).rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: meta() }));
    const call = queryAll(dynamoDbTable(client(), { tableName: 'spotwise' }), 'reading things', query);
    await expect(call).rejects.toBeInstanceOf(ThrottledError);
    await expect(call).rejects.toThrow(/^reading things: throttled by AWS/);
  });
});

describe('eachPage', () => {
  it('yields every page of a Scan as it comes, each command with its own start key, and stops at the page without one', async () => {
    ddb
      .on(ScanCommand)
      .resolvesOnce({ Items: [{ n: 1 }], Count: 1, LastEvaluatedKey: { pk: 'A', sk: 'A' } })
      .resolvesOnce({ Items: [{ n: 2 }], Count: 1 });
    const doc = client();
    const counts: number[] = [];
    for await (const page of eachPage('scanning', (start) => doc.send(new ScanCommand({ TableName: 'spotwise', ...start })))) counts.push(page.Count ?? 0);
    expect(counts).toEqual([1, 1]);
    expect(ddb.commandCalls(ScanCommand).map((c) => c.args[0].input)).toStrictEqual([
      { TableName: 'spotwise' },
      { TableName: 'spotwise', ExclusiveStartKey: { pk: 'A', sk: 'A' } },
    ]);
  });

  it('sends no further page once the caller stops reading', async () => {
    ddb.on(ScanCommand).resolves({ Items: [], LastEvaluatedKey: { pk: 'A', sk: 'A' } });
    const doc = client();
    for await (const _page of eachPage('scanning', (start) => doc.send(new ScanCommand({ TableName: 'spotwise', ...start })))) break;
    expect(ddb).toHaveReceivedCommandTimes(ScanCommand, 1);
  });
});
