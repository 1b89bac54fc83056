import type { Random } from '../core/domain';

/**
 * The interruption signals besides Spot reclaims that the simulator can replay for every strategy:
 * - `capacity-reservation`: the owner of an interruptible Capacity Reservation reclaims an instance running in it,
 *   with a two-minute warning (EC2 "Capacity Reservation Instance Interruption Warning"), then terminates it;
 * - `scheduled-maintenance`: an AWS Health scheduled change for an instance (e.g. a retirement), announced
 *   `leadHours` ahead; at its start time EC2 stops the instance ("We will stop your instance after …").
 * Each event takes one running primary instance, chosen when it happens (by `pick`, seeded), so every strategy
 * meets the same sequence of events even though its fleet differs.
 */
export type OtherSignal =
  | { readonly kind: 'capacity-reservation'; readonly at: number; readonly pick: number }
  | { readonly kind: 'scheduled-maintenance'; readonly at: number; readonly startAt: number; readonly pick: number };

export interface OtherSignalCounts {
  /** Capacity Reservation reclaims over the run. */
  readonly capacityReservationReclaims: number;
  /** AWS Health scheduled changes over the run. */
  readonly scheduledMaintenance: number;
  /** How far ahead a scheduled change is announced: uniform in [min, max] hours. */
  readonly leadHours: { readonly min: number; readonly max: number };
}

export const DEFAULT_OTHER_SIGNALS: OtherSignalCounts = { capacityReservationReclaims: 0, scheduledMaintenance: 0, leadHours: { min: 2, max: 12 } };

/** Validates the counts; errors name the field and the value. */
export const checkOtherSignals = (c: OtherSignalCounts): OtherSignalCounts => {
  for (const field of ['capacityReservationReclaims', 'scheduledMaintenance'] as const) {
    const v = c[field];
    if (!(Number.isInteger(v) && v >= 0 && v <= 10_000))
      throw new RangeError(`other signals: ${field} must be an integer in [0, 10000] (got ${JSON.stringify(v)})`);
  }
  if (!(Number.isFinite(c.leadHours.min) && c.leadHours.min >= 0 && c.leadHours.max >= c.leadHours.min)) {
    throw new RangeError(`other signals: leadHours must be 0 ≤ min ≤ max (got ${JSON.stringify(c.leadHours)})`);
  }
  return c;
};

/** Draws the events uniformly over [start, end), sorted by time. */
export const drawOtherSignals = (counts: OtherSignalCounts, window: { readonly start: number; readonly end: number }, random: Random): OtherSignal[] => {
  const span = window.end - window.start;
  const out: OtherSignal[] = [];
  for (let k = 0; k < counts.capacityReservationReclaims; k++) {
    out.push({ kind: 'capacity-reservation', at: Math.floor(window.start + random() * span), pick: random() });
  }
  for (let k = 0; k < counts.scheduledMaintenance; k++) {
    const at = Math.floor(window.start + random() * span);
    const lead = (counts.leadHours.min + random() * (counts.leadHours.max - counts.leadHours.min)) * 3_600_000;
    out.push({ kind: 'scheduled-maintenance', at, startAt: Math.floor(at + lead), pick: random() });
  }
  return out.sort((a, b) => a.at - b.at);
};
