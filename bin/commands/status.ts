import type { Command } from 'commander';
import { DIMENSIONS, type Dimension, type Forecast, type GroupId, type Resources } from '../../lambda/core/domain';
import { reservationPurpose } from '../../lambda/core/common/reservation-terms';
import { allocatedResources, reservedResources } from '../../lambda/core/pool/resource-pool';
import { borrowedResources } from '../../lambda/core/pool/borrowing';
import { formatResources, subtractResources } from '../../lambda/core/resources/resources';
import type { CapacityGateway, GroupDescription, WarmPoolDescription } from '../../lambda/ports/capacity-gateway';
import type { PriceReader, PriceQuote } from '../../lambda/ports/price-reader';
import type { StoredRequest } from '../../lambda/ports/state-store';
import { meanSpotUsd } from '../../lambda/app/group-cost';
import { inStandbyState } from '../../lambda/app/load-fleet';
import type { TableSnapshot } from '../../lambda/adapters/dynamodb-status-reader';
import { addAwsOptions, clientOptionsOf, ExitCode, iso, relative, runOperatorCommand, tableNameOf, UsageError, type OperatorOptions } from './operator-options';

/** Settled requests (executed, refused, cancelled) are listed for this long after their last update. */
export const SETTLED_REQUEST_WINDOW_MS = 24 * 3_600_000;
/** The text output lists this many forecasts per group (newest first); --json lists them all. */
export const TEXT_FORECASTS_PER_GROUP = 10;

/** Version of the --json shape; bumped only when a field changes meaning or goes away. */
export const STATUS_SCHEMA_VERSION = 2;

export interface ReservationStatus {
  readonly reservationId: string;
  readonly purpose: string;
  readonly instanceId: string;
  readonly amount: Resources;
  readonly reason: string;
  readonly priority: number;
  readonly createdAt: string;
  readonly expiresAt: string;
  /** What the reservation holds on loan from lower-priority instances (policy borrow_limit); empty when nothing. */
  readonly loans: readonly { readonly lender: string; readonly amount: Resources }[];
}

export interface ForecastStatus {
  readonly instanceId: string;
  readonly kind: 'known' | 'unknown';
  readonly madeAt: string;
  readonly ageSeconds: number;
  /** Known forecasts: the p90 and the basis of each dimension; null for unknown ones. */
  readonly p90: Resources | null;
  readonly basis: Readonly<Record<Dimension, string>> | null;
  /** Unknown forecasts: why. */
  readonly reason: string | null;
}

export interface GroupStatus {
  readonly group: string;
  readonly pool: {
    readonly capacity: Resources;
    readonly allocated: Resources;
    readonly reserved: Resources;
    readonly free: Resources;
    /** What the group's reservations hold on loan from lower-priority instances' allocations (part of `reserved`). */
    readonly borrowed: Resources;
    readonly allocatedInstances: number;
    readonly version: number;
  };
  /** null when Auto Scaling does not know the group (or could not be read: see notes). */
  readonly autoScaling: {
    readonly desiredCapacity: number;
    readonly minSize: number;
    readonly maxSize: number;
    /** Members in Auto Scaling's InService state (one whose state is not reported counts as in service). */
    readonly inService: number;
    readonly instances: readonly {
      readonly instanceId: string;
      readonly instanceType: string;
      readonly availabilityZone: string;
      readonly lifecycle: string;
      /** Auto Scaling's lifecycle state (InService, Pending, Standby, Terminating…); `unknown` when not reported. */
      readonly lifecycleState: string;
    }[];
    readonly warmPool: {
      readonly minSize: number;
      readonly maxGroupPreparedCapacity: number;
      readonly poolState: string;
      readonly instances: readonly { readonly instanceId: string; readonly instanceType: string; readonly lifecycleState: string }[];
      /**
       * Who writes it (lambda/app/warm-pool-writer.ts), present while raises are queued or the lease is held: a lease
       * that ran out was left by a writer that died holding it (the next writer takes it over with the raises).
       */
      readonly writer?: { readonly raisesQueued: number; readonly lease: { readonly holder: string; readonly until: string; readonly ranOut: boolean } | null };
      /**
       * Live claims on its warm instances (lambda/app/stage-warm-instance.ts): the victim of a rebalance recommendation
       * each was staged for, until the recommendation's reservation expires. Present when there is one.
       */
      readonly claims?: readonly { readonly instanceId: string; readonly victimId: string; readonly until: string }[];
    } | null;
  } | null;
  readonly reservations: readonly ReservationStatus[];
  readonly forecasts: readonly ForecastStatus[];
  /** null without prices (--no-prices, or they could not be read: see notes) or without Auto Scaling's view. */
  readonly cost: CostStatus | null;
}

