import { LATE_FIELDS, type InstanceId, type MetricSample, type SampleField } from '../../core/domain';
import type { Clock } from '../../ports/clock';
import type { MetricReadResult, MetricTarget, MetricWindow, MetricsReader } from '../../ports/metrics-reader';
import { CallJournal, CallLog } from './call-log';
import { alignWindow, queriesForTarget as cloudWatchQueries } from '../../adapters/cloudwatch-metrics-reader';

export type MetricsReaderOperation = keyof MetricsReader;

/** GetMetricData's limit of metric queries per call (CloudWatch API reference, GetMetricData). */
export const MAX_QUERIES_PER_CALL = 500;

/**
 * Metric queries the CloudWatch reader makes for one target (its own queriesForTarget): AWS/EC2 CPUUtilization
 * (Average, Maximum), NetworkIn, NetworkOut, and two disk-ops metrics; with the agent, mem_used_percent and
 * netstat_tcp_established; the agent's cpu_usage_active (Average, Maximum) in place of EC2's CPU when asked; `only` keeps
 * one side.
 */
export const queriesForTarget = (t: MetricTarget): number => cloudWatchQueries(t).length;

export interface InMemoryMetricsReaderOptions {
  readonly journal?: CallJournal;
  /**
   * Samples older than this many minutes before an instance's newest are dropped as samples arrive. The profiler
   * reads a bounded window, so a long simulation that feeds every serving instance each minute keeps its memory flat.
   * Unset: every sample is kept.
   */
  readonly retainMinutes?: number;
  /**
   * CloudWatch is late: a 1-minute datapoint becomes readable 1–3 minutes after its minute (agent flush interval
   * plus ingestion; "Amazon CloudWatch concepts", metric data availability). With this clock each sample is hidden
   * from reads until `availableAt` has passed. Unset: a sample is readable as soon as it is added.
   */
  readonly ingestionClock?: Clock;
  /**
   * The CloudWatch agent publishes CPU (cpu_usage_active, the simulated world's agent configuration): a target asking
   * for it (`agentCpu`) gets its CPU per minute, readable like the agent's other fields. Unset: such a target gets no CPU.
   */
  readonly agentCpu?: boolean;
}

/**
 * A MetricsReader over samples held in memory. It answers like CloudWatch would: samples in the window
 * [start, end), memory and connections only where the CloudWatch agent runs (EC2 alone has no memory
 * metric), and the cost accounting (calls, queries) the real reader reports. With the options it is also as late
 * as CloudWatch and forgets what a bounded read window no longer needs (the simulator's use).
 */
export class InMemoryMetricsReader implements MetricsReader {
  readonly log: CallLog<MetricsReaderOperation>;
  /** GetMetricData calls and metric queries over every read so far (CloudWatch bills per metric queried). */
  calls = 0;
  queries = 0;
  private readonly samples = new Map<InstanceId, MetricSample[]>();
  private readonly retainMs: number | undefined;
  private readonly ingestionClock: Clock | undefined;
  private readonly agentCpu: boolean;

  constructor(opts: InMemoryMetricsReaderOptions = {}) {
    if (opts.retainMinutes !== undefined && !(opts.retainMinutes > 0)) {
      throw new RangeError(`in-memory metrics: retainMinutes must be positive (got ${opts.retainMinutes})`);
    }
    this.log = new CallLog('metricsReader', new Set(), opts.journal);
    this.retainMs = opts.retainMinutes === undefined ? undefined : opts.retainMinutes * 60_000;
    this.ingestionClock = opts.ingestionClock;
    this.agentCpu = opts.agentCpu === true;
  }

  /**
   * When a sample becomes readable with an ingestion clock: 60–180 s after its minute ends, fixed per instance and
   * minute by a hash (FNV-1a) so runs are reproducible.
   */
  static availableAt(id: InstanceId, at: number): number {
    let h = 2166136261;
    const key = `${id}@${at}`;
    for (let k = 0; k < key.length; k++) h = Math.imul(h ^ key.charCodeAt(k), 16777619) >>> 0;
    return at + 60_000 + 60_000 + (h % 120_001);
  }

