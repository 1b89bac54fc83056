import 'aws-sdk-client-mock-vitest/extend';
import { ConditionalCheckFailedException, DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbCycleStore, DynamoDbModelStore } from '../../lambda/adapters/dynamodb-learning-store';
import { bodyItem } from '../../lambda/adapters/dynamodb-items';
import { ThrottledError } from '../../lambda/adapters/errors';
import { CYCLE_TTL_SECONDS, Keys, RETRAINING_RUN_TTL_SECONDS } from '../../lambda/contracts/table';
import { groupId, instanceId, type LearnedCycle } from '../../lambda/core/domain';
import type { RetrainingRecord, StoredModel } from '../../lambda/ports/learning-store';
import { meta } from './aws-errors';

const ddb = mockClient(DynamoDBDocumentClient);
afterAll(() => ddb.restore());
const TABLE = 'spotwise';
const NOW = Date.UTC(2026, 10, 20, 12, 0, 0);
const noSleep = { baseMs: 1, capMs: 1, random: () => 0, sleep: async () => undefined };
const options = { tableName: TABLE, clock: { now: () => NOW }, maxAttempts: 3, backoff: noSleep };
const client = () => DynamoDBDocumentClient.from(new DynamoDBClient({}));

const cycle = (restartedAt: number, id = 'i-0aaaaaaaaaaaaaaa1'): LearnedCycle => ({
  groupId: groupId('web'),
  instanceId: instanceId(id),
  jobType: 'web',
  instanceType: 'm5.xlarge',
  interruptedAt: restartedAt - 180_000,
  restartedAt,
  windowMinutes: 30,
  rows: { vcpu: { values: [1, 0, 0, 0, 0.5], scale: 1.2, peak: 2.5 } },
});

beforeEach(() => ddb.reset());

