import { AsyncLocalStorage } from 'node:async_hooks';
import type { GroupId } from '../../core/domain';
import type { ManualClock } from '../memory';
import type { DeliveryContext, StrategyHooks, WorldTotals } from './sim-types';
import type { SimWorld } from './sim-world';

/**
 * The strategy's reactions as Lambda deliveries: each starts at once and runs concurrently with the others,
 * interleaving at every await; a throttled call waits in simulated time. A desired-capacity or warm-pool write
 * computed from a value another writer changed since it was read is counted in `staleCapacityWrites`.
 */
export class Deliveries {
  private readonly store = new AsyncLocalStorage<DeliveryContext>();
  private readonly inFlight = new Set<Promise<void>>();
  private waiters: { at: number; resolve: () => void }[] = [];
  /** Version of each group's desired capacity and warm pool: bumped by every change, whoever makes it. */
  private readonly desiredVersion = new Map<GroupId, number>();
  private readonly warmPoolVersion = new Map<GroupId, number>();
  /** The first delivery failures (for the report's notes). */
  readonly errors: string[] = [];

  constructor(
    private readonly world: SimWorld,
    private readonly clock: ManualClock,
    private readonly totals: WorldTotals,
  ) {}

  /**
   * Starts a strategy's reaction (an EventBridge delivery to a Lambda function) without waiting for it.
   * Deliveries run concurrently; each has its own context for stale-write accounting. A delivery that
   * throws is counted (Lambda would retry or dead-letter it; the run goes on).
   */
  post(work: () => Promise<void>): void {
    const ctx: DeliveryContext = { desiredSeen: new Map(), warmPoolSeen: new Map() };
    const p: Promise<void> = this.store
      .run(ctx, work)
      .catch((error: unknown) => {
        this.totals.deliveryFailures += 1;
        if (this.errors.length < 20) this.errors.push(`${new Date(this.clock.now()).toISOString()} ${(error as Error).message}`);
      })
      .finally(() => {
        this.inFlight.delete(p);
      });
    this.inFlight.add(p);
  }

  /** Tells the strategy something happened (an EC2 or Auto Scaling event through EventBridge): a concurrent delivery. */
  notify(hooks: StrategyHooks, call: (h: StrategyHooks, world: SimWorld) => Promise<void> | undefined): void {
    this.post(async () => {
      await call(hooks, this.world);
    });
  }

  /** Deliveries still running (waiting for a throttled call or a later time). */
  get running(): number {
    return this.inFlight.size;
  }

  /** Resolves when simulated time reaches `at` (a throttled call waits here). */
  waitUntil(at: number): Promise<void> {
    if (at <= this.clock.now()) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.push({ at, resolve });
    });
  }

  /**
   * Lets every delivery run until each has finished or waits for a later time: releases the waiters that are
   * due, then yields to the event loop (all pending promise continuations run before a macrotask does).
   */
  async settle(): Promise<void> {
    for (let round = 0; round < 100; round++) {
      const now = this.clock.now();
      const due = this.waiters.filter((w) => w.at <= now);
      this.waiters = this.waiters.filter((w) => w.at > now);
      for (const w of due) w.resolve();
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (!this.waiters.some((w) => w.at <= this.clock.now())) return;
    }
  }

  /** Waits for every delivery to finish, moving time to each waiter's due time (end of a run, tests). */
  async drain(): Promise<void> {
    await this.settle();
    while (this.inFlight.size > 0 && this.waiters.length > 0) {
      const next = Math.min(...this.waiters.map((w) => w.at));
      if (next > this.clock.now()) this.clock.set(next);
      await this.settle();
    }
    await Promise.all([...this.inFlight]);
  }

  /** The calling delivery's context, if the call comes from a delivery. */
  context(): DeliveryContext | undefined {
    return this.store.getStore();
  }

  /** Records that the calling delivery read a group's desired capacity / warm pool (DescribeAutoScalingGroups, DescribeWarmPool). */
  noteRead(groupId: GroupId, what: 'desired' | 'warm-pool'): void {
    const ctx = this.context();
    if (ctx === undefined) return;
    if (what === 'desired') ctx.desiredSeen.set(groupId, this.desiredVersion.get(groupId) ?? 0);
    else ctx.warmPoolSeen.set(groupId, this.warmPoolVersion.get(groupId) ?? 0);
  }

  /**
   * A write of a group's desired capacity / warm pool by the calling delivery (`apply` makes the change):
   * stale when the delivery read the value and someone changed it since. The delivery then knows the value
   * it wrote.
   */
  noteWrite(groupId: GroupId, what: 'desired' | 'warm-pool', apply: () => void): void {
    const ctx = this.context();
    const versions = what === 'desired' ? this.desiredVersion : this.warmPoolVersion;
    const seen = ctx === undefined ? undefined : what === 'desired' ? ctx.desiredSeen : ctx.warmPoolSeen;
    const read = seen?.get(groupId);
    if (read !== undefined && read !== (versions.get(groupId) ?? 0)) this.totals.staleCapacityWrites += 1;
    apply();
    seen?.set(groupId, versions.get(groupId) ?? 0);
  }

  /** A group's desired capacity changed (any writer: a strategy, Auto Scaling itself): bumps its version. */
  desiredChanged(groupId: GroupId): void {
    this.desiredVersion.set(groupId, (this.desiredVersion.get(groupId) ?? 0) + 1);
  }

  /** A group's warm pool changed (PutWarmPool): bumps its version. */
  warmPoolChanged(groupId: GroupId): void {
    this.warmPoolVersion.set(groupId, (this.warmPoolVersion.get(groupId) ?? 0) + 1);
  }
}
