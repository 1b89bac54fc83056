import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, expect, it } from 'vitest';
import { createDynamoDbDocumentClient } from '../../lambda/adapters/aws-clients';
import { allocatedOf, freeOf, fromReservationItem, parsePoolItem, parseReservationItem, reservedOf } from '../../lambda/adapters/dynamodb-items';
import { DynamoDbStateStore } from '../../lambda/adapters/dynamodb-state-store';
import { Keys } from '../../lambda/contracts/table';
import { DIMENSIONS, groupId, instanceId, reservationId, type InstanceId, type Loan, type Reservation, type Resources } from '../../lambda/core/domain';
import { poolInvariantViolations } from '../../lambda/core/pool/resource-pool';
import type { ReserveOutcome } from '../../lambda/ports/state-store';
import { createSpotwiseTable } from './dynamodb-table';
import { describeWithMoto } from './moto';

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const HOUR = 3_600_000;

/** mulberry32, as in dynamodb-state-store.test.ts: the concurrent workload is the same on every run. */
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

const r = (vcpu: number, memoryGiB: number, networkMbps = 0, diskIops = 0): Resources => ({ vcpu, memoryGiB, networkMbps, diskIops });
const add = (a: Resources, b: Resources): Resources => r(a.vcpu + b.vcpu, a.memoryGiB + b.memoryGiB, a.networkMbps + b.networkMbps, a.diskIops + b.diskIops);
const sum = (list: readonly Resources[]): Resources => list.reduce(add, r(0, 0));

const CAPACITY = r(16, 64, 1_000, 4_000);
const LENDERS = [1, 2, 3, 4].map((n) => instanceId(`i-low-${n}`));
/** Each lower-priority instance holds 3 vCPU / 12 GiB: 12 / 48 of the 16 / 64 are allocated, 4 / 16 free. */
const LENT_FROM_EACH = r(3, 12, 100, 400);

/**
 * Borrowing against DynamoDB's own transactions (moto over HTTP, one request at a time as DynamoDB serialises
 * conflicting transactions): many reservations that borrow from overlapping lenders, some asking a lender for more
 * than it holds, race each other, releases of earlier ones, and a sweep of expired ones. After every round, what
 * the store reads and what the pool item's counters say must agree with each other and with the core's invariant.
 */
