import { UpdateCommand, type DynamoDBDocumentClient, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { Keys, TableKey } from '../contracts/table';
import { parseWith } from '../contracts/validation';
import type { GroupId, PoolSignal, PoolSignalHistory } from '../core/domain';
import type { PoolSignalStore } from '../ports/state-store';
import { dynamoDbTable, queryAll, type DynamoDbTable, type DynamoDbTableOptions } from './dynamodb-table';
import { ConditionFailedError, translateAwsError } from './errors';

/**
 * How long a pool's signal history is kept after its last signal (DynamoDB TTL). The Advisor's figures are a
 * trailing month; Spot capacity changes over weeks, so a pool quiet for three months goes back to its prior.
 */
export const POOL_SIGNAL_TTL_SECONDS = 90 * 24 * 3600;

const poolKey = (s: { readonly instanceType: string; readonly availabilityZone: string }): string => `${s.instanceType}@${s.availabilityZone}`;

/**
 * One UpdateItem per signal: ADD the warning or rebalance counter (DynamoDB creates the item and the counter at
 * the first), `since` set only if absent, the TTL pushed out from this signal. The condition refuses a signal
 * whose event id is the one last counted, so a redelivery right after is not counted twice (the notice handler's
 * processed-event mark covers the rest).
 */
export const poolSignalUpdate = (tableName: string, groupId: GroupId, signal: PoolSignal): UpdateCommandInput => ({
  TableName: tableName,
  Key: Keys.poolSignals(groupId, poolKey(signal)),
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
    '#ttl': TableKey.ttl,
    '#counter': signal.signal === 'spot-warning' ? 'warnings' : 'rebalances',
  },
  ExpressionAttributeValues: {
    ':kind': 'pool-signals',
    ':type': signal.instanceType,
    ':az': signal.availabilityZone,
    ':at': signal.at,
    ':eventId': signal.eventId,
    ':ttl': Math.floor(signal.at / 1000) + POOL_SIGNAL_TTL_SECONDS,
    ':one': 1,
  },
});

const count = z.number().int().min(0);
const poolSignalItemSchema = z.object({
  instanceType: z.string().min(1),
  availabilityZone: z.string().min(1),
  // ADD creates only the counter it names: a pool that only got rebalance recommendations has no warnings yet.
  warnings: count.default(0),
  rebalances: count.default(0),
  since: z.number().finite(),
  lastAt: z.number().finite(),
});

export const parsePoolSignalItem = (raw: unknown, groupId: GroupId): PoolSignalHistory =>
  parseWith(poolSignalItemSchema, `pool signal item of group ${groupId}`, raw);

/** PoolSignalStore on the spotwise table: one history item per pool (type × AZ) in its group's partition. */
export class DynamoDbPoolSignalStore implements PoolSignalStore {
  private readonly table: DynamoDbTable;

  constructor(client: DynamoDBDocumentClient, options: DynamoDbTableOptions) {
    this.table = dynamoDbTable(client, options);
  }

  /** One conditional UpdateItem (poolSignalUpdate); false when the event id is the one last counted. */
  async recordPoolSignal(groupId: GroupId, signal: PoolSignal): Promise<boolean> {
    try {
      await this.table.client.send(new UpdateCommand(poolSignalUpdate(this.table.name, groupId, signal)));
      return true;
    } catch (error) {
      const translated = translateAwsError(
        `recording the ${signal.signal} ${signal.eventId} of ${signal.instanceId} against pool ${signal.instanceType}@${signal.availabilityZone} of group ${groupId}`,
        error,
      );
      if (translated instanceof ConditionFailedError) return false;
      throw translated;
    }
  }

  async getPoolSignals(groupId: GroupId): Promise<PoolSignalHistory[]> {
    const items = await queryAll(this.table, `reading the pool signals of group ${groupId}`, {
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': TableKey.partition, '#sk': TableKey.sort },
      ExpressionAttributeValues: { ':pk': Keys.pool(groupId).pk, ':prefix': Keys.poolSignalsPrefix },
    });
    return items.map((item) => parsePoolSignalItem(item, groupId));
  }
}
