import { readFileSync } from 'node:fs';
import type { ReplayedInterruption } from '../interruption-model';
import { parseCsvLines } from '../../data/traces/parse-csv';

/** A bad `--interruptions` file: names the line (1-based), the field and the value found. */
export class InterruptionFileError extends Error {
  override readonly name = 'InterruptionFileError';
  constructor(
    readonly line: number,
    readonly field: string,
    readonly value: string,
    readonly reason: string,
  ) {
    super(`line ${line}, ${field}: ${reason} (got ${JSON.stringify(value)})`);
  }
}

const COLUMNS = ['time', 'pool', 'fraction'] as const;

/**
 * Parses an interruption sequence: a header naming the columns `time,pool,fraction` (any order), then one
 * row per interruption — `time` in seconds from the start of the run (≥ 0 and before `horizonSeconds`),
 * `pool` any non-empty label, `fraction` in (0, 1]. Blank lines and lines starting with `#` are skipped;
 * every other line must be a valid row, so a typo never drops an interruption silently.
 */
export const parseInterruptionCsv = (text: string, horizonSeconds: number): ReplayedInterruption[] => {
  const lines = text.split('\n');
  const isSkipped = (l: string): boolean => l.trim() === '' || l.trim().startsWith('#');
  const headerIndex = lines.findIndex((l) => !isSkipped(l));
  if (headerIndex < 0) throw new InterruptionFileError(1, 'header', '', 'expected the header time,pool,fraction; the file is empty');
  const header = (parseCsvLines(lines[headerIndex] ?? '')[0] ?? []).map((h) => h.trim().toLowerCase());
  const headerLine = headerIndex + 1;
  if (header.length !== COLUMNS.length || !COLUMNS.every((c) => header.includes(c))) {
    throw new InterruptionFileError(headerLine, 'header', (lines[headerIndex] ?? '').trim(), 'expected the header time,pool,fraction');
  }
  const at = (name: (typeof COLUMNS)[number]): number => header.indexOf(name);
  const rows: ReplayedInterruption[] = [];
  for (let i = headerIndex + 1; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    if (isSkipped(raw)) continue;
    const line = i + 1;
    const fields = parseCsvLines(raw)[0] ?? [];
    if (fields.length !== COLUMNS.length)
      throw new InterruptionFileError(line, 'row', raw.trim(), `expected ${COLUMNS.length} fields (${header.join(',')}), found ${fields.length}`);
    const timeText = (fields[at('time')] ?? '').trim();
    const pool = (fields[at('pool')] ?? '').trim();
    const fractionText = (fields[at('fraction')] ?? '').trim();
    const time = Number(timeText);
    if (timeText === '' || !Number.isFinite(time) || time < 0)
      throw new InterruptionFileError(line, 'time', timeText, 'expected seconds from the start of the run, a number ≥ 0');
    if (time >= horizonSeconds)
      throw new InterruptionFileError(line, 'time', timeText, `expected a time before the end of the run (${horizonSeconds} s; raise --hours to replay it)`);
    if (pool === '') throw new InterruptionFileError(line, 'pool', pool, 'expected a pool label');
    const fraction = Number(fractionText);
    if (fractionText === '' || !Number.isFinite(fraction) || fraction <= 0 || fraction > 1)
      throw new InterruptionFileError(line, 'fraction', fractionText, 'expected the share of the pool reclaimed, a number in (0, 1]');
    rows.push({ line, timeSeconds: time, pool, fraction });
  }
  return rows;
};

/** Reads and parses an interruption file; a file that cannot be read is an error at line 0 naming the cause. */
export const readInterruptionFile = (file: string, horizonSeconds: number): ReplayedInterruption[] => {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new InterruptionFileError(0, 'file', file, `cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  return parseInterruptionCsv(text, horizonSeconds);
};
