import type { InstanceId, MetricSample } from '../../core/domain';
import type { MetricReadResult, MetricTarget, MetricWindow, MetricsReader } from '../../ports/metrics-reader';
import { MAX_QUERIES_PER_CALL, queriesForTarget } from '../memory';

/**
 * CloudWatch as the simulated instances report it: one sample per minute per serving instance, the
 * utilisation of what it actually served (CPU cannot read above 100 %, so demand a too-small instance
 * could not serve is invisible to the profiler, exactly as in CloudWatch). Memory and connections only
 * where the CloudWatch agent runs. Samples older than `retainMinutes` are dropped (the profiler reads a
 * bounded window), which keeps a 48-hour run's memory flat.
 *
 * CloudWatch is late: a 1-minute datapoint becomes readable 1–3 minutes after its minute (agent flush
 * interval plus ingestion; "Amazon CloudWatch concepts", metric data availability). With a clock, each
 * sample is hidden from reads until its own delay (1 to 3 minutes, fixed per instance and minute by a hash,
 * so runs are reproducible) has passed.
 */
export class SimMetricsReader implements MetricsReader {
  private readonly samples = new Map<InstanceId, MetricSample[]>();
  calls = 0;
  queries = 0;

  constructor(
    private readonly retainMinutes = 180,
    private readonly now?: () => number,
  ) {}

  /** When a sample becomes readable: 60–180 s after its minute ends. */
  static availableAt(id: InstanceId, at: number): number {
    let h = 2166136261;
    const key = `${id}@${at}`;
    for (let k = 0; k < key.length; k++) h = Math.imul(h ^ key.charCodeAt(k), 16777619) >>> 0;
    return at + 60_000 + 60_000 + (h % 120_001);
  }

  record(id: InstanceId, sample: MetricSample): void {
    let list = this.samples.get(id);
    if (list === undefined) {
      list = [];
      this.samples.set(id, list);
    }
    list.push(sample);
    const cutoff = sample.at - this.retainMinutes * 60_000;
    if ((list[0]?.at ?? Infinity) < cutoff) {
      const keep = list.findIndex((s) => s.at >= cutoff);
      list.splice(0, keep < 0 ? list.length : keep);
    }
  }

  forget(id: InstanceId): void {
    this.samples.delete(id);
  }

  async read(targets: readonly MetricTarget[], window: MetricWindow): Promise<MetricReadResult> {
    if (!(window.start < window.end)) throw new RangeError(`reading metrics: the window start ${window.start} must be before its end ${window.end}`);
    const out = new Map<InstanceId, MetricSample[]>();
    for (const t of targets) {
      const now = this.now?.();
      const list = (this.samples.get(t.instanceId) ?? []).filter(
        (s) => s.at >= window.start && s.at < window.end && (now === undefined || SimMetricsReader.availableAt(t.instanceId, s.at) <= now),
      );
      out.set(t.instanceId, t.agent ? list.map((s) => ({ ...s })) : list.map(({ memoryGiB: _m, connections: _c, ...rest }) => rest));
    }
    const queries = targets.reduce((n, t) => n + queriesForTarget(t), 0);
    const calls = Math.ceil(queries / MAX_QUERIES_PER_CALL);
    this.calls += calls;
    this.queries += queries;
    return { samples: out, calls, queries };
  }
}

SimMetricsReader satisfies new (retainMinutes?: number, now?: () => number) => MetricsReader;
