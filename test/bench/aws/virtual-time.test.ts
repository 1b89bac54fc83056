import { describe, expect, it } from 'vitest';
import { VirtualTime } from '../../../bench/aws/virtual-time';

/** Spins until this process has used `ms` of CPU time (what the virtual clock counts). */
const busy = (ms: number): void => {
  const cpu = (): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const end = cpu() + ms;
  while (cpu() < end) {
    /* spin */
  }
};

describe('VirtualTime', () => {
  it('overlaps concurrent sleeps and adds sequential ones, without waiting for real', async () => {
    const t = new VirtualTime(1_000);
    const started = performance.now();
    const ends = await t.run(async () => {
      const a = t.sleep(10_000).then(() => t.now());
      const b = t.sleep(30_000).then(() => t.now());
      const both = await Promise.all([a, b]);
      await t.sleep(5_000);
      return [...both, t.now()];
    });
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(ends[0]).toBeGreaterThanOrEqual(11_000);
    expect(ends[0]).toBeLessThan(11_100);
    expect(ends[1]).toBeGreaterThanOrEqual(31_000);
    expect(ends[2]).toBeGreaterThanOrEqual(36_000);
    expect(ends[2]).toBeLessThan(36_200);
  });

  it("counts the CPU of each waiter, scaled, on its own clock: concurrent waiters do not add each other's CPU", async () => {
    const t = new VirtualTime(0, { cpuScale: 3 });
    const [a, b] = await t.run(() =>
      Promise.all([
        (async () => {
          await t.sleep(100);
          busy(100);
          await t.sleep(100);
          return t.now();
        })(),
        (async () => {
          await t.sleep(100);
          busy(100);
          await t.sleep(100);
          return t.now();
        })(),
      ]),
    );
    // Each: 100 + 100 × 3 + 100 = 500 (plus the process's own overhead, scaled too: up to ~120 on a loaded
    // 2-core machine), not 500 + the other's 300. The bound sits halfway.
    for (const end of [a, b]) {
      expect(end).toBeGreaterThanOrEqual(500);
      expect(end).toBeLessThan(650);
    }
  });

  it('refuses a negative or non-finite sleep', () => {
    const t = new VirtualTime(0);
    expect(() => t.sleep(-1)).toThrow('sleep needs a finite, non-negative duration (got -1)');
    expect(() => t.sleep(Number.NaN)).toThrow('(got NaN)');
  });

  it("passes the work's failure through", async () => {
    const t = new VirtualTime(0);
    await expect(
      t.run(async () => {
        await t.sleep(10);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
  });
});
