import type { PoolSignalHistory } from '../domain';

/**
 * Interruption risk of one Spot pool (instance type × AZ of a group), learned from the group's own history.
 *
 * The quantity is λ, reclaims per instance-hour. Staging weights a pool's whole post-restart demand by
 * p = 1 − e^(−λ·H), the chance that one of its instances is reclaimed within the horizon H: by linearity of
 * expectation, demand × p is the demand expected to need restoring within H whether the pool's reclaims come
 * one by one or all at once (DESIGN §1: they are correlated per pool), so correlation needs no extra term.
 *
 * λ is the mean of a Gamma posterior (conjugate to Poisson counts): the prior is Gamma(λ₀·w, w) with λ₀ the
 * Spot Instance Advisor bucket's rate and w = PRIOR_WEIGHT_INSTANCE_HOURS of pseudo-exposure; each Spot
 * warning the pool got counts 1, each rebalance recommendation REBALANCE_WEIGHT, over the instance-hours the
 * pool has been watched since its first signal:
 *
 *   λ = (λ₀·w + warnings + REBALANCE_WEIGHT·rebalances) / (w + exposure)
 *
 * So a pool with no history stays at the prior, one burst raises it at once, and as exposure accumulates the
 * observed rate takes over (after w instance-hours the two weigh the same).
 */

/** Hours in the Advisor's "month" (its trailing-month figures; 365 × 24 / 12). */
export const HOURS_PER_MONTH = 730;

/**
 * The horizon staging prepares for. A warm instance that is not there when a pool is reclaimed cannot help (a
 * cold launch takes minutes the 2-minute warning does not leave), and staging is re-decided every profiler tick
 * (5 minutes by default), so the horizon only has to cover how long a decision stands before the next ones can
 * have prepared more: one hour covers a 60-minute tick (the longest allowed) with the warm instance's preparation.
 */
export const STAGING_HORIZON_HOURS = 1;

/**
 * Weight of the prior, in instance-hours of pseudo-exposure: one instance watched for a day. Modest on purpose:
 * the Advisor's bucket is a region-wide monthly figure, the group's own warnings are about its pools now.
 */
export const PRIOR_WEIGHT_INSTANCE_HOURS = 24;

/**
 * What one rebalance recommendation counts, against 1 for a Spot warning. AWS sends them to every instance of
 * a pool at elevated risk, and "not all rebalance recommendations are followed by an interruption" (EC2 user
 * guide, "EC2 instance rebalance recommendations"), so one is evidence, but weaker evidence, of a reclaim.
 */
export const REBALANCE_WEIGHT = 0.25;

/**
 * The prior when no Advisor figure is given for a type: the Advisor's top bucket (">20%" a month, 25 % as the
 * simulator reads it, lambda/sim/spot-advisor.ts). The Advisor feed is not read inside the Lambdas; an unknown
 * pool is assumed as risky as the riskiest bucket rather than as safe as the safest, so staging errs towards
 * preparing until the group's own history says otherwise.
 */
export const DEFAULT_PRIOR_MONTHLY_RATE = 0.25;

const HOUR_MS = 3_600_000;

/**
 * Reclaims per instance-hour from a monthly share of capacity reclaimed (the Advisor's measure): a constant
 * hazard λ leaves e^(−λ·730) of the capacity after a month, so λ = −ln(1 − share) / 730.
 */
export const hourlyRateOfMonthly = (monthlyShare: number): number => {
  if (!(Number.isFinite(monthlyShare) && monthlyShare >= 0 && monthlyShare < 1)) {
    throw new RangeError(`monthly reclaim share must be in [0, 1) (got ${monthlyShare})`);
  }
  return -Math.log1p(-monthlyShare) / HOURS_PER_MONTH;
};

export interface PoolRiskInput {
  /** The Advisor bucket's monthly reclaim share for the pool's type (0..1). */
  readonly priorMonthlyRate: number;
  /** The pool's stored signal counts; undefined when it never got one. */
  readonly history?: PoolSignalHistory;
  /** Spot instances serving in the pool now (the exposure accrues at this rate). */
  readonly instances: number;
  readonly now: number;
  readonly horizonHours?: number;
}

export interface PoolRiskEstimate {
  /** Probability that an instance of the pool is reclaimed within the horizon (0..1). */
  readonly probability: number;
  /** Posterior mean reclaims per instance-hour. */
  readonly hourlyRate: number;
  readonly priorHourlyRate: number;
  /** 'observed' when the pool's own signals moved the estimate; 'prior' when it is the Advisor's figure alone. */
  readonly source: 'prior' | 'observed';
  readonly warnings: number;
  readonly rebalances: number;
  /** Instance-hours the signals were observed over. */
  readonly exposureHours: number;
}

const count = (n: number): number => (Number.isFinite(n) && n > 0 ? n : 0);

/**
 * The pool's interruption risk (see the top of this file). The exposure is the pool's current instance count
 * (at least one: a pool with a history had instances) times the hours since its first signal; counts that are
 * not finite and non-negative, and a history that starts after `now`, are treated as absent, so a bad record
 * falls back to the prior instead of producing NaN.
 */
export const estimatePoolRisk = (input: PoolRiskInput): PoolRiskEstimate => {
  const horizon = input.horizonHours ?? STAGING_HORIZON_HOURS;
  if (!(Number.isFinite(horizon) && horizon > 0)) throw new RangeError(`horizonHours must be a positive number (got ${horizon})`);
  const priorHourlyRate = hourlyRateOfMonthly(input.priorMonthlyRate);
  const h = input.history;
  const usable = h !== undefined && Number.isFinite(h.since) && h.since <= input.now;
  const warnings = usable ? count(h.warnings) : 0;
  const rebalances = usable ? count(h.rebalances) : 0;
  const exposureHours = usable ? (Math.max(1, Math.floor(count(input.instances))) * (input.now - h.since)) / HOUR_MS : 0;
  const events = warnings + REBALANCE_WEIGHT * rebalances;
  const hourlyRate = (priorHourlyRate * PRIOR_WEIGHT_INSTANCE_HOURS + events) / (PRIOR_WEIGHT_INSTANCE_HOURS + exposureHours);
  return {
    probability: -Math.expm1(-hourlyRate * horizon),
    hourlyRate,
    priorHourlyRate,
    source: usable && (events > 0 || exposureHours > 0) ? 'observed' : 'prior',
    warnings,
    rebalances,
    exposureHours,
  };
};

/** The pool key the store and logs use: `m5.large@us-east-1a`. */
export const poolSignalKey = (p: { readonly instanceType: string; readonly availabilityZone: string }): string => `${p.instanceType}@${p.availabilityZone}`;
