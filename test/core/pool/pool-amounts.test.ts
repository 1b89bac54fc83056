import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  GRID_STEPS_PER_UNIT,
  InvalidAmountError,
  MAX_POOL_AMOUNT,
  checkAmount,
  checkPoolResources,
  isOnGrid,
  quantise,
} from '../../../lambda/core/pool/pool-amounts';

describe('pool amounts', () => {
  it.each<[number, 'up' | 'down', number]>([
    [3, 'up', 3],
    [3, 'down', 3],
    [0.1, 'up', 103 / 1024],
    [0.1, 'down', 102 / 1024],
    [1 / 1024, 'up', 1 / 1024],
    [1e-12, 'up', 1 / 1024],
    [1e-12, 'down', 0],
    [0, 'up', 0],
  ])('quantise(%d, %s) = %d', (value, rounding, expected) => {
    expect(quantise(value, rounding)).toBe(expected);
  });

  it.each<[unknown, string]>([
    [Number.NaN, 'x: expected a finite number between 0 and 1099511627776, got NaN'],
    [-0.5, 'x: expected a finite number between 0 and 1099511627776, got -0.5'],
    [Number.NEGATIVE_INFINITY, 'x: expected a finite number between 0 and 1099511627776, got -Infinity'],
    [MAX_POOL_AMOUNT * 2, 'x: expected a finite number between 0 and 1099511627776, got 2199023255552'],
    ['4', 'x: expected a finite number between 0 and 1099511627776, got "4"'],
    [undefined, 'x: expected a finite number between 0 and 1099511627776, got nothing'],
  ])('checkAmount rejects %j naming the field and value', (value, message) => {
    expect(() => checkAmount(value, 'x')).toThrowError(InvalidAmountError);
    expect(() => checkAmount(value, 'x')).toThrowError(message);
  });

  it('checkPoolResources names the dimension and rounds the vector', () => {
    expect(checkPoolResources({ vcpu: 0.1, memoryGiB: 2, networkMbps: 0, diskIops: 5 }, 'r', 'up')).toEqual({
      vcpu: 103 / 1024,
      memoryGiB: 2,
      networkMbps: 0,
      diskIops: 5,
    });
    expect(() => checkPoolResources({ vcpu: 1, memoryGiB: Number.NaN, networkMbps: 0, diskIops: 0 }, 'r', 'up')).toThrowError('r.memoryGiB: expected');
  });

  it('rounding brackets the value, stays on the grid, and never moves it by a step or more', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: MAX_POOL_AMOUNT, noNaN: true }), (v) => {
        const up = quantise(v, 'up');
        const down = quantise(v, 'down');
        expect(down).toBeLessThanOrEqual(v);
        expect(up).toBeGreaterThanOrEqual(v);
        expect(up - down).toBeLessThanOrEqual(1 / GRID_STEPS_PER_UNIT);
        expect(isOnGrid({ vcpu: up, memoryGiB: down, networkMbps: 0, diskIops: 0 })).toBe(true);
      }),
    );
  });

  it('sums of grid amounts are exact in any order (why the pool can compare without tolerance)', () => {
    const gridValue = fc.integer({ min: 0, max: 2 ** 30 }).map((n) => n / GRID_STEPS_PER_UNIT);
    fc.assert(
      fc.property(fc.array(gridValue, { maxLength: 50 }), (xs) => {
        const forward = xs.reduce((a, b) => a + b, 0);
        const backward = [...xs].reverse().reduce((a, b) => a + b, 0);
        expect(forward).toBe(backward);
        expect(forward * GRID_STEPS_PER_UNIT).toBe(xs.reduce((a, b) => a + b * GRID_STEPS_PER_UNIT, 0));
        // Adding then removing any one element returns exactly to the previous total.
        if (xs.length > 0) expect(forward - (xs[0] ?? 0)).toBe(xs.slice(1).reduce((a, b) => a + b, 0));
      }),
    );
  });

  it('isOnGrid rejects off-grid, negative, NaN and oversized values', () => {
    const v = (vcpu: number) => ({ vcpu, memoryGiB: 0, networkMbps: 0, diskIops: 0 });
    expect(isOnGrid(v(0.5))).toBe(true);
    expect(isOnGrid(v(0.1))).toBe(false);
    expect(isOnGrid(v(-1))).toBe(false);
    expect(isOnGrid(v(Number.NaN))).toBe(false);
    expect(isOnGrid(v(MAX_POOL_AMOUNT + 1))).toBe(false);
  });
});