  /**
   * Adds samples for an instance (kept sorted by time; a sample at an existing minute replaces it). Samples newer
   * than every one held are appended without re-sorting: a feeder reporting each minute as it ends pays nothing
   * for the history already held.
   */
  addSamples(id: InstanceId, samples: readonly MetricSample[]): void {
    const held = this.samples.get(id) ?? [];
    if (isAppend(held, samples)) {
      for (const s of samples) held.push({ ...s });
      this.samples.set(id, held);
    } else {
      const byAt = new Map(held.map((s) => [s.at, s]));
      for (const s of samples) byAt.set(s.at, { ...s });
      this.samples.set(
        id,
        [...byAt.values()].sort((a, b) => a.at - b.at),
      );
    }
    this.dropExpired(id);
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
    const now = this.ingestionClock?.now();
    // As the CloudWatch reader asks: whole 5-minute periods when any target has basic monitoring.
    const basic = targets.some((t) => t.basicMonitoring === true);
    const { start, end } = basic ? alignWindow(window, BASIC_PERIOD_MS) : window;
    const out = new Map<InstanceId, MetricSample[]>();
    for (const t of targets) {
      const held = this.samples.get(t.instanceId) ?? [];
      const readable = (at: number): boolean => now === undefined || InMemoryMetricsReader.availableAt(t.instanceId, at) <= now;
      if (t.only !== undefined || t.agentCpu === true) {
        out.set(t.instanceId, this.viewBySource(t, held, start, end, readable));
        continue;
      }
      // One pass over what is held (a long history is most of it); with basic monitoring the window's periods are whole,
      // so the view of the samples in it is the view of their periods.
      const inWindow = (
        t.basicMonitoring === true
          ? basicMonitoringView(
              held.filter((s) => s.at >= start && s.at < end),
              readable,
            )
          : held.filter((s) => s.at >= start && s.at < end && readable(s.at))
      )
        .map((s) => (t.agent ? { ...s } : withoutAgentFields(s)))
        .filter(hasData);
      out.set(t.instanceId, inWindow);
    }
    const queries = targets.reduce((n, t) => n + queriesForTarget(t), 0);
    const calls = Math.ceil(queries / MAX_QUERIES_PER_CALL);
    this.calls += calls;
    this.queries += queries;
    return { samples: out, window: { start, end }, calls, queries };
  }

  /**
   * A target asking one side (`only`) or the agent's CPU: EC2's fields (its CPU unless the agent's is asked) at the
   * target's resolution, and the agent's fields per minute (CPU among them when asked and this world's agent publishes
   * it), each readable on its own, merged by minute.
   */
  private viewBySource(t: MetricTarget, held: readonly MetricSample[], start: number, end: number, readable: (at: number) => boolean): MetricSample[] {
    const inWindow = held.filter((s) => s.at >= start && s.at < end);
    const byAt = new Map<number, MetricSample>();
    const add = (samples: readonly MetricSample[]): void => {
      for (const s of samples) if (hasData(s)) byAt.set(s.at, { ...byAt.get(s.at), ...s });
    };
    if (t.only !== 'agent') {
      const fields = t.agentCpu === true ? LATE_FIELDS : EC2_FIELDS;
      const ec2 = inWindow.map((s) => pick(s, fields));
      add(t.basicMonitoring === true ? basicMonitoringView(ec2, readable) : ec2.filter((s) => readable(s.at)));
    }
    if (t.agent && t.only !== 'ec2') {
      const fields = t.agentCpu === true && this.agentCpu ? AGENT_FIELDS_WITH_CPU : AGENT_FIELDS;
      add(inWindow.filter((s) => readable(s.at)).map((s) => pick(s, fields)));
    }
    return [...byAt.values()].sort((a, b) => a.at - b.at);
  }

