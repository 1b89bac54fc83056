import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { groupId, instanceId, requestId, reservationId, type Forecast } from '../../../lambda/core/domain';
import { PROCESSED_EVENT_TTL_SECONDS } from '../../../lambda/contracts/table';
import type { StoredRequest } from '../../../lambda/ports/state-store';
import { poolInvariantViolations } from '../../../lambda/core/pool/resource-pool';
import { InMemoryStateStore } from '../../../lambda/sim/memory/in-memory-state-store';
import { res, reservation } from './fixtures';

const g1 = groupId('g1');

const storeWithPool = async (vcpu = 8, mem = 32) => {
  const s = new InMemoryStateStore();
  await s.putPoolCapacity(g1, res(vcpu, mem, 1000, 1000));
  return s;
};

describe('InMemoryStateStore reservations', () => {
  it('reserves when every dimension fits and is idempotent on the id', async () => {
    const s = await storeWithPool();
    const r = reservation('r1', res(4, 16));
    expect((await s.reserve(r)).kind).toBe('reserved');
    expect((await s.reserve(r)).kind).toBe('already-reserved');
    expect(s.poolSnapshot(g1)?.reservations.size).toBe(1);
  });

  it.each([
    ['vcpu short', res(9, 1), res(1, 0)],
    ['memory short', res(1, 40), res(0, 8)],
    ['network short', res(1, 1, 1001), res(0, 0, 1)],
    ['disk short', res(1, 1, 0, 2000), res(0, 0, 0, 1000)],
  ])('refuses with the shortfall when %s', async (_name, amount, shortfall) => {
    const s = await storeWithPool();
    const out = await s.reserve(reservation('r', amount));
    expect(out).toEqual({ kind: 'refused', shortfall });
    expect(s.poolSnapshot(g1)?.reservations.size).toBe(0);
  });

  it('counts allocations as committed', async () => {
    const s = await storeWithPool(8, 32);
    await s.putAllocations(g1, new Map([[instanceId('i-0000000000000001'), res(6, 4)]]));
    expect(await s.reserve(reservation('r', res(3, 1)))).toEqual({ kind: 'refused', shortfall: res(1, 0) });
  });

  it('fails closed when the group has no pool', async () => {
    const s = new InMemoryStateStore();
    expect(await s.reserve(reservation('r', res(1, 1)))).toEqual({ kind: 'refused', shortfall: res(1, 1) });
  });

  it('rounds like the core pool: capacity down, demand up onto the 1/1024 grid', async () => {
    const s = await storeWithPool(0.5, 1);
    const out = await s.reserve(reservation('a', res(0.1, 0)));
    expect(out.kind === 'reserved' && out.reservation.amount.vcpu).toBe(103 / 1024);
    expect((await s.reserve(reservation('b', res(0.4, 0)))).kind).toBe('refused');
    expect((await s.reserve(reservation('c', res(0.25, 0)))).kind).toBe('reserved');
  });

  it('sweeps expired reservations before admitting a new one', async () => {
    const s = await storeWithPool(8, 32);
    await s.reserve(reservation('old', res(8, 1), { createdAt: 0, expiresAt: 100 }));
    expect((await s.reserve(reservation('new', res(8, 1), { createdAt: 100, expiresAt: 1_000 }))).kind).toBe('reserved');
    expect([...(s.poolSnapshot(g1)?.reservations.keys() ?? [])]).toEqual(['new']);
  });

  it('release is idempotent; sweep releases only expired reservations', async () => {
    const s = await storeWithPool();
    await s.reserve(reservation('old', res(1, 1), { expiresAt: 100 }));
    await s.reserve(reservation('new', res(1, 1), { expiresAt: 1_000 }));
    expect(await s.sweepExpired(g1, 100)).toEqual([reservationId('old')]);
    expect(await s.release(g1, reservationId('new'))).toBe(true);
    expect(await s.release(g1, reservationId('new'))).toBe(false);
    expect(await s.release(groupId('nope'), reservationId('new'))).toBe(false);
  });

  it('putAllocations needs a pool and names the group', async () => {
    await expect(new InMemoryStateStore().putAllocations(g1, new Map())).rejects.toThrow('group "g1": the group has no pool');
  });

  it('putPoolCapacity keeps reservations and bumps the version', async () => {
    const s = await storeWithPool();
    await s.reserve(reservation('r', res(1, 1)));
    const v = s.poolSnapshot(g1)?.version ?? 0;
    await s.putPoolCapacity(g1, res(16, 64, 1000, 1000));
    const p = s.poolSnapshot(g1);
    expect(p?.reservations.size).toBe(1);
    expect(p?.capacity.vcpu).toBe(16);
    expect(p?.version).toBe(v + 1);
  });

  it('never over-commits under any sequence of reserve/release (property)', async () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('reserve' as const),
        id: fc.integer({ min: 0, max: 9 }),
        vcpu: fc.double({ min: 0, max: 6, noNaN: true }),
        mem: fc.double({ min: 0, max: 20, noNaN: true }),
      }),
      fc.record({ kind: fc.constant('release' as const), id: fc.integer({ min: 0, max: 9 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 40 }), async (ops) => {
        const s = await storeWithPool(8, 32);
        for (const o of ops) {
          if (o.kind === 'reserve') await s.reserve(reservation(`r${o.id}`, res(o.vcpu, o.mem)));
          else await s.release(g1, reservationId(`r${o.id}`));
          const pool = s.poolSnapshot(g1);
          if (pool === undefined) throw new Error('pool vanished');
          expect(poolInvariantViolations(pool)).toEqual([]);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('returns copies: mutating a returned pool does not change the store', async () => {
    const s = await storeWithPool();
    const p = await s.getPool(g1);
    (p?.reservations as Map<unknown, unknown>).set('x', {});
    expect(s.poolSnapshot(g1)?.reservations.size).toBe(0);
  });
});

describe('InMemoryStateStore profiles, forecasts, requests, events', () => {
  it('returns only the forecasts asked for that exist', async () => {
    const s = new InMemoryStateStore();
    const f: Forecast = { kind: 'unknown', instanceId: instanceId('i-0000000000000001'), madeAt: 0, reason: 'no history', missing: ['vcpu'] };
    await s.putForecasts([f]);
    const got = await s.getForecasts([instanceId('i-0000000000000001'), instanceId('i-0000000000000002')]);
    expect([...got.keys()]).toEqual(['i-0000000000000001']);
  });

  const stored = (id: string, status: StoredRequest['status'], retryAt?: number, requestedAt = 0): StoredRequest => ({
    request: {
      requestId: requestId(id),
      selector: { kind: 'instance', instanceId: instanceId('i-0000000000000001') },
      reason: 'test',
      notBefore: 0,
      deadline: 1e12,
      mode: 'stop',
      requestedAt,
    },
    status,
    updatedAt: 0,
    ...(retryAt !== undefined ? { retryAt } : {}),
  });

  it('copies forecasts in and out by default; shares them when asked (they are immutable values)', async () => {
    const f: Forecast = { kind: 'unknown', instanceId: instanceId('i-0000000000000001'), madeAt: 0, reason: 'no history', missing: ['vcpu'] };
    const copied = new InMemoryStateStore();
    await copied.putForecasts([f]);
    const back = (await copied.getForecasts([f.instanceId])).get(f.instanceId);
    expect(back).toEqual(f);
    expect(back).not.toBe(f);
    const shared = new InMemoryStateStore({ learned: 'shared' });
    await shared.putForecasts([f]);
    expect((await shared.getForecasts([f.instanceId])).get(f.instanceId)).toBe(f);
    // Shared or not, the calls are recorded and can be scripted to fail.
    shared.log.failNext('getForecasts');
    await expect(shared.getForecasts([f.instanceId])).rejects.toThrow('scripted failure of stateStore.getForecasts');
    expect(shared.log.callsTo('putForecasts')).toHaveLength(1);
  });

  it('lists pending and due deferred requests, oldest retry first', async () => {
    const s = new InMemoryStateStore();
    for (const r of [
      stored('late', 'deferred', 500),
      stored('due', 'deferred', 100),
      stored('p', 'pending', undefined, 5),
      stored('done', 'executed'),
      stored('sched', 'scheduled'),
    ]) {
      await s.putRequest(r);
    }
    expect((await s.listDueRequests(200)).map((r) => r.request.requestId)).toEqual(['p', 'due']);
    expect((await s.listDueRequests(500)).map((r) => r.request.requestId)).toEqual(['p', 'due', 'late']);
  });

  it('marks an event processed once until its TTL passes', async () => {
    const s = new InMemoryStateStore();
    expect(await s.markEventProcessed('e1', 0)).toBe(true);
    expect(await s.markEventProcessed('e1', 1_000)).toBe(false);
    expect(await s.markEventProcessed('e1', PROCESSED_EVENT_TTL_SECONDS * 1000)).toBe(true);
  });

  it('a scripted failure has no effect and is recorded', async () => {
    const s = await storeWithPool();
    s.log.failNext('reserve');
    await expect(s.reserve(reservation('r', res(1, 1)))).rejects.toThrow('scripted failure of stateStore.reserve');
    expect(s.poolSnapshot(g1)?.reservations.size).toBe(0);
    expect(s.log.mutatingCalls().map((c) => [c.operation, c.failed])).toEqual([
      ['putPoolCapacity', false],
      ['reserve', true],
    ]);
  });
});
