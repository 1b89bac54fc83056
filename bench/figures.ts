/**
 * The benchmark figures: one measured value with its unit, the target it is held to and whether it met
 * it. `bench/results.json` is `{ "figures": Figure[] }` with stable names, so a later run (or CI) can
 * compare figure by figure.
 */
export interface Figure {
  /** Stable dotted name, e.g. `notice.p99.1000`. */
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** The target in words, e.g. "< 50 ms". */
  readonly target: string;
  readonly pass: boolean;
}

export interface Target {
  readonly text: string;
  readonly check: (value: number) => boolean;
}

/** Figure names: a lower-case first segment, then dot-separated segments (`storm.calls.StartInstances`). */
export const FIGURE_NAME = /^[a-z][A-Za-z0-9]*(\.[A-Za-z0-9]+)+$/;

const formatNumber = (n: number): string => (Number.isInteger(n) ? n.toLocaleString('en-US') : String(n));

export const lessThan = (limit: number, unit: string): Target => ({ text: `< ${formatNumber(limit)} ${unit}`, check: (v) => v < limit });
export const atMost = (limit: number, unit: string): Target => ({ text: `≤ ${formatNumber(limit)} ${unit}`, check: (v) => v <= limit });
export const atLeast = (limit: number, unit: string): Target => ({ text: `≥ ${formatNumber(limit)} ${unit}`, check: (v) => v >= limit });
export const equalTo = (expected: number, why: string): Target => ({ text: `= ${formatNumber(expected)} (${why})`, check: (v) => v === expected });
/** A target checked elsewhere (e.g. a budget simulation): the caller states it and the verdict. */
export const checkedTarget = (text: string, pass: boolean): Target => ({ text, check: () => pass });

/**
 * Significant digits kept in results.json: timings vary far more than this between runs, and short
 * numbers keep the committed file readable.
 */
const SIGNIFICANT = 4;
export const roundFigure = (value: number): number => {
  if (!Number.isFinite(value) || value === 0 || Number.isInteger(value)) return value;
  return Number(value.toPrecision(SIGNIFICANT));
};

/** Builds a figure; a non-finite value (a measurement that failed) never passes. */
export const figure = (name: string, value: number, unit: string, target: Target): Figure => {
  if (!FIGURE_NAME.test(name)) throw new RangeError(`figure name ${JSON.stringify(name)} is not dotted lower camel case (like "notice.p99.1000")`);
  if (unit.trim() === '') throw new RangeError(`figure ${name}: unit must not be empty`);
  return { name, value: roundFigure(value), unit, target: target.text, pass: Number.isFinite(value) && target.check(value) };
};

/**
 * Replaces figures of the same name in `previous` with `fresh` ones, keeping the others (a partial run,
 * `npm run bench -- --only notice`, updates only its own figures). Order: previous order, new names last.
 */
export const mergeFigures = (previous: readonly Figure[], fresh: readonly Figure[]): Figure[] => {
  const byName = new Map(fresh.map((f) => [f.name, f] as const));
  if (byName.size !== fresh.length) {
    const seen = new Set<string>();
    const dup = fresh.find((f) => (seen.has(f.name) ? true : (seen.add(f.name), false)));
    throw new RangeError(`figure ${dup?.name ?? '?'} measured twice in one run`);
  }
  const out = previous.map((f) => byName.get(f.name) ?? f);
  const known = new Set(previous.map((f) => f.name));
  return [...out, ...fresh.filter((f) => !known.has(f.name))];
};

/** Shows a value the way the table and README print it. */
export const displayValue = (f: Pick<Figure, 'value' | 'unit'>): string => {
  if (!Number.isFinite(f.value)) return String(f.value);
  const abs = Math.abs(f.value);
  const text = Number.isInteger(f.value)
    ? f.value.toLocaleString('en-US')
    : abs >= 100
      ? f.value.toFixed(0)
      : abs >= 1
        ? f.value.toFixed(2)
        : f.value.toPrecision(3);
  return `${text} ${f.unit}`;
};

export const verdict = (f: Pick<Figure, 'pass'>): string => (f.pass ? 'pass' : 'FALLS SHORT');

const pad = (s: string, n: number): string => s + ' '.repeat(Math.max(0, n - [...s].length));

/** A plain-text table for the terminal: figure, value, target, verdict. */
export const renderTable = (figures: readonly Figure[]): string => {
  const rows = figures.map((f) => [f.name, displayValue(f), f.target, verdict(f)]);
  const header = ['figure', 'value', 'target', 'result'];
  const widths = header.map((h, i) => Math.max([...h].length, ...rows.map((r) => [...(r[i] ?? '')].length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => pad(c, widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
};

/** Escapes a cell for a markdown table. */
const cell = (s: string): string => s.replace(/\|/g, '\\|');

/**
 * The README's performance section, generated from the figures (bench/README-performance.md).
 * `context` says on what machine and with which command they were measured.
 */
export const renderReadmeSection = (
  figures: readonly Figure[],
  context: { readonly machine: string; readonly command: string; readonly notes: readonly string[] },
): string => {
  const failed = figures.filter((f) => !f.pass);
  const lines = [
    '## Performance',
    '',
    `Measured by \`${context.command}\` on ${context.machine}; every figure is in \`bench/results.json\` with its target.`,
    failed.length === 0
      ? 'Every figure meets its target.'
      : `${failed.length} of ${figures.length} figures fall short of their target: ${failed.map((f) => `\`${f.name}\``).join(', ')}.`,
    '',
    '| figure | value | target | result |',
    '|---|---:|---|---|',
    ...figures.map((f) => `| \`${f.name}\` | ${cell(displayValue(f))} | ${cell(f.target)} | ${f.pass ? 'pass' : '**falls short**'} |`),
  ];
  if (context.notes.length > 0) lines.push('', ...context.notes.map((n) => `- ${n}`));
  return `${lines.join('\n')}\n`;
};
