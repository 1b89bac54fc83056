import type { DisruptionBudget, GroupView, ManagedInstance } from '../domain';

/**
 * Voluntary disruptions (priority interruptions, stop → modify → start of a sibling) are limited per
 * group, like a Kubernetes PodDisruptionBudget / Karpenter NodePool budget. Budgets fail closed: any
 * input that cannot be evaluated (NaN, negative, malformed percentage) allows NO disruption.
 */

/** Outcome of a budget check. `exhausted` carries the numbers and a sentence saying why. */
export type BudgetCheck =
  | { readonly kind: 'allowed'; readonly allowed: number; readonly inFlight: number }
  | { readonly kind: 'exhausted'; readonly allowed: number; readonly inFlight: number; readonly reason: string };

/**
 * Tolerance for `groupSize × percent / 100`: integer sizes × integer percents are exact in binary
 * floating point, but a fractional percent (e.g. "12.5%") can land a hair below an integer
 * (x.9999999999) and would then floor one too low. 1e-9 is far below any meaningful fraction.
 */
const FLOOR_EPSILON = 1e-9;

const PERCENT = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/;

/**
 * How many members of a group of `groupSize` may be disrupted at once under `budget`.
 *
 * - An absolute count is floored (2.7 → 2) and capped at the group size.
 * - `"N%"` is `floor(groupSize × N / 100)`. Kubernetes rounds a PDB's maxUnavailable percentage UP;
 *   spotwise rounds DOWN because budgets fail closed, so a percentage of a small group can be 0 —
 *   e.g. "10%" of 9 instances allows nothing. Write an absolute count (1) if a small
 *   group must still allow one disruption. Percentages above 100 are capped at the group size.
 * - NaN, ±Infinity, negative counts or sizes, and malformed percentages give 0 (fail closed).
 */
export const allowedDisruptions = (budget: DisruptionBudget, groupSize: number): number => {
  if (!Number.isFinite(groupSize) || groupSize <= 0) return 0;
  const size = Math.floor(groupSize);
  const raw: unknown = budget.maxUnavailable;
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw) || raw <= 0) return 0;
    return Math.min(size, Math.floor(raw));
  }
  if (typeof raw !== 'string') return 0;
  const match = PERCENT.exec(raw);
  if (!match?.[1]) return 0;
  const percent = Number(match[1]);
  if (!Number.isFinite(percent) || percent <= 0) return 0;
  return Math.min(size, Math.floor((size * percent) / 100 + FLOOR_EPSILON));
};

/** States of a member that still counts towards the group's size (it serves, or is being disrupted). */
const COUNTED_STATES: ReadonlySet<ManagedInstance['state']> = new Set(['pending', 'running', 'stopping', 'stopped']);

/**
 * The size a group's budget percentage is taken of: its in-service members (warm-pool instances and
 * terminated / shutting-down ones do not count), but never more than the desired capacity — while a
 * group is scaling in, instances about to leave must not inflate the budget. Fails closed to 0 when
 * the desired capacity is not a finite number.
 */
export const budgetGroupSize = (group: GroupView): number => {
  if (!Number.isFinite(group.desiredCapacity)) return 0;
  const members = group.instances.filter((i) => !i.warm && COUNTED_STATES.has(i.state)).length;
  return Math.max(0, Math.min(members, Math.floor(group.desiredCapacity)));
};

/**
 * Whether `extra` more disruptions may start in `group` now, given `group.disruptionsInFlight`.
 * Fails closed (exhausted, with the reason) when the in-flight count or `extra` is not a
 * non-negative integer, or when the budget allows nothing.
 */
export const checkDisruptionBudget = (group: GroupView, extra = 1): BudgetCheck => {
  const size = budgetGroupSize(group);
  const allowed = allowedDisruptions(group.policy.disruptionBudget, size);
  const inFlight = group.disruptionsInFlight;
  const budgetText = `maxUnavailable ${JSON.stringify(group.policy.disruptionBudget.maxUnavailable)} of ${size} in-service instances`;
  if (!Number.isInteger(inFlight) || inFlight < 0) {
    return { kind: 'exhausted', allowed, inFlight, reason: `group ${group.id}: disruptionsInFlight is ${String(inFlight)}, not a count; failing closed` };
  }
  if (!Number.isInteger(extra) || extra < 0) {
    return { kind: 'exhausted', allowed, inFlight, reason: `group ${group.id}: extra disruptions is ${String(extra)}, not a count; failing closed` };
  }
  if (inFlight + extra > allowed) {
    const why = allowed === 0 ? `${budgetText} allows no disruption` : `${inFlight} in flight + ${extra} requested > ${allowed} allowed (${budgetText})`;
    return { kind: 'exhausted', allowed, inFlight, reason: `group ${group.id}: ${why}` };
  }
  return { kind: 'allowed', allowed, inFlight };
};
