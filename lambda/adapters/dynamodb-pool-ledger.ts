import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Keys, TableKey } from '../contracts/table';
import { InvalidAmountError, checkPoolResources } from '../core/pool/pool-amounts';
import {
  InvalidReservationError,
  handOver as handOverInPool,
  loanDeficit,
  overCommitReason,
  releaseReservation,
  validateReservation,
} from '../core/pool/resource-pool';
import { InvalidResourcesError, ZERO_RESOURCES, isZero, subtractResources, sumResources } from '../core/resources/resources';
import { DIMENSIONS, type GroupId, type InstanceId, type Loan, type Reservation, type ReservationId, type ResourcePool, type Resources } from '../core/domain';
import { PoolOverCommitError, type PoolLedger, type ReserveOutcome } from '../ports/state-store';
import {
  allocatedOf,
  freeOf,
  fromReservationItem,
  packAllocations,
  parsePoolItem,
  parseReservationItem,
  perDimension,
  reservedOf,
  toResourcePool,
  type PoolItem,
} from './dynamodb-items';
import {
  deleteHeldReservation,
  movePool,
  putNewPool,
  putReservation,
  releaseToFree,
  reserveFromFree,
  rewritePool,
  type TransactItem,
} from './dynamodb-pool-writes';
import { Again, cancellationOf, conflictOrFailure, retrying, transact } from './dynamodb-retry';
import { dynamoDbTable, queryAll, type DynamoDbTable, type DynamoDbTableOptions } from './dynamodb-table';
import { ConditionFailedError, NotFoundError, callAws } from './errors';

export { PoolOverCommitError };

/** Why a contended write of the pool gave up (the ThrottledError's detail). */
const stayedContended = (attempts: number): string => `the pool stayed contended for ${attempts} attempts; retry later`;

/**
 * PoolLedger on the spotwise table (DESIGN.md §2 and §5): a group's pool item and its reservation items; what is
 * written is in dynamodb-pool-writes.ts.
 *
 * A reservation is ONE TransactWriteItems: put the reservation item (attribute_not_exists) and update
 * the pool item with `free_<dim> >= :amount` on every dimension, decrementing free and incrementing
 * reserved in the same update, so two handlers can never over-commit. When DynamoDB cancels it,
 * CancellationReasons (in request order) say which part failed: the put → the id is already held
 * (idempotent success), the pool update → it does not fit (refused with the shortfall from a fresh,
 * consistent read), TransactionConflict → retried with jittered backoff. A reservation that borrows from
 * lower-priority instances (Reservation.loans) also moves their allocations, which live in one packed attribute:
 * that transaction rewrites the pool item under the version it read (reserveWithLoans, release).
 */
export class DynamoDbPoolLedger implements PoolLedger {
  private readonly table: DynamoDbTable;

  constructor(client: DynamoDBDocumentClient, options: DynamoDbTableOptions) {
    this.table = dynamoDbTable(client, options);
  }

  /**
   * The pool item and its reservation items. They are read separately (a Query cannot join a
   * transaction), so the pool's version is read again after the Query: every reservation write bumps
   * it in the same transaction, so an unchanged version means the ledger read is the one it counts.
   */
  async getPool(groupId: GroupId): Promise<ResourcePool | undefined> {
    const operation = `reading the pool of group ${groupId}`;
    return retrying(this.table.retry, {
      operation,
      attempt: async () => {
        const before = await this.readPoolItem(groupId, operation);
        if (before === undefined) return undefined;
        const reservations = await this.queryReservations(groupId, operation);
        const after = await this.readPoolItem(groupId, operation);
        if (after === undefined) return undefined;
        return after.version === before.version ? toResourcePool(after, reservations) : Again.afterBackoff;
      },
      exhausted: (attempts) => `the pool kept changing during ${attempts} reads; retry later`,
    });
  }

  /** Creates the pool (free = capacity) or changes its capacity, keeping allocations and reservations. */
  async putPoolCapacity(groupId: GroupId, capacity: Resources): Promise<void> {
    const operation = `setting the capacity of group ${groupId}'s pool`;
    const cap = checkPoolResources(capacity, `pool ${groupId} capacity`, 'down');
    await this.updatePoolOptimistically(groupId, operation, async (item) => {
      if (item === undefined) {
        await callAws(operation, () => this.table.client.send(new PutCommand(putNewPool(this.table.name, groupId, cap))));
        return;
      }
      await this.rewritePool(item, cap, allocatedOf(item), { capacity: { ...cap } }, operation);
    });
  }