describe('DynamoDbCycleStore', () => {
  it('writes each cycle under its group, sorted by restart time, with a TTL of CYCLE_TTL_SECONDS', async () => {
    ddb.on(BatchWriteCommand).resolves({ UnprocessedItems: {} });
    await new DynamoDbCycleStore(client(), options).putCycles([cycle(NOW - 60_000)]);
    expect(ddb).toHaveReceivedCommandTimes(BatchWriteCommand, 1);
    const put = ddb.commandCalls(BatchWriteCommand)[0]!.args[0].input.RequestItems![TABLE]![0]!.PutRequest!.Item!;
    expect(put).toMatchObject({
      pk: 'CYCLES#web',
      sk: `CYCLE#${String(NOW - 60_000).padStart(15, '0')}#i-0aaaaaaaaaaaaaaa1`,
      kind: 'cycle',
      groupId: 'web',
      restartedAt: NOW - 60_000,
      expiresAt: Math.floor(NOW / 1000) + CYCLE_TTL_SECONDS,
    });
    expect(JSON.parse(put['body'] as string)).toEqual(cycle(NOW - 60_000));
  });

  it('sends nothing for no cycles', async () => {
    await new DynamoDbCycleStore(client(), options).putCycles([]);
    expect(ddb).toHaveReceivedCommandTimes(BatchWriteCommand, 0);
  });

  it("reads a group's newest first, page by page, and stops at the limit", async () => {
    const item = (t: number) => bodyItem(Keys.cycle('web', t, 'i-0aaaaaaaaaaaaaaa1'), 'cycle', 'c', cycle(t));
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [item(NOW), item(NOW - 1)], LastEvaluatedKey: { pk: 'CYCLES#web', sk: 'x' } })
      .resolvesOnce({ Items: [item(NOW - 2), item(NOW - 3)], LastEvaluatedKey: { pk: 'CYCLES#web', sk: 'y' } });
    const out = await new DynamoDbCycleStore(client(), options).listCycles(groupId('web'), 3);
    expect(out.map((c) => c.restartedAt)).toEqual([NOW, NOW - 1, NOW - 2]);
    expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 2);
    expect(ddb).toHaveReceivedNthCommandWith(QueryCommand, 1, {
      TableName: TABLE,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
      ExpressionAttributeValues: { ':pk': 'CYCLES#web', ':prefix': 'CYCLE#' },
      ScanIndexForward: false,
      Limit: 3,
    });
    expect(ddb).toHaveReceivedNthCommandWith(QueryCommand, 2, { Limit: 1, ExclusiveStartKey: { pk: 'CYCLES#web', sk: 'x' } });
  });

  it("keeps a cycle's calibration scores through the table, and names a negative one", async () => {
    const scored: LearnedCycle = { ...cycle(NOW), calibration: { vcpu: 1.8, memoryGiB: 0.9 }, shares: { memoryGiB: 0.85 } };
    ddb.on(BatchWriteCommand).resolves({ UnprocessedItems: {} });
    await new DynamoDbCycleStore(client(), options).putCycles([scored]);
    const put = ddb.commandCalls(BatchWriteCommand)[0]!.args[0].input.RequestItems![TABLE]![0]!.PutRequest!.Item!;
    ddb.on(QueryCommand).resolves({ Items: [put] });
    expect(await new DynamoDbCycleStore(client(), options).listCycles(groupId('web'), 10)).toEqual([scored]);
    const bad = bodyItem(Keys.cycle('web', NOW, 'i-1'), 'cycle', 'c', { ...cycle(NOW), calibration: { vcpu: -2 } });
    ddb.on(QueryCommand).resolves({ Items: [bad] });
    await expect(new DynamoDbCycleStore(client(), options).listCycles(groupId('web'), 10)).rejects.toThrow(/calibration\.vcpu.*-2|-2.*calibration\.vcpu/);
    const badShare = bodyItem(Keys.cycle('web', NOW, 'i-1'), 'cycle', 'c', { ...cycle(NOW), shares: { memoryGiB: -0.5 } });
    ddb.on(QueryCommand).resolves({ Items: [badShare] });
    await expect(new DynamoDbCycleStore(client(), options).listCycles(groupId('web'), 10)).rejects.toThrow(/shares\.memoryGiB.*-0\.5|-0\.5.*shares\.memoryGiB/);
  });

  it('names the item and the field of a corrupt cycle', async () => {
    const bad = bodyItem(Keys.cycle('web', NOW, 'i-1'), 'cycle', 'c', { ...cycle(NOW), windowMinutes: -5 });
    ddb.on(QueryCommand).resolves({ Items: [bad] });
    await expect(new DynamoDbCycleStore(client(), options).listCycles(groupId('web'), 10)).rejects.toThrow(/restart cycle item CYCLE#.*windowMinutes.*-5/);
  });
});

const model: StoredModel = {
  version: '1.r+abc',
  modelJson: { modelTopology: { a: 1 }, weightsManifest: [] },
  weights: new Uint8Array([1, 2, 3]),
  metadata: { version: '1.r+abc' },
  savedAt: NOW,
};

