import type { HandlerLog, InvocationTracer, MetricsSink, Telemetry } from '../../app/telemetry';

/**
 * Telemetry for handlers running inside the simulator: nothing is printed (a 48-hour run makes
 * thousands of invocations), errors and warnings are kept (the report names the first few), metrics are
 * summed by name so the report can show what the Lambdas would have emitted.
 */
export class SimTelemetry implements Telemetry {
  readonly errors: string[] = [];
  readonly warnings: string[] = [];
  readonly metricTotals = new Map<string, number>();

  readonly log: HandlerLog = {
    debug: () => undefined,
    info: () => undefined,
    warn: (message, fields) => {
      if (this.warnings.length < 200) this.warnings.push(`${message} ${fields ? JSON.stringify(fields) : ''}`.trim());
    },
    error: (message, fields) => {
      if (this.errors.length < 200) this.errors.push(`${message} ${fields ? JSON.stringify(fields) : ''}`.trim());
    },
  };

  readonly metrics: MetricsSink = {
    metric: (name, _unit, value) => {
      this.metricTotals.set(name, (this.metricTotals.get(name) ?? 0) + value);
    },
    flush: () => undefined,
  };

  readonly tracer: InvocationTracer = { trace: (_name, _annotations, fn) => fn() };
}
