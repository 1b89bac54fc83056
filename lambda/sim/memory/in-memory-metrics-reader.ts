import type { InstanceId, MetricSample } from '../../core/domain';
import type { MetricReadResult, MetricTarget, MetricWindow, MetricsReader } from '../../ports/metrics-reader';
import { CallJournal, CallLog } from './call-log';

export type MetricsReaderOperation = keyof MetricsReader;

/** GetMetricData's limit of metric queries per call (CloudWatch API reference, GetMetricData). */
export const MAX_QUERIES_PER_CALL = 500;

/**
 * Metric queries the CloudWatch reader makes for one target: AWS/EC2 CPUUtilization (Average, Maximum),
 * NetworkIn, NetworkOut, and two disk-ops metrics; with the agent, mem_used_percent and
 * netstat_tcp_established; procstat memory_rss where a pattern is configured.
 */
export const queriesForTarget = (t: MetricTarget): number => 6 + (t.agent ? 2 : 0) + (t.procstatPattern !== undefined ? 1 : 0);

/**
 * A MetricsReader over samples held in memory. It answers like CloudWatch would: samples in the window
 * [start, end), memory and connections only where the CloudWatch agent runs (EC2 alone has no memory
 * metric), and the cost accounting (calls, queries) the real reader reports.
 */
export class InMemoryMetricsReader implements MetricsReader {
  readonly log: CallLog<MetricsReaderOperation>;
  private readonly samples = new Map<InstanceId, MetricSample[]>();

  constructor(opts: { readonly journal?: CallJournal } = {}) {
    this.log = new CallLog('metricsReader', new Set(), opts.journal);
  }

  /** Adds samples for an instance (kept sorted by time; a sample at an existing minute replaces it). */
  addSamples(id: InstanceId, samples: readonly MetricSample[]): void {
    const byAt = new Map((this.samples.get(id) ?? []).map((s) => [s.at, s]));
    for (const s of samples) byAt.set(s.at, { ...s });
    this.samples.set(
      id,
      [...byAt.values()].sort((a, b) => a.at - b.at),
    );
  }

  clearSamples(id?: InstanceId): void {
    if (id === undefined) this.samples.clear();
    else this.samples.delete(id);
  }

  async read(targets: readonly MetricTarget[], window: MetricWindow): Promise<MetricReadResult> {
    this.log.record('read', [targets, window]);
    if (!(window.start < window.end)) {
      throw new RangeError(`reading metrics: the window start ${window.start} must be before its end ${window.end}`);
    }
    const out = new Map<InstanceId, MetricSample[]>();
    for (const t of targets) {
      const inWindow = (this.samples.get(t.instanceId) ?? [])
        .filter((s) => s.at >= window.start && s.at < window.end)
        .map((s) => (t.agent ? { ...s } : withoutAgentFields(s)))
        .filter(hasData);
      out.set(t.instanceId, inWindow);
    }
    const queries = targets.reduce((n, t) => n + queriesForTarget(t), 0);
    return { samples: out, calls: Math.ceil(queries / MAX_QUERIES_PER_CALL), queries };
  }
}

const withoutAgentFields = (s: MetricSample): MetricSample => {
  const { memoryGiB: _memory, connections: _connections, ...rest } = s;
  return rest;
};

/** A minute with no field left is not a sample (CloudWatch returns no datapoint for it). */
const hasData = (s: MetricSample): boolean => Object.keys(s).some((k) => k !== 'at');

InMemoryMetricsReader satisfies new (opts?: { readonly journal?: CallJournal }) => MetricsReader;
