import { GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient, type PutCommandInput } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { parseWith } from '../contracts/validation';
import { CYCLE_TTL_SECONDS, Keys, RETRAINING_RUN_TTL_SECONDS, TableKey } from '../contracts/table';
import { DIMENSIONS, groupId as toGroupId, instanceId as toInstanceId, type GroupId, type LearnedCycle } from '../core/domain';
import type { CycleStore, ModelStore, RetrainingRecord, StoredModel } from '../ports/learning-store';
import { bodyItem, bodyOf } from './dynamodb-items';
import { batchPutItems } from './dynamodb-profile-store';
import { dynamoDbTable, eachPage, type DynamoDbTable, type DynamoDbTableOptions } from './dynamodb-table';
import { callAws, ConditionFailedError } from './errors';

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const nonNegative = finite.refine((v) => v >= 0, 'must be ≥ 0');
const cycleRowSchema = z.object({ values: z.array(finite).min(1), scale: nonNegative, peak: nonNegative });
const cycleBodySchema = z.object({
  groupId: z.string().min(1),
  instanceId: z.string().min(1),
  jobType: z.string(),
  instanceType: z.string().min(1),
  interruptedAt: finite,
  restartedAt: finite,
  windowMinutes: z.number().int().positive(),
  rows: z.partialRecord(z.enum(DIMENSIONS), cycleRowSchema),
  calibration: z.partialRecord(z.enum(DIMENSIONS), nonNegative).optional(),
  shares: z.partialRecord(z.enum(DIMENSIONS), nonNegative).optional(),
});

const recordSchema = z.object({
  at: finite,
  outcome: z.enum(['candidate', 'current', 'skipped']),
  reason: z.string(),
  version: z.string(),
  previousVersion: z.string(),
  cycles: z.object({ fit: z.number().int().nonnegative(), heldBack: z.number().int().nonnegative() }),
  scores: z.object({ current: z.record(z.string(), z.unknown()), candidate: z.record(z.string(), z.unknown()) }).optional(),
  seconds: nonNegative,
});

const modelItemSchema = z.object({
  version: z.string().min(1),
  modelJson: z.string().min(2),
  weights: z.instanceof(Uint8Array),
  metadata: z.string().min(2),
  savedAt: finite,
});

/** A stored retraining run's record (the body of a `retraining-run` item), validated. */
export const parseRetrainingRecordItem = (item: unknown, what: string): RetrainingRecord =>
  parseWith(recordSchema, what, bodyOf(item, what)) as RetrainingRecord;

const parseCycleItem = (raw: unknown, what: string): LearnedCycle => {
  const body = parseWith(cycleBodySchema, what, bodyOf(raw, what));
  return { ...body, groupId: toGroupId(body.groupId), instanceId: toInstanceId(body.instanceId) } as LearnedCycle;
};

const epochSeconds = (ms: number): number => Math.floor(ms / 1000);

/**
 * CycleStore on the spotwise table: one item per closed cycle under its group's partition (Keys.cycle), sorted by
 * restart time, kept CYCLE_TTL_SECONDS (DynamoDB TTL). Written in batches; a group's newest read with one Query,
 * newest first, a page at a time until `limit`.
 */
export class DynamoDbCycleStore implements CycleStore {
  private readonly table: DynamoDbTable;

  constructor(client: DynamoDBDocumentClient, options: DynamoDbTableOptions) {
    this.table = dynamoDbTable(client, options);
  }

  async putCycles(cycles: readonly LearnedCycle[]): Promise<void> {
    const now = this.table.clock.now();
    const items = cycles.map((c) =>
      bodyItem(Keys.cycle(c.groupId, c.restartedAt, c.instanceId), 'cycle', `restart cycle of ${c.instanceId} at ${c.restartedAt}`, c, {
        groupId: c.groupId,
        instanceId: c.instanceId,
        restartedAt: c.restartedAt,
        [TableKey.ttl]: epochSeconds(Math.max(now, c.restartedAt)) + CYCLE_TTL_SECONDS,
      }),
    );
    if (items.length > 0) await batchPutItems(this.table, items, `storing ${items.length} restart cycle(s)`);
  }