  private dropExpired(id: InstanceId): void {
    const list = this.samples.get(id);
    const newest = list?.at(-1);
    if (this.retainMs === undefined || list === undefined || newest === undefined) return;
    const cutoff = newest.at - this.retainMs;
    if ((list[0]?.at ?? Infinity) >= cutoff) return;
    const keep = list.findIndex((s) => s.at >= cutoff);
    list.splice(0, keep < 0 ? list.length : keep);
  }
}

const MINUTE_MS = 60_000;
/** EC2's period under basic monitoring. */
const BASIC_PERIOD_MS = 5 * MINUTE_MS;
const EC2_FIELDS = ['cpuPercent', 'cpuMaxPercent', 'networkMbps', 'diskIops'] as const;
const AGENT_FIELDS = ['memoryGiB', 'connections'] as const;
/** What the CloudWatch agent publishes when its configuration has the CPU section. */
export const AGENT_FIELDS_WITH_CPU = [...AGENT_FIELDS, 'cpuPercent', 'cpuMaxPercent'] as const;

/** The sample with only `fields` (those it has). */
export const pick = (s: MetricSample, fields: readonly SampleField[]): MetricSample => {
  const out: { -readonly [K in keyof MetricSample]: MetricSample[K] } = { at: s.at };
  for (const f of fields) if (s[f] !== undefined) out[f] = s[f];
  return out;
};

const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

/**
 * What CloudWatch holds for an instance with EC2 detailed monitoring off: EC2's fields (CPU, network, disk) as one
 * datapoint per 5-minute period, stamped at the period's start — the average of its minutes (network and disk rates
 * over the period; CPUUtilization Average), and for CPUUtilization Maximum the largest minute — readable once the
 * period's last minute is (`readable`); the agent's fields (memory, connections) stay per minute, each readable on its
 * own. The held samples are 1-minute truth; this is the view a reader gets.
 */
export const basicMonitoringView = (held: readonly MetricSample[], readable: (at: number) => boolean): MetricSample[] => {
  const byAt = new Map<number, { -readonly [K in keyof MetricSample]: MetricSample[K] }>();
  const periods = new Map<number, MetricSample[]>();
  for (const s of held) {
    const period = Math.floor(s.at / BASIC_PERIOD_MS) * BASIC_PERIOD_MS;
    periods.set(period, [...(periods.get(period) ?? []), s]);
    if (!readable(s.at)) continue;
    const agent: { -readonly [K in keyof MetricSample]: MetricSample[K] } = { at: s.at };
    if (s.memoryGiB !== undefined) agent.memoryGiB = s.memoryGiB;
    if (s.connections !== undefined) agent.connections = s.connections;
    byAt.set(s.at, agent);
  }
  for (const [period, minutes] of periods) {
    if (!readable(period + BASIC_PERIOD_MS - MINUTE_MS)) continue;
    const point = byAt.get(period) ?? { at: period };
    for (const field of EC2_FIELDS) {
      const values = minutes.map((m) => (field === 'cpuMaxPercent' ? (m.cpuMaxPercent ?? m.cpuPercent) : m[field])).filter((v): v is number => v !== undefined);
      if (values.length > 0) point[field] = field === 'cpuMaxPercent' ? Math.max(...values) : mean(values);
    }
    byAt.set(period, point);
  }
  return [...byAt.values()].sort((a, b) => a.at - b.at);
};

/** Whether `samples` are in strictly increasing time, all after the newest sample held. */
const isAppend = (held: readonly MetricSample[], samples: readonly MetricSample[]): boolean => {
  let last = held.at(-1)?.at ?? -Infinity;
  for (const s of samples) {
    if (!(s.at > last)) return false;
    last = s.at;
  }
  return true;
};

const withoutAgentFields = (s: MetricSample): MetricSample => {
  const { memoryGiB: _memory, connections: _connections, ...rest } = s;
  return rest;
};

/** A minute with no field left is not a sample (CloudWatch returns no datapoint for it). */
export const hasData = (s: MetricSample): boolean => Object.keys(s).some((k) => k !== 'at');

InMemoryMetricsReader satisfies new (opts?: InMemoryMetricsReaderOptions) => MetricsReader;
