import type { InstanceId, MetricSample } from '../core/domain';

export interface MetricTarget {
  readonly instanceId: InstanceId;
  readonly instanceType: string;
  /** vCPUs and memory of the type, to turn percentages into resource units. */
  readonly vcpus: number;
  readonly memoryGiB: number;
  /** Whether the CloudWatch agent publishes CWAgent metrics for it. */
  readonly agent: boolean;
  /** Instance-store disks report DiskReadOps/DiskWriteOps instead of EBS ops. */
  readonly instanceStore?: boolean;
  /**
   * EC2 detailed monitoring is off: its EC2 metrics (CPU, network, disk) exist only as one datapoint per 5 minutes,
   * stamped at the start of its period, and are read at that period (a 5-minute Sum over 60 seconds would read 5× the
   * rate). The CloudWatch agent's metrics stay 1-minute.
   */
  readonly basicMonitoring?: boolean;
  /**
   * Ask the CloudWatch agent's CPU (cpu_usage_active, total over cores, collected every 10 s and read per minute) instead
   * of EC2's CPUUtilization: fresh 1-minute CPU for an instance on basic monitoring. Where the agent does not publish it
   * the read returns no CPU (never 0).
   */
  readonly agentCpu?: boolean;
  /** Ask only the agent's metrics or only EC2's (reads that end at different lags); absent: both. */
  readonly only?: 'agent' | 'ec2';
}

export interface MetricWindow {
  readonly start: number;
  readonly end: number;
}

export interface MetricReadResult {
  /** One sample per minute that had any data; missing fields stay missing. */
  readonly samples: ReadonlyMap<InstanceId, readonly MetricSample[]>;
  /**
   * The window actually read: the one asked, aligned as the reader reads it (whole 5-minute periods when a target is on
   * basic monitoring). A caller that merges reads of different periods cuts by it.
   */
  readonly window: MetricWindow;
  /** GetMetricData calls made and metric queries requested (for cost accounting). */
  readonly calls: number;
  readonly queries: number;
}

export interface MetricsReader {
  read(targets: readonly MetricTarget[], window: MetricWindow): Promise<MetricReadResult>;
}