export interface CostStatus {
  /** In-service instances: Spot ones at their zone's Spot price, On-Demand ones at On-Demand (USD per hour). */
  readonly estimatedHourlyUsd: number;
  /** The same instances all at On-Demand prices. */
  readonly onDemandEquivalentHourlyUsd: number;
  /** onDemandEquivalentHourlyUsd − estimatedHourlyUsd. */
  readonly savingsHourlyUsd: number;
  /** Warm-pool instances kept running (spotwise's standby), at On-Demand prices; stopped ones cost only their volumes. */
  readonly warmRunningHourlyUsd: number;
  /** Instances left out for want of a price: the figures are then lower bounds. */
  readonly unpriced: readonly string[];
}

export interface RequestStatusLine {
  readonly requestId: string;
  readonly group: string | null;
  readonly status: StoredRequest['status'];
  readonly mode: string;
  readonly selector: string;
  readonly reason: string;
  readonly notBefore: string;
  readonly deadline: string;
  readonly victim: string | null;
  readonly reservationId: string | null;
  readonly retryAt: string | null;
  readonly note: string | null;
  /** From the newest decision's pool check, when the reservation did not fit. */
  readonly shortfall: string | null;
  readonly updatedAt: string;
}

export interface FailClosedLine {
  readonly requestId: string;
  readonly at: string;
  readonly handler: string;
  /** The checks that failed, with their numbers. */
  readonly failed: readonly { readonly name: string; readonly detail: string }[];
  readonly outcomes: readonly string[];
}

/** The model the profiler forecasts with, from the newest retraining run (null: no run yet, the bundled model). */
export interface ModelStatus {
  readonly version: string;
  readonly lastRun: {
    readonly at: string;
    readonly outcome: string;
    readonly reason: string;
    readonly cycles: { readonly fit: number; readonly heldBack: number };
  };
}

export interface StatusReport {
  readonly schemaVersion: typeof STATUS_SCHEMA_VERSION;
  readonly generatedAt: string;
  readonly table: string;
  readonly model: ModelStatus | null;
  readonly groups: readonly GroupStatus[];
  readonly requests: readonly RequestStatusLine[];
  readonly failClosed: readonly FailClosedLine[];
  readonly notes: readonly string[];
}

const round = (r: Resources): Resources => Object.fromEntries(DIMENSIONS.map((d) => [d, Number(r[d].toPrecision(6))])) as Resources;

const forecastStatus = (f: Forecast, now: number): ForecastStatus => ({
  instanceId: f.instanceId,
  kind: f.kind,
  madeAt: iso(f.madeAt),
  ageSeconds: Math.round((now - f.madeAt) / 1000),
  p90: f.kind === 'known' ? round(Object.fromEntries(DIMENSIONS.map((d) => [d, f.dims[d].p90])) as Resources) : null,
  basis: f.kind === 'known' ? (Object.fromEntries(DIMENSIONS.map((d) => [d, f.dims[d].basis])) as Record<Dimension, string>) : null,
  reason: f.kind === 'unknown' ? f.reason : null,
});

const selectorText = (r: StoredRequest['request']): string =>
  r.selector.kind === 'instance' ? `instance ${r.selector.instanceId}` : `group ${r.selector.groupId} (priority ≤ ${r.selector.maxPriority})`;

const shortfallOf = (r: StoredRequest): string | null => {
  const pool = r.trail?.at(-1)?.checks.find((c) => c.name === 'pool' && !c.passed);
  const match = pool === undefined ? null : /short ([^;]+)$/.exec(pool.detail);
  return match?.[1] ?? null;
};

/**
 * Assembles the status from the table snapshot and Auto Scaling (read-only: DescribeAutoScalingGroups,
 * DescribeWarmPool). Groups are the table's pools (every managed group has one), or the one asked for.
 */
