/**
 * Single-table layout (DESIGN.md §5). Partition key `pk`, sort key `sk`, TTL attribute `expiresAt`
 * (epoch seconds).
 */
export const TableKey = { partition: 'pk', sort: 'sk', ttl: 'expiresAt' } as const;

export const Keys = {
  pool: (group: string) => ({ pk: `GROUP#${group}`, sk: 'POOL' }),
  reservation: (group: string, reservationId: string) => ({ pk: `GROUP#${group}`, sk: `RES#${reservationId}` }),
  reservationPrefix: 'RES#',
  profile: (instanceId: string) => ({ pk: `INSTANCE#${instanceId}`, sk: 'PROFILE' }),
  forecast: (instanceId: string) => ({ pk: `INSTANCE#${instanceId}`, sk: 'FORECAST' }),
  request: (requestId: string) => ({ pk: `REQUEST#${requestId}`, sk: 'REQUEST' }),
  /** Index entry of a request that is still open (pending/deferred): one partition, so listing due requests is a Query, not a Scan. */
  openRequest: (requestId: string) => ({ pk: 'REQUESTS#OPEN', sk: `REQUEST#${requestId}` }),
  processedEvent: (eventId: string) => ({ pk: `EVENT#${eventId}`, sk: 'EVENT' }),
  /** A group's Spot pool signal history (warnings, rebalance recommendations): one item per pool, `<type>@<az>`. */
  poolSignals: (group: string, pool: string) => ({ pk: `GROUP#${group}`, sk: `SIGNALS#${pool}` }),
  poolSignalsPrefix: 'SIGNALS#',
} as const;

/** How long a processed event id is remembered (EventBridge retries within 24 h by default). */
export const PROCESSED_EVENT_TTL_SECONDS = 7 * 24 * 3600;
