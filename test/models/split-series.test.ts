import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitSeries } from '../../models/src/split-series';

const series = (dataset: string, n: number) => Array.from({ length: n }, (_, i) => ({ id: `${dataset}/s${i}`, dataset }));

describe('splitSeries', () => {
  it('assigns each series to exactly one split, stratified by dataset (11 → 6/3/2, 71 → 36/21/14)', () => {
    const all = [...series('nab', 11), ...series('bb', 71)];
    const split = splitSeries(all, 1);
    expect(split.size).toBe(all.length);
    const count = (ds: string, name: string) => all.filter((s) => s.dataset === ds && split.get(s.id) === name).length;
    expect([count('nab', 'train'), count('nab', 'validation'), count('nab', 'test')]).toEqual([6, 3, 2]);
    expect([count('bb', 'train'), count('bb', 'validation'), count('bb', 'test')]).toEqual([36, 21, 14]);
  });

  it('is deterministic for a seed, differs across seeds, and does not move a series when another is added', () => {
    const all = series('az', 30);
    expect(splitSeries(all, 5)).toEqual(splitSeries([...all].reverse(), 5));
    expect(splitSeries(all, 5)).not.toEqual(splitSeries(all, 6));
    const a = splitSeries(all, 5);
    const b = splitSeries([...all, { id: 'other/x', dataset: 'other' }], 5);
    for (const s of all) expect(b.get(s.id)).toBe(a.get(s.id));
  });

  it('rejects fractions that leave no room for a test split, naming them', () => {
    expect(() => splitSeries(series('x', 3), 1, { train: 0.8, validation: 0.3 })).toThrow(/train=0\.8, validation=0\.3/);
  });

  it('property: every dataset with ≥ 1 series has a training series; splits never share a series', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 5 }), fc.integer(), (sizes, seed) => {
        const all = sizes.flatMap((n, k) => series(`d${k}`, n));
        const split = splitSeries(all, seed);
        sizes.forEach((_, k) => expect(all.some((s) => s.dataset === `d${k}` && split.get(s.id) === 'train')).toBe(true));
        expect(new Set(all.map((s) => s.id)).size).toBe(split.size);
      }),
    );
  });
});