export const collectStatus = async (input: {
  readonly snapshot: TableSnapshot;
  readonly capacity: Pick<CapacityGateway, 'describeGroups' | 'describeWarmPool'>;
  readonly table: string;
  readonly now: number;
  readonly group?: string;
  /** Current prices for the cost lines; absent: no cost figures. */
  readonly prices?: PriceReader;
}): Promise<StatusReport> => {
  const { snapshot, capacity, now } = input;
  const notes: string[] = [...snapshot.unreadable.map((u) => `unreadable item ${u}`)];
  let groupIds = [...snapshot.pools.keys()];
  if (input.group !== undefined) {
    if (!snapshot.pools.has(input.group as GroupId)) {
      throw new UsageError(
        `--group: ${JSON.stringify(input.group)} has no pool in table ${input.table} (groups with a pool: ${groupIds.join(', ') || 'none'})`,
      );
    }
    groupIds = [input.group as GroupId];
  }
  let described: GroupDescription[] = [];
  try {
    described = groupIds.length === 0 ? [] : await capacity.describeGroups(groupIds);
  } catch (error) {
    notes.push(`Auto Scaling could not be read: ${(error as Error).message}`);
  }
  const warmPools = new Map<GroupId, WarmPoolDescription | undefined>();
  for (const g of described) {
    try {
      warmPools.set(g.id, await capacity.describeWarmPool(g.id));
    } catch (error) {
      notes.push(`the warm pool of ${g.id} could not be read: ${(error as Error).message}`);
    }
  }
  let quote: PriceQuote | undefined;
  if (input.prices !== undefined && described.length > 0) {
    const types = [
      ...new Set(described.flatMap((g) => [...g.instances.map((i) => i.instanceType), ...(warmPools.get(g.id)?.instances.map((i) => i.instanceType) ?? [])])),
    ];
    try {
      quote = await input.prices.readPrices(types, now);
      notes.push(...quote.notes.map((n) => `prices: ${n}`));
    } catch (error) {
      notes.push(`prices could not be read, so no cost figures: ${(error as Error).message}`);
    }
  }
  const forecastsByInstance = new Map(snapshot.forecasts.map((f) => [f.instanceId as string, f]));
  const groupOfInstance = new Map<string, GroupId>();
  const groups: GroupStatus[] = groupIds.map((id) => {
    const pool = snapshot.pools.get(id);
    if (pool === undefined) throw new Error(`no pool for ${id}`);
    const asg = described.find((g) => g.id === id);
    const warm = warmPools.get(id);
    const writerItem = snapshot.warmPoolWriters.find((w) => w.groupId === id);
    const writer =
      writerItem === undefined || (writerItem.raises === 0 && writerItem.holder === undefined)
        ? undefined
        : {
            raisesQueued: writerItem.raises,
            lease:
              writerItem.holder === undefined
                ? null
                : { holder: writerItem.holder, until: iso(writerItem.leaseUntil ?? 0), ranOut: !((writerItem.leaseUntil ?? 0) >= now) },
          };
    const claims = snapshot.warmClaims
      .filter((c) => c.groupId === id && c.until > now)
      .map((c) => ({ instanceId: c.instanceId as string, victimId: c.victimId as string, until: iso(c.until) }));
    const members = new Set<string>([
      ...pool.allocations.keys(),
      ...[...pool.reservations.values()].map((r) => r.instanceId),
      ...(asg?.instances.map((i) => i.id) ?? []),
      ...(warm?.instances.map((i) => i.id) ?? []),
    ]);
    for (const m of members) groupOfInstance.set(m, id);
    const forecasts = [...members]
      .flatMap((m) => {
        const f = forecastsByInstance.get(m);
        return f === undefined ? [] : [forecastStatus(f, now)];
      })
      .sort((a, b) => a.ageSeconds - b.ageSeconds || a.instanceId.localeCompare(b.instanceId));
    return {
      group: id,
      pool: {
        capacity: round(pool.capacity),
        allocated: round(allocatedResources(pool)),
        reserved: round(reservedResources(pool)),
        // capacity − allocated − reserved, negative where measured use exceeds the budget (as the table keeps it).
        free: round(subtractResources(subtractResources(pool.capacity, allocatedResources(pool)), reservedResources(pool))),
        borrowed: round(borrowedResources(pool)),
        allocatedInstances: pool.allocations.size,
        version: pool.version,
      },
      autoScaling:
        asg === undefined
          ? null
          : {
              desiredCapacity: asg.desiredCapacity,
              minSize: asg.minSize,
              maxSize: asg.maxSize,
              inService: asg.instances.filter((i) => !i.warm && (i.lifecycleState ?? 'InService') === 'InService').length,
              instances: asg.instances
                .filter((i) => !i.warm)
                .map((i) => ({
                  instanceId: i.id,
                  instanceType: i.instanceType,
                  availabilityZone: i.availabilityZone,
                  lifecycle: i.lifecycle,
                  lifecycleState: i.lifecycleState ?? 'unknown',
                })),
              warmPool:
                warm === undefined
                  ? null
                  : {
                      minSize: warm.minSize,
                      maxGroupPreparedCapacity: warm.maxGroupPreparedCapacity,
                      poolState: warm.poolState,
                      instances: warm.instances.map((i) => ({ instanceId: i.id, instanceType: i.instanceType, lifecycleState: i.lifecycleState })),
                      ...(writer !== undefined ? { writer } : {}),
                      ...(claims.length > 0 ? { claims } : {}),
                    },
            },
      reservations: [...pool.reservations.values()].map((r) => ({
        reservationId: r.id,
        purpose: reservationPurpose(r),
        instanceId: r.instanceId,
        amount: round(r.amount),
        reason: r.reason,
        priority: r.priority,
        createdAt: iso(r.createdAt),
        expiresAt: iso(r.expiresAt),
        loans: (r.loans ?? []).map((l) => ({ lender: l.lender, amount: round(l.amount) })),
      })),
      forecasts,
      cost: asg === undefined || quote === undefined ? null : costOf(asg, warm, quote),
    };
  });
  for (const id of groupIds)
    if (!described.some((g) => g.id === id) && !notes.some((n) => n.startsWith('Auto Scaling could not'))) notes.push(`Auto Scaling has no group ${id}`);

  const groupOfRequest = (r: StoredRequest): GroupId | undefined =>
    r.request.selector.kind === 'group' ? r.request.selector.groupId : groupOfInstance.get(r.victim ?? r.request.selector.instanceId);
  const shown = snapshot.requests
    .filter((r) => r.status === 'pending' || r.status === 'deferred' || r.status === 'scheduled' || now - r.updatedAt <= SETTLED_REQUEST_WINDOW_MS)
    .filter((r) => input.group === undefined || groupOfRequest(r) === input.group)
    .sort((a, b) => a.request.requestedAt - b.request.requestedAt || a.request.requestId.localeCompare(b.request.requestId));
  const requests: RequestStatusLine[] = shown.map((r) => ({
    requestId: r.request.requestId,
    group: groupOfRequest(r) ?? null,
    status: r.status,
    mode: r.request.mode,
    selector: selectorText(r.request),
    reason: r.request.reason,
    notBefore: iso(r.request.notBefore),
    deadline: iso(r.request.deadline),
    victim: r.victim ?? null,
    reservationId: r.reservationId ?? null,
    retryAt: r.retryAt !== undefined ? iso(r.retryAt) : null,
    note: r.note ?? null,
    shortfall: shortfallOf(r),
    updatedAt: iso(r.updatedAt),
  }));
  const failClosed: FailClosedLine[] = shown
    .flatMap((r) =>
      (r.trail ?? [])
        .filter(
          (e) => e.checks.some((c) => !c.passed) || e.outcomes.some((o) => o.startsWith('refused') || o.startsWith('failed') || o.includes('fail closed')),
        )
        .map((e) => ({
          requestId: r.request.requestId,
          at: iso(e.at),
          handler: e.handler,
          failed: e.checks.filter((c) => !c.passed).map((c) => ({ name: c.name, detail: c.detail })),
          outcomes: e.outcomes.filter((o) => o.startsWith('refused') || o.startsWith('failed') || o.includes('fail closed')),
        })),
    )
    .sort((a, b) => b.at.localeCompare(a.at));
  notes.push(
    'fail-closed decisions are listed for requests (from their stored decision trails); those on notices and staging are counted in the FailClosedDecisions metric only',
  );
  const run = snapshot.retrainingRuns[0];
  const model: ModelStatus | null =
    run === undefined ? null : { version: run.version, lastRun: { at: iso(run.at), outcome: run.outcome, reason: run.reason, cycles: run.cycles } };
  return { schemaVersion: STATUS_SCHEMA_VERSION, generatedAt: iso(now), table: input.table, model, groups, requests, failClosed, notes };
};

