import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { groupId as toGroupId, type Forecast, type GroupId, type Reservation, type ResourcePool, type WarmClaim } from '../core/domain';
import type { RetrainingRecord } from '../ports/learning-store';
import type { StoredRequest } from '../ports/state-store';
import { parseRetrainingRecordItem } from './dynamodb-learning-store';
import { fromReservationItem, parseForecastItem, parsePoolItem, parseRequestItem, parseReservationItem, toResourcePool } from './dynamodb-items';
import { eachPage } from './dynamodb-table';
import { parseWarmClaimItem, WARM_CLAIM_KIND } from './dynamodb-warm-claims';
import { parseWarmPoolWriterItem, WARM_POOL_WRITER_KIND, type WarmPoolWriterItem } from './dynamodb-warm-pool-writer';

/** Everything `spotwise status` shows from the table: pools with their ledgers, forecasts, requests. */
export interface TableSnapshot {
  readonly pools: ReadonlyMap<GroupId, ResourcePool>;
  readonly forecasts: readonly Forecast[];
  readonly requests: readonly StoredRequest[];
  /** Retraining runs (newest first): which model forecasts, and why. */
  readonly retrainingRuns: readonly RetrainingRecord[];
  /** Each group's warm-pool writer item (lambda/app/warm-pool-writer.ts): raises queued, who holds the lease. */
  readonly warmPoolWriters: readonly WarmPoolWriterItem[];
  /** Claims on warm instances (lambda/app/stage-warm-instance.ts) as stored, live or not (TTL deletes them days later). */
  readonly warmClaims: readonly WarmClaim[];
  /** Items of these kinds that could not be read (named, with the reason): shown, never hidden. */
  readonly unreadable: readonly string[];
  /** Items DynamoDB scanned (billed) and returned. */
  readonly scanned: number;
  readonly returned: number;
}

const KINDS = ['pool', 'reservation', 'forecast', 'request', 'retraining-run', WARM_POOL_WRITER_KIND, WARM_CLAIM_KIND] as const;
/** An expression attribute value is a colon and alphanumerics: `retraining-run` is `:retrainingrun`. */
const placeholder = (kind: string): string => `:${kind.replace(/[^A-Za-z0-9]/g, '')}`;

/**
 * Read-only view of the spotwise table for the operator's `spotwise status` and `spotwise explain`
 * (dynamodb:Scan only). One paginated Scan filtered to pool, reservation, forecast, request, retraining-run and
 * warm-pool writer items:
 * the table has no index by kind, and profiles (the bulk of it) are filtered out server-side. A Scan is
 * billed on what it reads, filter or not — about 0.5 read unit per 4 KB (eventually consistent) — so a
 * 10,000-instance table of ~6 KB profiles costs ~7,500 read units, a fraction of a cent on demand.
 * Eventually consistent on purpose: status is a view, not a decision.
 */
export class DynamoDbStatusReader {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {
    if (tableName.trim() === '') throw new RangeError('tableName must not be empty (got "")');
  }

  async readSnapshot(): Promise<TableSnapshot> {
    const operation = `scanning table ${this.tableName} for pools, reservations, forecasts, requests, retraining runs and warm-pool writers`;
    const pools = new Map<GroupId, { pool: ResourcePool; reservations: Reservation[] }>();
    const orphanReservations: Reservation[] = [];
    const forecasts: Forecast[] = [];
    const requests: StoredRequest[] = [];
    const retrainingRuns: RetrainingRecord[] = [];
    const warmPoolWriters: WarmPoolWriterItem[] = [];
    const warmClaims: WarmClaim[] = [];
    const unreadable: string[] = [];
    let scanned = 0;
    let returned = 0;
    const pages = eachPage(operation, (start) =>
      this.client.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: `#kind IN (${KINDS.map(placeholder).join(', ')})`,
          ExpressionAttributeNames: { '#kind': 'kind' },
          ExpressionAttributeValues: Object.fromEntries(KINDS.map((k) => [placeholder(k), k])),
          ...start,
        }),
      ),
    );
    for await (const response of pages) {
      scanned += response.ScannedCount ?? 0;
      returned += response.Count ?? 0;
      for (const item of (response.Items ?? []) as Record<string, unknown>[]) {
        const where = `${String(item.pk)} / ${String(item.sk)}`;
        try {
          switch (item.kind) {
            case 'pool': {
              const group = toGroupId(String(item.groupId));
              const p = parsePoolItem(item, group);
              const entry = pools.get(group) ?? { pool: undefined as unknown as ResourcePool, reservations: [] };
              entry.pool = toResourcePool(p, []);
              pools.set(group, entry);
              break;
            }
            case 'reservation': {
              const r = fromReservationItem(parseReservationItem(item, `reservation item ${where}`));
              const entry = pools.get(r.groupId);
              if (entry !== undefined) entry.reservations.push(r);
              else orphanReservations.push(r);
              break;
            }
            case 'forecast':
              forecasts.push(parseForecastItem(item, String(item.instanceId)));
              break;
            case 'request':
              requests.push(parseRequestItem(item, String(item.requestId)));
              break;
            case 'retraining-run':
              retrainingRuns.push(parseRetrainingRecordItem(item, `retraining run ${where}`));
              break;
            case WARM_POOL_WRITER_KIND:
              warmPoolWriters.push(parseWarmPoolWriterItem(item, where));
              break;
            case WARM_CLAIM_KIND:
              warmClaims.push(parseWarmClaimItem(item, where));
              break;
          }
        } catch (error) {
          unreadable.push(`${where}: ${(error as Error).message}`);
        }
      }
    }
    for (const r of orphanReservations) {
      const entry = pools.get(r.groupId);
      if (entry !== undefined) entry.reservations.push(r);
      else unreadable.push(`reservation ${r.id} of group ${r.groupId}: the group has no pool item`);
    }
    const out = new Map<GroupId, ResourcePool>();
    for (const [group, { pool, reservations }] of [...pools.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      if (pool === undefined) continue;
      out.set(group, { ...pool, reservations: new Map(reservations.sort((a, b) => a.createdAt - b.createdAt).map((r) => [r.id, r])) });
    }
    return {
      pools: out,
      forecasts,
      requests,
      retrainingRuns: retrainingRuns.sort((a, b) => b.at - a.at),
      warmPoolWriters: warmPoolWriters.sort((a, b) => a.groupId.localeCompare(b.groupId)),
      warmClaims: warmClaims.sort((a, b) => a.groupId.localeCompare(b.groupId) || a.instanceId.localeCompare(b.instanceId)),
      unreadable,
      scanned,
      returned,
    };
  }
}
