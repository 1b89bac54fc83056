import type { MetricNameValue } from '../../contracts/metrics';
import type { HandlerLog, InvocationTracer, LogFields, MetricUnitName, MetricsSink, Telemetry } from '../../app/telemetry';

export interface RecordedLog {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields: LogFields;
}

export interface RecordedMetric {
  readonly name: MetricNameValue;
  readonly unit: MetricUnitName;
  readonly value: number;
  readonly dimensions: Readonly<Record<string, string>>;
}

/** Telemetry that keeps logs, metrics and traced spans in memory (handler tests, the simulator). */
export class RecordingTelemetry implements Telemetry {
  readonly logs: RecordedLog[] = [];
  /** Metrics flushed so far; `pending` holds what a handler emitted but did not flush yet. */
  readonly flushed: RecordedMetric[] = [];
  readonly pending: RecordedMetric[] = [];
  readonly spans: { readonly name: string; readonly annotations: Readonly<Record<string, string>> }[] = [];
  flushes = 0;

  readonly log: HandlerLog = {
    debug: (message, fields = {}) => this.logs.push({ level: 'debug', message, fields }),
    info: (message, fields = {}) => this.logs.push({ level: 'info', message, fields }),
    warn: (message, fields = {}) => this.logs.push({ level: 'warn', message, fields }),
    error: (message, fields = {}) => this.logs.push({ level: 'error', message, fields }),
  };

  readonly metrics: MetricsSink = {
    metric: (name, unit, value, dimensions = {}) => {
      this.pending.push({ name, unit, value, dimensions: { ...dimensions } });
    },
    flush: () => {
      this.flushes += 1;
      this.flushed.push(...this.pending.splice(0));
    },
  };

  readonly tracer: InvocationTracer = {
    trace: async (name, annotations, fn) => {
      this.spans.push({ name, annotations: { ...annotations } });
      return fn();
    },
  };

  /** Sum of a metric's flushed values, optionally only those with the given dimensions. */
  total(name: MetricNameValue, dimensions: Readonly<Record<string, string>> = {}): number {
    return this.flushed.filter((m) => m.name === name && Object.entries(dimensions).every(([k, v]) => m.dimensions[k] === v)).reduce((s, m) => s + m.value, 0);
  }

  logsAt(level: RecordedLog['level']): RecordedLog[] {
    return this.logs.filter((l) => l.level === level);
  }
}