const roundUsd = (v: number): number => Number(v.toFixed(6));

/** The group's hourly cost from Auto Scaling's view of it (in service = running) and current prices. */
export const costOf = (asg: GroupDescription, warm: WarmPoolDescription | undefined, quote: PriceQuote): CostStatus => {
  let estimated = 0;
  let onDemand = 0;
  let warmRunning = 0;
  const unpriced: string[] = [];
  for (const i of asg.instances.filter((m) => !m.warm)) {
    const p = quote.prices.get(i.instanceType);
    const od = p?.onDemandHourlyUsd;
    const price = i.lifecycle === 'spot' ? (p?.spotByZone.get(i.availabilityZone) ?? meanSpotUsd(p)) : od;
    if (od === undefined || price === undefined) {
      unpriced.push(`${i.id} (${i.instanceType}${i.lifecycle === 'spot' ? ' Spot' : ''})`);
      continue;
    }
    estimated += price;
    onDemand += od;
  }
  for (const i of warm?.instances ?? []) {
    if (i.lifecycleState !== 'Warmed:Running') continue;
    const od = quote.prices.get(i.instanceType)?.onDemandHourlyUsd;
    if (od === undefined) unpriced.push(`${i.id} (${i.instanceType}, warm)`);
    else warmRunning += od;
  }
  return {
    estimatedHourlyUsd: roundUsd(estimated),
    onDemandEquivalentHourlyUsd: roundUsd(onDemand),
    savingsHourlyUsd: roundUsd(onDemand - estimated),
    warmRunningHourlyUsd: roundUsd(warmRunning),
    unpriced,
  };
};

