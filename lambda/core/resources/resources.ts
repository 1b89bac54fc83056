import { DIMENSIONS, type Dimension, type Resources } from '../domain';

/**
 * Resource-vector arithmetic. Every function is total over finite numbers and treats the four
 * dimensions independently; validation (NaN, negative, infinite) is explicit via `validateResources`
 * at the boundaries, so arithmetic never silently repairs bad data.
 */

/** A resource value that is NaN, negative or infinite, named by what it describes and its dimension. */
export class InvalidResourcesError extends Error {
  override readonly name = 'InvalidResourcesError';
  constructor(
    readonly what: string,
    readonly dimension: Dimension | string,
    readonly value: unknown,
  ) {
    super(`${what}: ${dimension} must be a finite number ≥ 0 (got ${String(value)})`);
  }
}

export const ZERO_RESOURCES: Resources = Object.freeze({ vcpu: 0, memoryGiB: 0, networkMbps: 0, diskIops: 0 });

/**
 * Relative tolerance for `fits`/`shortfall`. Pool totals are sums of many fractional reservations
 * (3.3 + 3.3 + 3.4 = 10.000000000000002), so an exact comparison would refuse a demand that fits
 * on paper. 1e-9 of the available amount is far below any real resource granularity.
 */
export const FIT_TOLERANCE = 1e-9;

const build = (f: (d: Dimension) => number): Resources => ({
  vcpu: f('vcpu'),
  memoryGiB: f('memoryGiB'),
  networkMbps: f('networkMbps'),
  diskIops: f('diskIops'),
});

/** Fills the dimensions a partial vector leaves out with 0 (no validation: see `validateResources`). */
export const toResources = (partial: Partial<Resources>): Resources => build((d) => partial[d] ?? 0);

export const addResources = (a: Resources, b: Resources): Resources => build((d) => a[d] + b[d]);

/** a − b per dimension. Not clamped (so add/subtract are inverses); use `shortfall` for a clamped gap. */
export const subtractResources = (a: Resources, b: Resources): Resources => build((d) => a[d] - b[d]);

export const scaleResources = (r: Resources, k: number): Resources => build((d) => r[d] * k);

export const maxResources = (a: Resources, b: Resources): Resources => build((d) => Math.max(a[d], b[d]));

export const minResources = (a: Resources, b: Resources): Resources => build((d) => Math.min(a[d], b[d]));

export const sumResources = (list: readonly Resources[]): Resources => list.reduce(addResources, ZERO_RESOURCES);

/** Whether `demand ≤ available + tolerance` for one dimension value pair; false when either is NaN. */
const fitsValue = (demand: number, available: number): boolean => demand <= available + FIT_TOLERANCE * Math.max(1, Math.abs(available));

/**
 * True when every dimension of `demand` fits in `available` (seed 10572412's allocateResources: all
 * dimensions must fit). NaN anywhere → false (fail closed).
 */
export const fits = (demand: Resources, available: Resources): boolean => DIMENSIONS.every((d) => fitsValue(demand[d], available[d]));

/**
 * What is missing per dimension: max(0, demand − available), 0 where the demand fits within the
 * tolerance (so `fits(d, a)` ⇔ `isZero(shortfall(d, a))`). NaN inputs give NaN (never a silent 0).
 */
export const shortfall = (demand: Resources, available: Resources): Resources =>
  build((d) => {
    const gap = demand[d] - available[d];
    if (Number.isNaN(gap)) return Number.NaN;
    return fitsValue(demand[d], available[d]) ? 0 : gap;
  });

export const isZero = (r: Resources): boolean => DIMENSIONS.every((d) => r[d] === 0);

/**
 * Checks that `r` is a complete vector of finite, non-negative numbers and returns it; otherwise
 * throws InvalidResourcesError naming `what`, the dimension and the value (the first bad one).
 */
export const validateResources = (r: Resources, what: string): Resources => {
  if (r === null || typeof r !== 'object') throw new InvalidResourcesError(what, '(vector)', r);
  for (const d of DIMENSIONS) {
    const v: unknown = r[d];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new InvalidResourcesError(what, d, v);
  }
  return r;
};

/** A short human form, e.g. "2 vCPU, 4 GiB, 100 Mbps, 0 IOPS" (for reasons and log lines). */
export const formatResources = (r: Resources): string => {
  const n = (v: number): string => (Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4))));
  return `${n(r.vcpu)} vCPU, ${n(r.memoryGiB)} GiB, ${n(r.networkMbps)} Mbps, ${n(r.diskIops)} IOPS`;
};
