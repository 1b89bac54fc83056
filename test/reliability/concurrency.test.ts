import { GetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, expect, it } from 'vitest';
import { createDynamoDbDocumentClient } from '../../lambda/adapters/aws-clients';
import { allocatedOf, freeOf, parsePoolItem, reservedOf } from '../../lambda/adapters/dynamodb-items';
import { DynamoDbStateStore } from '../../lambda/adapters/dynamodb-state-store';
import { Keys } from '../../lambda/contracts/table';
import { DIMENSIONS, groupId, instanceId, reservationId, type GroupId, type Reservation, type Resources } from '../../lambda/core/domain';
import { poolInvariantViolations } from '../../lambda/core/pool/resource-pool';
import type { ReserveOutcome } from '../../lambda/ports/state-store';
import { createRandom } from '../../lambda/data/random';
import { createSpotwiseTable } from '../integration/dynamodb-table';
import { describeWithMoto } from '../integration/moto';

/**
 * Reliability, emulator tier: ≥ 500 concurrent reserve/release calls through the REAL DynamoDbStateStore
 * against moto over HTTP (one TransactWriteItems per reservation, conditions on every dimension).
 * Two pools share the table; the workload asks for about three times what fits, repeats reservation ids
 * (as redelivered notices do) and races releases against reserves of the same ids. Afterwards:
 * - no over-commit: a watcher reading the pool items throughout never sees a negative free amount, and
 *   allocated + reserved ≤ capacity on every dimension at the end;
 * - nothing lost or duplicated: for every id, (successful reserves − successful releases) is exactly
 *   whether its item is in the ledger, and is 0 or 1; no ledger item lacks a successful reserve;
 * - the pool items' totals equal the sum of their ledgers, to the unit.
 */
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const HOUR = 3_600_000;
const GROUPS = [groupId('conc-web'), groupId('conc-batch')] as const;
const CAPACITY: Resources = { vcpu: 48, memoryGiB: 192, networkMbps: 20_000, diskIops: 40_000 };
const IDS_PER_GROUP = 150;
const RESERVES = 420;
const RELEASES = 180;

type Op = { readonly kind: 'reserve' | 'release'; readonly group: GroupId; readonly id: string };
type Outcome = { readonly op: Op; readonly result: ReserveOutcome | boolean } | { readonly op: Op; readonly error: Error };

const amountOf = (random: () => number): Resources => ({
  // Off-grid fractions on purpose: the store rounds them up onto the pool's 1/1024 grid.
  vcpu: 0.25 + random() * 3.75,
  memoryGiB: 0.5 + random() * 15,
  networkMbps: random() * 1_000,
  diskIops: random() * 2_000,
});

