import {
  reservationId,
  type Action,
  type DomainEvent,
  type GroupView,
  type ManagedInstance,
  type Plan,
  type Reservation,
  type ReservationId,
  type UnstablePoolPolicy,
} from '../domain';
import { ZERO_RESOURCES } from '../resources/resources';
import { isReclaimRecord } from '../common/reservation-terms';

/**
 * Unstable Spot pools (a pool is one instance type × AZ of a group). When a pool's own instances keep
 * getting reclaimed — `reclaimThreshold` Spot warnings within `windowMinutes` — a replacement launched
 * into it is likely to be reclaimed minutes later. While such a pool is unstable, spotwise places the
 * load of its reclaimed instances on the On-Demand standby group (warm instances, then a standby
 * scale-out) instead of on Spot siblings or a scale-out of the Spot group, for `coolDownMinutes` after
 * the last reclaim that kept it over the threshold; then the pool has calmed and the group relies on
 * it again.
 *
 * The history is the reclaim records in the group's pool ledger (see isReclaimRecord): one zero-amount
 * entry per Spot warning, whose id names the pool, written by the warning's own plan and kept for
 * window + cool-down. The ledger is what every handler loads already, writes are conditional and
 * idempotent on the id (a redelivered warning is one record), and expiry sweeps the old ones.
 */

export interface SpotPoolKey {
  readonly instanceType: string;
  readonly availabilityZone: string;
}

const poolText = (p: SpotPoolKey): string => `${p.instanceType}@${p.availabilityZone}`;

/** `reclaim:<type>@<az>:<event id>:<instance id>`: the pool is readable from the id alone (the ledger keeps no other field for it). */
export const reclaimRecordId = (pool: SpotPoolKey, source: string, instance: string): ReservationId =>
  reservationId(`reclaim:${poolText(pool)}:${source}:${instance}`);

/** The pool a reclaim record is about, or undefined when the id is not a reclaim record's. */
export const reclaimRecordPool = (id: string): SpotPoolKey | undefined => {
  const match = /^reclaim:([^:@]+)@([^:@]+):/.exec(id);
  return match === null ? undefined : { instanceType: match[1] ?? '', availabilityZone: match[2] ?? '' };
};

const MINUTE = 60_000;

/** How long a reclaim record must be kept: the window it counts in, after the cool-down it may still extend. */
export const reclaimRetentionMs = (policy: UnstablePoolPolicy): number => (policy.windowMinutes + policy.coolDownMinutes) * MINUTE;

/** The ledger entry recording that `instance` (a Spot instance) got a warning at `at`. */
export const buildReclaimRecord = (input: {
  readonly group: GroupView;
  readonly instance: ManagedInstance;
  readonly policy: UnstablePoolPolicy;
  readonly source: string;
  readonly at: number;
}): Reservation => ({
  id: reclaimRecordId(input.instance, input.source, input.instance.id),
  purpose: 'reclaim',
  subject: input.instance.id,
  groupId: input.group.id,
  instanceId: input.instance.id,
  amount: ZERO_RESOURCES,
  createdAt: input.at,
  expiresAt: input.at + reclaimRetentionMs(input.policy),
  reason: `Spot reclaim of ${input.instance.id} in pool ${poolText(input.instance)} (record only: holds no capacity)`,
  // A record is never ranked against reservations; a priority tag that is not a number must not make the store refuse it.
  priority: Number.isFinite(input.instance.priority) ? input.instance.priority : 0,
});

export type PoolStability =
  | { readonly kind: 'stable'; readonly reclaimsInWindow: number }
  /** Unstable until `until`; `reclaimsInWindow` counts the reclaims of the last window. */
  | { readonly kind: 'unstable'; readonly reclaimsInWindow: number; readonly until: number }
  /** It was unstable, and the cool-down ended at `until` without a new crossing. */
  | { readonly kind: 'calmed'; readonly reclaimsInWindow: number; readonly until: number };

/**
 * The verdict for one pool from its reclaim times (any order; times after `now` and non-finite ones are
 * ignored). Every reclaim at which the pool had `reclaimThreshold` reclaims within the window before it
 * (inclusive) keeps the pool unstable until that reclaim + cool-down; the latest such end decides.
 * A disabled policy, or one whose numbers are not usable, never shifts anything (the shift costs On-Demand
 * money; it is not a safety move that must happen on bad data).
 */
