import { InvalidAmountError, checkAmount, fromSteps, toSteps } from './pool-amounts';

/** One claimant of a scarce resource. */
export interface FairShareDemand {
  readonly id: string;
  /** Higher is more important (spotwise priorities are 0..100; any finite number works). */
  readonly priority: number;
  /** What it would use if it could; it never gets more. */
  readonly demand: number;
  /** Served before any tier's demand beyond its own minimum (capped at `demand`). Default 0. */
  readonly minimum?: number;
}

interface Claim {
  readonly id: string;
  readonly priority: number;
  readonly demand: number;
  readonly minimum: number;
}

const checkClaims = (capacity: number, demands: readonly FairShareDemand[], what: string): { capacitySteps: number; claims: Claim[] } => {
  const capacitySteps = toSteps(checkAmount(capacity, `${what} capacity`), 'down');
  const seen = new Set<string>();
  const claims = demands.map((d, i): Claim => {
    const field = `${what} demands[${i}]`;
    if (typeof d.id !== 'string' || d.id.length === 0) throw new InvalidAmountError(`${field}.id`, d.id, 'a non-empty string');
    if (seen.has(d.id)) throw new InvalidAmountError(`${field}.id`, d.id, 'an id not used by another demand');
    seen.add(d.id);
    if (typeof d.priority !== 'number' || !Number.isFinite(d.priority)) throw new InvalidAmountError(`${field}.priority`, d.priority, 'a finite number');
    const demand = toSteps(checkAmount(d.demand, `${field}.demand`), 'up');
    const minimum = d.minimum === undefined ? 0 : toSteps(checkAmount(d.minimum, `${field}.minimum`), 'up');
    return { id: d.id, priority: d.priority, demand, minimum: Math.min(minimum, demand) };
  });
  return { capacitySteps, claims };
};

/** Claims grouped by priority, highest tier first; members keep their input order. */
const toTiers = (claims: readonly Claim[]): Claim[][] => {
  const byPriority = new Map<number, Claim[]>();
  // Push, not copy: a tier of 10,000 instances (one group's profiler refresh) must not cost n² copies.
  for (const c of claims) {
    const tier = byPriority.get(c.priority);
    if (tier === undefined) byPriority.set(c.priority, [c]);
    else tier.push(c);
  }
  return [...byPriority.entries()].sort(([a], [b]) => b - a).map(([, members]) => members);
};

/**
 * Max-min fair ("water-filling") split of `available` whole steps within one tier. Member i already
 * holds `floors[i]` and wants `caps[i]` in total; the water rises to a common level L and every member
 * ends with max(floor, min(cap, L)) — so a member's floor (its minimum) counts towards its fair share
 * rather than coming on top of it. L is the highest whole level whose total fits; the indivisible
 * remainder (fewer steps than the members the next level would raise) goes one step each to those
 * members in input order, so the split is deterministic. Returns each member's new total.
 */
const levelFill = (floors: readonly number[], caps: readonly number[], available: number): number[] => {
  const at = (level: number): number[] => floors.map((f, i) => Math.max(f, Math.min(caps[i] ?? 0, level)));
  const extra = (level: number): number => at(level).reduce((s, t, i) => s + t - (floors[i] ?? 0), 0);
  const top = Math.max(0, ...caps);
  if (extra(top) <= available) return at(top);
  let lo = 0; // extra(lo) ≤ available: extra(0) is 0 because every total starts at its floor
  let hi = top; // extra(hi) > available
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (extra(mid) <= available) lo = mid;
    else hi = mid;
  }
  const totals = at(lo);
  let remainder = available - extra(lo);
  // Members that level lo + 1 would raise: floor ≤ lo < cap. There are more of them than `remainder`
  // (else lo + 1 would fit), so one extra step each never passes anyone's cap.
  floors.forEach((f, i) => {
    if (remainder > 0 && f <= lo && lo < (caps[i] ?? 0)) {
      totals[i] = (totals[i] ?? 0) + 1;
      remainder -= 1;
    }
  });
  return totals;
};

/** The core split, in grid steps. */
const shareSteps = (capacitySteps: number, claims: readonly Claim[]): Map<string, number> => {
  const granted = new Map<string, number>(claims.map((c) => [c.id, 0]));
  const tiers = toTiers(claims);
  let left = capacitySteps;
  // Each phase tops every member of a tier up from what it holds to a cap, tier by tier.
  const serve = (cap: (c: Claim) => number): void => {
    for (const tier of tiers) {
      const held = tier.map((c) => granted.get(c.id) ?? 0);
      const totals = levelFill(held, tier.map(cap), left);
      tier.forEach((c, i) => {
        const t = totals[i] ?? 0;
        left -= t - (held[i] ?? 0);
        granted.set(c.id, t);
      });
    }
  };
  serve((c) => c.minimum); // phase 1: minimums, tier by tier
  serve((c) => c.demand); // phase 2: the whole demand, tier by tier
  return granted;
};

/**
 * Priority-ordered fair share of one scarce resource (seed DRATP): 16 GiB for demands A 8, B 4, C 6
 * in tiers A > B > C gives A 8, B 4, C 4.
 *
 * 1. Minimums first, in priority order: each tier, highest first, gets its members' `minimum`s (capped
 *    at their demand) out of what is left; a tier that cannot all be served splits what is left by
 *    water-filling (below).
 * 2. Then the rest of each demand, again tier by tier: a tier is served in full before the next lower
 *    tier gets anything beyond its minimum. So while a higher tier is still short, a lower tier holds
 *    exactly what phase 1 gave it (at most its minimum).
 * 3. Within a tier (equal priority), a shortage is split max-min fairly (water-filling): the level
 *    rises evenly, members needing less than the level get their need and the surplus goes on rising
 *    for the rest; a member's minimum counts towards its level (it gets max(minimum, level), capped at
 *    its demand), not on top of it. 16 among equal-priority demands 8 / 4 / 6 → 6 / 4 / 6.
 *
 * Amounts are computed on the pool grid (1/1024 of a unit; see pool-amounts.ts): capacity is rounded
 * down and demands and minimums up, so a share can be reserved in a pool exactly as returned; the
 * shares never sum past the capacity and nobody gets more than its (rounded) demand. The share is
 * work-conserving: capacity is left over only when every demand is met in full.
 *
 * @throws InvalidAmountError naming the field (e.g. `fair share demands[2].demand`) and the value for
 *   NaN, infinite, negative or oversized amounts, non-finite priorities, and empty or duplicate ids.
 */
export const fairShare = (capacity: number, demands: readonly FairShareDemand[]): Map<string, number> => {
  const { capacitySteps, claims } = checkClaims(capacity, demands, 'fair share');
  const steps = shareSteps(capacitySteps, claims);
  return new Map(claims.map((c) => [c.id, fromSteps(steps.get(c.id) ?? 0)]));
};
