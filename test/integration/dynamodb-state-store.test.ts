import { GetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, expect, it } from 'vitest';
import { createDynamoDbDocumentClient } from '../../lambda/adapters/aws-clients';
import { allocatedOf, freeOf, parsePoolItem, reservedOf } from '../../lambda/adapters/dynamodb-items';
import { DynamoDbStateStore } from '../../lambda/adapters/dynamodb-state-store';
import { Keys, PROCESSED_EVENT_TTL_SECONDS } from '../../lambda/contracts/table';
import {
  DIMENSIONS,
  groupId,
  instanceId,
  requestId,
  reservationId,
  type Forecast,
  type InstanceId,
  type Reservation,
  type Resources,
} from '../../lambda/core/domain';
import { poolInvariantViolations } from '../../lambda/core/pool/resource-pool';
import { newProfile } from '../../lambda/core/profile/behaviour-profile';
import type { StoredRequest } from '../../lambda/ports/state-store';
import { createSpotwiseTable } from './dynamodb-table';
import { buildSyntheticFleet } from '../../bench/fleet/synthetic-fleet';
import { describeWithMoto } from './moto';

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const HOUR = 3_600_000;

/** mulberry32: a small seeded generator, so the concurrent workload is the same on every run. */
const seeded = (seed: number) => {
  let a = seed >>> 0;
  return (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

const reservationOf = (group: string, id: string, amount: Resources, expiresAt = NOW + HOUR): Reservation => ({
  id: reservationId(id),
  groupId: groupId(group),
  instanceId: instanceId(`i-${id}`),
  amount,
  createdAt: NOW,
  expiresAt,
  reason: 'integration test',
  priority: 50,
});

const sum = (list: readonly Resources[]): Resources =>
  list.reduce(
    (acc, r) => ({
      vcpu: acc.vcpu + r.vcpu,
      memoryGiB: acc.memoryGiB + r.memoryGiB,
      networkMbps: acc.networkMbps + r.networkMbps,
      diskIops: acc.diskIops + r.diskIops,
    }),
    {
      vcpu: 0,
      memoryGiB: 0,
      networkMbps: 0,
      diskIops: 0,
    },
  );

describeWithMoto('DynamoDbStateStore against moto (real HTTP)', (moto) => {
  let doc: DynamoDBDocumentClient;
  let store: DynamoDbStateStore;
  const table = 'spotwise-int';

  beforeAll(async () => {
    await createSpotwiseTable(moto().clientOptions, table);
    doc = createDynamoDbDocumentClient(moto().clientOptions);
    store = new DynamoDbStateStore(doc, { tableName: table, clock: { now: () => NOW } });
  });

  const rawPool = async (group: string) => {
    const response = await doc.send(new GetCommand({ TableName: table, Key: Keys.pool(group), ConsistentRead: true }));
    return parsePoolItem(response.Item, groupId(group));
  };

  const ledger = async (group: string): Promise<Resources[]> => {
    const response = await doc.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :res)',
        ExpressionAttributeValues: { ':pk': Keys.pool(group).pk, ':res': Keys.reservationPrefix },
        ConsistentRead: true,
      }),
    );
    return (response.Items ?? []).map((i) => i.amount as Resources);
  };

  it('200 concurrent reserve/release calls never over-commit, and the pool item equals the ledger afterwards', async () => {
    const group = 'web';
    const capacity: Resources = { vcpu: 32, memoryGiB: 128, networkMbps: 10_000, diskIops: 20_000 };
    await store.putPoolCapacity(groupId(group), capacity);
    await store.putAllocations(
      groupId(group),
      new Map([
        [instanceId('i-running-1'), { vcpu: 4, memoryGiB: 16, networkMbps: 500, diskIops: 1000 }],
        [instanceId('i-running-2'), { vcpu: 2.5, memoryGiB: 7.3, networkMbps: 250, diskIops: 600 }],
      ]),
    );

    const random = seeded(20260115);
    const ids = Array.from({ length: 120 }, (_, i) => `r${i}`);
    const amountFor = new Map(
      ids.map((id) => [
        id,
        {
          // Off-grid fractions on purpose: the store rounds them up onto the 1/1024 grid.
          vcpu: 0.3 + random() * 5.7,
          memoryGiB: 0.7 + random() * 20,
          networkMbps: random() * 900,
          diskIops: random() * 2500,
        } satisfies Resources,
      ]),
    );
    type Op = { kind: 'reserve'; id: string } | { kind: 'release'; id: string };
    const ops: Op[] = [];
    for (let i = 0; i < 140; i += 1) ops.push({ kind: 'reserve', id: ids[Math.floor(random() * ids.length)] ?? 'r0' }); // duplicates included
    for (let i = 0; i < 60; i += 1) ops.push({ kind: 'release', id: ids[Math.floor(random() * ids.length)] ?? 'r0' });
    // Shuffle so releases race reserves of the same ids.
    for (let i = ops.length - 1; i > 0; i -= 1) {
      const j = Math.floor(random() * (i + 1));
      [ops[i], ops[j]] = [ops[j] as Op, ops[i] as Op];
    }
    expect(ops).toHaveLength(200);

    // A watcher reads the pool item throughout: free must never go below 0 on any dimension.
    const observedNegative: string[] = [];
    let running = true;
    let observations = 0;
    const watcher = (async () => {
      while (running) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        const item = await rawPool(group);
        observations += 1;
        for (const d of DIMENSIONS) if (freeOf(item)[d] < 0) observedNegative.push(`${d}=${freeOf(item)[d]} at version ${item.version}`);
      }
    })();

    const outcomes = await Promise.all(
      ops.map(async (op) =>
        op.kind === 'reserve'
          ? { op, result: await store.reserve(reservationOf(group, op.id, amountFor.get(op.id) as Resources)) }
          : { op, result: await store.release(groupId(group), reservationId(op.id)) },
      ),
    );
    running = false;
    await watcher;

    expect(observations).toBeGreaterThan(0);
    expect(observedNegative).toEqual([]);

    const reservedCount = outcomes.filter((o) => typeof o.result === 'object' && o.result.kind === 'reserved').length;
    const refused = outcomes.filter((o) => typeof o.result === 'object' && o.result.kind === 'refused');
    const releasedCount = outcomes.filter((o) => o.result === true).length;
    // The workload asks for ~3× the capacity: some reservations must have been refused, some held.
    expect(refused.length).toBeGreaterThan(0);
    expect(reservedCount).toBeGreaterThan(0);
    for (const o of refused) {
      if (typeof o.result === 'object' && o.result.kind === 'refused')
        expect(DIMENSIONS.some((d) => o.result.kind === 'refused' && o.result.shortfall[d] > 0)).toBe(true);
    }

    const amounts = await ledger(group);
    // Every successful reserve minus every successful release is what the ledger holds.
    expect(amounts.length).toBe(reservedCount - releasedCount);

    const item = await rawPool(group);
    const reserved = sum(amounts);
    const allocated = allocatedOf(item);
    for (const d of DIMENSIONS) {
      // Exact equality: amounts are on the 1/1024 grid, where DynamoDB's decimal arithmetic and JS agree.
      expect(reservedOf(item)[d]).toBe(reserved[d]);
      expect(freeOf(item)[d]).toBe(capacity[d] - allocated[d] - reserved[d]);
      expect(allocated[d] + reserved[d]).toBeLessThanOrEqual(capacity[d]);
    }
    const pool = await store.getPool(groupId(group));
    expect(pool).toBeDefined();
    expect(poolInvariantViolations(pool!)).toEqual([]);
    expect(pool!.reservations.size).toBe(amounts.length);
  });

  it('processes the same event twice with one effect', async () => {
    const group = 'batch';
    await store.putPoolCapacity(groupId(group), { vcpu: 8, memoryGiB: 32, networkMbps: 1000, diskIops: 3000 });
    const amount: Resources = { vcpu: 2, memoryGiB: 4, networkMbps: 100, diskIops: 300 };
    // What a notice handler does: mark the event id, act only the first time.
    const handle = async (eventId: string, now: number) => {
      if (!(await store.markEventProcessed(eventId, now))) return 'duplicate';
      return (await store.reserve(reservationOf(group, `evt-1:i-1`, amount))).kind;
    };
    const results = await Promise.all([handle('evt-1', NOW), handle('evt-1', NOW), handle('evt-1', NOW + 1000)]);
    expect(results.filter((r) => r === 'reserved')).toHaveLength(1);
    expect(results.filter((r) => r === 'duplicate')).toHaveLength(2);

    // Redelivered under a new event id, the deterministic reservation id still absorbs it.
    expect(await handle('evt-1-redelivered', NOW + 2000)).toBe('already-reserved');

    const item = await rawPool(group);
    expect(reservedOf(item)).toEqual(amount);
    expect(freeOf(item)).toEqual({ vcpu: 6, memoryGiB: 28, networkMbps: 900, diskIops: 2700 });
    expect(await ledger(group)).toHaveLength(1);

    // Once its TTL has passed, the mark counts as absent even before DynamoDB deletes the item.
    expect(await store.markEventProcessed('evt-1', NOW + PROCESSED_EVENT_TTL_SECONDS * 1000 + 1000)).toBe(true);
  });

  it('releases idempotently and sweeps expired reservations back into the pool', async () => {
    const group = 'sweep';
    await store.putPoolCapacity(groupId(group), { vcpu: 4, memoryGiB: 8, networkMbps: 100, diskIops: 100 });
    const small: Resources = { vcpu: 1, memoryGiB: 2, networkMbps: 10, diskIops: 10 };
    expect((await store.reserve(reservationOf(group, 'live', small, NOW + HOUR))).kind).toBe('reserved');
    expect((await store.reserve(reservationOf(group, 'old', small, NOW + 1000))).kind).toBe('reserved');
    expect((await store.reserve(reservationOf(group, 'gone', small, NOW + HOUR))).kind).toBe('reserved');

    const releases = await Promise.all([store.release(groupId(group), reservationId('gone')), store.release(groupId(group), reservationId('gone'))]);
    expect(releases.sort()).toEqual([false, true]);

    expect(await store.sweepExpired(groupId(group), NOW + 1000)).toEqual(['old']);
    expect(await store.sweepExpired(groupId(group), NOW + 1000)).toEqual([]);
    const item = await rawPool(group);
    expect(freeOf(item)).toEqual({ vcpu: 3, memoryGiB: 6, networkMbps: 90, diskIops: 90 });

    // A reservation that does not fit is refused with the exact shortfall, and the pool is unchanged.
    const outcome = await store.reserve(reservationOf(group, 'big', { vcpu: 5, memoryGiB: 1, networkMbps: 1, diskIops: 1 }));
    expect(outcome).toEqual({ kind: 'refused', shortfall: { vcpu: 2, memoryGiB: 0, networkMbps: 0, diskIops: 0 } });
    expect((await rawPool(group)).version).toBe(item.version);
  });

  it('keeps free = capacity − allocations − reservations while capacity and allocations change under concurrent reservations', async () => {
    const group = 'mixed';
    const capacity: Resources = { vcpu: 64, memoryGiB: 256, networkMbps: 10_000, diskIops: 10_000 };
    await store.putPoolCapacity(groupId(group), capacity);
    const unit: Resources = { vcpu: 1, memoryGiB: 2, networkMbps: 10, diskIops: 10 };
    await Promise.all([
      ...Array.from({ length: 30 }, (_, i) => store.reserve(reservationOf(group, `m${i}`, unit))),
      ...Array.from({ length: 10 }, (_, i) =>
        store.putAllocations(groupId(group), new Map([[instanceId('i-a'), { vcpu: i, memoryGiB: 2 * i, networkMbps: 0, diskIops: 0 }]])),
      ),
      store.putPoolCapacity(groupId(group), { ...capacity, vcpu: 48 }),
    ]);
    const item = await rawPool(group);
    const reserved = sum(await ledger(group));
    for (const d of DIMENSIONS) {
      expect(reservedOf(item)[d]).toBe(reserved[d]);
      expect(freeOf(item)[d]).toBe(item.capacity[d] - allocatedOf(item)[d] - reserved[d]);
    }
    expect(item.capacity.vcpu).toBe(48);
  });

  it('hands a reservation over atomically on a full pool: exactly one of concurrent hand-overs wins, and free never goes negative', async () => {
    const group = 'handover';
    await store.putPoolCapacity(groupId(group), { vcpu: 4, memoryGiB: 8, networkMbps: 100, diskIops: 100 });
    await store.putAllocations(groupId(group), new Map([[instanceId('i-new'), { vcpu: 1, memoryGiB: 4, networkMbps: 0, diskIops: 0 }]]));
    // The reservation fills the pool: recording the allocation first and releasing second would over-commit it.
    expect((await store.reserve(reservationOf(group, 'full', { vcpu: 3, memoryGiB: 4, networkMbps: 100, diskIops: 100 }))).kind).toBe('reserved');
    const outcomes = await Promise.all([1, 2, 3].map(() => store.handOver(groupId(group), reservationId('full'), instanceId('i-new'))));
    expect(outcomes.filter(Boolean)).toHaveLength(1);
    const item = await rawPool(group);
    expect(item.allocations['i-new']).toEqual({ vcpu: 3, memoryGiB: 4, networkMbps: 100, diskIops: 100 });
    expect(reservedOf(item)).toEqual({ vcpu: 0, memoryGiB: 0, networkMbps: 0, diskIops: 0 });
    expect(freeOf(item)).toEqual({ vcpu: 1, memoryGiB: 4, networkMbps: 0, diskIops: 0 });
    expect(await ledger(group)).toEqual([]);
  });

  // 5,000 instances: as a map attribute their allocations alone would be ~500 KB, over DynamoDB's 400 KB per item.
  // (moto counts a binary attribute by its base64 text and, on an update, the old value beside the new one, so it
  // refuses a packed 10,000-instance pool that DynamoDB, counting raw bytes, holds: test/adapters/dynamodb-items.test.ts.)
  it('stores a 5,000-instance pool in one item (packed allocations) and hands over within it', async () => {
    const group = 'large';
    const fleet = buildSyntheticFleet({ instances: 5_000, now: NOW, seed: 5 });
    const total = sum([...fleet.allocations.values()]);
    await store.putPoolCapacity(groupId(group), {
      vcpu: total.vcpu + 8,
      memoryGiB: total.memoryGiB + 32,
      networkMbps: total.networkMbps + 1_000,
      diskIops: total.diskIops + 1_000,
    });
    await store.putAllocations(groupId(group), fleet.allocations);
    const first = [...fleet.allocations.keys()][0] as InstanceId;
    expect((await store.reserve(reservationOf(group, 'big', { vcpu: 8, memoryGiB: 32, networkMbps: 1_000, diskIops: 1_000 }))).kind).toBe('reserved');
    expect(await store.handOver(groupId(group), reservationId('big'), first)).toBe(true);
    const pool = await store.getPool(groupId(group));
    expect(pool?.allocations.size).toBe(5_000);
    expect(pool?.allocations.get(first)?.vcpu).toBe(Math.max(8, fleet.allocations.get(first)?.vcpu ?? 0));
    expect(poolInvariantViolations(pool!)).toEqual([]);
  });

  it('round-trips profiles, forecasts and requests through batched writes and reads', async () => {
    const profiles = Array.from({ length: 30 }, (_, i) =>
      newProfile({
        instanceId: instanceId(`i-p${i}`),
        groupId: groupId('web'),
        instanceType: 'm5.large',
        vcpus: 2,
        jobType: 'web',
        launchedAt: NOW - HOUR,
        now: NOW,
      }),
    );
    await store.putProfiles(profiles);
    const gotProfiles = await store.getProfiles([...profiles.map((p) => p.instanceId), instanceId('i-missing')]);
    expect(gotProfiles.size).toBe(30);
    expect(gotProfiles.get(instanceId('i-p7'))).toEqual(profiles[7]);

    const forecasts: Forecast[] = Array.from({ length: 120 }, (_, i) => ({
      kind: 'unknown',
      instanceId: instanceId(`i-f${i}`),
      madeAt: NOW,
      reason: 'no history',
      missing: ['memoryGiB'],
    }));
    await store.putForecasts(forecasts);
    const gotForecasts = await store.getForecasts(forecasts.map((f) => f.instanceId));
    expect([...gotForecasts.values()].sort((a, b) => a.instanceId.localeCompare(b.instanceId))).toEqual(
      [...forecasts].sort((a, b) => a.instanceId.localeCompare(b.instanceId)),
    );

    const request = (id: string, status: StoredRequest['status'], retryAt?: number): StoredRequest => ({
      request: {
        requestId: requestId(id),
        selector: { kind: 'group', groupId: groupId('web'), maxPriority: 40 },
        reason: 'kernel patch',
        notBefore: NOW,
        deadline: NOW + 6 * HOUR,
        mode: 'stop',
        requestedAt: NOW - Number(id.slice(3)),
      },
      status,
      ...(retryAt !== undefined ? { retryAt } : {}),
      updatedAt: NOW,
    });
    await store.putRequest(request('req1', 'pending'));
    await store.putRequest(request('req2', 'deferred', NOW - 1000));
    await store.putRequest(request('req3', 'deferred', NOW + HOUR));
    await store.putRequest(request('req4', 'scheduled'));
    await store.putRequest(request('req5', 'pending'));
    await store.putRequest(request('req5', 'executed')); // closed: leaves the open index
    const due = await store.listDueRequests(NOW);
    expect(due.map((r) => r.request.requestId)).toEqual(['req1', 'req2']);
    expect(await store.getRequest(requestId('req5'))).toMatchObject({ status: 'executed' });
    expect(await store.getRequest(requestId('nope'))).toBeUndefined();
  });
});
