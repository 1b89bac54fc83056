import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExactSum } from '../../../lambda/core/pool/exact-sum';

const sumOf = (values: readonly number[]): ExactSum => {
  const sum = new ExactSum();
  for (const v of values) sum.add(v);
  return sum;
};

/** Any finite double, tiny (subnormal), huge and negative ones included. */
const finiteArb = fc.double({ noNaN: true, noDefaultInfinity: true });
/** Amounts on the 1/1024 grid up to 2^40, as the pool stores them. */
const gridArb = fc.integer({ min: 0, max: 2 ** 50 }).map((steps) => steps / 1024);
const amountArb = fc.oneof({ weight: 3, arbitrary: gridArb }, { weight: 1, arbitrary: finiteArb });

/** The rounding error of a + b (Knuth's TwoSum): a + b = fl(a + b) + error exactly, when nothing overflows. */
const roundingError = (a: number, b: number): number => {
  const s = a + b;
  const bVirtual = s - a;
  const aVirtual = s - bVirtual;
  return a - aVirtual + (b - bVirtual);
};

describe('ExactSum', () => {
  it.each<[string, number[], number]>([
    ['nothing', [], 0],
    ['0.1 + 0.2 + 0.3: the exact sum rounds to 0.6 (left to right, floating point says 0.6000000000000001)', [0.1, 0.2, 0.3], 0.6],
    ['ten times 0.1 is 1 (floating point says 0.9999999999999999)', Array<number>(10).fill(0.1), 1],
    ['1e16 + 1 − 1e16 keeps the 1 (floating point loses it)', [1e16, 1, -1e16], 1],
    ['past 2^43 the grid steps are kept (floating point rounds 2^43 + 1/1024 back to 2^43)', [2 ** 43, 1 / 1024, 1 / 1024], 2 ** 43 + 2 / 1024],
    ['an intermediate total past the largest double is no overflow', [1e308, 1e308, -1e308], 1e308],
    ['a total past the largest double is +∞', [1.5e308, 1.5e308], Infinity],
    ['the smallest doubles add exactly', [Number.MIN_VALUE, Number.MIN_VALUE], 2 * Number.MIN_VALUE],
    ['NaN anywhere is NaN', [1, Number.NaN, 2], Number.NaN],
    ['+∞ with −∞ is NaN', [Infinity, 1, -Infinity], Number.NaN],
    ['+∞ alone is +∞', [Infinity, -5], Infinity],
  ])('%s', (_name, values, expected) => {
    expect(sumOf(values).value()).toBe(expected);
  });

  it('minus(v) is the exact difference, rounded once: positive exactly when the sum exceeds v', () => {
    // Ten 0.1 are 1 + 2^-54 + ..., which rounds to 1: compared after rounding it would not exceed 1.
    const tenths = sumOf(Array<number>(10).fill(0.1));
    expect(tenths.value()).toBe(1);
    expect(tenths.minus(1)).toBe(5.551115123125783e-17);
    // 2^43 + 1/1024 is no double (it rounds to 2^43), but the difference from 2^40 is.
    expect(sumOf([...Array<number>(8).fill(2 ** 40), 1 / 1024]).minus(2 ** 40)).toBe(7 * 2 ** 40 + 1 / 1024);
    expect(sumOf([1, 2]).minus(Infinity)).toBe(-Infinity);
    expect(sumOf([1, 2]).minus(Number.NaN)).toBeNaN();
    expect(sumOf([Infinity]).minus(Infinity)).toBeNaN();
  });

  it('subtracting what was added takes it out again, NaN and infinities included', () => {
    const sum = sumOf([3, Number.NaN, Infinity, 0.1]);
    sum.subtract(Number.NaN);
    expect(sum.value()).toBe(Infinity);
    sum.subtract(Infinity);
    expect(sum.value()).toBe(3.1);
    sum.subtract(0.1);
    expect(sum.value()).toBe(3);
  });

  it('property: two terms round exactly as IEEE addition does (one correctly rounded operation)', () => {
    // `+ 0` makes −0 into +0: a zero total is always +0, as a sum starting from 0 is.
    fc.assert(
      fc.property(finiteArb, finiteArb, (a, b) => {
        expect(sumOf([a, b]).value()).toBe(a + b + 0);
        expect(sumOf([a]).minus(b)).toBe(a - b + 0);
      }),
      { numRuns: 2000 },
    );
  });

  it('property: a + b − fl(a + b) is exactly the rounding error, which floating point cannot compute by subtraction', () => {
    fc.assert(
      fc.property(finiteArb, finiteArb, (a, b) => {
        fc.pre(Number.isFinite(a + b) && Math.abs(a + b) < 2 ** 1023);
        expect(sumOf([a, b, -(a + b)]).value()).toBe(roundingError(a, b));
      }),
      { numRuns: 2000 },
    );
  });

  it('property: the sum does not depend on the order of the amounts', () => {
    fc.assert(
      fc.property(fc.array(amountArb, { maxLength: 12 }), fc.infiniteStream(fc.nat()), (values, picks) => {
        const shuffled = [...values];
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = picks.next().value % (i + 1);
          [shuffled[i], shuffled[j]] = [shuffled[j] as number, shuffled[i] as number];
        }
        expect(sumOf(shuffled).value()).toBe(sumOf(values).value());
        expect(sumOf(shuffled).minus(1.5)).toBe(sumOf(values).minus(1.5));
      }),
      { numRuns: 1000 },
    );
  });

  it('property: a running sum, after taking some amounts out, equals the sum of the rest', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(amountArb, fc.boolean()), { maxLength: 12 }), (entries) => {
        const running = sumOf(entries.map(([v]) => v));
        for (const [v, out] of entries) if (out) running.subtract(v);
        const rest = entries.filter(([, out]) => !out).map(([v]) => v);
        expect(running.value()).toBe(sumOf(rest).value());
        expect(running.minus(2 ** 40)).toBe(sumOf(rest).minus(2 ** 40));
      }),
      { numRuns: 1000 },
    );
  });

  it('property: amounts on the grid whose total stays below 2^43 sum to the floating-point total (nothing is rounded there)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.integer({ min: 0, max: 2 ** 40 }).map((steps) => steps / 1024),
          { maxLength: 8 },
        ),
        (values) => {
          expect(sumOf(values).value()).toBe(values.reduce((s, v) => s + v, 0));
        },
      ),
    );
  });
});
