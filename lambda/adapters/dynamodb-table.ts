import { QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../ports/clock';
import { DEFAULT_BACKOFF, type BackoffOptions } from './backoff';
import type { RetryPolicy } from './dynamodb-retry';
import { callAws } from './errors';
import { systemClock } from './system-clock';

/** How every DynamoDB adapter of the spotwise table is configured (one table, DESIGN.md §5; keys in lambda/contracts/table.ts). */
export interface DynamoDbTableOptions {
  readonly tableName: string;
  /** Used to sweep expired reservations before refusing one. */
  readonly clock?: Clock;
  /** Attempts for contended transactions and for batch items DynamoDB left unprocessed. */
  readonly maxAttempts?: number;
  readonly backoff?: BackoffOptions;
}

const DEFAULT_ATTEMPTS = 8;

/** The table as the adapters use it: the client, the table's name, the clock and the retry policy, defaults applied. */
export interface DynamoDbTable {
  readonly client: DynamoDBDocumentClient;
  readonly name: string;
  readonly clock: Clock;
  readonly retry: RetryPolicy;
}

/** Checks the options once (a table name must not be empty) and applies the defaults. */
export const dynamoDbTable = (client: DynamoDBDocumentClient, options: DynamoDbTableOptions): DynamoDbTable => {
  if (options.tableName.trim() === '') throw new RangeError('tableName must not be empty (got "")');
  return {
    client,
    name: options.tableName,
    clock: options.clock ?? systemClock,
    retry: { maxAttempts: options.maxAttempts ?? DEFAULT_ATTEMPTS, backoff: options.backoff ?? DEFAULT_BACKOFF },
  };
};

/** Where a page starts: nothing for the first, else the key the previous page ended at (its LastEvaluatedKey). */
export type PageStart = { readonly ExclusiveStartKey?: Record<string, unknown> };

/**
 * Every page of a Query or Scan: `send` is called with where each page starts, from the first page to the one
 * without a LastEvaluatedKey; a failed page is translated (callAws). Not the SDK's paginateQuery/paginateScan: they
 * send every page with one input object, changed in place, so a recorded command shows a later page's start key
 * (and a `Limit: undefined`); here each page's command has its own input, exactly as sent.
 */
export async function* eachPage<P extends { readonly LastEvaluatedKey?: Record<string, unknown> }>(
  operation: string,
  send: (start: PageStart) => Promise<P>,
): AsyncGenerator<P, void, undefined> {
  let start: PageStart = {};
  for (;;) {
    const page = await callAws(operation, () => send(start));
    yield page;
    if (page.LastEvaluatedKey === undefined) return;
    start = { ExclusiveStartKey: page.LastEvaluatedKey };
  }
}

/** What a Query of the table says (the table and consistency are the helper's). */
export type TableQuery = Pick<QueryCommandInput, 'KeyConditionExpression' | 'FilterExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'>;

/** A strongly consistent Query of the table, every page. */
export const queryAll = async (table: DynamoDbTable, operation: string, input: TableQuery): Promise<Record<string, unknown>[]> => {
  const items: Record<string, unknown>[] = [];
  for await (const page of eachPage(operation, (start) =>
    table.client.send(new QueryCommand({ TableName: table.name, ...input, ConsistentRead: true, ...start })),
  )) {
    items.push(...((page.Items ?? []) as Record<string, unknown>[]));
  }
  return items;
};