describeWithMoto('DynamoDbStateStore loans against moto (real HTTP)', (moto) => {
  let doc: DynamoDBDocumentClient;
  let store: DynamoDbStateStore;
  let clock = NOW;
  /** Transactions DynamoDB (here moto) cancelled: proof that the writers really raced. */
  let cancellations = 0;
  const table = 'spotwise-loans';
  const group = groupId('borrow');

  beforeAll(async () => {
    await createSpotwiseTable(moto().clientOptions, table);
    doc = createDynamoDbDocumentClient(moto().clientOptions);
    doc.middlewareStack.add(
      (next) => async (args) => {
        try {
          return await next(args);
        } catch (error) {
          if (error instanceof TransactionCanceledException) cancellations += 1;
          throw error;
        }
      },
      { step: 'initialize', name: 'countCancellations' },
    );
    // Every reservation with loans and every release of one is conditioned on the pool's version: of N concurrent
    // writers one commits per round trip, so give them the attempts to get through a round of 24.
    store = new DynamoDbStateStore(doc, { tableName: table, clock: { now: () => clock }, maxAttempts: 60, backoff: { baseMs: 5, capMs: 200 } });
  });

  const rawPool = async () => {
    const response = await doc.send(new GetCommand({ TableName: table, Key: Keys.pool(group), ConsistentRead: true }));
    return parsePoolItem(response.Item, group);
  };

  const rawLedger = async (): Promise<Reservation[]> => {
    const response = await doc.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :res)',
        ExpressionAttributeValues: { ':pk': Keys.pool(group).pk, ':res': Keys.reservationPrefix },
        ConsistentRead: true,
      }),
    );
    return (response.Items ?? []).map((item) => fromReservationItem(parseReservationItem(item, 'reservation item')));
  };

  /** Everything that must hold between writes; `gone` are lenders whose allocation was removed (their loans are not given back). */
  const expectSound = async (gone: ReadonlySet<InstanceId>, when: string) => {
    const pool = await store.getPool(group);
    expect(pool, when).toBeDefined();
    expect(poolInvariantViolations(pool!), when).toEqual([]);

    const item = await rawPool();
    const ledger = await rawLedger();
    expect(ledger.map((x) => x.id).sort(), when).toEqual([...pool!.reservations.keys()].sort());
    const reserved = sum(ledger.map((x) => x.amount));
    const allocated = sum(Object.values(item.allocations));
    for (const d of DIMENSIONS) {
      // Exact: grid amounts, where DynamoDB's decimal arithmetic and a JS sum agree to the last digit.
      expect(reservedOf(item)[d], `${when}: reserved_${d}`).toBe(reserved[d]);
      expect(allocatedOf(item)[d], `${when}: allocated_${d}`).toBe(allocated[d]);
      expect(freeOf(item)[d], `${when}: free_${d}`).toBe(item.capacity[d] - allocated[d] - reserved[d]);
      expect(freeOf(item)[d], `${when}: free_${d}`).toBeGreaterThanOrEqual(0);
    }
    for (const [id, a] of Object.entries(item.allocations)) {
      for (const d of DIMENSIONS) expect(a[d], `${when}: ${id}.${d}`).toBeGreaterThanOrEqual(0);
    }
    // Conservation: a lender still in the pool holds what it started with less what live reservations borrow from it.
    for (const lender of LENDERS.filter((l) => !gone.has(l))) {
      const onLoan = sum(ledger.flatMap((x) => (x.loans ?? []).filter((l) => l.lender === lender).map((l) => l.amount)));
      expect(add(item.allocations[lender] ?? r(-1, -1), onLoan), `${when}: ${lender}`).toEqual(LENT_FROM_EACH);
    }
    for (const lender of gone) expect(item.allocations[lender], `${when}: ${lender} left`).toBeUndefined();
  };

  it('concurrent reservations that borrow from overlapping lenders, and concurrent releases, keep the pool sound after every round', async () => {
    await store.putPoolCapacity(group, CAPACITY);
    await store.putAllocations(group, new Map(LENDERS.map((l) => [l, LENT_FROM_EACH])));
    const gone = new Set<InstanceId>();
    await expectSound(gone, 'start');

    const random = seeded(20260116);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
    const held: Reservation[] = [];
    const outcomes: ReserveOutcome[] = [];
    let released = 0;
    let next = 0;

    const borrower = (round: number): Reservation => {
      next += 1;
      const lenders = [...LENDERS].sort(() => random() - 0.5).slice(0, 1 + Math.floor(random() * 2));
      const loans: Loan[] = lenders.map((lender) => {
        // One loan in ten asks for more vCPU than any lender ever holds (3.5 > 3): always a lender deficit.
        const vcpu = random() < 0.1 ? 3.5 : 0.5 * (1 + Math.floor(random() * 4));
        return { lender, amount: r(vcpu, 4 * vcpu, random() < 0.5 ? 25 : 0, random() < 0.5 ? 100 : 0) };
      });
      const fromFree = r(0.5 * Math.floor(random() * 3), 2 * Math.floor(random() * 3), 10, 50);
      return {
        id: reservationId(`b${next}`),
        groupId: group,
        instanceId: instanceId(`i-borrower-${next}`),
        amount: add(sum(loans.map((l) => l.amount)), fromFree),
        createdAt: clock,
        // Some of the first rounds' reservations expire before the last rounds, which sweep them before refusing.
        expiresAt: round < 2 && random() < 0.3 ? clock + 1_000 : clock + HOUR,
        reason: 'priority restart',
        priority: 90,
        loans,
      };
    };

    for (let round = 0; round < 5; round += 1) {
      if (round === 3) clock = NOW + 2_000;
      if (round === 4) {
        // A lender leaves the group (the refresh drops its allocation): releasing what borrowed from it gives nothing back.
        const leaving = LENDERS[0] as InstanceId;
        const pool = await store.getPool(group);
        await store.putAllocations(group, new Map([...pool!.allocations].filter(([id]) => id !== leaving)));
        gone.add(leaving);
        await expectSound(gone, `round ${round}: after ${leaving} left`);
      }
      // Release most of what earlier rounds hold, a few of them twice (of concurrent releases exactly one wins).
      const releasing = held.filter(() => random() < 0.7);
      const releases = [...releasing, ...releasing.filter(() => random() < 0.3)];
      const requests = Array.from({ length: 16 }, () => borrower(round));
      // Redeliveries: a new reservation twice in the same round, and one an earlier round made (not being released).
      requests.push(pick(requests), pick(requests));
      const kept = held.filter((x) => !releasing.includes(x) && x.expiresAt > clock);
      if (kept.length > 0) requests.push(pick(kept));

      const [reserved, releasedNow] = await Promise.all([
        Promise.all(requests.map(async (q) => ({ q, outcome: await store.reserve(q) }))),
        Promise.all(releases.map(async (x) => ({ id: x.id, released: await store.release(group, x.id) }))),
      ]);

      for (const { q, outcome } of reserved) {
        outcomes.push(outcome);
        if (outcome.kind === 'refused')
          expect(
            DIMENSIONS.some((d) => outcome.shortfall[d] > 0),
            `refusal of ${q.id} names a shortfall`,
          ).toBe(true);
        else expect(outcome.reservation).toEqual(q);
      }
      const madeNow = reserved.filter((x) => x.outcome.kind === 'reserved').map((x) => x.q);
      expect(new Set(madeNow.map((q) => q.id)).size, `round ${round}: each id made at most once`).toBe(madeNow.length);
      const releasedIds = releasedNow.filter((x) => x.released).map((x) => x.id);
      expect(new Set(releasedIds).size, `round ${round}: each release wins once`).toBe(releasedIds.length);
      released += releasedIds.length;

      await expectSound(gone, `round ${round}`);
      const live = new Set((await rawLedger()).map((x) => x.id));
      // Released ids are gone (released now, or swept before a refusal); what was made now is held unless it expired and was swept.
      for (const id of releasedIds) expect(live.has(id)).toBe(false);
      for (const q of madeNow) expect(live.has(q.id) || q.expiresAt <= clock, `round ${round}: ${q.id} held`).toBe(true);
      held.splice(0, held.length, ...[...held, ...madeNow].filter((x) => live.has(x.id)));
    }

    // The workload asks for several times what the pool and its lenders hold: both outcomes, and both kinds of refusal.
    const refusals = outcomes.filter((o) => o.kind === 'refused');
    expect(outcomes.filter((o) => o.kind === 'reserved').length).toBeGreaterThan(10);
    expect(outcomes.filter((o) => o.kind === 'already-reserved').length).toBeGreaterThan(0);
    expect(refusals.length).toBeGreaterThan(10);
    expect(released).toBeGreaterThan(5);
    expect(cancellations, 'transactions cancelled by a concurrent write, and retried').toBeGreaterThan(0);

    // Finally release everything: every lender still in the pool is whole again, and the pool is as it started less the lender that left.
    await Promise.all(held.map((x) => store.release(group, x.id)));
    await expectSound(gone, 'end');
    const item = await rawPool();
    expect(item.allocations).toEqual(Object.fromEntries(LENDERS.slice(1).map((l) => [l, LENT_FROM_EACH])));
    expect(freeOf(item)).toEqual(r(7, 28, 700, 2_800));
  });

  it('a reservation handed over keeps its loans: the lenders are not given them back', async () => {
    const g = groupId('handover-loans');
    await store.putPoolCapacity(g, CAPACITY);
    await store.putAllocations(g, new Map(LENDERS.map((l) => [l, LENT_FROM_EACH])));
    const reservation: Reservation = {
      id: reservationId('h1'),
      groupId: g,
      instanceId: instanceId('i-prio'),
      amount: r(6, 24, 10, 50),
      createdAt: NOW,
      expiresAt: NOW + HOUR,
      reason: 'priority restart',
      priority: 90,
      loans: [
        { lender: LENDERS[0] as InstanceId, amount: r(2, 8) },
        { lender: LENDERS[1] as InstanceId, amount: r(1, 4) },
      ],
    };
    expect(await store.reserve(reservation)).toEqual({ kind: 'reserved', reservation });
    expect((await store.getPool(g))?.reservations.get(reservation.id)).toEqual(reservation);
    expect(await store.handOver(g, reservation.id, instanceId('i-prio'))).toBe(true);
    expect(await store.release(g, reservation.id)).toBe(false);
    const pool = await store.getPool(g);
    expect(poolInvariantViolations(pool!)).toEqual([]);
    expect(pool?.allocations.get(LENDERS[0] as InstanceId)).toEqual(r(1, 4, 100, 400));
    expect(pool?.allocations.get(LENDERS[1] as InstanceId)).toEqual(r(2, 8, 100, 400));
    expect(pool?.allocations.get(instanceId('i-prio'))).toEqual(reservation.amount);
    const response = await doc.send(new GetCommand({ TableName: table, Key: Keys.pool(g), ConsistentRead: true }));
    const item = parsePoolItem(response.Item, g);
    // 12 − 3 lent + 6 handed over = 15 vCPU allocated; free 16 − 15 = 1.
    expect(allocatedOf(item)).toEqual(r(15, 60, 410, 1_650));
    expect(reservedOf(item)).toEqual(r(0, 0));
    expect(freeOf(item)).toEqual(r(1, 4, 590, 2_350));
  });
});