  /** Replaces the allocations of running instances and recomputes free = capacity − allocated − reserved. */
  async putAllocations(groupId: GroupId, allocations: ReadonlyMap<InstanceId, Resources>): Promise<void> {
    const operation = `recording the allocations of ${allocations.size} instance(s) in group ${groupId}'s pool`;
    const checked = new Map([...allocations.entries()].map(([id, r]) => [id, checkPoolResources(r, `allocation of ${id}`, 'up')]));
    const total = sumResources([...checked.values()]);
    // Packed once (a pool too large for one item is refused before any read), written on every attempt.
    const packed = packAllocations(checked, groupId);
    await this.updatePoolOptimistically(groupId, operation, async (item) => {
      if (item === undefined) throw new NotFoundError(operation, undefined, `group ${groupId} has no pool (put its capacity first)`);
      await this.rewritePool(item, item.capacity, total, { allocations: packed }, operation);
    });
  }

  async reserve(reservation: Reservation): Promise<ReserveOutcome> {
    const operation = `reserving capacity for ${reservation.instanceId} in group ${reservation.groupId} (reservation ${reservation.id})`;
    const stored = checkReservation(reservation, operation);
    if (stored.loans !== undefined) return this.reserveWithLoans(stored, stored.loans, operation);
    let swept = false;
    return retrying(this.table.retry, {
      operation,
      attempt: async () => {
        await transact(this.table.client, operation, [
          putReservation(this.table.name, stored),
          reserveFromFree(this.table.name, stored.groupId, stored.amount),
        ]);
        return { kind: 'reserved', reservation: stored };
      },
      retry: async (error): Promise<ReserveOutcome | Again> => {
        const cancelled = cancellationOf(error);
        const [putCode, poolCode] = cancelled.codes;
        if (putCode === 'ConditionalCheckFailed') {
          const held = await this.readReservation(stored.groupId, stored.id, operation);
          // Released between the two calls: try again.
          return held !== undefined ? { kind: 'already-reserved', reservation: held } : Again.atOnce;
        }
        if (poolCode !== 'ConditionalCheckFailed') return conflictOrFailure(cancelled);
        const item = await this.readPoolItem(stored.groupId, operation);
        // No pool: nothing is known about the group's capacity, so everything is short (fail closed).
        if (item === undefined) return { kind: 'refused', shortfall: { ...stored.amount } };
        const short = perDimension((d) => Math.max(0, stored.amount[d] - freeOf(item)[d]));
        // Capacity was freed since the attempt: try again.
        if (!DIMENSIONS.some((d) => short[d] > 0)) return Again.atOnce;
        // An expired reservation must not be the reason for a refusal: sweep once, then decide.
        if (!swept) {
          swept = true;
          const released = await this.sweepExpired(stored.groupId, this.table.clock.now());
          if (released.length > 0) return Again.atOnce;
        }
        return { kind: 'refused', shortfall: short };
      },
      exhausted: stayedContended,
    });
  }