describe('DynamoDbModelStore', () => {
  it('stores the first model only where none is (attribute_not_exists), and a later one only over the version it read', async () => {
    ddb.on(PutCommand).resolves({});
    const store = new DynamoDbModelStore(client(), options);
    expect(await store.putModel(model, undefined)).toBe(true);
    expect(await store.putModel({ ...model, version: '1.r+def' }, '1.r+abc')).toBe(true);
    expect(ddb).toHaveReceivedNthCommandWith(PutCommand, 1, {
      TableName: TABLE,
      Item: {
        pk: 'MODEL',
        sk: 'CURRENT',
        kind: 'model',
        version: '1.r+abc',
        modelJson: JSON.stringify(model.modelJson),
        weights: model.weights,
        metadata: '{"version":"1.r+abc"}',
        savedAt: NOW,
      },
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': 'pk' },
    });
    expect(ddb).toHaveReceivedNthCommandWith(PutCommand, 2, {
      ConditionExpression: '#version = :expected',
      ExpressionAttributeNames: { '#version': 'version' },
      ExpressionAttributeValues: { ':expected': '1.r+abc' },
    });
  });

  it('answers false when another run replaced the model first (ConditionalCheckFailed), and throws other failures', async () => {
    ddb.on(PutCommand).rejectsOnce(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: meta() }));
    const store = new DynamoDbModelStore(client(), options);
    expect(await store.putModel(model, 'older')).toBe(false);
    ddb.on(PutCommand).rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: meta() }));
    await expect(store.putModel(model, 'older')).rejects.toBeInstanceOf(ThrottledError);
  });

  it('reads the version alone (a projection, strongly consistent) and the whole model back', async () => {
    ddb.on(GetCommand, { ProjectionExpression: '#version' }).resolves({ Item: { version: '1.r+abc' } });
    ddb.on(GetCommand, { Key: Keys.currentModel, ConsistentRead: true }).resolves({
      Item: {
        ...Keys.currentModel,
        version: '1.r+abc',
        modelJson: JSON.stringify(model.modelJson),
        weights: model.weights,
        metadata: '{"version":"1.r+abc"}',
        savedAt: NOW,
      },
    });
    const store = new DynamoDbModelStore(client(), options);
    expect(await store.getModelVersion()).toBe('1.r+abc');
    expect(ddb).toHaveReceivedCommandWith(GetCommand, {
      TableName: TABLE,
      Key: { pk: 'MODEL', sk: 'CURRENT' },
      ProjectionExpression: '#version',
      ExpressionAttributeNames: { '#version': 'version' },
      ConsistentRead: true,
    });
    ddb.reset();
    ddb.on(GetCommand).resolves({
      Item: {
        ...Keys.currentModel,
        version: '1.r+abc',
        modelJson: JSON.stringify(model.modelJson),
        weights: model.weights,
        metadata: '{"version":"1.r+abc"}',
        savedAt: NOW,
      },
    });
    expect(await store.getModel()).toEqual(model);
  });

  it('has no model when the item is absent, and names what is wrong with a corrupt one', async () => {
    ddb
      .on(GetCommand)
      .resolvesOnce({})
      .resolvesOnce({ Item: { ...Keys.currentModel, version: 'v', modelJson: '{not json', weights: new Uint8Array(), metadata: '{}', savedAt: NOW } });
    const store = new DynamoDbModelStore(client(), options);
    expect(await store.getModel()).toBeUndefined();
    await expect(store.getModel()).rejects.toThrow(/the stored model: modelJson is not valid JSON/);
  });

  it('records a run under MODEL/RUN#<time> with a year of TTL, and lists the newest first', async () => {
    ddb.on(PutCommand).resolves({});
    const record: RetrainingRecord = {
      at: NOW,
      outcome: 'current',
      reason: 'candidate not better',
      version: 'v1',
      previousVersion: 'v1',
      cycles: { fit: 30, heldBack: 10 },
      seconds: 4.2,
    };
    const store = new DynamoDbModelStore(client(), options);
    await store.putRetrainingRecord(record);
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      TableName: TABLE,
      Item: expect.objectContaining({
        pk: 'MODEL',
        sk: `RUN#${new Date(NOW).toISOString()}`,
        outcome: 'current',
        expiresAt: Math.floor(NOW / 1000) + RETRAINING_RUN_TTL_SECONDS,
      }),
    });
    const item = ddb.commandCalls(PutCommand)[0]!.args[0].input.Item!;
    ddb.on(QueryCommand).resolves({ Items: [item] });
    expect(await store.listRetrainingRecords(5)).toEqual([record]);
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeValues: { ':pk': 'MODEL', ':prefix': 'RUN#' },
      ScanIndexForward: false,
      Limit: 5,
    });
  });
});
