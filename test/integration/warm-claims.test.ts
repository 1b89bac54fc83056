import { beforeAll, expect, it } from 'vitest';
import { createDynamoDbDocumentClient } from '../../lambda/adapters/aws-clients';
import { DynamoDbStateStore } from '../../lambda/adapters/dynamodb-state-store';
import { DynamoDbStatusReader } from '../../lambda/adapters/dynamodb-status-reader';
import { groupId, instanceId } from '../../lambda/core/domain';
import { createSpotwiseTable } from './dynamodb-table';
import { describeWithMoto } from './moto';

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);

/**
 * Warm claims against DynamoDB's own condition expressions: one live claim per warm instance, concurrent claims of one
 * instance answered yes once, a claim that ran out taken over, a redelivery re-claiming its own, a give-up only by its
 * victim, and the claims sitting in the group's partition beside its pool.
 */
describeWithMoto('Warm-instance claims in DynamoDB (moto, real HTTP)', (moto) => {
  let store: DynamoDbStateStore;
  let reader: DynamoDbStatusReader;
  const table = 'spotwise-warm-claims';
  const standby = groupId('web-standby');
  const w1 = instanceId('i-w1');
  const w2 = instanceId('i-w2');

  beforeAll(async () => {
    await createSpotwiseTable(moto().clientOptions, table);
    const doc = createDynamoDbDocumentClient(moto().clientOptions);
    store = new DynamoDbStateStore(doc, { tableName: table, clock: { now: () => NOW } });
    reader = new DynamoDbStatusReader(doc, table);
  });

  it('one victim per warm instance, whatever arrives at once', async () => {
    await store.putPoolCapacity(standby, { vcpu: 4, memoryGiB: 16, networkMbps: 1_000, diskIops: 2_000 });
    const until = NOW + 60 * 60_000;
    const answers = await Promise.all(
      ['i-a1', 'i-a2', 'i-a3', 'i-a4'].map((v) => store.claimWarmInstance({ groupId: standby, instanceId: w1, victimId: instanceId(v), until }, NOW)),
    );
    expect(answers.filter(Boolean)).toHaveLength(1);
    const [held] = await store.getWarmClaims(standby, NOW);
    expect(held).toMatchObject({ groupId: 'web-standby', instanceId: 'i-w1', until });
    const holder = held?.victimId ?? instanceId('none');
    // Its own victim claims it again (a redelivery); another cannot; a give-up by another victim does nothing.
    expect(await store.claimWarmInstance({ groupId: standby, instanceId: w1, victimId: holder, until }, NOW + 1)).toBe(true);
    const other = instanceId(holder === 'i-a1' ? 'i-a2' : 'i-a1');
    expect(await store.claimWarmInstance({ groupId: standby, instanceId: w1, victimId: other, until }, NOW + 1)).toBe(false);
    await store.releaseWarmClaim(standby, w1, other);
    expect((await store.getWarmClaims(standby, NOW)).map((c) => c.victimId)).toEqual([holder]);
    // A claim found no longer standing is claimed over by naming its victim; naming another does not.
    const third = instanceId('i-a7');
    expect(await store.claimWarmInstance({ groupId: standby, instanceId: w1, victimId: third, until }, NOW + 1, other)).toBe(false);
    expect(await store.claimWarmInstance({ groupId: standby, instanceId: w1, victimId: third, until }, NOW + 1, holder)).toBe(true);
    expect(await store.claimWarmInstance({ groupId: standby, instanceId: w1, victimId: holder, until }, NOW + 1, third)).toBe(true);
    // Once it ran out, another victim takes it; reads at that time leave the old one out.
    expect(await store.claimWarmInstance({ groupId: standby, instanceId: w2, victimId: other, until: NOW + 1_000 }, NOW)).toBe(true);
    expect((await store.getWarmClaims(standby, NOW + 1_000)).map((c) => c.instanceId)).toEqual(['i-w1']);
    expect(await store.claimWarmInstance({ groupId: standby, instanceId: w2, victimId: instanceId('i-a9'), until }, NOW + 1_001)).toBe(true);
    await store.releaseWarmClaim(standby, w1, holder);
    expect((await store.getWarmClaims(standby, NOW + 1_001)).map((c) => [c.instanceId, c.victimId])).toEqual([['i-w2', 'i-a9']]);
    expect((await store.getPool(standby))?.capacity.vcpu).toBe(4);
    // What `spotwise status` reads back.
    const snapshot = await reader.readSnapshot();
    expect(snapshot.warmClaims.filter((c) => c.until > NOW + 1_001).map((c) => [c.instanceId, c.victimId])).toEqual([['i-w2', 'i-a9']]);
    expect(snapshot.unreadable).toEqual([]);
  });
});