  /**
   * A reservation that borrows (DESIGN.md §2, lambda/core/pool/borrowing.ts): ONE TransactWriteItems that puts the
   * reservation item (attribute_not_exists, idempotent as above) and rewrites the pool item under the version just
   * read — each lender's allocation reduced by its loan in the packed `allocations`, allocated − Σloans,
   * reserved + amount, free − (amount − Σloans). The loans live inside one packed attribute that no condition
   * expression can test, so the checks are made on the fresh read and the version condition makes them hold at
   * the write; a write that moved the pool in between cancels it and it is decided again from a fresh read.
   *
   * Refused, never thrown, as the core's `tryReserve` after `loanDeficit` (what the in-memory store does):
   * - a lender without an allocation, or holding less than its loan on some dimension (the plan saw an older
   *   pool) → shortfall = per dimension Σ max(0, loan − what the lender holds), 0 for a lender that left;
   * - else free < amount − Σloans on some dimension → shortfall = amount − Σloans − free there.
   * Before refusing, expired reservations are swept once (their loans may be what a lender is missing), and a
   * reservation already held under this id wins (already-reserved, as the put's condition would say).
   */
  private async reserveWithLoans(stored: Reservation, loans: readonly Loan[], operation: string): Promise<ReserveOutcome> {
    const lent = sumResources(loans.map((l) => l.amount));
    // What the pool's free capacity must supply: the rest of the amount comes from the lenders' allocations.
    const fromFree = perDimension((d) => stored.amount[d] - lent[d]);
    let swept = false;
    return retrying(this.table.retry, {
      operation,
      attempt: async () => {
        const item = await this.readPoolItem(stored.groupId, operation);
        // No pool: nothing is known about the group's capacity, so everything is short (fail closed).
        if (item === undefined) return this.heldOrRefused(stored, { ...stored.amount }, operation);
        const shortfall = loanRefusal(item, loans, fromFree);
        if (shortfall !== undefined) {
          // An expired reservation must not be the reason for a refusal: sweep once, then decide.
          if (!swept) {
            swept = true;
            const released = await this.sweepExpired(stored.groupId, this.table.clock.now());
            if (released.length > 0) return Again.atOnce;
          }
          return this.heldOrRefused(stored, shortfall, operation);
        }
        // Every lender holds at least its loan (loanRefusal), so no allocation goes below 0.
        const allocations = { ...item.allocations };
        for (const loan of loans) allocations[loan.lender] = perDimension((d) => (item.allocations[loan.lender]?.[d] ?? 0) - loan.amount[d]);
        const poolUpdate = movePool(this.table.name, item, allocations, { free: ['-', fromFree], reserved: ['+', stored.amount], allocated: ['-', lent] });
        await transact(this.table.client, operation, [putReservation(this.table.name, stored), poolUpdate]);
        return { kind: 'reserved', reservation: stored };
      },
      retry: async (error): Promise<ReserveOutcome | Again> => {
        const cancelled = cancellationOf(error);
        const [putCode, poolCode] = cancelled.codes;
        if (putCode === 'ConditionalCheckFailed') {
          const held = await this.readReservation(stored.groupId, stored.id, operation);
          // Released between the two calls: try again.
          return held !== undefined ? { kind: 'already-reserved', reservation: held } : Again.atOnce;
        }
        // The pool's version moved (a reservation, release, hand-over or refresh committed since the read): decide again.
        return poolCode === 'ConditionalCheckFailed' ? Again.afterBackoff : conflictOrFailure(cancelled);
      },
      exhausted: stayedContended,
    });
  }

  /** A refusal, unless the reservation is already held under its id (then that one wins, as a put's condition would say). */
  private async heldOrRefused(stored: Reservation, shortfall: Resources, operation: string): Promise<ReserveOutcome> {
    const held = await this.readReservation(stored.groupId, stored.id, operation);
    return held !== undefined ? { kind: 'already-reserved', reservation: held } : { kind: 'refused', shortfall };
  }

  /**
   * Deletes the reservation and returns its amount to the pool in one transaction. Idempotent: the
   * delete is conditioned on the item existing, so of two concurrent releases exactly one returns true.
   * A reservation with loans also gives each loan back to its lender, if the lender still has an allocation
   * (one that left gets nothing back, as the core's releaseReservation): the packed allocations are rewritten
   * under the version read — allocated + returned, reserved − amount, free + (amount − returned) — and a write
   * that moved the pool in between makes it retry from a fresh read.
   */
  async release(groupId: GroupId, id: ReservationId): Promise<boolean> {
    const operation = `releasing reservation ${id} in group ${groupId}`;
    let held: Reservation | undefined;
    return retrying(this.table.retry, {
      operation,
      attempt: async () => {
        held = await this.readReservation(groupId, id, operation);
        if (held === undefined) return false;
        const poolUpdate =
          held.loans === undefined ? releaseToFree(this.table.name, groupId, held.amount) : await this.returnLoans(held, held.loans, operation);
        await transact(this.table.client, operation, [deleteHeldReservation(this.table.name, groupId, id), poolUpdate]);
        return true;
      },
      retry: (error) => {
        const cancelled = cancellationOf(error);
        const [deleteCode, poolCode] = cancelled.codes;
        if (deleteCode === 'ConditionalCheckFailed') return false;
        if (poolCode !== 'ConditionalCheckFailed') return conflictOrFailure(cancelled);
        // With loans the condition is also on the version read: it moved, so retry from a fresh read (which
        // reports a pool item that is gone).
        if (held?.loans === undefined) throw new NotFoundError(operation, cancelled.cause, `group ${groupId} has no pool item, but reservation ${id} exists`);
        return Again.afterBackoff;
      },
      exhausted: stayedContended,
    });
  }

