import { type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, expect, it } from 'vitest';
import { createDynamoDbDocumentClient } from '../../lambda/adapters/aws-clients';
import { DynamoDbStateStore } from '../../lambda/adapters/dynamodb-state-store';
import { groupId, instanceId, reservationId, type ManagedInstance, type Resources } from '../../lambda/core/domain';
import { assessPoolStability, buildReclaimRecord, reclaimHistory } from '../../lambda/core/planner/spot-pool-stability';
import { group } from '../core/fixtures/fleet-builders';
import { createSpotwiseTable } from './dynamodb-table';
import { describeWithMoto } from './moto';

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const MINUTE = 60_000;
const POLICY = { enabled: true, reclaimThreshold: 3, windowMinutes: 60, coolDownMinutes: 120 };

const victim = (n: number): ManagedInstance => ({
  id: instanceId(`i-0${n.toString(16).padStart(16, '0')}`),
  groupId: groupId('web'),
  instanceType: 'm5.large',
  availabilityZone: 'us-east-1a',
  lifecycle: 'spot',
  state: 'running',
  launchedAt: NOW - 3_600_000,
  warm: false,
  priority: 50,
  jobType: 'web',
});

/**
 * Unstable-pool history is kept as zero-amount reservations in the pool ledger (spot-pool-stability.ts).
 * Against DynamoDB's own condition expressions: a record fits a pool with nothing free, a redelivered
 * warning writes it once, it comes back with the pool (so the verdict can be read from what the handlers
 * load), and it goes when it expires.
 */
describeWithMoto('reclaim records in the DynamoDB pool ledger (moto, real HTTP)', (moto) => {
  let doc: DynamoDBDocumentClient;
  let store: DynamoDbStateStore;
  let clock = NOW;
  const table = 'spotwise-reclaims';

  beforeAll(async () => {
    await createSpotwiseTable(moto().clientOptions, table);
    doc = createDynamoDbDocumentClient(moto().clientOptions);
    store = new DynamoDbStateStore(doc, { tableName: table, clock: { now: () => clock } });
  });

  it('fit a pool with nothing free, are written once, read back with the pool, and swept after window + cool-down', async () => {
    const capacity: Resources = { vcpu: 4, memoryGiB: 16, networkMbps: 1_000, diskIops: 2_000 };
    await store.putPoolCapacity(groupId('web'), capacity);
    await store.putAllocations(groupId('web'), new Map([[instanceId('i-0full'), capacity]]));

    const records = [0, 1, 2].map((n) =>
      buildReclaimRecord({ group: group('web'), instance: victim(n), policy: POLICY, source: `evt-${n}`, at: NOW - (10 - n) * MINUTE }),
    );
    const [first] = records;
    if (first === undefined) throw new Error('no record');
    for (const r of records) expect((await store.reserve(r)).kind).toBe('reserved');
    expect((await store.reserve(first)).kind).toBe('already-reserved');

    const pool = await store.getPool(groupId('web'));
    if (pool === undefined) throw new Error('no pool');
    expect([...pool.reservations.keys()].sort()).toEqual(records.map((r) => r.id).sort());
    const history = reclaimHistory({ ...group('web'), pool });
    expect(history.map((h) => [h.pool.instanceType, h.pool.availabilityZone, h.records.length])).toEqual([['m5.large', 'us-east-1a', 3]]);
    expect(assessPoolStability(history[0]?.records.map((r) => r.createdAt) ?? [], POLICY, NOW)).toMatchObject({ kind: 'unstable', reclaimsInWindow: 3 });

    // Nothing was taken from the pool: a real reservation still finds exactly what it found before (none free).
    expect(
      await store.reserve({ ...first, id: reservationId('warning:evt-x:i-x'), amount: { vcpu: 0.5, memoryGiB: 0, networkMbps: 0, diskIops: 0 } }),
    ).toMatchObject({ kind: 'refused', shortfall: { vcpu: 0.5 } });

    clock = NOW + 181 * MINUTE;
    expect((await store.sweepExpired(groupId('web'), clock)).sort()).toEqual(records.map((r) => r.id).sort());
    expect((await store.getPool(groupId('web')))?.reservations.size).toBe(0);
  });
});
