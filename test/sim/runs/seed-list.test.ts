import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_SEEDS, parseSeedList, SeedListError } from '../../../lambda/sim/runs/seed-list';

describe('parseSeedList', () => {
  it.each([
    ['1..10', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]],
    ['1,4,7', [1, 4, 7]],
    [' 3 .. 5 ', [3, 4, 5]],
    ['0..0', [0]],
    ['1..3,9', [1, 2, 3, 9]],
    ['7', [7]],
    ['4294967295', [4294967295]],
  ])('reads %j', (text, seeds) => {
    expect(parseSeedList(text)).toEqual(seeds);
  });

  it.each([
    ['', 'expected a range like 1..10 or a list like 1,4,7'],
    ['abc', '"abc" is not a seed'],
    ['1,,2', '"" is not a seed'],
    ['-1', '"-1" is not a seed'],
    ['1.5', '"1.5" is not a seed'],
    ['5..3', 'range 5..3 ends before it starts'],
    ['1..1000', `range 1..1000 has more than ${MAX_SEEDS} seeds`],
    ['1,2,1', 'seed 1 is named twice'],
    ['1..3,2', 'seed 2 is named twice'],
    ['4294967296', 'above the largest seed'],
    ['1...3', '".3" is not a seed'],
  ])('refuses %j saying why', (text, reason) => {
    expect(() => parseSeedList(text)).toThrow(SeedListError);
    expect(() => parseSeedList(text)).toThrow(reason);
  });

  it('reads back any list of distinct seeds it is given, in order', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 1, maxLength: MAX_SEEDS }), (seeds) => {
        expect(parseSeedList(seeds.join(','))).toEqual(seeds);
      }),
    );
  });

  it('reads a range as every seed from one end to the other', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 0, max: MAX_SEEDS - 1 }), (from, span) => {
        const seeds = parseSeedList(`${from}..${from + span}`);
        expect(seeds).toHaveLength(span + 1);
        expect(seeds[0]).toBe(from);
        expect(seeds.at(-1)).toBe(from + span);
      }),
    );
  });
});