  /** The pool update that releases a reservation with loans, computed on a fresh read of the pool (see release). */
  private async returnLoans(held: Reservation, loans: readonly Loan[], operation: string): Promise<TransactItem> {
    const item = await this.readPoolItem(held.groupId, operation);
    if (item === undefined) throw new NotFoundError(operation, undefined, `group ${held.groupId} has no pool item, but reservation ${held.id} exists`);
    // The core decides who gets what back (a lender that left the group gets nothing); the counters move by what
    // the lenders' allocations moved (grid amounts: each difference is exactly the loan, or 0).
    const pool = toResourcePool(item, [held]);
    const { allocations } = releaseReservation(pool, held.id).pool;
    const back = sumResources(
      loans.map((l) => subtractResources(allocations.get(l.lender) ?? ZERO_RESOURCES, pool.allocations.get(l.lender) ?? ZERO_RESOURCES)),
    );
    return movePool(this.table.name, item, allocations, {
      free: ['+', perDimension((d) => held.amount[d] - back[d])],
      reserved: ['-', held.amount],
      allocated: ['+', back],
    });
  }

  /**
   * The hand-over as ONE TransactWriteItems (DESIGN.md flow 4): delete the reservation item (it must exist:
   * of concurrent hand-overs of one reservation exactly one wins) and, on the pool item conditioned on the
   * version that was read, set the instance's allocation to max(current, reserved) and move the counters —
   * reserved − amount, allocated + (new − old), free + amount − (new − old). The new allocation never exceeds
   * the old one plus the amount, so free never falls: the pool never passes through a state that counts the
   * capacity twice, and never over-commits. A concurrent write to the pool makes it retry from a fresh read.
   */
  async handOver(groupId: GroupId, id: ReservationId, instanceId: InstanceId): Promise<boolean> {
    const operation = `handing reservation ${id} in group ${groupId} over to ${instanceId}`;
    return retrying(this.table.retry, {
      operation,
      attempt: async () => {
        const held = await this.readReservation(groupId, id, operation);
        if (held === undefined) return false;
        const item = await this.readPoolItem(groupId, operation);
        if (item === undefined) throw new NotFoundError(operation, undefined, `group ${groupId} has no pool item, but reservation ${id} exists`);
        // The core decides the instance's allocation (max of its own and the reserved amount); `now` only says
        // whether the hand-over is late, which the port does not report.
        const pool = toResourcePool(item, [held]);
        const handed = handOverInPool(pool, held.id, this.table.clock.now(), instanceId);
        if (handed.kind !== 'handed-over') return false; // unreachable: the reservation is in the pool it was given
        // Grid amounts: these differences are exact, like DynamoDB's own arithmetic on the same item.
        const grown = subtractResources(handed.allocation, pool.allocations.get(instanceId) ?? ZERO_RESOURCES);
        // The allocations are one packed attribute: rewritten whole, under the version that was read.
        const poolUpdate = movePool(this.table.name, item, handed.pool.allocations, {
          free: ['+', subtractResources(held.amount, grown)],
          reserved: ['-', held.amount],
          allocated: ['+', grown],
        });
        await transact(this.table.client, operation, [deleteHeldReservation(this.table.name, groupId, id), poolUpdate]);
        return true;
      },
      retry: (error) => {
        const cancelled = cancellationOf(error);
        const [deleteCode, poolCode] = cancelled.codes;
        if (deleteCode === 'ConditionalCheckFailed') return false;
        // The pool's version moved (a reservation, release or refresh committed in between): recompute from a fresh read.
        return poolCode === 'ConditionalCheckFailed' ? Again.afterBackoff : conflictOrFailure(cancelled);
      },
      exhausted: stayedContended,
    });
  }

  /** Releases every reservation with expiresAt ≤ now (live strictly before its expiry, as in the core). */
  async sweepExpired(groupId: GroupId, now: number): Promise<ReservationId[]> {
    const operation = `sweeping expired reservations of group ${groupId}`;
    const expired = (await this.queryReservations(groupId, operation)).filter((r) => r.expiresAt <= now);
    const released: ReservationId[] = [];
    for (const r of expired) {
      if (await this.release(groupId, r.id)) released.push(r.id);
    }
    return released;
  }

  private async readPoolItem(groupId: GroupId, operation: string): Promise<PoolItem | undefined> {
    const response = await callAws(operation, () =>
      this.table.client.send(new GetCommand({ TableName: this.table.name, Key: Keys.pool(groupId), ConsistentRead: true })),
    );
    return response.Item === undefined ? undefined : parsePoolItem(response.Item, groupId);
  }

