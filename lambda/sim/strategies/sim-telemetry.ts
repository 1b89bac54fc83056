import type { HandlerLog, InvocationTracer, MetricsSink, Telemetry } from '../../app/telemetry';

const HOUR_MS = 3_600_000;

/**
 * Telemetry for handlers running inside the simulator: nothing is printed (a 48-hour run makes
 * thousands of invocations), errors and warnings are kept (the report names the first few), metrics are
 * summed by name so the report can show what the Lambdas would have emitted.
 *
 * It also counts what CloudWatch bills for those metrics: every distinct metric (name and dimensions; Powertools adds
 * the same `service` dimension to all of them) that got a datapoint in a clock hour of the simulated clock is one
 * metric-hour (custom metrics are prorated by the hour).
 */
export class SimTelemetry implements Telemetry {
  readonly errors: string[] = [];
  readonly warnings: string[] = [];
  readonly metricTotals = new Map<string, number>();
  /** Per clock hour (hours since the epoch), the distinct metrics that sent a datapoint in it. */
  private readonly metricsByHour = new Map<number, Set<string>>();
  private readonly distinct = new Set<string>();

  /** `clock`: the simulated time a metric is emitted at. */
  constructor(private readonly clock: { now(): number }) {}

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
    metric: (name, _unit, value, dimensions) => {
      this.metricTotals.set(name, (this.metricTotals.get(name) ?? 0) + value);
      const key = JSON.stringify([name, ...Object.entries(dimensions ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]);
      const hour = Math.floor(this.clock.now() / HOUR_MS);
      let seen = this.metricsByHour.get(hour);
      if (seen === undefined) {
        seen = new Set();
        this.metricsByHour.set(hour, seen);
      }
      seen.add(key);
      this.distinct.add(key);
    },
    flush: () => undefined,
  };

  readonly tracer: InvocationTracer = { trace: (_name, _annotations, fn) => fn() };

  /** Metric-hours so far: the billed quantity of the handlers' custom metrics. */
  metricHours(): number {
    let n = 0;
    for (const seen of this.metricsByHour.values()) n += seen.size;
    return n;
  }

  /** Distinct metrics (name and dimensions) emitted so far. */
  distinctMetrics(): number {
    return this.distinct.size;
  }
}
