/**
 * A usage trace of one machine (VM, EC2 instance, host) read from a dataset folder, normalised to the
 * units the profiler works in. Times are epoch milliseconds (for sources without an absolute clock —
 * Azure step indices, Alibaba seconds-since-trace-start — the origin is 0 and only differences matter).
 */
export interface TracePoint {
  readonly at: number;
  /** Average CPU utilisation of the whole machine over the step, percent (0..100). */
  readonly cpuPercent?: number;
  /** Maximum CPU utilisation within the step, percent. */
  readonly cpuMaxPercent?: number;
  readonly memoryGiB?: number;
  /** Memory used as a percentage of the machine's memory (when the absolute size is unknown). */
  readonly memoryPercent?: number;
  /** Network in + out, megabits per second. */
  readonly networkMbps?: number;
  /** Disk read + write operations per second (estimated from throughput where the source has no op counts). */
  readonly diskIops?: number;
}

export interface TraceSeries {
  /** `<dataset>/<file name without .csv>`, unique within a data folder. */
  readonly id: string;
  /** The dataset folder's name, e.g. `bitbrains-gwa-t-12-rnd-2013-07`. */
  readonly dataset: string;
  /** Path of the series file as read. */
  readonly file: string;
  /** Median step between points, seconds. */
  readonly stepSeconds: number;
  /** Ascending by `at`, no duplicate times; a missing key means "no data" (never zero). */
  readonly points: readonly TracePoint[];
  /** Provisioned vCPUs / memory, when the source says. */
  readonly vcpus?: number;
  readonly memoryGiB?: number;
  /** The machine appears mid-trace: its first points are the first minutes after a real start. */
  readonly lateStart?: boolean;
  /** Rows dropped because they could not be parsed (wrong field count, bad or duplicate time). */
  readonly skippedRows?: number;
  /** Leading rows of a VM not yet powered on (no capacity provisioned), dropped: its life starts after them. */
  readonly poweredOffRows?: number;
}

/** The fields of a TracePoint that carry a measurement. */
export const TRACE_FIELDS = ['cpuPercent', 'cpuMaxPercent', 'memoryGiB', 'memoryPercent', 'networkMbps', 'diskIops'] as const;
export type TraceField = (typeof TRACE_FIELDS)[number];
