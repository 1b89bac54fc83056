import { parseNumber } from './parse-csv';
import type { TracePoint } from './trace-series';

/**
 * The series file formats found in the shared data folders, recognised by their header (column
 * names, not positions, so a re-ordered copy still reads). Each format turns one row into a point in
 * spotwise units; `undefined` fields stay missing.
 */
export interface TraceFormat {
  readonly name: 'bitbrains' | 'alibaba' | 'azure' | 'nab';
  /** Columns that must all be present for the header to match. */
  readonly requiredColumns: readonly string[];
  /** Epoch ms of a row, or undefined when the time cannot be read (the row is then skipped). */
  readonly timeOf: (row: RowReader) => number | undefined;
  readonly pointOf: (row: RowReader, at: number, ctx: FormatContext) => TracePoint;
}

/** Reads a row's fields by column name. */
export type RowReader = (column: string) => string | undefined;

export interface FormatContext {
  readonly stepSeconds: number;
  /** What a single-metric file (NAB) measures, from its file name or the index's metric_kind. */
  readonly nabMetric?: NabMetric;
}

export type NabMetric = 'cpu-percent' | 'network-in-bytes' | 'disk-write-bytes';

const KIB = 1024;
const GIB_IN_KIB = 1024 * 1024;
/**
 * Assumed size of one disk operation, to estimate IOPS from throughput where a source reports only
 * bytes (Bitbrains KB/s, CloudWatch DiskWriteBytes). 16 KiB is the I/O unit EBS used to define
 * Provisioned IOPS in, and a typical database page; the model works on ratios, so the choice only
 * scales the disk dimension, it does not change which cases are under-provisioned.
 */
export const ASSUMED_DISK_OP_KIB = 16;

/** A percentage field: outside [0, 100] is treated as a sensor error (Alibaba writes -1 and 101). */
const percent = (field: string | undefined): number | undefined => {
  const v = parseNumber(field);
  return v !== undefined && v >= 0 && v <= 100 ? v : undefined;
};

/** A non-negative measurement; negative values are sensor errors and become missing, never 0. */
const nonNegative = (field: string | undefined): number | undefined => {
  const v = parseNumber(field);
  return v !== undefined && v >= 0 ? v : undefined;
};

/** Sum of two parts, missing if either part is (a half-known sum would understate demand). */
const sumBoth = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined || b === undefined ? undefined : a + b;

/** Drops undefined keys so "missing" is an absent key, as the domain types require. */
const compact = (point: Record<string, number | undefined>): TracePoint => {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(point)) if (v !== undefined) out[k] = v;
  return out as unknown as TracePoint;
};

const bitbrains: TraceFormat = {
  name: 'bitbrains',
  requiredColumns: ['timestamp_s', 'cpu_cores', 'cpu_usage_pct', 'mem_capacity_kb', 'mem_usage_kb', 'disk_read_kbps', 'disk_write_kbps', 'net_rx_kbps', 'net_tx_kbps'],
  // The original header says "[ms]" but the values are seconds (SOURCE.md).
  timeOf: (row) => {
    const s = parseNumber(row('timestamp_s'));
    return s === undefined ? undefined : s * 1000;
  },
  pointOf: (row, at) => {
    const memKiB = nonNegative(row('mem_usage_kb'));
    const capKiB = nonNegative(row('mem_capacity_kb'));
    const netKiBs = sumBoth(nonNegative(row('net_rx_kbps')), nonNegative(row('net_tx_kbps')));
    const diskKiBs = sumBoth(nonNegative(row('disk_read_kbps')), nonNegative(row('disk_write_kbps')));
    // Active memory above the provisioned memory (the hypervisor's estimate while a VM powers on, up to 15x
    // its size, and a few rows after a resize) is not demand a machine of that size can hold: a replacement
    // of that shape serves at most its memory, so the reading is clamped to it. CPU is not clamped: usage MHz
    // above the provisioned MHz is real demand (cores run above their nominal clock), kept.
    const heldKiB = memKiB !== undefined && capKiB !== undefined && capKiB > 0 ? Math.min(memKiB, capKiB) : memKiB;
    return compact({
      at,
      cpuPercent: nonNegative(row('cpu_usage_pct')),
      memoryGiB: heldKiB === undefined ? undefined : heldKiB / GIB_IN_KIB,
      memoryPercent: heldKiB !== undefined && capKiB !== undefined && capKiB > 0 ? (heldKiB / capKiB) * 100 : undefined,
      networkMbps: netKiBs === undefined ? undefined : (netKiBs * KIB * 8) / 1e6,
      diskIops: diskKiBs === undefined ? undefined : diskKiBs / ASSUMED_DISK_OP_KIB,
    });
  },
};

