import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  atLeast,
  atMost,
  checkedTarget,
  displayValue,
  equalTo,
  figure,
  lessThan,
  mergeFigures,
  renderReadmeSection,
  renderTable,
  roundFigure,
  type Figure,
} from '../../bench/figures';

const f = (name: string, value: number, pass = true): Figure => ({ name, value, unit: 'ms', target: '< 50 ms', pass });

describe('targets', () => {
  it.each([
    [
      'lessThan',
      lessThan(50, 'ms'),
      '< 50 ms',
      [
        [49.9, true],
        [50, false],
        [51, false],
      ],
    ],
    [
      'atMost',
      atMost(0.2, 'USD'),
      '≤ 0.2 USD',
      [
        [0.2, true],
        [0.2001, false],
        [0, true],
      ],
    ],
    [
      'atLeast',
      atLeast(334, 'instances/s'),
      '≥ 334 instances/s',
      [
        [334, true],
        [333.9, false],
      ],
    ],
    [
      'equalTo',
      equalTo(160, 'ceil(80000 queries / 500)'),
      '= 160 (ceil(80000 queries / 500))',
      [
        [160, true],
        [161, false],
        [159, false],
      ],
    ],
    [
      'lessThan with a large limit',
      lessThan(3_000_000, 'bytes'),
      '< 3,000,000 bytes',
      [
        [2_999_999, true],
        [3_000_000, false],
      ],
    ],
  ] as const)('%s reads %j and checks values', (_kind, target, text, cases) => {
    expect(target.text).toBe(text);
    for (const [value, pass] of cases) expect(target.check(value)).toBe(pass);
  });

  it('a checked target carries the verdict it was given', () => {
    expect(figure('storm.calls.StartInstances', 12, 'calls', checkedTarget('each within 120 s', false))).toMatchObject({
      target: 'each within 120 s',
      pass: false,
    });
  });
});

describe('figure', () => {
  it('rounds to 4 significant digits and keeps integers exact', () => {
    expect(figure('notice.p99.1000', 12.345678, 'ms', lessThan(50, 'ms'))).toEqual({
      name: 'notice.p99.1000',
      value: 12.35,
      unit: 'ms',
      target: '< 50 ms',
      pass: true,
    });
    expect(figure('bundle.notice.bytes', 1_718_523, 'bytes', lessThan(1_000_000, 'bytes')).value).toBe(1_718_523);
    expect(roundFigure(0.000123456)).toBe(0.0001235);
  });

  it('judges the unrounded value', () => {
    // 49.99996 rounds to 50 (4 digits) but is below 50: the verdict follows what was measured.
    expect(figure('notice.p99.1000', 49.99996, 'ms', lessThan(50, 'ms'))).toMatchObject({ value: 50, pass: true });
  });

  it('a measurement that failed (non-finite) never passes', () => {
    expect(figure('model.inference.seconds.10000', Number.NaN, 's', lessThan(2, 's')).pass).toBe(false);
    expect(figure('profiler.peakMiB.10000', Number.POSITIVE_INFINITY, 'MiB', atLeast(0, 'MiB')).pass).toBe(false);
  });

  it.each([
    ['notice', 'figure name "notice" is not dotted lower camel case (like "notice.p99.1000")'],
    ['Notice.p99', 'figure name "Notice.p99" is not dotted lower camel case (like "notice.p99.1000")'],
    ['notice..p99', 'figure name "notice..p99" is not dotted lower camel case (like "notice.p99.1000")'],
    ['notice.p99 ', 'figure name "notice.p99 " is not dotted lower camel case (like "notice.p99.1000")'],
  ])('refuses the name %j', (name, message) => {
    expect(() => figure(name, 1, 'ms', lessThan(2, 'ms'))).toThrow(message);
  });

  it('refuses an empty unit, naming the figure', () => {
    expect(() => figure('notice.p99.100', 1, ' ', lessThan(2, 'ms'))).toThrow('figure notice.p99.100: unit must not be empty');
  });
});

