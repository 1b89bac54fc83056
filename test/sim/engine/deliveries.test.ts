import { describe, expect, it } from 'vitest';
import { groupId } from '../../../lambda/core/domain';
import { Deliveries } from '../../../lambda/sim/engine/deliveries';
import { emptyTotals } from '../../../lambda/sim/engine/sim-accounting';
import type { SimWorld } from '../../../lambda/sim/engine/sim-world';
import { ManualClock } from '../../../lambda/sim/memory';

const START = Date.UTC(2025, 5, 2);
const G = groupId('web');

const deliveriesAt = (start = START) => {
  const clock = new ManualClock(start);
  const totals = emptyTotals();
  const world = { name: 'the world' } as unknown as SimWorld;
  return { deliveries: new Deliveries(world, clock, totals), clock, totals, world };
};

describe('Deliveries: concurrent strategy reactions in simulated time', () => {
  it('starts a delivery at once and runs the others while it awaits', async () => {
    const { deliveries } = deliveriesAt();
    const order: string[] = [];
    deliveries.post(async () => {
      order.push('a1');
      await Promise.resolve();
      order.push('a2');
    });
    deliveries.post(async () => {
      order.push('b1');
    });
    expect(order).toEqual(['a1', 'b1']);
    expect(deliveries.running).toBe(2);
    await deliveries.settle();
    expect(order).toEqual(['a1', 'b1', 'a2']);
    expect(deliveries.running).toBe(0);
  });

  it('counts a delivery that throws, keeps the first 20 messages with their simulated time, and goes on', async () => {
    const { deliveries, totals } = deliveriesAt();
    for (let k = 0; k < 25; k++) {
      deliveries.post(async () => {
        throw new Error(`boom ${k}`);
      });
    }
    let ran = false;
    deliveries.post(async () => {
      ran = true;
    });
    await deliveries.settle();
    expect(totals.deliveryFailures).toBe(25);
    expect(deliveries.errors).toHaveLength(20);
    expect(deliveries.errors[0]).toBe(`${new Date(START).toISOString()} boom 0`);
    expect(ran).toBe(true);
  });

  it('holds a waiting delivery until simulated time reaches it; drain moves time to each waiter', async () => {
    const { deliveries, clock } = deliveriesAt();
    const seen: number[] = [];
    deliveries.post(async () => {
      await deliveries.waitUntil(START + 5_000);
      seen.push(clock.now());
      await deliveries.waitUntil(START + 9_000);
      seen.push(clock.now());
    });
    await deliveries.settle();
    expect(seen).toEqual([]);
    clock.set(START + 5_000);
    await deliveries.settle();
    expect(seen).toEqual([START + 5_000]);
    await deliveries.drain();
    expect(seen).toEqual([START + 5_000, START + 9_000]);
    expect(clock.now()).toBe(START + 9_000);
    expect(deliveries.running).toBe(0);
  });

  it('tells the strategy through a delivery of its own, handing it the world', async () => {
    const { deliveries, world } = deliveriesAt();
    const told: unknown[] = [];
    deliveries.notify({ name: 'test', onEvent: async (w, name) => void told.push(w, name) }, (h, w) => h.onEvent?.(w, 'moved', {}));
    expect(deliveries.running).toBe(1);
    await deliveries.settle();
    expect(told).toEqual([world, 'moved']);
  });
});

describe('Deliveries: stale capacity writes', () => {
  it('counts a write computed from a desired capacity someone changed after the delivery read it, once', async () => {
    const { deliveries, totals } = deliveriesAt();
    const gate: { open?: () => void } = {};
    const opened = new Promise<void>((resolve) => (gate.open = resolve));
    deliveries.post(async () => {
      deliveries.noteRead(G, 'desired');
      await opened;
      deliveries.noteWrite(G, 'desired', () => deliveries.desiredChanged(G));
      // It knows the value it wrote: a second write is not stale.
      deliveries.noteWrite(G, 'desired', () => deliveries.desiredChanged(G));
    });
    deliveries.post(async () => {
      deliveries.noteRead(G, 'desired');
      deliveries.noteWrite(G, 'desired', () => deliveries.desiredChanged(G));
    });
    gate.open?.();
    await deliveries.settle();
    expect(totals.staleCapacityWrites).toBe(1);
  });

  it('keeps desired capacity and warm pools apart, and counts nothing for a writer that never read or runs outside a delivery', async () => {
    const { deliveries, totals } = deliveriesAt();
    deliveries.post(async () => {
      deliveries.noteRead(G, 'warm-pool');
      deliveries.desiredChanged(G);
      deliveries.noteWrite(G, 'warm-pool', () => deliveries.warmPoolChanged(G));
      deliveries.noteWrite(groupId('batch'), 'desired', () => deliveries.desiredChanged(groupId('batch')));
    });
    await deliveries.settle();
    deliveries.noteRead(G, 'desired');
    deliveries.desiredChanged(G);
    deliveries.noteWrite(G, 'desired', () => deliveries.desiredChanged(G));
    expect(totals.staleCapacityWrites).toBe(0);
  });
});