const alibaba: TraceFormat = {
  name: 'alibaba',
  requiredColumns: ['machine_id', 'time_stamp', 'cpu_util_percent', 'mem_util_percent'],
  timeOf: (row) => {
    const s = parseNumber(row('time_stamp'));
    return s === undefined ? undefined : s * 1000;
  },
  // net_in/net_out and disk_io_percent are normalised to [0, 100] with no absolute scale (schema.md):
  // they cannot become Mbps or IOPS, so those dimensions stay missing rather than invented.
  pointOf: (row, at) => compact({ at, cpuPercent: percent(row('cpu_util_percent')), memoryPercent: percent(row('mem_util_percent')) }),
};

const AZURE_STEP_MS = 300_000;
const azure: TraceFormat = {
  name: 'azure',
  requiredColumns: ['step_5min', 'avg_cpu_pct', 'max_cpu_pct'],
  // The source gives only a 0-based 5-minute step index; absolute start times are unknown.
  timeOf: (row) => {
    const step = parseNumber(row('step_5min'));
    return step === undefined || !Number.isInteger(step) ? undefined : step * AZURE_STEP_MS;
  },
  pointOf: (row, at) => compact({ at, cpuPercent: percent(row('avg_cpu_pct')), cpuMaxPercent: percent(row('max_cpu_pct')) }),
};

/** NAB timestamps are `YYYY-MM-DD HH:MM:SS`, UTC. */
const NAB_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/;
const nab: TraceFormat = {
  name: 'nab',
  requiredColumns: ['timestamp', 'value'],
  timeOf: (row) => {
    const m = NAB_TIME.exec((row('timestamp') ?? '').trim());
    if (!m) return undefined;
    const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
    const at = Date.UTC(y, mo - 1, d, h, mi, s);
    return Number.isFinite(at) ? at : undefined;
  },
  pointOf: (row, at, ctx) => {
    const value = nonNegative(row('value'));
    const perSecond = value === undefined ? undefined : value / ctx.stepSeconds;
    switch (ctx.nabMetric) {
      case 'cpu-percent':
        return compact({ at, cpuPercent: value });
      // CloudWatch NetworkIn / DiskWriteBytes are bytes summed over the period (basic monitoring: 5 min).
      case 'network-in-bytes':
        return compact({ at, networkMbps: perSecond === undefined ? undefined : (perSecond * 8) / 1e6 });
      case 'disk-write-bytes':
        return compact({ at, diskIops: perSecond === undefined ? undefined : perSecond / (ASSUMED_DISK_OP_KIB * KIB) });
      default:
        return { at };
    }
  },
};

export const TRACE_FORMATS: readonly TraceFormat[] = [bitbrains, alibaba, azure, nab];

/** The format whose required columns are all in the header, or undefined. */
export const detectFormat = (header: readonly string[]): TraceFormat | undefined => {
  const columns = new Set(header.map((c) => c.trim()));
  return TRACE_FORMATS.find((f) => f.requiredColumns.every((c) => columns.has(c)));
};

/**
 * What a NAB series measures, from its metric kind or file name. Request counts, latencies and the
 * undocumented Grok ASG metric are not resource demand: undefined (the loader skips those series).
 */
export const nabMetricOf = (nameOrKind: string): NabMetric | undefined => {
  const s = nameOrKind.toLowerCase();
  if (s.includes('cpu_utilization')) return 'cpu-percent';
  if (s.includes('network_in') || s.includes('networkin')) return 'network-in-bytes';
  if (s.includes('disk_write_bytes')) return 'disk-write-bytes';
  return undefined;
};
