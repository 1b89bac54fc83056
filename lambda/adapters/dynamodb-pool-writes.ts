import type { PutCommandInput, TransactWriteCommandInput, UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { Keys, TableKey } from '../contracts/table';
import { DIMENSIONS, groupId as toGroupId, type GroupId, type InstanceId, type Reservation, type ReservationId, type Resources } from '../core/domain';
import { allocatedAttr, freeAttr, packAllocations, reservedAttr, toReservationItem, type PoolItem } from './dynamodb-items';

/**
 * What the pool ledger writes (dynamodb-pool-ledger.ts decides when): the pool item and its reservation items, as
 * the commands and transaction items DynamoDB receives. Grid amounts (lambda/core/pool/pool-amounts.ts): DynamoDB's
 * decimal arithmetic on them is exact, like a JS sum of the ledger.
 */

/** One item of a TransactWriteItems. */
export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * Expression attribute names of the counters a reservation or release touches. Every name is aliased so
 * none can collide with a DynamoDB reserved word, and only names the expressions use are sent: DynamoDB
 * rejects unused ExpressionAttributeNames with a ValidationException.
 */
const reservationNames = (): Record<string, string> => {
  const names: Record<string, string> = { '#pk': TableKey.partition, '#version': 'version' };
  for (const d of DIMENSIONS) {
    names[`#${freeAttr(d)}`] = freeAttr(d);
    names[`#${reservedAttr(d)}`] = reservedAttr(d);
  }
  return names;
};

const amountValues = (amount: Resources): Record<string, number> => Object.fromEntries(DIMENSIONS.map((d) => [`:${d}`, amount[d]]));

/** A new pool item: free = capacity, nothing allocated or reserved; only if the group has none yet. */
export const putNewPool = (tableName: string, groupId: GroupId, capacity: Resources): PutCommandInput => ({
  TableName: tableName,
  Item: {
    ...Keys.pool(groupId),
    kind: 'pool',
    groupId,
    capacity: { ...capacity },
    allocations: packAllocations(new Map(), groupId),
    version: 1,
    ...Object.fromEntries(
      DIMENSIONS.flatMap((d) => [
        [freeAttr(d), capacity[d]],
        [reservedAttr(d), 0],
        [allocatedAttr(d), 0],
      ]),
    ),
  },
  ConditionExpression: 'attribute_not_exists(#pk)',
  ExpressionAttributeNames: { '#pk': TableKey.partition },
});

/** Sets `fields` (capacity or allocations), the allocated and free counters, conditioned on the version that was read. */
export const rewritePool = (
  tableName: string,
  item: PoolItem,
  counters: { readonly allocated: Resources; readonly free: Resources },
  fields: Record<string, unknown>,
): UpdateCommandInput => {
  const sets: string[] = [];
  const names: Record<string, string> = { '#version': 'version' };
  const values: Record<string, unknown> = { ':expected': item.version, ':one': 1 };
  for (const [name, value] of Object.entries(fields)) {
    sets.push(`#${name} = :${name}`);
    names[`#${name}`] = name;
    values[`:${name}`] = value;
  }
  for (const d of DIMENSIONS) {
    for (const [attr, value] of [
      [allocatedAttr(d), counters.allocated[d]],
      [freeAttr(d), counters.free[d]],
    ] as const) {
      sets.push(`#${attr} = :${attr}`);
      names[`#${attr}`] = attr;
      values[`:${attr}`] = value;
    }
  }
  return {
    TableName: tableName,
    Key: Keys.pool(item.groupId),
    UpdateExpression: `SET ${sets.join(', ')}, #version = #version + :one`,
    ConditionExpression: '#version = :expected',
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
};

/** The reservation item, only if its id is not held yet (reserving is idempotent on the id). */
export const putReservation = (tableName: string, stored: Reservation): TransactItem => ({
  Put: {
    TableName: tableName,
    Item: toReservationItem(stored),
    ConditionExpression: 'attribute_not_exists(#pk)',
    ExpressionAttributeNames: { '#pk': TableKey.partition },
  },
});

/** Takes `amount` out of free into reserved, only if it fits on every dimension (`free_<dim> >= amount`). */
export const reserveFromFree = (tableName: string, groupId: GroupId, amount: Resources): TransactItem => ({
  Update: {
    TableName: tableName,
    Key: Keys.pool(groupId),
    UpdateExpression: `SET ${DIMENSIONS.map((d) => `#${freeAttr(d)} = #${freeAttr(d)} - :${d}, #${reservedAttr(d)} = #${reservedAttr(d)} + :${d}`).join(', ')}, #version = #version + :one`,
    ConditionExpression: `attribute_exists(#pk) AND ${DIMENSIONS.map((d) => `#${freeAttr(d)} >= :${d}`).join(' AND ')}`,
    ExpressionAttributeNames: reservationNames(),
    ExpressionAttributeValues: { ...amountValues(amount), ':one': 1 },
  },
});

/** Gives `amount` back from reserved to free (a reservation without loans being released). */
export const releaseToFree = (tableName: string, groupId: GroupId, amount: Resources): TransactItem => ({
  Update: {
    TableName: tableName,
    Key: Keys.pool(groupId),
    UpdateExpression: `SET ${DIMENSIONS.map((d) => `#${freeAttr(d)} = #${freeAttr(d)} + :${d}, #${reservedAttr(d)} = #${reservedAttr(d)} - :${d}`).join(', ')}, #version = #version + :one`,
    ConditionExpression: 'attribute_exists(#pk)',
    ExpressionAttributeNames: reservationNames(),
    ExpressionAttributeValues: { ...amountValues(amount), ':one': 1 },
  },
});

/** How each counter of the pool item moves: added to or taken from, by an amount per dimension. */
export type CounterMoves = Readonly<Record<'free' | 'reserved' | 'allocated', readonly ['+' | '-', Resources]>>;

/**
 * The pool-item half of a transaction that moves capacity between allocations and the ledger (a borrowing
 * reservation, its release, a hand-over): the packed allocations rewritten whole and each counter moved by the
 * given amount, conditioned on the version that was read (a write in between cancels it).
 */
export const movePool = (
  tableName: string,
  item: PoolItem,
  allocations: ReadonlyMap<InstanceId, Resources> | Readonly<Record<string, Resources>>,
  moves: CounterMoves,
): TransactItem => {
  const names: Record<string, string> = { '#pk': TableKey.partition, '#version': 'version', '#allocations': 'allocations' };
  const values: Record<string, unknown> = { ':expected': item.version, ':one': 1, ':allocations': packAllocations(allocations, toGroupId(item.groupId)) };
  const sets: string[] = ['#allocations = :allocations', '#version = #version + :one'];
  for (const d of DIMENSIONS) {
    for (const [counter, attr] of [
      ['free', freeAttr(d)],
      ['reserved', reservedAttr(d)],
      ['allocated', allocatedAttr(d)],
    ] as const) {
      const [sign, amount] = moves[counter];
      names[`#${attr}`] = attr;
      values[`:${attr}`] = amount[d];
      sets.push(`#${attr} = #${attr} ${sign} :${attr}`);
    }
  }
  return {
    Update: {
      TableName: tableName,
      Key: Keys.pool(item.groupId),
      UpdateExpression: `SET ${sets.join(', ')}`,
      ConditionExpression: 'attribute_exists(#pk) AND #version = :expected',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
  };
};

/** Deletes a reservation only if it is still held (of concurrent callers exactly one wins). */
export const deleteHeldReservation = (tableName: string, groupId: GroupId, id: ReservationId): TransactItem => ({
  Delete: {
    TableName: tableName,
    Key: Keys.reservation(groupId, id),
    ConditionExpression: 'attribute_exists(#pk)',
    ExpressionAttributeNames: { '#pk': TableKey.partition },
  },
});
