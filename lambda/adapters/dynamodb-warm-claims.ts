import { DeleteCommand, PutCommand, type DeleteCommandInput, type DynamoDBDocumentClient, type PutCommandInput } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { Keys, TableKey } from '../contracts/table';
import { parseWith } from '../contracts/validation';
import { groupId as toGroupId, instanceId as toInstanceId, type GroupId, type InstanceId, type WarmClaim } from '../core/domain';
import type { WarmClaimStore } from '../ports/state-store';
import { dynamoDbTable, queryAll, type DynamoDbTable, type DynamoDbTableOptions } from './dynamodb-table';
import { ConditionFailedError, translateAwsError } from './errors';

export const WARM_CLAIM_KIND = 'warm-claim';

/** A claim's item outlives its term by a day (DynamoDB TTL deletes it within days; a read filters on `claimUntil`). */
const TTL_AFTER_SECONDS = 24 * 3600;

/**
 * One PutItem: the claim, written only when the instance has no claim, its claim ran out, it is this victim's (a
 * redelivered recommendation claims the same instance again), or it is `supersedes`'s (a claim the plan found no longer
 * standing: its victim's load has a host).
 */
export const claimPut = (tableName: string, claim: WarmClaim, now: number, supersedes?: InstanceId): PutCommandInput => ({
  TableName: tableName,
  Item: {
    ...Keys.warmClaim(claim.groupId, claim.instanceId),
    kind: WARM_CLAIM_KIND,
    groupId: claim.groupId,
    instanceId: claim.instanceId,
    victimId: claim.victimId,
    claimUntil: claim.until,
    [TableKey.ttl]: Math.floor(claim.until / 1000) + TTL_AFTER_SECONDS,
  },
  ConditionExpression: `attribute_not_exists(#pk) OR #until < :now OR #victim = :victim${supersedes !== undefined ? ' OR #victim = :stale' : ''}`,
  ExpressionAttributeNames: { '#pk': TableKey.partition, '#until': 'claimUntil', '#victim': 'victimId' },
  ExpressionAttributeValues: { ':now': now, ':victim': claim.victimId, ...(supersedes !== undefined ? { ':stale': supersedes } : {}) },
});

/** One DeleteItem, only while the claim is still this victim's. */
export const claimDelete = (tableName: string, groupId: GroupId, instanceId: InstanceId, victimId: InstanceId): DeleteCommandInput => ({
  TableName: tableName,
  Key: Keys.warmClaim(groupId, instanceId),
  ConditionExpression: '#victim = :victim',
  ExpressionAttributeNames: { '#victim': 'victimId' },
  ExpressionAttributeValues: { ':victim': victimId },
});

const itemSchema = z.object({
  groupId: z.string().min(1),
  instanceId: z.string().min(1),
  victimId: z.string().min(1),
  claimUntil: z.number().finite(),
});

export const parseWarmClaimItem = (raw: unknown, where: string): WarmClaim => {
  const item = parseWith(itemSchema, `warm claim item ${where}`, raw);
  return { groupId: toGroupId(item.groupId), instanceId: toInstanceId(item.instanceId), victimId: toInstanceId(item.victimId), until: item.claimUntil };
};

/**
 * WarmClaimStore on the spotwise table: one item per claimed warm instance in its group's partition. A condition that
 * fails is the answer (another victim's live claim, or a claim no longer this victim's), never an error.
 */
export class DynamoDbWarmClaimStore implements WarmClaimStore {
  private readonly table: DynamoDbTable;

  constructor(client: DynamoDBDocumentClient, options: DynamoDbTableOptions) {
    this.table = dynamoDbTable(client, options);
  }

  async claimWarmInstance(claim: WarmClaim, now: number, supersedes?: InstanceId): Promise<boolean> {
    try {
      await this.table.client.send(new PutCommand(claimPut(this.table.name, claim, now, supersedes)));
      return true;
    } catch (error) {
      const translated = translateAwsError(`claiming warm ${claim.instanceId} of group ${claim.groupId} for ${claim.victimId}`, error);
      if (translated instanceof ConditionFailedError) return false;
      throw translated;
    }
  }

  async releaseWarmClaim(groupId: GroupId, instanceId: InstanceId, victimId: InstanceId): Promise<void> {
    try {
      await this.table.client.send(new DeleteCommand(claimDelete(this.table.name, groupId, instanceId, victimId)));
    } catch (error) {
      const translated = translateAwsError(`giving up the claim of ${victimId} on warm ${instanceId} of group ${groupId}`, error);
      if (translated instanceof ConditionFailedError) return;
      throw translated;
    }
  }

  async getWarmClaims(groupId: GroupId, now: number): Promise<WarmClaim[]> {
    const items = await queryAll(this.table, `reading the warm claims of group ${groupId}`, {
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': TableKey.partition, '#sk': TableKey.sort },
      ExpressionAttributeValues: { ':pk': Keys.pool(groupId).pk, ':prefix': Keys.warmClaimPrefix },
    });
    return items.map((item, k) => parseWarmClaimItem(item, `${k + 1} of group ${groupId}`)).filter((c) => c.until > now);
  }
}
