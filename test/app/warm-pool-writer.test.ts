import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { writeWarmPool, WARM_POOL_LEASE_MS, type WarmPoolWriterPorts, type WarmPoolWrite } from '../../lambda/app/warm-pool-writer';
import type { InMemoryPorts } from '../../lambda/sim/memory';
import { direct, g, interleaved, pool, world } from './fixtures/warm-pool-world';

const raise = (by = 1): WarmPoolWrite => ({ kind: 'raise-warm-pool', groupId: g, by, room: 10, reason: 'rebalance recommendation' });
const put = (minSize: number, readMinSize: number): WarmPoolWrite => ({
  kind: 'put-warm-pool',
  groupId: g,
  warmPool: pool(minSize),
  readMinSize,
  reason: 'staging',
});

const ports = (p: InMemoryPorts): WarmPoolWriterPorts => direct(p);

describe('writeWarmPool: raises', () => {
  it('one raise: min size one over the larger of min size and the warm instances present; queue empty, lease free', async () => {
    for (const [minSize, warm, expected] of [
      [2, 2, 3],
      [0, 0, 1],
      [1, 3, 4],
      // Growing already (min 3, 2 warm): relative to the min size, so a raise that landed first is not lost.
      [3, 2, 4],
    ] as const) {
      const p = world({ minSize, warm });
      const detail = await writeWarmPool(raise(), ports(p), 'h');
      expect(p.cloud.group(g)?.warmPool?.minSize).toBe(expected);
      expect(detail).toBe(`min size ${minSize} → ${expected} for 1 raise(s) (${warm} warm)`);
      expect(p.stateStore.warmPoolWriterSnapshot(g)).toEqual({ raises: 0 });
    }
  });

  it('three concurrent raises (three rebalance recommendations of one burst) add three, whatever the interleaving', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat({ max: 3 }), { minLength: 64, maxLength: 64 }), fc.integer({ min: 1, max: 6 }), async (delays, n) => {
        const p = world({ minSize: 2, warm: 2 });
        let k = 0;
        const io = interleaved(p, () => delays[k++ % delays.length] ?? 0);
        const details = await Promise.all(Array.from({ length: n }, (_, i) => writeWarmPool(raise(), io, `h-${i}`)));
        expect(p.cloud.group(g)?.warmPool?.minSize).toBe(2 + n);
        expect(p.stateStore.warmPoolWriterSnapshot(g)).toEqual({ raises: 0 });
        // Every write was made by the lease's holder from a read under it: never two PutWarmPool at once.
        expect(details.every((d) => d !== undefined)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('without the lease, the same concurrent raises lose updates (what the lease prevents)', async () => {
    const p = world({ minSize: 2, warm: 2 });
    // The write this replaced: each reads, then writes max(min, warm + 1).
    const naive = async (): Promise<void> => {
      const seen = await p.cloud.describeWarmPool(g);
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (seen !== undefined) await p.cloud.putWarmPool(g, { ...pool(0), minSize: Math.max(seen.minSize, seen.instances.length + 1) });
    };
    await Promise.all([naive(), naive(), naive()]);
    expect(p.cloud.group(g)?.warmPool?.minSize).toBe(3);
  });

  it('a raise finding the lease held is queued, and the holder applies it', async () => {
    const p = world({ minSize: 2, warm: 2 });
    expect(await p.stateStore.acquireWarmPoolLease(g, 'other', 1_000, 1_000 + WARM_POOL_LEASE_MS)).toBe(true);
    expect(await writeWarmPool(raise(), ports(p), 'h')).toBe('queued: the writer holding the warm pool of web applies it');
    expect(p.cloud.group(g)?.warmPool?.minSize).toBe(2);
    expect(p.stateStore.warmPoolWriterSnapshot(g)).toMatchObject({ holder: 'other', raises: 1 });
    // The holder gives it up, finds the raise and applies it (as writeWarmPool does on release).
    expect(await p.stateStore.releaseWarmPoolLease(g, 'other')).toBe(1);
    expect(await writeWarmPool(put(2, 2), ports(p), 'other')).toBe('min size 2 → 3 for 1 raise(s) (2 warm)');
    expect(p.cloud.group(g)?.warmPool?.minSize).toBe(3);
  });

  it("a crashed holder's lease is taken over once it ran out, and the raises it left are applied", async () => {
    const p = world({ minSize: 2, warm: 2 });
    await p.stateStore.queueWarmPoolRaise(g, 2);
    await p.stateStore.acquireWarmPoolLease(g, 'dead', 1_000, 1_000 + WARM_POOL_LEASE_MS);
    expect(await writeWarmPool(raise(), ports(p), 'h')).toMatch(/^queued/);
    p.clock.set(1_000 + WARM_POOL_LEASE_MS + 1);
    expect(await writeWarmPool(raise(), ports(p), 'h')).toBe('min size 2 → 6 for 4 raise(s) (2 warm)');
  });

  it('is capped by max − desired as read under the lease, and says so', async () => {
    const p = world({ minSize: 2, warm: 2, maxSize: 5 });
    expect(await writeWarmPool(raise(2), ports(p), 'h')).toBe('min size 2 → 3 for 2 raise(s) (2 warm)');
    expect(await writeWarmPool(raise(), ports(p), 'h')).toBe('1 raise(s) not applied: no room (min size 3, 2 warm, max − desired 3)');
    expect(p.cloud.group(g)?.warmPool?.minSize).toBe(3);
  });

  it('a failed PutWarmPool throws, gives the lease up and leaves the raises queued for the next writer', async () => {
    const p = world({ minSize: 2, warm: 2 });
    p.cloud.log.failNext('putWarmPool', new Error('ThrottlingException: Rate exceeded'));
    await expect(writeWarmPool(raise(), ports(p), 'h')).rejects.toThrow('Rate exceeded');
    expect(p.stateStore.warmPoolWriterSnapshot(g)).toEqual({ raises: 1 });
    expect(await writeWarmPool(raise(), ports(p), 'h2')).toBe('min size 2 → 4 for 2 raise(s) (2 warm)');
  });

  it('does not write once the lease ran out: the raises go back to the queue', async () => {
    const p = world({ minSize: 2, warm: 2 });
    const slow: WarmPoolWriterPorts = {
      ...ports(p),
      capacity: {
        describeWarmPool: (id) => p.cloud.describeWarmPool(id),
        putWarmPool: (id, w) => p.cloud.putWarmPool(id, w),
        describeGroups: async (ids) => {
          p.clock.advance(WARM_POOL_LEASE_MS); // throttled retries ate the lease
          return p.cloud.describeGroups(ids);
        },
      },
    };
    expect(await writeWarmPool(raise(), slow, 'h')).toBe('1 raise(s) queued again: the warm-pool lease ran out first');
    expect(p.cloud.group(g)?.warmPool?.minSize).toBe(2);
    expect(p.stateStore.warmPoolWriterSnapshot(g)).toEqual({ raises: 1 });
  });
});

describe('writeWarmPool: a staging put', () => {
  it('is written when the min size is still the one its plan read', async () => {
    const p = world({ minSize: 2, warm: 2 });
    expect(await writeWarmPool(put(4, 2), ports(p), 'h')).toBeUndefined();
    expect(p.cloud.group(g)?.warmPool?.minSize).toBe(4);
  });

  it('is not written when another writer changed the min size since the read (the next tick recomputes)', async () => {
    const p = world({ minSize: 3, warm: 2 });
    expect(await writeWarmPool(put(1, 2), ports(p), 'h')).toBe(
      'not written: min size is 3, not the 2 this plan read (another writer changed it); the next tick recomputes',
    );
    expect(p.cloud.group(g)?.warmPool?.minSize).toBe(3);
  });

  it('is not written while another writer holds the lease', async () => {
    const p = world({ minSize: 2, warm: 2 });
    await p.stateStore.acquireWarmPoolLease(g, 'other', 1_000, 1_000 + WARM_POOL_LEASE_MS);
    expect(await writeWarmPool(put(4, 2), ports(p), 'h')).toBe('not written: another writer holds the warm pool of web; the next tick recomputes');
    expect(p.cloud.group(g)?.warmPool?.minSize).toBe(2);
  });

  it('applies raises queued before it, relative to what it wrote', async () => {
    const p = world({ minSize: 2, warm: 3 });
    await p.stateStore.queueWarmPoolRaise(g, 1);
    // Staging lowers to 1; the three warm instances present stay, plus the raise's one.
    expect(await writeWarmPool(put(1, 2), ports(p), 'h')).toBe('min size 1 → 4 for 1 raise(s) (3 warm)');
  });

  it('a group without a warm pool: nothing written, queued raises dropped and said', async () => {
    const p = world({ minSize: 2, warm: 0 });
    const { warmPool: _dropped, ...withoutPool } = p.cloud.group(g) ?? expect.fail('no group');
    p.cloud.putGroup(withoutPool);
    await p.stateStore.queueWarmPoolRaise(g, 1);
    expect(await writeWarmPool(put(1, 2), ports(p), 'h')).toBe('web has no warm pool: 1 raise(s) not applied; not written');
    expect(p.stateStore.warmPoolWriterSnapshot(g)).toEqual({ raises: 0 });
  });
});
