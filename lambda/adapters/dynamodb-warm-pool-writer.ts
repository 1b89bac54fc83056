import { UpdateCommand, type DynamoDBDocumentClient, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { Keys } from '../contracts/table';
import { parseWith } from '../contracts/validation';
import { groupId as toGroupId, type GroupId } from '../core/domain';
import type { WarmPoolWriterStore } from '../ports/state-store';
import { dynamoDbTable, type DynamoDbTable, type DynamoDbTableOptions } from './dynamodb-table';
import { callAws, ConditionFailedError, translateAwsError } from './errors';

export const WARM_POOL_WRITER_KIND = 'warm-pool-writer';

const names = { '#kind': 'kind', '#group': 'groupId', '#holder': 'holder', '#until': 'leaseUntil', '#raises': 'raises' } as const;

/** ADD the raises (DynamoDB creates the item and the counter at the first); no condition: a raise is never refused. */
export const queueRaiseUpdate = (tableName: string, groupId: GroupId, by: number): UpdateCommandInput => ({
  TableName: tableName,
  Key: Keys.warmPoolWriter(groupId),
  UpdateExpression: 'SET #kind = :kind, #group = :group ADD #raises :by',
  ExpressionAttributeNames: { '#kind': names['#kind'], '#group': names['#group'], '#raises': names['#raises'] },
  ExpressionAttributeValues: { ':kind': WARM_POOL_WRITER_KIND, ':group': groupId, ':by': by },
});

/** The lease for `holder`, taken only when nobody holds it or the holder's lease ran out (a crashed writer's). */
export const acquireLeaseUpdate = (tableName: string, groupId: GroupId, holder: string, now: number, until: number): UpdateCommandInput => ({
  TableName: tableName,
  Key: Keys.warmPoolWriter(groupId),
  UpdateExpression: 'SET #kind = :kind, #group = :group, #holder = :holder, #until = :until',
  ConditionExpression: 'attribute_not_exists(#holder) OR #until < :now',
  ExpressionAttributeNames: { '#kind': names['#kind'], '#group': names['#group'], '#holder': names['#holder'], '#until': names['#until'] },
  ExpressionAttributeValues: { ':kind': WARM_POOL_WRITER_KIND, ':group': groupId, ':holder': holder, ':until': until, ':now': now },
});

/** Empties the queue, only for the lease holder; the count before is returned (UPDATED_OLD). */
export const takeRaisesUpdate = (tableName: string, groupId: GroupId, holder: string): UpdateCommandInput => ({
  TableName: tableName,
  Key: Keys.warmPoolWriter(groupId),
  UpdateExpression: 'SET #raises = :zero',
  ConditionExpression: '#holder = :holder',
  ExpressionAttributeNames: { '#holder': names['#holder'], '#raises': names['#raises'] },
  ExpressionAttributeValues: { ':holder': holder, ':zero': 0 },
  ReturnValues: 'UPDATED_OLD',
});

/** Gives the lease up, only for its holder; the item after it is returned (ALL_NEW: the raises queued meanwhile). */
export const releaseLeaseUpdate = (tableName: string, groupId: GroupId, holder: string): UpdateCommandInput => ({
  TableName: tableName,
  Key: Keys.warmPoolWriter(groupId),
  UpdateExpression: 'REMOVE #holder, #until',
  ConditionExpression: '#holder = :holder',
  ExpressionAttributeNames: { '#holder': names['#holder'], '#until': names['#until'] },
  ExpressionAttributeValues: { ':holder': holder },
  ReturnValues: 'ALL_NEW',
});

const raisesSchema = z.object({ raises: z.number().int().min(0).default(0) });
const raisesOf = (attributes: Record<string, unknown> | undefined, groupId: GroupId): number =>
  parseWith(raisesSchema, `warm-pool writer item of group ${groupId}`, attributes ?? {}).raises;

/** A group's warm-pool writer item as `spotwise status` shows it. */
export interface WarmPoolWriterItem {
  readonly groupId: GroupId;
  readonly raises: number;
  /** Absent when nobody holds the lease. */
  readonly holder?: string;
  readonly leaseUntil?: number;
}

const itemSchema = z.object({
  groupId: z.string().min(1),
  raises: z.number().int().min(0).default(0),
  holder: z.string().min(1).optional(),
  leaseUntil: z.number().finite().optional(),
});

export const parseWarmPoolWriterItem = (raw: unknown, where: string): WarmPoolWriterItem => {
  const item = parseWith(itemSchema, `warm-pool writer item ${where}`, raw);
  return {
    groupId: toGroupId(item.groupId),
    raises: item.raises,
    ...(item.holder !== undefined ? { holder: item.holder } : {}),
    ...(item.leaseUntil !== undefined ? { leaseUntil: item.leaseUntil } : {}),
  };
};

/**
 * WarmPoolWriterStore on the spotwise table: one item per group (`GROUP#<group>` / `WARMPOOL`) holding the lease
 * (`holder`, `leaseUntil` in epoch ms) and the queue of raises (`raises`), each operation one UpdateItem. A condition
 * that fails is the answer (the lease is someone else's), never an error.
 */
export class DynamoDbWarmPoolWriterStore implements WarmPoolWriterStore {
  private readonly table: DynamoDbTable;

  constructor(client: DynamoDBDocumentClient, options: DynamoDbTableOptions) {
    this.table = dynamoDbTable(client, options);
  }

  async queueWarmPoolRaise(groupId: GroupId, by: number): Promise<void> {
    if (!(Number.isInteger(by) && by > 0)) throw new RangeError(`queueing a warm-pool raise for group ${groupId}: by must be an integer > 0 (got ${by})`);
    await callAws(`queueing ${by} warm-pool raise(s) for group ${groupId}`, () =>
      this.table.client.send(new UpdateCommand(queueRaiseUpdate(this.table.name, groupId, by))),
    );
  }

  async acquireWarmPoolLease(groupId: GroupId, holder: string, now: number, until: number): Promise<boolean> {
    const out = await this.conditional(
      `taking the warm-pool lease of group ${groupId} for ${holder}`,
      acquireLeaseUpdate(this.table.name, groupId, holder, now, until),
    );
    return out !== undefined;
  }

  async takeWarmPoolRaises(groupId: GroupId, holder: string): Promise<number> {
    const out = await this.conditional(`taking the queued warm-pool raises of group ${groupId}`, takeRaisesUpdate(this.table.name, groupId, holder));
    return out === undefined ? 0 : raisesOf(out, groupId);
  }

  async releaseWarmPoolLease(groupId: GroupId, holder: string): Promise<number> {
    const out = await this.conditional(`giving up the warm-pool lease of group ${groupId}`, releaseLeaseUpdate(this.table.name, groupId, holder));
    return out === undefined ? 0 : raisesOf(out, groupId);
  }

  /** The returned attributes, or undefined when the condition failed. */
  private async conditional(operation: string, input: UpdateCommandInput): Promise<Record<string, unknown> | undefined> {
    try {
      const response = await this.table.client.send(new UpdateCommand(input));
      return (response.Attributes ?? {}) as Record<string, unknown>;
    } catch (error) {
      const translated = translateAwsError(operation, error);
      if (translated instanceof ConditionFailedError) return undefined;
      throw translated;
    }
  }
}
