import { gunzipSync, gzipSync } from 'node:zlib';
import * as z from 'zod';
import { decodeProfile, encodeProfile } from '../core/profile/profile-codec';
import { Keys } from '../contracts/table';
import { parseWith } from '../contracts/validation';
import {
  DIMENSIONS,
  groupId as toGroupId,
  instanceId as toInstanceId,
  reservationId as toReservationId,
  type BehaviourProfile,
  type Dimension,
  type Forecast,
  type GroupId,
  type InstanceId,
  type Loan,
  type Reservation,
  type ReservationPurpose,
  type ResourcePool,
  type Resources,
} from '../core/domain';
import type { StoredRequest } from '../ports/state-store';

/**
 * The item shapes of the spotwise table (DESIGN.md §5, keys in lambda/contracts/table.ts) and their
 * codecs. Pool amounts live on the pool's exact 1/1024 grid (lambda/core/pool/pool-amounts.ts): grid
 * multiples are exact both as JS doubles and as DynamoDB decimals, so DynamoDB's arithmetic on the pool
 * item (free − amount, reserved + amount) and a JS sum of the ledger agree to the last digit.
 */

/** DynamoDB conditions cannot add, so the pool item keeps one `free_<dim>` attribute per dimension. */
export const freeAttr = (d: Dimension): `free_${Dimension}` => `free_${d}`;
export const reservedAttr = (d: Dimension): `reserved_${Dimension}` => `reserved_${d}`;
export const allocatedAttr = (d: Dimension): `allocated_${Dimension}` => `allocated_${d}`;

/**
 * The group's pool item. `free_<dim>` = capacity − allocated − reserved, maintained by every write:
 * reservations and releases adjust free/reserved atomically with the reservation item; capacity and
 * allocation changes recompute free under an optimistic `version` condition. free may be negative when
 * the instances' measured use exceeds the budget (reality is not refused); no reservation fits then.
 */
export interface PoolItem {
  readonly pk: string;
  readonly sk: string;
  readonly kind: 'pool';
  readonly groupId: string;
  readonly capacity: Resources;
  readonly allocations: Readonly<Record<string, Resources>>;
  readonly version: number;
  readonly [attribute: `free_${string}` | `reserved_${string}` | `allocated_${string}`]: number;
}

export interface ReservationItem {
  readonly pk: string;
  readonly sk: string;
  readonly kind: 'reservation';
  readonly reservationId: string;
  readonly groupId: string;
  readonly instanceId: string;
  readonly amount: Resources;
  readonly createdAt: number;
  /**
   * Epoch ms. Deliberately NOT the table's TTL attribute (`expiresAt`, epoch seconds): DynamoDB's TTL
   * deleting a reservation behind the pool's back would leak its amount from free_<dim> forever.
   * Expired reservations are released by sweepExpired, which returns the amount to the pool.
   */
  readonly reservationExpiresAt: number;
  readonly reason: string;
  readonly priority: number;
  /** What it is for and whom it was first made for (absent on items written before these were stored). */
  readonly purpose?: string;
  readonly subject?: string;
  /** The event or request it was made for, and a stop → modify → start's target type (Reservation.source, retypeTo). */
  readonly source?: string;
  readonly retypeTo?: string;
  /**
   * The reservation's loans (Reservation.loans), present only when it borrowed: each lender's part of `amount`,
   * taken out of the lender's allocation in the pool item when the reservation was made and given back on release.
   */
  readonly loans?: readonly LoanItem[];
}

/** One loan as stored: the lender and exactly the four dimensions it lent. */
export interface LoanItem {
  readonly lender: string;
  readonly amount: Resources;
}

const resourcesSchema = z.object({
  vcpu: z.number(),
  memoryGiB: z.number(),
  networkMbps: z.number(),
  diskIops: z.number(),
});

/**
 * DynamoDB's limit on one item (400 KB, attribute names and values together). The pool item keeps this much under
 * it for its other attributes; a pool whose packed allocations would not fit is refused with its size.
 */
