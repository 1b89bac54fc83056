import { Duration } from 'aws-cdk-lib';
import { MathExpression, Metric, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { METRICS_NAMESPACE, MetricDimension, type MetricNameValue } from '../lambda/contracts/metrics';

/**
 * The `service` dimension Powertools Metrics adds to every metric (its default dimension, set from
 * POWERTOOLS_SERVICE_NAME). All the functions use the same service name, see functions.ts SERVICE_NAME.
 */
export const SERVICE_DIMENSION = 'service';

export interface SpotwiseMetricOptions {
  readonly statistic: string;
  readonly period?: Duration;
  readonly label?: string;
  /** The group the metric is about (MetricDimension.group); absent for fleet-wide metrics. */
  readonly group?: string;
}

/**
 * One spotwise metric as the handlers emit it (EMF through Powertools, lambda/contracts/metrics.ts):
 * namespace Spotwise, dimensions {service} plus {GroupName} for per-group metrics.
 */
export const spotwiseMetric = (serviceName: string, metricName: MetricNameValue, options: SpotwiseMetricOptions): Metric =>
  new Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { [SERVICE_DIMENSION]: serviceName, ...(options.group !== undefined ? { [MetricDimension.group]: options.group } : {}) },
    statistic: options.statistic,
    period: options.period ?? Duration.minutes(5),
    ...(options.label !== undefined ? { label: options.label } : {}),
  });

/**
 * Every series of a metric split by one dimension (notices by kind, deferrals by reason, any group when
 * groups are selected by tag), whatever values appear at run time: a CloudWatch SEARCH expression. Dashboards
 * only: alarms cannot watch a SEARCH.
 */
export const metricSearch = (
  serviceName: string,
  metricName: MetricNameValue,
  dimension: string,
  options: { readonly statistic: string; readonly period?: Duration; readonly label: string },
): IMetric => {
  const period = options.period ?? Duration.minutes(5);
  return new MathExpression({
    expression: `SEARCH('{${METRICS_NAMESPACE},${SERVICE_DIMENSION},${dimension}} MetricName="${metricName}" ${SERVICE_DIMENSION}="${serviceName}"', '${options.statistic}', ${period.toSeconds()})`,
    label: options.label,
    period,
  });
};
