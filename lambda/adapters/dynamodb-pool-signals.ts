import type { UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { Keys, TableKey } from '../contracts/table';
import { parseWith } from '../contracts/validation';
import type { GroupId, PoolSignal, PoolSignalHistory } from '../core/domain';

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
