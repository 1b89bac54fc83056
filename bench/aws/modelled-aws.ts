import { AsyncLocalStorage } from 'node:async_hooks';
import type { EventPublisher } from '../../lambda/ports/event-publisher';
import type { InterruptionScheduler } from '../../lambda/ports/interruption-scheduler';
import type { StateStore } from '../../lambda/ports/state-store';
import { isMutating, type LatencyModel } from './aws-latency';
import type { VirtualTime } from './virtual-time';

/**
 * The benchmarks' AWS stand-in with modelled round trips: every AWS call waits its drawn latency in virtual
 * time (after waiting for a token, when a rate budget gates it) and is recorded with its virtual start and
 * end, whether it mutates, the DynamoDB items it read, and which notice made it (AsyncLocalStorage: the
 * handlers of a storm run interleaved in one process).
 *
 * EC2 and Auto Scaling calls come from the real adapters (bench/aws/cloud-backed-clients.ts `onCall`).
 * DynamoDB, EventBridge and Scheduler calls are modelled at the port: each StateStore operation waits for the
 * DynamoDB calls lambda/adapters/dynamodb-state-store.ts makes for it, one after another as that adapter
 * awaits them (see modelStateStore).
 */
export interface ModelledCall {
  readonly api: string;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly mutating: boolean;
  /** DynamoDB items the call returned. */
  readonly itemsRead: number;
  readonly notice: string | undefined;
}

/** When a call gated by a rate budget may go through (≥ `at`), or `at` when nothing gates it. */
export type CallGate = (service: string, api: string, at: number) => number;

export class ModelledAws {
  readonly calls: ModelledCall[] = [];
  private readonly context = new AsyncLocalStorage<string>();

  constructor(
    readonly time: VirtualTime,
    private readonly latency: LatencyModel,
    private readonly gate?: CallGate,
  ) {}

  /** Runs `fn` with its calls attributed to `notice`. */
  within<T>(notice: string, fn: () => Promise<T>): Promise<T> {
    return this.context.run(notice, fn);
  }

  get currentNotice(): string | undefined {
    return this.context.getStore();
  }

  /** One AWS call: waits for a token (if gated), then for its round trip; returns when the answer is back. */
  async call(service: string, api: string, itemsRead = 0): Promise<void> {
    const startedAt = this.time.now();
    const through = this.gate?.(service, api, startedAt) ?? startedAt;
    const endedAt = through + this.latency.draw(api);
    await this.time.until(endedAt);
    this.calls.push({ api, startedAt, endedAt, mutating: isMutating(api), itemsRead, notice: this.currentNotice });
  }
}

/** How many DynamoDB requests `n` keys take when each request carries at most `size`. */
const requests = (n: number, size: number): number => Math.ceil(n / size);

/**
 * The StateStore with DynamoDB's round trips, as lambda/adapters/dynamodb-state-store.ts makes them: the
 * operation runs against `store` (the in-memory fake, whose conditional semantics stand in for DynamoDB's),
 * then the calls the adapter would have made are waited for in order. Reads count the items returned; a
 * pool read returns the pool item twice (read before and after the reservation Query, to check its version)
 * and one item per reservation.
 */