// ---------------------------------------------------------------------------------------------
// Text
// ---------------------------------------------------------------------------------------------

const num = (v: number): string => (Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4))));
const HEAD = ['vCPU', 'GiB', 'Mbps', 'IOPS'];
const poolTable = (rows: readonly (readonly [string, Resources])[]): string[] => {
  const cells = rows.map(([label, r]) => [label, ...DIMENSIONS.map((d) => num(r[d]))]);
  const widths = [12, ...HEAD.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i + 1] ?? '').length)))];
  const line = (c: readonly string[]): string =>
    `    ${(c[0] ?? '').padEnd(widths[0] ?? 12)}${c
      .slice(1)
      .map((v, i) => v.padStart((widths[i + 1] ?? 4) + 2))
      .join('')}`;
  return [line(['', ...HEAD]), ...cells.map(line)];
};

export const formatStatus = (report: StatusReport): string => {
  const now = Date.parse(report.generatedAt);
  const out: string[] = [`spotwise status: table ${report.table} at ${report.generatedAt}`];
  const m = report.model;
  out.push(
    m === null
      ? 'model: the bundled one (no retraining run recorded yet)'
      : `model: ${m.version}; last retraining ${relative(Date.parse(m.lastRun.at), now)}: ${m.lastRun.outcome} (${m.lastRun.cycles.fit} + ${m.lastRun.cycles.heldBack} held-back cycles) — ${m.lastRun.reason}`,
  );
  if (report.groups.length === 0) out.push('', 'no managed group has a pool in this table yet (the profiler writes them on its first tick)');
  for (const g of report.groups) {
    out.push('', `group ${g.group}`);
    out.push('  pool (version ' + String(g.pool.version) + `, ${g.pool.allocatedInstances} allocated instance(s))`);
    out.push(
      ...poolTable([
        ['capacity', g.pool.capacity],
        ['allocated', g.pool.allocated],
        ['reserved', g.pool.reserved],
        ['free', g.pool.free],
        ['borrowed', g.pool.borrowed],
      ]),
    );
    const a = g.autoScaling;
    if (a === null) out.push('  auto scaling: not described (see notes)');
    else {
      // Members out of service are named: one in Standby is either spotwise's voluntary stop or an operator's.
      const standby = a.instances.filter((i) => inStandbyState(i.lifecycleState)).map((i) => i.instanceId);
      out.push(
        `  auto scaling: desired ${a.desiredCapacity} (min ${a.minSize}, max ${a.maxSize}), ${a.inService} in service${standby.length > 0 ? `, ${standby.length} in Standby (${standby.join(', ')})` : ''}`,
      );
      if (a.warmPool === null) out.push('  warm pool: none');
      else {
        const states = new Map<string, number>();
        for (const i of a.warmPool.instances) states.set(i.lifecycleState, (states.get(i.lifecycleState) ?? 0) + 1);
        const byState = [...states.entries()].map(([s, n]) => `${n} ${s}`).join(', ') || 'no instances';
        out.push(`  warm pool: min ${a.warmPool.minSize}, max prepared ${a.warmPool.maxGroupPreparedCapacity}, ${a.warmPool.poolState}: ${byState}`);
        const w = a.warmPool.writer;
        if (w !== undefined) {
          const lease =
            w.lease === null
              ? 'lease free'
              : `lease held by ${w.lease.holder} until ${w.lease.until}${w.lease.ranOut ? ' (ran out: the next writer takes it over)' : ''}`;
          out.push(`  warm-pool writer: ${w.raisesQueued} raise(s) queued, ${lease}`);
        }
        const claimed = a.warmPool.claims ?? [];
        if (claimed.length > 0)
          out.push(
            `  warm instances staged for rebalance recommendations: ${claimed.map((c) => `${c.instanceId} for ${c.victimId} until ${c.until}`).join(', ')}`,
          );
      }
    }
    if (g.cost !== null) {
      const c = g.cost;
      const pct = c.onDemandEquivalentHourlyUsd > 0 ? ` (${((100 * c.savingsHourlyUsd) / c.onDemandEquivalentHourlyUsd).toFixed(1)} %)` : '';
      out.push(
        `  cost: $${c.estimatedHourlyUsd.toFixed(4)}/h now, $${c.onDemandEquivalentHourlyUsd.toFixed(4)}/h at On-Demand: Spot saves $${c.savingsHourlyUsd.toFixed(4)}/h${pct}; warm instances running $${c.warmRunningHourlyUsd.toFixed(4)}/h`,
      );
      if (c.unpriced.length > 0) out.push(`    not priced (figures are lower bounds): ${c.unpriced.join(', ')}`);
    }
    out.push(`  reservations (${g.reservations.length})`);
    for (const r of g.reservations) {
      out.push(
        `    ${r.reservationId}  for ${r.instanceId}, priority ${r.priority}: ${formatResources(r.amount)} until ${r.expiresAt} (${relative(Date.parse(r.expiresAt), now)})`,
      );
      out.push(`      why: ${r.reason}`);
      for (const l of r.loans) out.push(`      borrows ${formatResources(l.amount)} from ${l.lender}`);
    }
    const shownForecasts = g.forecasts.slice(0, TEXT_FORECASTS_PER_GROUP);
    out.push(`  forecasts (${shownForecasts.length < g.forecasts.length ? `newest ${shownForecasts.length} of ` : ''}${g.forecasts.length})`);
    for (const f of shownForecasts) {
      const age = relative(Date.parse(f.madeAt), now);
      if (f.p90 === null || f.basis === null) out.push(`    ${f.instanceId}  unknown (${f.reason ?? 'no reason'}), made ${age}`);
      else {
        const bases = [...new Set(Object.values(f.basis))].join('/');
        out.push(`    ${f.instanceId}  p90 ${formatResources(f.p90)}  basis ${bases}, made ${age}`);
      }
    }
  }
  out.push('', `requests (${report.requests.length}: open, and settled in the last ${SETTLED_REQUEST_WINDOW_MS / 3_600_000} h)`);
  for (const r of report.requests) {
    out.push(`  ${r.requestId}  ${r.status}  ${r.mode} ${r.selector}${r.victim !== null ? ` → ${r.victim}` : ''}`);
    out.push(`    reason: ${r.reason}; window ${r.notBefore} .. ${r.deadline}`);
    if (r.note !== null) out.push(`    ${r.note}`);
    if (r.shortfall !== null) out.push(`    short ${r.shortfall}`);
    if (r.retryAt !== null) out.push(`    retry at ${r.retryAt} (${relative(Date.parse(r.retryAt), now)})`);
  }
  out.push('', `fail-closed decisions (${report.failClosed.length})`);
  for (const f of report.failClosed) {
    out.push(`  ${f.at}  ${f.handler}  request ${f.requestId}`);
    for (const c of f.failed) out.push(`    ${c.name}: ${c.detail}`);
    for (const o of f.outcomes) out.push(`    ${o}`);
  }
  if (report.notes.length > 0) out.push('', 'notes', ...report.notes.map((n) => `  - ${n}`));
  return out.join('\n');
};