export const MAX_ITEM_BYTES = 400 * 1024;
export const MAX_PACKED_ALLOCATIONS_BYTES = MAX_ITEM_BYTES - 16 * 1024;

/** One allocation as stored: [instance id, vCPU, memory GiB, network Mbps, disk IOPS]. */
const packedRowSchema = z.tuple([z.string().min(1), z.number(), z.number(), z.number(), z.number()]);

/**
 * The pool's allocations as one binary attribute: the rows [id, vcpu, memoryGiB, networkMbps, diskIops] as JSON,
 * gzip'd. A map attribute with one entry per instance costs about 100 bytes each and passes DynamoDB's 400 KB per
 * item near 4,000 instances; packed, an instance costs about 18 bytes (180 KB at 10,000: `test/adapters/
 * dynamodb-items.test.ts`). JSON keeps every double exact (the pool's grid amounts must add up to the last digit).
 */
export const packAllocations = (allocations: ReadonlyMap<InstanceId, Resources> | Readonly<Record<string, Resources>>, groupId: GroupId): Uint8Array => {
  const entries = allocations instanceof Map ? [...allocations.entries()] : Object.entries(allocations);
  const rows = entries.map(([id, r]) => [id, r.vcpu, r.memoryGiB, r.networkMbps, r.diskIops]);
  const packed = gzipSync(JSON.stringify(rows));
  if (packed.byteLength > MAX_PACKED_ALLOCATIONS_BYTES) {
    throw new RangeError(
      `pool of group ${groupId}: the allocations of ${entries.length} instances pack to ${packed.byteLength} bytes, over the ${MAX_PACKED_ALLOCATIONS_BYTES} a DynamoDB item (400 KB) leaves for them`,
    );
  }
  return new Uint8Array(packed.buffer, packed.byteOffset, packed.byteLength);
};

/** The allocations of a packed attribute (packAllocations); a malformed one is an error naming the group. */
export const unpackAllocations = (bytes: Uint8Array, groupId: GroupId): Record<string, Resources> => {
  let rows: unknown;
  try {
    rows = JSON.parse(gunzipSync(bytes).toString('utf8'));
  } catch (error) {
    throw new Error(`pool item of group ${groupId}: allocations: not a packed allocation list (${error instanceof Error ? error.message : String(error)})`);
  }
  const parsed = parseWith(z.array(packedRowSchema), `pool item of group ${groupId}: allocations`, rows);
  return Object.fromEntries(parsed.map(([id, vcpu, memoryGiB, networkMbps, diskIops]) => [id, { vcpu, memoryGiB, networkMbps, diskIops }]));
};

const poolItemSchema = z.looseObject({
  kind: z.literal('pool'),
  groupId: z.string().min(1),
  capacity: resourcesSchema,
  // Packed (packAllocations), or the map of earlier releases, read as it is until the next write packs it.
  allocations: z.union([z.instanceof(Uint8Array), z.record(z.string(), resourcesSchema)]),
  version: z.number().int().min(0),
  ...Object.fromEntries(
    DIMENSIONS.flatMap((d) => [
      [freeAttr(d), z.number()],
      [reservedAttr(d), z.number()],
      [allocatedAttr(d), z.number()],
    ]),
  ),
});

const reservationItemSchema = z.looseObject({
  kind: z.literal('reservation'),
  reservationId: z.string().min(1),
  groupId: z.string().min(1),
  instanceId: z.string().min(1),
  amount: resourcesSchema,
  createdAt: z.number(),
  reservationExpiresAt: z.number(),
  reason: z.string(),
  priority: z.number(),
  purpose: z.enum(['warning', 'rebalance', 'lifecycle', 'request', 'sibling', 'reclaim', 'return']).optional(),
  subject: z.string().min(1).optional(),
  source: z.string().min(1).optional(),
  retypeTo: z.string().min(1).optional(),
  // Written only when non-empty: an empty list is not something this store writes, so it is not read as "no loans".
  loans: z
    .array(z.object({ lender: z.string().min(1), amount: resourcesSchema }))
    .min(1)
    .optional(),
});

