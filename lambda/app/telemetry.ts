import type { MetricNameValue } from '../contracts/metrics';

export type LogFields = Readonly<Record<string, unknown>>;

/** The logging a handler does. Powertools Logger fits it; fields become top-level JSON keys. */
export interface HandlerLog {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export type MetricUnitName = 'Count' | 'Seconds' | 'Percent' | 'None';

/** Metrics a handler emits (EMF through Powertools in Lambda; recorded in tests and the simulator). */
export interface MetricsSink {
  /** One data point; `dimensions` (e.g. NoticeKind, GroupName) make it a separate EMF record. */
  metric(name: MetricNameValue, unit: MetricUnitName, value: number, dimensions?: Readonly<Record<string, string>>): void;
  /** Writes out what is buffered; handlers call it once at the end of every invocation. */
  flush(): void;
}

/** Tracing around one invocation (an X-Ray subsegment in Lambda; a plain call elsewhere). */
export interface InvocationTracer {
  trace<T>(name: string, annotations: Readonly<Record<string, string>>, fn: () => Promise<T>): Promise<T>;
}

export interface Telemetry {
  readonly log: HandlerLog;
  readonly metrics: MetricsSink;
  readonly tracer: InvocationTracer;
}
