import { BatchGetCommand, BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Keys, TableKey } from '../contracts/table';
import type { BehaviourProfile, Forecast, InstanceId } from '../core/domain';
import type { ForecastStore, ProfileStore } from '../ports/state-store';
import { chunk } from './chunk';
import { bodyItem, parseForecastItem, parseProfileItem, profileItem } from './dynamodb-items';
import { Again, retrying } from './dynamodb-retry';
import { dynamoDbTable, type DynamoDbTable, type DynamoDbTableOptions } from './dynamodb-table';
import { callAws } from './errors';

/** BatchWriteItem takes at most 25 items, BatchGetItem at most 100 keys (DynamoDB API reference). */
export const BATCH_WRITE_SIZE = 25;
export const BATCH_GET_SIZE = 100;

type ItemKey = { readonly pk: string; readonly sk: string };

const keyString = (item: Record<string, unknown> | ItemKey): string =>
  `${String((item as Record<string, unknown>)[TableKey.partition])}\u0000${String((item as Record<string, unknown>)[TableKey.sort])}`;

/**
 * Writes items in chunks of BATCH_WRITE_SIZE (a key given twice: the last write wins, as sequential puts would),
 * sending again what DynamoDB left unprocessed, with backoff. Every batched writer of the table uses it.
 */
export const batchPutItems = async (table: DynamoDbTable, items: readonly Record<string, unknown>[], operation: string): Promise<void> => {
  const { client, name } = table;
  // DynamoDB rejects a batch that writes one key twice: the last write of a key wins, as sequential puts would.
  const unique = new Map(items.map((item) => [keyString(item), item]));
  for (const batch of chunk([...unique.values()], BATCH_WRITE_SIZE)) {
    let pending = batch.map((Item) => ({ PutRequest: { Item } }));
    await retrying(table.retry, {
      operation,
      attempt: async () => {
        const requests = pending;
        const response = await callAws(operation, () => client.send(new BatchWriteCommand({ RequestItems: { [name]: requests } })));
        pending = (response.UnprocessedItems?.[name] ?? []).flatMap((r) =>
          r.PutRequest?.Item !== undefined ? [{ PutRequest: { Item: r.PutRequest.Item } }] : [],
        );
        return pending.length > 0 ? Again.afterBackoff : undefined;
      },
      exhausted: (attempts) => `${pending.length} item(s) still unprocessed after ${attempts} attempts; retry later`,
    });
  }
};

/**
 * ProfileStore and ForecastStore on the spotwise table: one item per instance and kind (its body as JSON), read
 * and written in batches. They share the batching, so one class holds both.
 */
export class DynamoDbProfileStore implements ProfileStore, ForecastStore {
  private readonly table: DynamoDbTable;

  constructor(client: DynamoDBDocumentClient, options: DynamoDbTableOptions) {
    this.table = dynamoDbTable(client, options);
  }

  async getProfiles(ids: readonly InstanceId[]): Promise<Map<InstanceId, BehaviourProfile>> {
    return this.getRecords(ids, Keys.profile, parseProfileItem, `reading the profiles of ${ids.length} instance(s)`);
  }

  async putProfiles(profiles: readonly BehaviourProfile[]): Promise<void> {
    const items = profiles.map(profileItem);
    await batchPutItems(this.table, items, `storing the profiles of ${profiles.length} instance(s)`);
  }

  async getForecasts(ids: readonly InstanceId[]): Promise<Map<InstanceId, Forecast>> {
    return this.getRecords(ids, Keys.forecast, parseForecastItem, `reading the forecasts of ${ids.length} instance(s)`);
  }

  async putForecasts(forecasts: readonly Forecast[]): Promise<void> {
    const items = forecasts.map((f) =>
      bodyItem(Keys.forecast(f.instanceId), 'forecast', `forecast of ${f.instanceId}`, f, { instanceId: f.instanceId, forecastKind: f.kind, madeAt: f.madeAt }),
    );
    await batchPutItems(this.table, items, `storing the forecasts of ${forecasts.length} instance(s)`);
  }

  /** One batched read of per-instance records (profiles, forecasts); absent items are left out of the map. */
  private async getRecords<T>(
    ids: readonly InstanceId[],
    keyOf: (id: string) => ItemKey,
    parse: (raw: unknown, id: string) => T,
    operation: string,
  ): Promise<Map<InstanceId, T>> {
    const items = await this.batchGet(
      ids.map((id) => keyOf(id)),
      operation,
    );
    const out = new Map<InstanceId, T>();
    for (const id of ids) {
      const raw = items.get(keyString(keyOf(id)));
      if (raw !== undefined) out.set(id, parse(raw, id));
    }
    return out;
  }

  /** Reads in chunks of BATCH_GET_SIZE (keys de-duplicated), asking again for what DynamoDB left unprocessed. */
  private async batchGet(keys: readonly ItemKey[], operation: string): Promise<Map<string, Record<string, unknown>>> {
    const { client, name } = this.table;
    const unique = new Map(keys.map((k) => [keyString(k), { pk: k.pk, sk: k.sk }]));
    const out = new Map<string, Record<string, unknown>>();
    for (const batch of chunk([...unique.values()], BATCH_GET_SIZE)) {
      let pending: Record<string, unknown>[] = batch;
      await retrying(this.table.retry, {
        operation,
        attempt: async () => {
          const requestKeys = pending;
          const response = await callAws(operation, () => client.send(new BatchGetCommand({ RequestItems: { [name]: { Keys: requestKeys } } })));
          for (const item of response.Responses?.[name] ?? []) out.set(keyString(item), item);
          pending = response.UnprocessedKeys?.[name]?.Keys ?? [];
          return pending.length > 0 ? Again.afterBackoff : undefined;
        },
        exhausted: (attempts) => `${pending.length} key(s) still unprocessed after ${attempts} attempts; retry later`,
      });
    }
    return out;
  }
}