export const parsePoolItem = (raw: unknown, groupId: GroupId): PoolItem => {
  const item = parseWith(poolItemSchema, `pool item of group ${groupId}`, raw);
  const allocations = item.allocations instanceof Uint8Array ? unpackAllocations(item.allocations, groupId) : item.allocations;
  return { ...item, allocations } as unknown as PoolItem;
};

export const parseReservationItem = (raw: unknown, what: string): ReservationItem => parseWith(reservationItemSchema, what, raw) as unknown as ReservationItem;

export const perDimension = (f: (d: Dimension) => number): Resources => ({
  vcpu: f('vcpu'),
  memoryGiB: f('memoryGiB'),
  networkMbps: f('networkMbps'),
  diskIops: f('diskIops'),
});

export const freeOf = (item: PoolItem): Resources => perDimension((d) => item[freeAttr(d)] ?? 0);
export const reservedOf = (item: PoolItem): Resources => perDimension((d) => item[reservedAttr(d)] ?? 0);
export const allocatedOf = (item: PoolItem): Resources => perDimension((d) => item[allocatedAttr(d)] ?? 0);

export const toReservationItem = (r: Reservation): ReservationItem => ({
  ...Keys.reservation(r.groupId, r.id),
  kind: 'reservation',
  reservationId: r.id,
  groupId: r.groupId,
  instanceId: r.instanceId,
  amount: { ...r.amount },
  createdAt: r.createdAt,
  reservationExpiresAt: r.expiresAt,
  reason: r.reason,
  priority: r.priority,
  ...(r.purpose !== undefined ? { purpose: r.purpose } : {}),
  ...(r.subject !== undefined ? { subject: r.subject } : {}),
  ...(r.source !== undefined ? { source: r.source } : {}),
  ...(r.retypeTo !== undefined ? { retypeTo: r.retypeTo } : {}),
  ...(r.loans !== undefined && r.loans.length > 0 ? { loans: r.loans.map((l) => ({ lender: l.lender, amount: perDimension((d) => l.amount[d]) })) } : {}),
});

export const fromReservationItem = (item: ReservationItem): Reservation => ({
  id: toReservationId(item.reservationId),
  groupId: toGroupId(item.groupId),
  instanceId: toInstanceId(item.instanceId),
  amount: perDimension((d) => item.amount[d]),
  createdAt: item.createdAt,
  expiresAt: item.reservationExpiresAt,
  reason: item.reason,
  priority: item.priority,
  ...(item.purpose !== undefined ? { purpose: item.purpose as ReservationPurpose } : {}),
  ...(item.subject !== undefined ? { subject: toInstanceId(item.subject) } : {}),
  ...(item.source !== undefined ? { source: item.source } : {}),
  ...(item.retypeTo !== undefined ? { retypeTo: item.retypeTo } : {}),
  ...(item.loans !== undefined && item.loans.length > 0
    ? { loans: item.loans.map((l): Loan => ({ lender: toInstanceId(l.lender), amount: perDimension((d) => l.amount[d]) })) }
    : {}),
});

export const fromAllocationsRecord = (record: Readonly<Record<string, Resources>>): Map<InstanceId, Resources> =>
  new Map(Object.entries(record).map(([id, r]) => [toInstanceId(id), perDimension((d) => r[d])]));

/** The pool a pool item and its reservation items hold, as the core sees it (what the core's pool functions take). */
export const toResourcePool = (item: PoolItem, reservations: readonly Reservation[]): ResourcePool => ({
  groupId: toGroupId(item.groupId),
  capacity: perDimension((d) => item.capacity[d]),
  allocations: fromAllocationsRecord(item.allocations),
  reservations: new Map(reservations.map((r) => [r.id, r])),
  version: item.version,
});