describeWithMoto('reliability: concurrent reservations against the emulator (DynamoDbStateStore, real HTTP)', (moto) => {
  const table = 'spotwise-reliability';
  let doc: DynamoDBDocumentClient;
  let store: DynamoDbStateStore;

  beforeAll(async () => {
    await createSpotwiseTable(moto().clientOptions, table);
    doc = createDynamoDbDocumentClient(moto().clientOptions);
    store = new DynamoDbStateStore(doc, { tableName: table, clock: { now: () => NOW } });
  });

  const rawPool = async (group: GroupId) =>
    parsePoolItem((await doc.send(new GetCommand({ TableName: table, Key: Keys.pool(group), ConsistentRead: true }))).Item, group);
  const ledger = async (group: GroupId): Promise<Map<string, Resources>> => {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await doc.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :res)',
          ExpressionAttributeValues: { ':pk': Keys.pool(group).pk, ':res': Keys.reservationPrefix },
          ConsistentRead: true,
          ...(start !== undefined ? { ExclusiveStartKey: start } : {}),
        }),
      );
      items.push(...((page.Items ?? []) as Record<string, unknown>[]));
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return new Map(items.map((i) => [String(i.reservationId), i.amount as Resources]));
  };

  it(`${RESERVES + RELEASES} concurrent reserve/release calls: no over-commit, nothing lost or duplicated, pools equal their ledgers`, async () => {
    const random = createRandom(20260115);
    for (const g of GROUPS) {
      await store.putPoolCapacity(g, CAPACITY);
      await store.putAllocations(g, new Map([[instanceId('i-0aaaaaaaaaaaaaaa1'), { vcpu: 6, memoryGiB: 24, networkMbps: 2_000, diskIops: 4_000 }]]));
    }
    const amounts = new Map<string, Resources>();
    for (const g of GROUPS) for (let i = 0; i < IDS_PER_GROUP; i++) amounts.set(`${g}/r${i}`, amountOf(random));
    const pick = (): { group: GroupId; id: string } => {
      const group = GROUPS[Math.floor(random() * GROUPS.length)] as GroupId;
      return { group, id: `r${Math.floor(random() * IDS_PER_GROUP)}` };
    };
    const ops: Op[] = [
      ...Array.from({ length: RESERVES }, (): Op => ({ kind: 'reserve', ...pick() })),
      ...Array.from({ length: RELEASES }, (): Op => ({ kind: 'release', ...pick() })),
    ];
    for (let i = ops.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [ops[i], ops[j]] = [ops[j] as Op, ops[i] as Op];
    }
    const reservation = (op: Op): Reservation => ({
      id: reservationId(op.id),
      groupId: op.group,
      instanceId: instanceId(`i-0${op.id.slice(1).padStart(16, '0')}`),
      amount: amounts.get(`${op.group}/${op.id}`) as Resources,
      createdAt: NOW,
      expiresAt: NOW + HOUR,
      reason: 'reliability: concurrency',
      priority: 50,
    });

    const negative: string[] = [];
    let watching = true;
    let observations = 0;
    const watcher = (async () => {
      while (watching) {
        for (const g of GROUPS) {
          const item = await rawPool(g);
          observations += 1;
          for (const d of DIMENSIONS) if (freeOf(item)[d] < 0) negative.push(`${g} ${d}=${freeOf(item)[d]} at version ${item.version}`);
        }
        // The emulator serves one request at a time: a watcher reading flat out would halve the workload's share.
        await new Promise((r) => setTimeout(r, 50));
      }
    })();

    const outcomes: Outcome[] = await Promise.all(
      ops.map(async (op): Promise<Outcome> => {
        try {
          return { op, result: op.kind === 'reserve' ? await store.reserve(reservation(op)) : await store.release(op.group, reservationId(op.id)) };
        } catch (error) {
          return { op, error: error as Error };
        }
      }),
    );
    watching = false;
    await watcher;

    expect(outcomes.filter((o) => 'error' in o).map((o) => ('error' in o ? o.error.message : ''))).toEqual([]);
    expect(observations).toBeGreaterThan(GROUPS.length);
    expect(negative).toEqual([]);

    const kinds = (k: string) => outcomes.filter((o) => 'result' in o && typeof o.result === 'object' && o.result.kind === k).length;
    // The workload asks for about three times what fits: some reservations are refused, many held, some repeated.
    expect(kinds('refused')).toBeGreaterThan(0);
    expect(kinds('reserved')).toBeGreaterThan(50);
    expect(kinds('already-reserved')).toBeGreaterThan(0);

    for (const g of GROUPS) {
      const held = await ledger(g);
      const net = new Map<string, number>();
      for (const o of outcomes) {
        if (o.op.group !== g || !('result' in o)) continue;
        const delta = o.result === true ? -1 : typeof o.result === 'object' && o.result.kind === 'reserved' ? 1 : 0;
        net.set(o.op.id, (net.get(o.op.id) ?? 0) + delta);
      }
      for (const [id, n] of net) {
        expect({ id, n }).toEqual({ id, n: held.has(id) ? 1 : 0 });
      }
      for (const id of held.keys()) expect(net.get(id)).toBe(1);

      const item = await rawPool(g);
      const sum = (d: (typeof DIMENSIONS)[number]) => [...held.values()].reduce((s, r) => s + r[d], 0);
      for (const d of DIMENSIONS) {
        // Exact: amounts sit on the 1/1024 grid, where DynamoDB's decimal arithmetic and JS agree.
        expect(reservedOf(item)[d]).toBe(sum(d));
        expect(freeOf(item)[d]).toBe(item.capacity[d] - allocatedOf(item)[d] - sum(d));
        expect(allocatedOf(item)[d] + reservedOf(item)[d]).toBeLessThanOrEqual(item.capacity[d]);
      }
      const pool = await store.getPool(g);
      expect(pool === undefined ? ['no pool'] : poolInvariantViolations(pool)).toEqual([]);
      expect(pool?.reservations.size).toBe(held.size);
    }
  }, 240_000);
});