// ---------------------------------------------------------------------------------------------
// Command
// ---------------------------------------------------------------------------------------------

export interface StatusOptions extends OperatorOptions {
  readonly group?: string;
  readonly json?: boolean;
  /** false with --no-prices. */
  readonly prices?: boolean;
}

export const runStatus = async (opts: StatusOptions, env: Readonly<Record<string, string | undefined>> = process.env, now = Date.now()): Promise<number> =>
  runOperatorCommand('status', async () => {
    const table = tableNameOf(opts, env);
    const clientOptions = clientOptionsOf(opts);
    const [
      { createAwsClients, awsClientConfig },
      { DynamoDbStatusReader },
      { AutoScalingCapacityGateway },
      { AwsPriceReader, pricingEndpointRegion },
      { PricingClient },
    ] = await Promise.all([
      import('../../lambda/adapters/aws-clients'),
      import('../../lambda/adapters/dynamodb-status-reader'),
      import('../../lambda/adapters/autoscaling-capacity-gateway'),
      import('../../lambda/adapters/aws-price-reader'),
      import('@aws-sdk/client-pricing'),
    ]);
    const clients = createAwsClients(clientOptions);
    // Prices for the cost lines: Spot from EC2 in the region, On-Demand from the Price List's own endpoint
    // (never the --endpoint: an emulator has no Price List). The region is the SDK's, as for every client.
    const priceNotes: string[] = [];
    let region: string | undefined;
    if (opts.prices === false) priceNotes.push('prices: not read (--no-prices), so no cost figures');
    else if (opts.endpoint !== undefined) priceNotes.push('prices: not read with --endpoint (the Price List API has no local emulator), so no cost figures');
    else {
      try {
        region = await clients.ec2.config.region();
      } catch (error) {
        priceNotes.push(`prices: not read, the AWS region is unknown (${(error as Error).message})`);
      }
    }
    const pricing = region === undefined ? undefined : new PricingClient(awsClientConfig({ region: pricingEndpointRegion(region) }));
    try {
      const snapshot = await new DynamoDbStatusReader(clients.dynamoDb, table).readSnapshot();
      const report = await collectStatus({
        snapshot,
        capacity: new AutoScalingCapacityGateway(clients.autoScaling),
        table,
        now,
        ...(opts.group !== undefined ? { group: opts.group } : {}),
        ...(region !== undefined && pricing !== undefined ? { prices: new AwsPriceReader(clients.ec2, pricing, { regionCode: region }) } : {}),
      });
      const full = { ...report, notes: [...priceNotes, ...report.notes] };
      process.stdout.write(opts.json === true ? `${JSON.stringify(full, null, 2)}\n` : `${formatStatus(full)}\n`);
      return ExitCode.ok;
    } finally {
      clients.dynamoDb.destroy();
      clients.autoScaling.destroy();
      if (region !== undefined) clients.ec2.destroy();
      pricing?.destroy();
    }
  });

export const registerStatus = (program: Command): void => {
  const command = program
    .command('status')
    .description(
      'Show each managed group: pool capacity, allocated, reserved and free; reservations; warm pool; newest forecasts; requests; fail-closed decisions (read-only)',
    )
    .option('--group <name>', 'only this group')
    .option('--no-prices', 'skip the cost lines (they read ec2:DescribeSpotPriceHistory and pricing:GetProducts)')
    .option('--json', `print one JSON object (schemaVersion ${STATUS_SCHEMA_VERSION}; shape in the README, "Operating spotwise")`);
  addAwsOptions(command, { table: true }).action(async (opts: StatusOptions) => {
    process.exitCode = await runStatus(opts);
  });
};