describe('mergeFigures', () => {
  it('replaces figures by name, keeps the rest in their order, appends new names', () => {
    const previous = [f('a.x', 1), f('b.x', 2), f('c.x', 3)];
    const merged = mergeFigures(previous, [f('b.x', 20), f('d.x', 4)]);
    expect(merged.map((m) => [m.name, m.value])).toEqual([
      ['a.x', 1],
      ['b.x', 20],
      ['c.x', 3],
      ['d.x', 4],
    ]);
  });

  it('refuses a figure measured twice in one run', () => {
    expect(() => mergeFigures([], [f('a.x', 1), f('a.x', 2)])).toThrow('figure a.x measured twice in one run');
  });

  it('property: every fresh figure wins, no previous name is lost, names stay unique', () => {
    const names = fc.uniqueArray(fc.constantFrom('a.x', 'b.x', 'c.x', 'd.x', 'e.x', 'f.x'), { maxLength: 6 });
    fc.assert(
      fc.property(names, names, (prev, next) => {
        const previous = prev.map((n) => f(n, 1));
        const fresh = next.map((n) => f(n, 2));
        const merged = mergeFigures(previous, fresh);
        expect(new Set(merged.map((m) => m.name)).size).toBe(merged.length);
        for (const n of next) expect(merged.find((m) => m.name === n)?.value).toBe(2);
        for (const n of prev) expect(merged.some((m) => m.name === n)).toBe(true);
        expect(merged).toHaveLength(new Set([...prev, ...next]).size);
      }),
    );
  });
});

describe('rendering', () => {
  const figures = [
    f('notice.p99.1000', 77.65, false),
    { name: 'bundle.notice.bytes', value: 1_718_523, unit: 'bytes', target: '< 1,000,000 bytes', pass: false },
    f('notice.p50.100', 2.29),
  ];

  it.each([
    [{ value: 1_718_523, unit: 'bytes' }, '1,718,523 bytes'],
    [{ value: 403.2, unit: 'ms' }, '403 ms'],
    [{ value: 2.294, unit: 'ms' }, '2.29 ms'],
    [{ value: 0.6912, unit: 'USD' }, '0.691 USD'],
    [{ value: 0, unit: 's' }, '0 s'],
  ])('displays %j as %j', (value, text) => {
    expect(displayValue(value)).toBe(text);
  });

  it('prints an aligned table with the verdicts', () => {
    const lines = renderTable(figures).split('\n');
    expect(lines[0]).toMatch(/^figure\s+value\s+target\s+result$/);
    expect(lines).toHaveLength(2 + figures.length);
    expect(lines[2]).toMatch(/^notice\.p99\.1000\s+77\.65 ms\s+< 50 ms\s+FALLS SHORT$/);
    expect(lines[4]).toMatch(/pass$/);
    // Every column starts at the same offset on every line.
    const valueColumn = lines[0]?.indexOf('value');
    for (const l of lines.slice(2)) expect(l.charAt((valueColumn ?? 0) - 1)).toBe(' ');
  });

  it('the README section lists every figure and names those that fall short', () => {
    const text = renderReadmeSection(figures, { machine: '2 × test CPU', command: 'npm run bench', notes: ['a note | with a pipe'] });
    expect(text).toContain('## Performance');
    expect(text).toContain('Measured by `npm run bench` on 2 × test CPU');
    expect(text).toContain('2 of 3 figures fall short of their target: `notice.p99.1000`, `bundle.notice.bytes`.');
    expect(text).toContain('| `bundle.notice.bytes` | 1,718,523 bytes | < 1,000,000 bytes | **falls short** |');
    expect(text).toContain('| `notice.p50.100` | 2.29 ms | < 50 ms | pass |');
    expect(text).toContain('- a note | with a pipe');
    expect(renderReadmeSection([f('a.x', 1)], { machine: 'm', command: 'c', notes: [] })).toContain('Every figure meets its target.');
  });
});