  async listCycles(groupId: GroupId, limit: number): Promise<LearnedCycle[]> {
    const operation = `listing the restart cycles of group ${groupId}`;
    const out: LearnedCycle[] = [];
    if (limit <= 0) return out;
    for await (const page of eachPage(operation, (start) =>
      this.table.client.send(
        new QueryCommand({
          TableName: this.table.name,
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
          ExpressionAttributeNames: { '#pk': TableKey.partition, '#sk': TableKey.sort },
          ExpressionAttributeValues: { ':pk': Keys.cycle(groupId, 0, '').pk, ':prefix': Keys.cyclePrefix },
          ScanIndexForward: false,
          Limit: Math.min(1000, limit - out.length),
          ...start,
        }),
      ),
    )) {
      for (const item of page.Items ?? []) out.push(parseCycleItem(item, `restart cycle item ${String(item[TableKey.sort])} of group ${groupId}`));
      if (out.length >= limit) break;
    }
    return out.slice(0, limit);
  }
}

/**
 * ModelStore on the spotwise table: the current model is one item (Keys.currentModel; ~40 KB: model.json and
 * metadata.json as strings, weights.bin as a binary attribute), replaced only under a condition on the version the
 * writer started from; each retraining run's record is an item of the same partition, kept a year.
 */
export class DynamoDbModelStore implements ModelStore {
  private readonly table: DynamoDbTable;

  constructor(client: DynamoDBDocumentClient, options: DynamoDbTableOptions) {
    this.table = dynamoDbTable(client, options);
  }

  async getModelVersion(): Promise<string | undefined> {
    const response = await callAws('reading the stored model version', () =>
      this.table.client.send(
        new GetCommand({
          TableName: this.table.name,
          Key: Keys.currentModel,
          ProjectionExpression: '#version',
          ExpressionAttributeNames: { '#version': 'version' },
          ConsistentRead: true,
        }),
      ),
    );
    const version = response.Item?.['version'];
    return typeof version === 'string' ? version : undefined;
  }

  async getModel(): Promise<StoredModel | undefined> {
    const what = 'the stored model';
    const response = await callAws('reading the stored model', () =>
      this.table.client.send(new GetCommand({ TableName: this.table.name, Key: Keys.currentModel, ConsistentRead: true })),
    );
    if (response.Item === undefined) return undefined;
    const item = parseWith(modelItemSchema, what, response.Item);
    const json = (text: string, field: string): Record<string, unknown> => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (cause) {
        throw new RangeError(`${what}: ${field} is not valid JSON (${(cause as Error).message})`);
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new RangeError(`${what}: ${field} is not a JSON object`);
      return parsed as Record<string, unknown>;
    };
    return {
      version: item.version,
      modelJson: json(item.modelJson, 'modelJson'),
      weights: item.weights,
      metadata: json(item.metadata, 'metadata'),
      savedAt: item.savedAt,
    };
  }

  async putModel(model: StoredModel, expected: string | undefined): Promise<boolean> {
    const condition: Pick<PutCommandInput, 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'> =
      expected === undefined
        ? { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': TableKey.partition } }
        : {
            ConditionExpression: '#version = :expected',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':expected': expected },
          };
    try {
      await callAws(`storing model ${model.version}`, () =>
        this.table.client.send(
          new PutCommand({
            TableName: this.table.name,
            Item: {
              ...Keys.currentModel,
              kind: 'model',
              version: model.version,
              modelJson: JSON.stringify(model.modelJson),
              weights: model.weights,
              metadata: JSON.stringify(model.metadata),
              savedAt: model.savedAt,
            },
            ...condition,
          }),
        ),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionFailedError) return false;
      throw error;
    }
  }

  async putRetrainingRecord(record: RetrainingRecord): Promise<void> {
    const item = bodyItem(Keys.retrainingRun(record.at), 'retraining-run', `retraining run at ${new Date(record.at).toISOString()}`, record, {
      outcome: record.outcome,
      version: record.version,
      [TableKey.ttl]: epochSeconds(record.at) + RETRAINING_RUN_TTL_SECONDS,
    });
    await callAws('storing the retraining record', () => this.table.client.send(new PutCommand({ TableName: this.table.name, Item: item })));
  }

  async listRetrainingRecords(limit: number): Promise<RetrainingRecord[]> {
    if (limit <= 0) return [];
    const response = await callAws('listing retraining records', () =>
      this.table.client.send(
        new QueryCommand({
          TableName: this.table.name,
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
          ExpressionAttributeNames: { '#pk': TableKey.partition, '#sk': TableKey.sort },
          ExpressionAttributeValues: { ':pk': Keys.currentModel.pk, ':prefix': Keys.retrainingRunPrefix },
          ScanIndexForward: false,
          Limit: limit,
          ConsistentRead: true,
        }),
      ),
    );
    return (response.Items ?? []).map(
      (item) => parseWith(recordSchema, `retraining record ${String(item[TableKey.sort])}`, bodyOf(item, 'retraining record')) as RetrainingRecord,
    );
  }
}
