import { describe, expect, it } from 'vitest';
import { groupId, instanceId, type PoolSignal } from '../../../lambda/core/domain';
import { InMemoryStateStore } from '../../../lambda/sim/memory';

const T0 = Date.UTC(2026, 0, 15, 12);
const signal = (kind: PoolSignal['signal'], eventId: string, at: number, az = 'us-east-1a'): PoolSignal => ({
  instanceType: 'm5.large',
  availabilityZone: az,
  signal: kind,
  instanceId: instanceId('i-1'),
  eventId,
  at,
});

describe.each([
  ['InMemoryStateStore', () => new InMemoryStateStore()],
  ['InMemoryStateStore sharing profiles and forecasts', () => new InMemoryStateStore({ learned: 'shared' })],
])('%s pool signals (as the DynamoDB adapter)', (_, make) => {
  it("counts warnings and rebalances per pool, keeps the first signal's time, and refuses the event id it last counted", async () => {
    const store = make();
    const web = groupId('web');
    expect(await store.getPoolSignals(web)).toEqual([]);
    expect(await store.recordPoolSignal(web, signal('rebalance-recommendation', 'rb-1', T0))).toBe(true);
    expect(await store.recordPoolSignal(web, signal('spot-warning', 'w-1', T0 + 60_000))).toBe(true);
    expect(await store.recordPoolSignal(web, signal('spot-warning', 'w-1', T0 + 60_000))).toBe(false);
    expect(await store.recordPoolSignal(web, signal('spot-warning', 'w-2', T0 + 120_000))).toBe(true);
    expect(await store.recordPoolSignal(web, signal('spot-warning', 'w-3', T0, 'us-east-1b'))).toBe(true);
    expect(await store.recordPoolSignal(groupId('api'), signal('spot-warning', 'w-4', T0))).toBe(true);
    expect(await store.getPoolSignals(web)).toEqual([
      { instanceType: 'm5.large', availabilityZone: 'us-east-1a', warnings: 2, rebalances: 1, since: T0, lastAt: T0 + 120_000 },
      { instanceType: 'm5.large', availabilityZone: 'us-east-1b', warnings: 1, rebalances: 0, since: T0, lastAt: T0 },
    ]);
  });
});

describe('InMemoryStateStore pool signals', () => {
  it('records the calls as learning (not ledger mutations), and can be scripted to fail with no effect', async () => {
    const store = new InMemoryStateStore();
    store.log.failNext('recordPoolSignal');
    await expect(store.recordPoolSignal(groupId('web'), signal('spot-warning', 'w-1', T0))).rejects.toThrow('scripted failure of stateStore.recordPoolSignal');
    expect(await store.getPoolSignals(groupId('web'))).toEqual([]);
    expect(store.log.count('recordPoolSignal')).toBe(1);
    expect(store.log.mutatingCalls()).toEqual([]);
  });
});
