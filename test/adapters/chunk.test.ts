import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunk } from '../../lambda/adapters/chunk';

describe('chunk', () => {
  it('splits in order into chunks of at most `size`, all full but the last', () => {
    fc.assert(
      fc.property(fc.array(fc.integer()), fc.integer({ min: 1, max: 30 }), (items, size) => {
        const chunks = chunk(items, size);
        expect(chunks.flat()).toEqual(items);
        expect(chunks.every((c) => c.length >= 1 && c.length <= size)).toBe(true);
        expect(chunks.slice(0, -1).every((c) => c.length === size)).toBe(true);
        expect(chunks.length).toBe(Math.ceil(items.length / size));
      }),
    );
  });

  it.each([0, -1, 2.5, Number.NaN])('rejects size %s', (size) => {
    expect(() => chunk([1], size)).toThrow(`chunk size must be a positive integer (got ${size})`);
  });
});