// ---------------------------------------------------------------------------------------------
// JSON bodies (profiles, forecasts, requests)
// ---------------------------------------------------------------------------------------------

/**
 * Records whose shape belongs to the core (profiles, forecasts, requests) are stored as one JSON string
 * attribute: DynamoDB numbers cannot hold NaN or ±Infinity (a profile's empty peak may be -Infinity) and
 * plain JSON turns them into null (and -0 into 0), so those numbers and Maps are tagged on the way in and
 * restored on the way out.
 */
export const encodeBody = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'number' && !Number.isFinite(v)) return { $number: String(v) };
    if (Object.is(v, -0)) return { $number: '-0' };
    if (v instanceof Map) return { $map: [...v.entries()] };
    return v;
  });

export const decodeBody = (text: string): unknown =>
  JSON.parse(text, (_key, v: unknown) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o);
      if (keys.length === 1 && typeof o.$number === 'string') return Number(o.$number);
      if (keys.length === 1 && Array.isArray(o.$map)) return new Map(o.$map as [unknown, unknown][]);
    }
    return v;
  });

/** DynamoDB's item limit is 400 KB; stay clear of it with a message that names the record. */
export const MAX_BODY_BYTES = 350_000;

export const BODY_SCHEMA_VERSION = 1;

const bodyItemSchema = z.looseObject({ body: z.string(), schemaVersion: z.literal(BODY_SCHEMA_VERSION) });

const forecastBodySchema = z.looseObject({ kind: z.enum(['known', 'unknown']), instanceId: z.string().min(1), madeAt: z.number() });
const requestBodySchema = z.looseObject({
  request: z.looseObject({ requestId: z.string().min(1), requestedAt: z.number() }),
  status: z.enum(['pending', 'scheduled', 'deferred', 'executed', 'refused', 'cancelled']),
  updatedAt: z.number(),
});

export const bodyOf = (raw: unknown, what: string): unknown => {
  const item = parseWith(bodyItemSchema, what, raw);
  try {
    return decodeBody(item.body);
  } catch (error) {
    throw new SyntaxError(`${what}: body is not valid JSON (${(error as Error).message})`, { cause: error });
  }
};

/** The core owns these shapes; the store checks the identity fields and trusts the rest it wrote itself. */
export const parseProfileItem = (raw: unknown, id: string): BehaviourProfile => decodeProfile(bodyOf(raw, `profile item of ${id}`), `stored profile of ${id}`);

export const parseForecastItem = (raw: unknown, id: string): Forecast =>
  parseWith(forecastBodySchema, `stored forecast of ${id}`, bodyOf(raw, `forecast item of ${id}`)) as unknown as Forecast;

export const parseRequestItem = (raw: unknown, id: string): StoredRequest =>
  parseWith(requestBodySchema, `stored request ${id}`, bodyOf(raw, `request item of ${id}`)) as unknown as StoredRequest;

/** A profile item: the core's compact codec (~6 KB instead of ~21 KB of plain JSON; write units are billed per KB). */
export const profileItem = (p: BehaviourProfile) =>
  bodyItem(Keys.profile(p.instanceId), 'profile', `profile of ${p.instanceId}`, encodeProfile(p), {
    instanceId: p.instanceId,
    groupId: p.groupId,
    updatedAt: p.updatedAt,
  });

export const bodyItem = (
  key: { readonly pk: string; readonly sk: string },
  kind: string,
  what: string,
  value: unknown,
  extra: Record<string, unknown> = {},
) => {
  const body = encodeBody(value);
  const bytes = Buffer.byteLength(body, 'utf8');
  if (bytes > MAX_BODY_BYTES) throw new RangeError(`${what}: ${bytes} bytes of JSON exceed the ${MAX_BODY_BYTES}-byte limit of a stored record`);
  return { ...key, kind, schemaVersion: BODY_SCHEMA_VERSION, ...extra, body };
};