  private async readReservation(groupId: GroupId, id: ReservationId, operation: string): Promise<Reservation | undefined> {
    const response = await callAws(operation, () =>
      this.table.client.send(new GetCommand({ TableName: this.table.name, Key: Keys.reservation(groupId, id), ConsistentRead: true })),
    );
    return response.Item === undefined ? undefined : fromReservationItem(parseReservationItem(response.Item, `reservation item ${id} of group ${groupId}`));
  }

  private async queryReservations(groupId: GroupId, operation: string): Promise<Reservation[]> {
    const items = await queryAll(this.table, operation, {
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': TableKey.partition, '#sk': TableKey.sort },
      ExpressionAttributeValues: { ':pk': Keys.pool(groupId).pk, ':prefix': Keys.reservationPrefix },
    });
    return items.map((item) => fromReservationItem(parseReservationItem(item, `a reservation item of group ${groupId}`)));
  }

  /**
   * Read-modify-write of the pool item guarded by its version: a reservation or release committing in
   * between bumps the version, the condition fails, and the write is recomputed from a fresh read.
   */
  private async updatePoolOptimistically(groupId: GroupId, operation: string, write: (item: PoolItem | undefined) => Promise<void>): Promise<void> {
    await retrying(this.table.retry, {
      operation,
      attempt: async () => write(await this.readPoolItem(groupId, operation)),
      // The write's calls are translated (callAws): a failed condition means the version moved.
      retry: (error) => {
        if (error instanceof ConditionFailedError) return Again.afterBackoff;
        throw error;
      },
      exhausted: (attempts) => `the pool kept changing for ${attempts} attempts; retry later`,
    });
  }

  /** Writes capacity/allocations and the derived counters, conditioned on the version that was read. */
  private async rewritePool(item: PoolItem, capacity: Resources, allocated: Resources, fields: Record<string, unknown>, operation: string): Promise<void> {
    const reserved = reservedOf(item);
    // Reservations committed since the caller planned these allocations may leave no room for them: never
    // write an over-committed pool (free < 0). The caller (the profiler) recomputes from a fresh read next tick.
    const over = overCommitReason(item.groupId, capacity, allocated, reserved);
    if (over !== undefined) throw new PoolOverCommitError(`${over}; not written`);
    // Grid amounts: this difference is exact, like DynamoDB's own arithmetic on the same item.
    const free = perDimension((d) => capacity[d] - allocated[d] - reserved[d]);
    await callAws(operation, () => this.table.client.send(new UpdateCommand(rewritePool(this.table.name, item, { allocated, free }, fields))));
  }
}

/**
 * Why a reservation with loans cannot be made on `item`, as the shortfall to refuse it with, or undefined when it
 * can. First the loans (the core's loanDeficit, which reads only the allocations): per dimension, what the lenders
 * can no longer lend — a lender without an allocation lends nothing. Then what the pool's free capacity must supply
 * (amount − Σloans), against the item's free counters.
 */
const loanRefusal = (item: PoolItem, loans: readonly Loan[], fromFree: Resources): Resources | undefined => {
  const deficit = loanDeficit(toResourcePool(item, []), loans);
  if (!isZero(deficit)) return deficit;
  const free = freeOf(item);
  const short = perDimension((d) => Math.max(0, fromFree[d] - free[d]));
  return DIMENSIONS.some((d) => short[d] > 0) ? short : undefined;
};

/**
 * The reservation as it is stored, or an error before any call: the core's validateReservation decides (the rules
 * tryReserve applies, less what only the pool can say — that is decided on a fresh read), and its typed errors are
 * reported here as a RangeError naming the operation, the field and the value.
 */
const checkReservation = (r: Reservation, operation: string): Reservation => {
  try {
    return validateReservation(r);
  } catch (error) {
    if (error instanceof InvalidReservationError) {
      const shown = typeof error.value === 'number' ? String(error.value) : (JSON.stringify(error.value) ?? String(error.value));
      throw new RangeError(`${operation}: ${error.field} must be ${error.expected} (got ${shown})`, { cause: error });
    }
    if (error instanceof InvalidAmountError || error instanceof InvalidResourcesError) throw new RangeError(`${operation}: ${error.message}`, { cause: error });
    throw error;
  }
};
