import type { MetricSample } from '../../lambda/core/domain';
import type { TracePoint, TraceSeries } from '../../lambda/data/traces/load-traces';

/**
 * vCPUs assumed for series whose source does not give the machine size (NAB, Azure). Features and
 * targets are ratios to the series' own steady state, so the assumption scales CPU demand but does not
 * change which forecasts are under-provisioned; 2 vCPUs is the smallest common general-purpose size.
 */
export const ASSUMED_VCPUS = 2;
/**
 * Memory size assumed for series that report memory only as a percentage (Alibaba normalises every
 * machine's mem_size to 100): 100 "GiB" makes one percent one unit. Again only a scale.
 */
export const ASSUMED_MEMORY_GIB = 100;

export const vcpusOf = (series: TraceSeries): number => series.vcpus ?? ASSUMED_VCPUS;

/** One trace point as the 1-minute CloudWatch sample the profiler would have read (missing stays missing). */
export const toMetricSample = (point: TracePoint, series: TraceSeries): MetricSample => {
  const memoryGiB = point.memoryGiB ?? (point.memoryPercent === undefined ? undefined : (point.memoryPercent / 100) * (series.memoryGiB ?? ASSUMED_MEMORY_GIB));
  return {
    at: point.at,
    ...(point.cpuPercent === undefined ? {} : { cpuPercent: point.cpuPercent }),
    ...(point.cpuMaxPercent === undefined ? {} : { cpuMaxPercent: point.cpuMaxPercent }),
    ...(memoryGiB === undefined ? {} : { memoryGiB }),
    ...(point.networkMbps === undefined ? {} : { networkMbps: point.networkMbps }),
    ...(point.diskIops === undefined ? {} : { diskIops: point.diskIops }),
  };
};
