import { GRID_STEPS_PER_UNIT } from './pool-amounts';

/**
 * A running sum of doubles kept exactly, rounded only when it is read: the pool's committed totals. With it, a
 * total kept by adding and removing amounts one change at a time is bit for bit the total re-summed from the
 * ledger after the change, in any order and for any ledger — also one stored off the 1/1024 grid by an older
 * version, or so large that a floating-point sum of it would round. That is what lets a batch of allocations
 * keep one running total and still decide every request exactly as one call per request would.
 *
 * Two parts hold the finite sum. Amounts on the grid, the only ones this version stores, add up as a count of
 * whole grid steps in an ordinary number, exact while that count stays below 2^53 (a total below 2^43 units; a
 * sound pool's is at most its capacity, ≤ 2^40). Every other finite amount goes to a BigInt counting 2^-1074, the
 * finest fraction a double can hold, so it is exact at any size. NaN and infinities cannot join an exact sum:
 * they are counted, and read as floating-point arithmetic would read them (any NaN, or +∞ with −∞, is NaN).
 *
 * Only amounts that were added may be subtracted: it is a ledger's total, not a general accumulator.
 */
export class ExactSum {
  /** Σ of the amounts on the grid, in whole grid steps; always an integer below 2^53 in magnitude. */
  private steps = 0;
  /** Σ of every other finite amount, in units of 2^-1074. */
  private units = 0n;
  private nans = 0;
  private positiveInfinities = 0;
  private negativeInfinities = 0;

  add(v: number): void {
    this.move(v, 1);
  }

  subtract(v: number): void {
    this.move(v, -1);
  }

  /** The sum, rounded once to the nearest double (ties to even). */
  value(): number {
    return this.minus(0);
  }

  /**
   * The sum minus `v`, rounded once to the nearest double: exact in its sign, so `minus(capacity) > 0` says whether
   * a ledger exceeds its capacity with no rounding in between. A non-finite sum or `v` gives what floating point would.
   */
  minus(v: number): number {
    const special = this.special();
    if (special !== undefined) return special - v;
    if (!Number.isFinite(v)) return this.minus(0) - v;
    const s = v * GRID_STEPS_PER_UNIT;
    if (this.units === 0n && Number.isInteger(s)) {
      const difference = this.steps - s;
      // Two integers whose computed difference is below 2^53: the exact difference is too, so nothing was rounded.
      if (Math.abs(difference) < EXACT_INTEGER) return difference / GRID_STEPS_PER_UNIT;
    }
    return roundUnits((BigInt(this.steps) << UNITS_PER_STEP_SHIFT) + this.units - unitsOf(v));
  }

  private move(v: number, sign: 1 | -1): void {
    if (Number.isNaN(v)) this.nans += sign;
    else if (v === Infinity) this.positiveInfinities += sign;
    else if (v === -Infinity) this.negativeInfinities += sign;
    else {
      // Scaling by a power of two is exact; a finite amount too large for it scales to ±∞, not an integer.
      const s = sign * v * GRID_STEPS_PER_UNIT;
      const next = this.steps + s;
      if (Number.isInteger(s) && Math.abs(next) < EXACT_INTEGER) this.steps = next;
      else this.units += sign === 1 ? unitsOf(v) : -unitsOf(v);
    }
  }

  private special(): number | undefined {
    if (this.nans !== 0 || (this.positiveInfinities !== 0 && this.negativeInfinities !== 0)) return Number.NaN;
    if (this.positiveInfinities !== 0) return Infinity;
    if (this.negativeInfinities !== 0) return -Infinity;
    return undefined;
  }
}

/** Every integer of magnitude below this is a double, and so is every sum or difference of two that stays below it. */
const EXACT_INTEGER = 2 ** 53;

/** 2^-1074 is the smallest double; a grid step (1/1024 = 2^-10) is 2^1064 of them. */
const SMALLEST_EXPONENT = 1074;
const UNITS_PER_STEP_SHIFT = BigInt(SMALLEST_EXPONENT - Math.log2(GRID_STEPS_PER_UNIT));

/** A finite double as a whole number of 2^-1074 units (every finite double is one). */
const unitsOf = (v: number): bigint => {
  // A double that is not an integer is below 2^52, so doubling it is exact, and at most 1074 doublings make it whole.
  let m = v;
  let doublings = 0;
  while (!Number.isInteger(m)) {
    m *= 2;
    doublings += 1;
  }
  return BigInt(m) << BigInt(SMALLEST_EXPONENT - doublings);
};

/**
 * `units` × 2^-1074 rounded once to the nearest double, ties to even. Number(bigint) rounds that way, but only a
 * number below 2^1024; so all but the top 55 bits are dropped first, with one sticky bit saying whether any of the
 * dropped ones was set — enough for Number() to round the 53-bit result exactly as it would round the whole — and
 * the result is scaled back by a power of two, which is exact.
 */
const roundUnits = (units: bigint): number => {
  const magnitude = units < 0n ? -units : units;
  const bits = magnitude.toString(2).length;
  let rounded: number;
  // At most 55 bits: Number() rounds it directly, and a value below 2^55 × 2^-1074 scales without a second rounding.
  if (bits <= 55) rounded = Number(magnitude) * Number.MIN_VALUE;
  else {
    const dropped = bits - 55;
    const sticky = (magnitude & ((1n << BigInt(dropped)) - 1n)) === 0n ? 0n : 1n;
    rounded = Number((magnitude >> BigInt(dropped)) | sticky) * 2 ** (dropped - SMALLEST_EXPONENT);
  }
  return units < 0n ? -rounded : rounded;
};
