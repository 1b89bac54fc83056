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
  /** Who writes a group's warm pool now (a short lease) and the raises queued for it (lambda/app/warm-pool-writer.ts). */
  warmPoolWriter: (group: string) => ({ pk: `GROUP#${group}`, sk: 'WARMPOOL' }),
  /** Which victim of a rebalance recommendation a warm instance of the group is staged for (lambda/app/stage-warm-instance.ts). */
  warmClaim: (group: string, instanceId: string) => ({ pk: `GROUP#${group}`, sk: `WARMCLAIM#${instanceId}` }),
  warmClaimPrefix: 'WARMCLAIM#',
  /**
   * A closed restart cycle kept as a training case (the periodic retraining reads a group's newest with one Query):
   * sorted by restart time, zero-padded so the string order is the time order.
   */
  cycle: (group: string, restartedAt: number, instanceId: string) => ({
    pk: `CYCLES#${group}`,
    sk: `CYCLE#${String(Math.max(0, Math.round(restartedAt))).padStart(15, '0')}#${instanceId}`,
  }),
  cyclePrefix: 'CYCLE#',
  /** The model the profiler forecasts with when one was retrained (absent: the bundled model). */
  currentModel: { pk: 'MODEL', sk: 'CURRENT' },
  /** One retraining run's decision and figures. */
  retrainingRun: (at: number) => ({ pk: 'MODEL', sk: `RUN#${new Date(at).toISOString()}` }),
  retrainingRunPrefix: 'RUN#',
} as const;

/** How long a learned restart cycle is kept as a training case (the fleet's recent behaviour, not its whole history). */
export const CYCLE_TTL_SECONDS = 180 * 24 * 3600;
/** How long a retraining run's record is kept. */
export const RETRAINING_RUN_TTL_SECONDS = 365 * 24 * 3600;

/** How long a processed event id is remembered (EventBridge retries within 24 h by default). */
export const PROCESSED_EVENT_TTL_SECONDS = 7 * 24 * 3600;
