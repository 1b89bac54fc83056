/** CloudWatch metric namespace and names emitted (EMF) by handlers and read by the dashboard and alarms. */
export const METRICS_NAMESPACE = 'Spotwise';

export const MetricName = {
  noticesHandled: 'NoticesHandled',
  malformedEvents: 'MalformedEvents',
  ignoredEvents: 'IgnoredEvents',
  noticeToLastActionSeconds: 'NoticeToLastActionSeconds',
  reservationsMade: 'ReservationsMade',
  reservationRefusals: 'ReservationRefusals',
  deferrals: 'InterruptionsDeferred',
  interruptionsScheduled: 'InterruptionsScheduled',
  poolCapacityVcpu: 'PoolCapacityVcpu',
  poolReservedVcpu: 'PoolReservedVcpu',
  poolUsedVcpu: 'PoolUsedVcpu',
  poolCapacityMemoryGiB: 'PoolCapacityMemoryGiB',
  poolReservedMemoryGiB: 'PoolReservedMemoryGiB',
  poolUsedMemoryGiB: 'PoolUsedMemoryGiB',
  warmPoolSize: 'WarmPoolSize',
  forecastVcpuP90: 'ForecastVcpuP90',
  observedPostRestartVcpu: 'ObservedPostRestartVcpu',
  predictionErrorRatio: 'PostRestartPredictionError',
  profileAgeSeconds: 'ProfileAgeSeconds',
  profilesUpdated: 'ProfilesUpdated',
  metricGaps: 'MetricGaps',
  actionFailures: 'ActionFailures',
  awsCallRetries: 'AwsCallRetries',
} as const;
export type MetricNameValue = (typeof MetricName)[keyof typeof MetricName];

/** Dimension names used with the metrics above. */
export const MetricDimension = { group: 'GroupName', noticeKind: 'NoticeKind', reason: 'Reason' } as const;