export const modelStateStore = (store: StateStore, aws: ModelledAws): StateStore => {
  const ddb = (api: string, items = 0) => aws.call('dynamodb', api, items);
  const batches = async (api: string, keys: number, size: number, itemsRead: number): Promise<void> => {
    const n = requests(keys, size);
    for (let k = 0; k < n; k++) await ddb(api, k === 0 ? itemsRead : 0);
  };
  return {
    getPool: async (g) => {
      const pool = await store.getPool(g);
      await ddb('GetItem', pool === undefined ? 0 : 1);
      if (pool === undefined) return undefined;
      await ddb('Query', pool.reservations.size);
      await ddb('GetItem', 1);
      return pool;
    },
    putPoolCapacity: async (g, c) => {
      await ddb('GetItem', 1);
      await store.putPoolCapacity(g, c);
      await ddb('UpdateItem');
    },
    putAllocations: async (g, a) => {
      await ddb('GetItem', 1);
      await store.putAllocations(g, a);
      await ddb('UpdateItem');
    },
    reserve: async (r) => {
      const outcome = await store.reserve(r);
      await ddb('TransactWriteItems');
      // A refused transaction is explained by reading the reservation and the pool item.
      if (outcome.kind !== 'reserved') {
        await ddb('GetItem', 1);
        await ddb('GetItem', 1);
      }
      return outcome;
    },
    release: async (g, id) => {
      await ddb('GetItem', 1);
      const released = await store.release(g, id);
      if (released) await ddb('TransactWriteItems');
      return released;
    },
    handOver: async (g, id, instanceId) => {
      await ddb('GetItem', 2);
      const handed = await store.handOver(g, id, instanceId);
      if (handed) await ddb('TransactWriteItems');
      return handed;
    },
    sweepExpired: async (g, now) => {
      const released = await store.sweepExpired(g, now);
      await ddb('Query', released.length);
      for (let k = 0; k < released.length; k++) {
        await ddb('GetItem', 1);
        await ddb('TransactWriteItems');
      }
      return released;
    },
    getProfiles: async (ids) => {
      const found = await store.getProfiles(ids);
      await batches('BatchGetItem', ids.length, 100, found.size);
      return found;
    },
    putProfiles: async (p) => {
      await store.putProfiles(p);
      await batches('BatchWriteItem', p.length, 25, 0);
    },
    getForecasts: async (ids) => {
      const found = await store.getForecasts(ids);
      await batches('BatchGetItem', ids.length, 100, found.size);
      return found;
    },
    putForecasts: async (f) => {
      await store.putForecasts(f);
      await batches('BatchWriteItem', f.length, 25, 0);
    },
    getRequest: async (id) => {
      const r = await store.getRequest(id);
      await ddb('GetItem', r === undefined ? 0 : 1);
      return r;
    },
    putRequest: async (r) => {
      await store.putRequest(r);
      await ddb('TransactWriteItems');
    },
    listDueRequests: async (now) => {
      const due = await store.listDueRequests(now);
      await ddb('Query', due.length);
      return due;
    },
    markEventProcessed: async (id, now) => {
      const first = await store.markEventProcessed(id, now);
      await ddb('PutItem');
      return first;
    },
    recordPoolSignal: async (g, signal) => {
      const counted = await store.recordPoolSignal(g, signal);
      await ddb('UpdateItem');
      return counted;
    },
    queueWarmPoolRaise: async (g, by) => {
      await store.queueWarmPoolRaise(g, by);
      await ddb('UpdateItem');
    },
    acquireWarmPoolLease: async (g, holder, now, until) => {
      const taken = await store.acquireWarmPoolLease(g, holder, now, until);
      await ddb('UpdateItem');
      return taken;
    },
    takeWarmPoolRaises: async (g, holder) => {
      const raises = await store.takeWarmPoolRaises(g, holder);
      await ddb('UpdateItem');
      return raises;
    },
    releaseWarmPoolLease: async (g, holder) => {
      const left = await store.releaseWarmPoolLease(g, holder);
      await ddb('UpdateItem');
      return left;
    },
    claimWarmInstance: async (claim, now, supersedes) => {
      const claimed = await store.claimWarmInstance(claim, now, supersedes);
      await ddb('PutItem');
      return claimed;
    },
    releaseWarmClaim: async (g, instance, victim) => {
      await store.releaseWarmClaim(g, instance, victim);
      await ddb('DeleteItem');
    },
    getWarmClaims: async (g, now) => {
      const claims = await store.getWarmClaims(g, now);
      await ddb('Query', claims.length);
      return claims;
    },
    getPoolSignals: async (g) => {
      const histories = await store.getPoolSignals(g);
      await ddb('Query', histories.length);
      return histories;
    },
    putCycles: async (cycles) => {
      await store.putCycles(cycles);
      await batches('BatchWriteItem', cycles.length, 25, 0);
    },
    listCycles: async (g, limit) => {
      const cycles = await store.listCycles(g, limit);
      await ddb('Query', cycles.length);
      return cycles;
    },
  };
};

/** PutEvents takes at most 10 entries per request (lambda/adapters/eventbridge-publisher.ts batches by 10). */
export const modelPublisher = (publisher: EventPublisher, aws: ModelledAws): EventPublisher => ({
  publish: async (entries) => {
    await publisher.publish(entries);
    for (let k = 0; k < requests(entries.length, 10); k++) await aws.call('events', 'PutEvents');
  },
});

export const modelScheduler = (scheduler: InterruptionScheduler, aws: ModelledAws): InterruptionScheduler => ({
  schedule: async (i) => {
    await scheduler.schedule(i);
    await aws.call('scheduler', 'CreateSchedule');
  },
  cancel: async (id) => {
    await scheduler.cancel(id);
    await aws.call('scheduler', 'DeleteSchedule');
  },
});
