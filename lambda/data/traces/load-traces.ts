import { closeSync, existsSync, openSync, readFileSync, readSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseCsvLines, parseNumber } from './parse-csv';
import { detectFormat, nabMetricOf, TRACE_FORMATS, type FormatContext, type TraceFormat } from './trace-formats';
import type { TracePoint, TraceSeries } from './trace-series';

export type { TracePoint, TraceSeries, TraceField } from './trace-series';
export { TRACE_FIELDS } from './trace-series';

/**
 * Reads usage traces from any folder in the layout of ../shared/data: one sub-folder per dataset, each
 * with an optional `series_index.csv` and the series files in `series/` (NAB, Bitbrains, Azure) or
 * `machine_usage/` (Alibaba). Every .csv in those folders is read, listed in the index or not — about a
 * quarter of the series are held out of the shared copy and evaluation folders add them back unlisted.
 * The index only adds metadata (Bitbrains start group, NAB metric kind, Alibaba cpu count).
 */

/** A series file whose header no known format matches, or that cannot be read at all. */
export class TraceFormatError extends Error {
  override readonly name = 'TraceFormatError';
  constructor(
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${message}`, options);
  }
}

export interface LoadTracesOptions {
  /** Dataset folder names to read (default: all). An unknown name is an error that lists the known ones. */
  readonly datasets?: readonly string[];
  /** Stop after this many series (in dataset, then file-name order), for quick runs. */
  readonly maxSeries?: number;
}

export interface SkippedSeries {
  readonly file: string;
  readonly reason: string;
}

export interface TraceLoadReport {
  readonly series: TraceSeries[];
  /** Series read but not usable (metric that is not a resource, fewer than two valid rows). */
  readonly skippedSeries: SkippedSeries[];
  /** Rows dropped over all series (also per series in `TraceSeries.skippedRows`). */
  readonly skippedRows: number;
}

const SERIES_SUBFOLDERS = ['series', 'machine_usage'] as const;
const INDEX_FILE = 'series_index.csv';
/** SOURCE.md's definition of a Bitbrains late start: first sample more than 1 h after the trace's first. */
const LATE_START_AFTER_MS = 3_600_000;

interface DatasetFolder {
  readonly name: string;
  readonly path: string;
}

const isDir = (p: string): boolean => existsSync(p) && statSync(p).isDirectory();

const seriesFilesIn = (datasetPath: string): string[] =>
  SERIES_SUBFOLDERS.flatMap((sub) => {
    const folder = join(datasetPath, sub);
    if (!isDir(folder)) return [];
    return readdirSync(folder)
      .filter((f) => f.toLowerCase().endsWith('.csv'))
      .sort()
      .map((f) => join(folder, f));
  });

const resolveDatasetFolders = (dir: string): DatasetFolder[] => {
  if (!isDir(dir)) throw new TraceFormatError(dir, 'data folder does not exist or is not a directory');
  // `--data` may also point straight at one dataset folder.
  if (seriesFilesIn(dir).length > 0) return [{ name: basename(dir), path: dir }];
  return readdirSync(dir)
    .sort()
    .map((name) => ({ name, path: join(dir, name) }))
    .filter((d) => isDir(d.path) && seriesFilesIn(d.path).length > 0);
};

/** Rows of a CSV with a header, as maps from column name to field (empty when the file is absent). */
const readTable = (file: string): Map<string, string>[] => {
  if (!existsSync(file)) return [];
  const [header, ...rows] = parseCsvLines(readFileSync(file, 'utf8'));
  if (!header) return [];
  return rows.map((r) => new Map(header.map((c, i) => [c.trim(), (r[i] ?? '').trim()])));
};

interface DatasetMeta {
  /** Index rows by series file path relative to the dataset folder (`series/vm016.csv`). */
  readonly index: ReadonlyMap<string, ReadonlyMap<string, string>>;
  /** Alibaba machine_meta.csv: cpu_num of each machine (latest report). */
  readonly machineCpus: ReadonlyMap<string, number>;
  /** Earliest first timestamp (ms) of any Bitbrains series in the folder, for late-start inference. */
  readonly traceStartMs?: number;
}

const firstDataTimeMs = (file: string): number | undefined => {
  // Only the first rows are needed; reading 4 KiB keeps listing a 19 MB folder cheap.
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(4096);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const lines = parseCsvLines(buf.subarray(0, n).toString('utf8'));
    const header = lines[0];
    const format = header && detectFormat(header);
    if (!format || format.name !== 'bitbrains' || !lines[1]) return undefined;
    const row = lines[1];
    return format.timeOf((c) => row[header.indexOf(c)]);
  } finally {
    closeSync(fd);
  }
};

const readDatasetMeta = (dataset: DatasetFolder, files: readonly string[]): DatasetMeta => {
  const index = new Map<string, ReadonlyMap<string, string>>();
  for (const row of readTable(join(dataset.path, INDEX_FILE))) {
    const key = row.get('series_file');
    if (key) index.set(key, row);
  }
  const machineCpus = new Map<string, number>();
  const metaRows = readTable(join(dataset.path, 'machine_meta.csv'));
  // Later re-reports win: sort by time_stamp so the last cpu_num seen is the latest.
  metaRows.sort((a, b) => (parseNumber(a.get('time_stamp')) ?? 0) - (parseNumber(b.get('time_stamp')) ?? 0));
  for (const row of metaRows) {
    const id = row.get('machine_id');
    const cpus = parseNumber(row.get('cpu_num'));
    if (id && cpus !== undefined && cpus > 0) machineCpus.set(id, cpus);
  }
  const starts: number[] = [];
  for (const row of index.values()) {
    const s = parseNumber(row.get('first_timestamp_s'));
    if (s !== undefined && row.has('group')) starts.push(s * 1000);
  }
  for (const f of files) {
    const t = firstDataTimeMs(f);
    if (t !== undefined) starts.push(t);
  }
  return { index, machineCpus, ...(starts.length > 0 ? { traceStartMs: Math.min(...starts) } : {}) };
};

const median = (values: readonly number[]): number | undefined => {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

const mode = (values: readonly number[]): number | undefined => {
  const counts = new Map<number, number>();
  let best: number | undefined;
  let bestCount = 0;
  for (const v of values) {
    const c = (counts.get(v) ?? 0) + 1;
    counts.set(v, c);
    if (c > bestCount || (c === bestCount && best !== undefined && v < best)) {
      best = v;
      bestCount = c;
    }
  }
  return best;
};

const describeFormats = (): string => TRACE_FORMATS.map((f) => `${f.name}: ${f.requiredColumns.join(',')}`).join('; ');

type LoadedFile = { kind: 'series'; series: TraceSeries } | { kind: 'skipped'; skipped: SkippedSeries };

/**
 * Reads one series file. Bad rows (wrong field count, unreadable or duplicate time) are skipped and
 * counted; unreadable values are missing fields, never 0. A header that matches no format throws
 * TraceFormatError naming the file.
 */
export const loadTraceFile = (file: string, dataset: string, meta: DatasetMeta = { index: new Map(), machineCpus: new Map() }, relativePath = basename(file)): LoadedFile => {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new TraceFormatError(file, 'cannot read the file', { cause });
  }
  const [header, ...rows] = parseCsvLines(text);
  if (!header) throw new TraceFormatError(file, `empty file: expected a header of one of the formats (${describeFormats()})`);
  const format: TraceFormat | undefined = detectFormat(header);
  if (!format) {
    throw new TraceFormatError(file, `header "${header.join(',')}" matches no known trace format (${describeFormats()})`);
  }
  const indexRow = meta.index.get(relativePath);
  const name = basename(file).replace(/\.csv$/i, '');
  const nabMetric = format.name === 'nab' ? nabMetricOf(indexRow?.get('metric_kind') || name) : undefined;
  if (format.name === 'nab' && nabMetric === undefined) {
    return { kind: 'skipped', skipped: { file, reason: `metric "${indexRow?.get('metric_kind') || name}" is not CPU, network or disk demand` } };
  }

  const columnIndex = new Map(header.map((c, i) => [c.trim(), i]));
  let skippedRows = 0;
  const timed: { at: number; fields: string[] }[] = [];
  for (const fields of rows) {
    if (fields.length !== header.length) {
      skippedRows++;
      continue;
    }
    const at = format.timeOf((c) => fields[columnIndex.get(c) ?? -1]);
    if (at === undefined) {
      skippedRows++;
      continue;
    }
    timed.push({ at, fields });
  }
  // Stable sort, then keep the last row of a duplicated time (as the source preparation did).
  timed.sort((a, b) => a.at - b.at);
  const unique: typeof timed = [];
  for (const row of timed) {
    if (unique.length > 0 && unique[unique.length - 1]!.at === row.at) {
      unique[unique.length - 1] = row;
      skippedRows++;
    } else unique.push(row);
  }
  // A Bitbrains VM's rows from before it was first powered on (no cores and no memory provisioned, every
  // usage 0) are its provisioning record, not a running machine: its life, and so a late start's first
  // minutes, begins at the first row with capacity. (Later powered-off stretches are kept: the VM was
  // stopped and had no demand.)
  const firstRowAt = unique[0]?.at;
  let poweredOffRows = 0;
  if (format.name === 'bitbrains') {
    const isOff = (fields: readonly string[]) =>
      parseNumber(fields[columnIndex.get('cpu_cores') ?? -1]) === 0 && parseNumber(fields[columnIndex.get('mem_capacity_kb') ?? -1]) === 0;
    while (poweredOffRows < unique.length && isOff(unique[poweredOffRows]!.fields)) poweredOffRows++;
    if (poweredOffRows === unique.length) {
      return { kind: 'skipped', skipped: { file, reason: `never powered on (all ${unique.length} rows have 0 cores and 0 memory provisioned)` } };
    }
    unique.splice(0, poweredOffRows);
  }
  if (unique.length < 2) return { kind: 'skipped', skipped: { file, reason: `fewer than 2 valid rows (${unique.length}; ${skippedRows} skipped)` } };

  const steps: number[] = [];
  for (let i = 1; i < unique.length; i++) steps.push((unique[i]!.at - unique[i - 1]!.at) / 1000);
  const stepSeconds = median(steps) ?? 300;
  const ctx: FormatContext = { stepSeconds, ...(nabMetric ? { nabMetric } : {}) };
  const points: TracePoint[] = unique.map(({ at, fields }) => format.pointOf((c) => fields[columnIndex.get(c) ?? -1], at, ctx));

  const extra: { vcpus?: number; memoryGiB?: number; lateStart?: boolean; poweredOffRows?: number } = {};
  if (poweredOffRows > 0) extra.poweredOffRows = poweredOffRows;
  if (format.name === 'bitbrains') {
    const col = (c: string) => unique.map((r) => parseNumber(r.fields[columnIndex.get(c) ?? -1])).filter((v): v is number => v !== undefined && v > 0);
    const cores = mode(col('cpu_cores'));
    const capKiB = mode(col('mem_capacity_kb'));
    if (cores !== undefined) extra.vcpus = cores;
    if (capKiB !== undefined) extra.memoryGiB = capKiB / (1024 * 1024);
    const group = indexRow?.get('group');
    // A VM indexed as present from the start but first powered on more than an hour into its rows starts mid-trace too.
    const poweredOnLate = firstRowAt !== undefined && unique[0]!.at > firstRowAt + LATE_START_AFTER_MS;
    if (group === 'late-start' || group === 'full-month') extra.lateStart = group === 'late-start' || poweredOnLate;
    else if (meta.traceStartMs !== undefined) extra.lateStart = unique[0]!.at > meta.traceStartMs + LATE_START_AFTER_MS;
  } else if (format.name === 'alibaba') {
    const machine = unique[0]!.fields[columnIndex.get('machine_id') ?? -1]?.trim() ?? name;
    const cpus = meta.machineCpus.get(machine) ?? parseNumber(indexRow?.get('cpu_num'));
    if (cpus !== undefined && cpus > 0) extra.vcpus = cpus;
  }

  return {
    kind: 'series',
    series: { id: `${dataset}/${name}`, dataset, file, stepSeconds, points, skippedRows, ...extra },
  };
};

/** Loads the series of every (or the chosen) dataset folder under `dir`, with what was skipped and why. */
export const loadTracesWithReport = (dir: string, opts: LoadTracesOptions = {}): TraceLoadReport => {
  const all = resolveDatasetFolders(dir);
  let chosen = all;
  if (opts.datasets) {
    const known = new Set(all.map((d) => d.name));
    const unknown = opts.datasets.filter((d) => !known.has(d));
    if (unknown.length > 0) {
      throw new TraceFormatError(dir, `unknown dataset "${unknown.join('", "')}" (folders with series here: ${[...known].join(', ') || 'none'})`);
    }
    const wanted = new Set(opts.datasets);
    chosen = all.filter((d) => wanted.has(d.name));
  }
  const max = opts.maxSeries ?? Number.POSITIVE_INFINITY;
  const series: TraceSeries[] = [];
  const skippedSeries: SkippedSeries[] = [];
  let skippedRows = 0;
  for (const dataset of chosen) {
    if (series.length >= max) break;
    const files = seriesFilesIn(dataset.path);
    const meta = readDatasetMeta(dataset, files);
    for (const file of files) {
      if (series.length >= max) break;
      const relative = file.slice(dataset.path.length + 1).split('\\').join('/');
      const loaded = loadTraceFile(file, dataset.name, meta, relative);
      if (loaded.kind === 'skipped') skippedSeries.push(loaded.skipped);
      else {
        series.push(loaded.series);
        skippedRows += loaded.series.skippedRows ?? 0;
      }
    }
  }
  return { series, skippedSeries, skippedRows };
};

/** Loads the usable series under `dir` (see loadTracesWithReport for what is skipped). */
export const loadTraces = (dir: string, opts: LoadTracesOptions = {}): TraceSeries[] => loadTracesWithReport(dir, opts).series;