export const assessPoolStability = (reclaimTimes: readonly number[], policy: UnstablePoolPolicy | undefined, now: number): PoolStability => {
  const times = reclaimTimes.filter((t) => Number.isFinite(t) && t <= now).sort((a, b) => a - b);
  const windowMs = (policy?.windowMinutes ?? Number.NaN) * MINUTE;
  const coolMs = (policy?.coolDownMinutes ?? Number.NaN) * MINUTE;
  const threshold = policy?.reclaimThreshold ?? Number.NaN;
  const usable =
    policy?.enabled === true &&
    Number.isFinite(windowMs) &&
    windowMs > 0 &&
    Number.isFinite(coolMs) &&
    coolMs >= 0 &&
    Number.isInteger(threshold) &&
    threshold >= 1;
  const inWindowBefore = (t: number): number => times.filter((x) => x > t - windowMs && x <= t).length;
  const reclaimsInWindow = Number.isFinite(windowMs) ? inWindowBefore(now) : 0;
  if (!usable) return { kind: 'stable', reclaimsInWindow };
  let until = Number.NEGATIVE_INFINITY;
  for (const t of times) {
    if (inWindowBefore(t) >= threshold) until = Math.max(until, t + coolMs);
  }
  if (until > now) return { kind: 'unstable', reclaimsInWindow, until };
  if (Number.isFinite(until)) return { kind: 'calmed', reclaimsInWindow, until };
  return { kind: 'stable', reclaimsInWindow };
};

export interface PoolHistory {
  readonly pool: SpotPoolKey;
  readonly records: readonly Reservation[];
}

/** The reclaim records of `group`'s ledger, by pool (pools ordered by name, records oldest first). */
export const reclaimHistory = (group: GroupView): PoolHistory[] => {
  const byPool = new Map<string, { pool: SpotPoolKey; records: Reservation[] }>();
  for (const r of group.pool.reservations.values()) {
    if (!isReclaimRecord(r) || r.groupId !== group.id) continue;
    const pool = reclaimRecordPool(r.id);
    if (pool === undefined) continue;
    const key = poolText(pool);
    const entry = byPool.get(key) ?? { pool, records: [] };
    entry.records.push(r);
    byPool.set(key, entry);
  }
  return [...byPool.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, e]) => ({ pool: e.pool, records: e.records.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1)) }));
};

const samePool = (a: SpotPoolKey, b: SpotPoolKey): boolean => a.instanceType === b.instanceType && a.availabilityZone === b.availabilityZone;

/**
 * The verdict for `instance`'s pool in `group`, counting the reclaim being planned now (`reclaimAt`)
 * besides those already in the ledger (a redelivered warning whose record is already there counts once).
 */
export const assessReclaimedPool = (group: GroupView, instance: ManagedInstance, recordId: ReservationId, reclaimAt: number, now: number): PoolStability => {
  const history = reclaimHistory(group).find((h) => samePool(h.pool, instance));
  const recorded = (history?.records ?? []).filter((r) => r.id !== recordId).map((r) => r.createdAt);
  return assessPoolStability([...recorded, reclaimAt], group.policy.unstablePool, now);
};

/**
 * The profile tick's side: pools of `group` whose cool-down has ended get their reclaim records released
 * (so a calm pool starts counting afresh, and the calm is reported once) and a `spot-pool-calmed` event.
 */
export const planPoolCalm = (group: GroupView, now: number): Plan => {
  const actions: Action[] = [];
  const events: DomainEvent[] = [];
  for (const h of reclaimHistory(group)) {
    const verdict = assessPoolStability(
      h.records.map((r) => r.createdAt),
      group.policy.unstablePool,
      now,
    );
    if (verdict.kind !== 'calmed') continue;
    for (const r of h.records) {
      actions.push({
        kind: 'release',
        groupId: group.id,
        reservationId: r.id,
        reason: `Spot pool ${poolText(h.pool)} of ${group.id} calmed: its cool-down ended ${new Date(verdict.until).toISOString()}`,
      });
    }
    events.push({
      kind: 'spot-pool-calmed',
      at: now,
      groupId: group.id,
      instanceType: h.pool.instanceType,
      availabilityZone: h.pool.availabilityZone,
      unstableUntil: verdict.until,
    });
  }
  return { actions, events };
};
