import {
  reservationId,
  type ReservationPurpose,
  type GroupView,
  type InstanceId,
  type ManagedInstance,
  type Reservation,
  type ReservationId,
  type ResourcePool,
  type Resources,
} from '../domain';

/**
 * How long after an interruption its replacement may take to come up before the reservation is
 * considered abandoned. Auto Scaling starts a replacement for a terminated Spot instance within a few
 * minutes, and a stopped / hibernated Spot instance is restarted by EC2 when capacity returns; 10
 * minutes covers the launch and the lifecycle hook without holding capacity for a restart that never
 * comes (expired reservations are swept).
 */
export const RESTART_GRACE_MS = 10 * 60_000;

/**
 * How long a rebalance recommendation's reservation waits for the interruption it warns of. AWS gives
 * no bound ("can arrive sooner than the two-minute Spot Instance interruption notice"); 30 minutes
 * covers the usual gap without pinning capacity for hours on a signal that may never turn into an
 * interruption. A later spot warning reuses the reservation while it is still valid.
 */
export const REBALANCE_HOLD_MS = 30 * 60_000;

export type { ReservationPurpose };

/**
 * Deterministic reservation ids: the purpose, the event or request id, and the instance. A redelivered
 * event plans the same id, and the store's idempotency on the id absorbs the second reserve.
 */
export const makeReservationId = (purpose: ReservationPurpose, source: string, instance: InstanceId): ReservationId =>
  reservationId(`${purpose}:${source}:${instance}`);

/** What a reservation is for: its `purpose`; for one stored without it, its id's prefix (the id's first part). */
export const reservationPurpose = (r: Pick<Reservation, 'id' | 'purpose'>): string => r.purpose ?? r.id.slice(0, Math.max(0, r.id.indexOf(':')));

/** The instance a reservation was first made for, whoever it has been handed over to since: its `subject`, else its id's last part. */
export const reservationSubject = (r: Pick<Reservation, 'id' | 'subject'>): string => r.subject ?? r.id.slice(r.id.lastIndexOf(':') + 1);

/**
 * The event or request a reservation was made for: its `source`; for one stored without it, its id's middle part
 * (`<purpose>:<source>:<instance>`: an instance id contains no ':', so the source is everything between the first
 * and the last one, colons included).
 */
export const reservationSource = (r: Pick<Reservation, 'id' | 'source'>): string => {
  if (r.source !== undefined) return r.source;
  const first = r.id.indexOf(':');
  const last = r.id.lastIndexOf(':');
  return first >= 0 && last > first ? r.id.slice(first + 1, last) : '';
};

/** Whether a reservation is held for an interruption request: `request` purpose, made for that request. */
export const isHeldForRequest = (r: Pick<Reservation, 'id' | 'purpose' | 'source'>, requestId: string): boolean =>
  reservationPurpose(r) === 'request' && reservationSource(r) === requestId;

/** The reservations an interruption request holds, in every group. */
export const requestReservations = (groups: readonly GroupView[], requestId: string): { readonly group: GroupView; readonly reservation: Reservation }[] =>
  groups.flatMap((group) => [...group.pool.reservations.values()].filter((r) => isHeldForRequest(r, requestId)).map((reservation) => ({ group, reservation })));

/**
 * A reclaim record: a zero-amount ledger entry saying that a Spot instance of one pool (type × AZ) got a
 * warning (see spot-pool-stability.ts). It holds no capacity and is never handed over; it is kept in the
 * ledger (written by the plan's `reserve` action like any reservation, idempotent on its id, swept when
 * it expires) because that is the durable, concurrency-safe state every handler already reads.
 */
export const isReclaimRecord = (r: Pick<Reservation, 'id' | 'purpose'>): boolean => reservationPurpose(r) === 'reclaim';

/** When a reservation for a restart after an interruption at `interruptAt` stops being needed. */
export const reservationExpiry = (interruptAt: number, group: GroupView): number =>
  interruptAt + RESTART_GRACE_MS + group.policy.postRestartWindowMinutes * 60_000;

export const buildReservation = (input: {
  readonly id: ReservationId;
  readonly purpose: ReservationPurpose;
  /** The event or request it is made for (the id's middle part). */
  readonly source: string;
  /** A stop → modify → start sibling's target type. */
  readonly retypeTo?: string;
  /** The instance it is first made for; default: `instance`. */
  readonly subject?: InstanceId;
  readonly group: GroupView;
  readonly instance: ManagedInstance;
  readonly amount: Resources;
  readonly now: number;
  readonly expiresAt: number;
  readonly reason: string;
}): Reservation => ({
  id: input.id,
  purpose: input.purpose,
  subject: input.subject ?? input.instance.id,
  source: input.source,
  ...(input.retypeTo !== undefined ? { retypeTo: input.retypeTo } : {}),
  groupId: input.group.id,
  instanceId: input.instance.id,
  amount: input.amount,
  createdAt: input.now,
  expiresAt: input.expiresAt,
  reason: input.reason,
  priority: input.instance.priority,
});

/**
 * Reservations in `pool` held for `instance` that are still valid at `now`, oldest first (ties by id),
 * so callers pick deterministically. Reclaim records hold nothing and are left out.
 */
export const reservationsFor = (pool: ResourcePool, instance: InstanceId, now: number): Reservation[] =>
  [...pool.reservations.values()]
    .filter((r) => r.instanceId === instance && r.expiresAt > now && !isReclaimRecord(r))
    .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
