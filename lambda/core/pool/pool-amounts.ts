import { DIMENSIONS, type Resources } from '../domain';

/**
 * Pool arithmetic happens on a grid of 1/1024 of a unit (1/1024 vCPU, 1 MiB, …). Every amount that
 * enters a pool is rounded onto the grid — demands and reservations UP (never under-reserve), capacity
 * DOWN (never promise what is not there). Multiples of 2^-10 below 2^43 are exact in binary floating
 * point and so are their sums, so the committed totals of a pool (and the totals a DynamoDB pool item
 * keeps with `ADD`) equal the ledger exactly: no rounding drift can ever turn "fits" into an
 * over-commit, whatever the order of additions and removals.
 */
export const GRID_STEPS_PER_UNIT = 1024;

/**
 * Largest amount accepted in any one dimension (2^40 ≈ 1.1e12 — far above any real vCPU, GiB, Mbps or
 * IOPS figure). Bounded so that a pool's committed total plus one more request (≤ 2^41 units) stays
 * well inside the 2^53 integer range where grid arithmetic is exact.
 */
export const MAX_POOL_AMOUNT = 2 ** 40;

/** An amount handed to the pool or to fair share that is not a finite, non-negative, bounded number. */
export class InvalidAmountError extends Error {
  override readonly name = 'InvalidAmountError';
  constructor(
    /** Which field was wrong, e.g. `reservation r-1 amount.memoryGiB`. */
    readonly field: string,
    readonly value: unknown,
    readonly expected: string,
  ) {
    super(`${field}: expected ${expected}, got ${describe(value)}`);
  }
}

const describe = (value: unknown): string => {
  if (typeof value === 'number') return String(value); // NaN and Infinity, which JSON would print as null
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'nothing';
  return JSON.stringify(value) ?? String(value);
};

/** Checks one amount: a finite number in [0, MAX_POOL_AMOUNT]. Throws InvalidAmountError naming `field`. */
export const checkAmount = (value: unknown, field: string): number => {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_POOL_AMOUNT) {
    throw new InvalidAmountError(field, value, `a finite number between 0 and ${MAX_POOL_AMOUNT}`);
  }
  return value;
};

/** Whole grid steps in `amount`, rounded up or down. Scaling by a power of two is exact. */
export const toSteps = (amount: number, rounding: 'up' | 'down'): number =>
  rounding === 'up' ? Math.ceil(amount * GRID_STEPS_PER_UNIT) : Math.floor(amount * GRID_STEPS_PER_UNIT);

export const fromSteps = (steps: number): number => steps / GRID_STEPS_PER_UNIT;

/** `amount` rounded onto the grid. */
export const quantise = (amount: number, rounding: 'up' | 'down'): number => fromSteps(toSteps(amount, rounding));

/**
 * Validates every dimension of `r` (naming `what` and the dimension on failure) and rounds it onto
 * the grid. Also rejects a missing dimension, which a cast `Partial<Resources>` could smuggle in.
 */
export const checkPoolResources = (r: Resources, what: string, rounding: 'up' | 'down'): Resources => {
  if (r === null || typeof r !== 'object') throw new InvalidAmountError(what, r, 'a resource vector');
  const out: Record<string, number> = {};
  for (const d of DIMENSIONS) out[d] = quantise(checkAmount(r[d], `${what}.${d}`), rounding);
  return out as Resources;
};

/** True when every dimension of `r` is already on the grid and valid (what the pool stores). */
export const isOnGrid = (r: Resources): boolean =>
  DIMENSIONS.every((d) => {
    const v = r[d];
    return typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= MAX_POOL_AMOUNT && Number.isInteger(v * GRID_STEPS_PER_UNIT);
  });
